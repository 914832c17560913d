"""Typing and encoding of any tabular credit data: numeric and categorical columns, missing values.

Pure: a DataFrame in, arrays out. The fitted encoder is plain JSON so a saved model reloads
without pickles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from qingzhai.core.errors import RuleViolation
from qingzhai.i18n import _
from qingzhai.scoring.rules import FeatureLabel, humanise

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "good", "repaid", "paid", "kept", "是"})


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "numeric" or "categorical"
    categories: tuple[str, ...] = ()
    q25: float = float("nan")
    q75: float = float("nan")
    label_en: str = ""
    label_zh: str = ""

    @property
    def label(self) -> FeatureLabel:
        fallback = humanise(self.name)
        return FeatureLabel(en=self.label_en or fallback.en, zh=self.label_zh or fallback.zh)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "kind": self.kind, "categories": list(self.categories),
            "q25": None if math.isnan(self.q25) else self.q25, "q75": None if math.isnan(self.q75) else self.q75,
            "label_en": self.label_en, "label_zh": self.label_zh,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Column:
        return cls(
            name=data["name"], kind=data["kind"], categories=tuple(data.get("categories") or ()),
            q25=float("nan") if data.get("q25") is None else float(data["q25"]),
            q75=float("nan") if data.get("q75") is None else float(data["q75"]),
            label_en=data.get("label_en", ""), label_zh=data.get("label_zh", ""),
        )


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]
    ignored: dict[str, str] = field(default_factory=dict)  # column -> why it is not a feature

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def categorical_indices(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c.kind == "categorical"]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns], "ignored": dict(self.ignored)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        return cls(columns=tuple(Column.from_dict(c) for c in data["columns"]), ignored=dict(data.get("ignored", {})))


def as_text(series: pd.Series) -> np.ndarray:
    """Values of a categorical column as Python strings, missing as None."""
    values = series.astype(object).to_numpy()
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v).strip()
    return out


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str,
    exclude: tuple[str, ...] = (),
    labels: dict[str, FeatureLabel] | None = None,
    max_categories: int = 200,
) -> Schema:
    """Type every column except the target and the excluded ones (protected attributes, groups)."""
    if target not in frame.columns:
        raise RuleViolation(_("no column '{name}' in the data", name=target), field="target")
    missing = [c for c in exclude if c not in frame.columns]
    if missing:
        raise RuleViolation(_("no column '{name}' in the data", name=missing[0]), field="protected")
    labels = labels or {}
    columns: list[Column] = []
    ignored: dict[str, str] = {name: "protected attribute" for name in exclude}
    for name in frame.columns:
        if name == target or name in exclude:
            continue
        series = frame[name]
        non_null = series.dropna()
        if non_null.nunique() <= 1:
            ignored[name] = "constant"
            continue
        label = labels.get(name) or FeatureLabel(en="", zh="")
        if is_numeric_dtype(series) and not is_bool_dtype(series):
            values = non_null.to_numpy(dtype=float)
            integral = bool(np.all(np.mod(values, 1) == 0))
            if integral and len(frame) > 50 and non_null.nunique() == len(frame):
                ignored[name] = "identifier (every value distinct)"
                continue
            q25, q75 = (float(v) for v in np.quantile(values, [0.25, 0.75]))
            columns.append(Column(name=name, kind="numeric", q25=q25, q75=q75, label_en=label.en, label_zh=label.zh))
        else:
            text = as_text(series)
            cats = sorted({v for v in text if v is not None})
            if len(cats) > max_categories:
                ignored[name] = f"identifier or free text ({len(cats)} distinct values)"
                continue
            columns.append(Column(name=name, kind="categorical", categories=tuple(cats), label_en=label.en, label_zh=label.zh))
    if not columns:
        raise RuleViolation(_("no usable feature columns"), field="data")
    return Schema(columns=tuple(columns), ignored=ignored)


def refit_categories(schema: Schema, frame: pd.DataFrame) -> Schema:
    """The same columns with categories and quantiles taken from `frame` only (a training fold)."""
    columns = []
    for col in schema.columns:
        if col.kind == "categorical":
            cats = tuple(sorted({v for v in as_text(frame[col.name]) if v is not None}))
            columns.append(Column(col.name, col.kind, cats, label_en=col.label_en, label_zh=col.label_zh))
        else:
            values = pd.to_numeric(frame[col.name], errors="coerce").dropna().to_numpy(dtype=float)
            q25, q75 = (float(v) for v in np.quantile(values, [0.25, 0.75])) if len(values) else (float("nan"),) * 2
            columns.append(Column(col.name, col.kind, q25=q25, q75=q75, label_en=col.label_en, label_zh=col.label_zh))
    return Schema(columns=tuple(columns), ignored=schema.ignored)


def encode(schema: Schema, frame: pd.DataFrame) -> np.ndarray:
    """Float matrix: numeric as is (missing NaN), categorical as the index of its category
    (unseen or missing NaN). LightGBM reads the categorical indices natively."""
    missing = [c.name for c in schema.columns if c.name not in frame.columns]
    if missing:
        raise RuleViolation(_("the data has no column '{name}' that the model needs", name=missing[0]), field=missing[0])
    out = np.empty((len(frame), len(schema.columns)), dtype=np.float64)
    for j, col in enumerate(schema.columns):
        series = frame[col.name]
        if col.kind == "numeric":
            if is_numeric_dtype(series):
                out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                out[:, j] = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            out[:, j] = category_codes(series, col.categories)
    return out


def encode_records(schema: Schema, rows: list[dict[str, object]]) -> np.ndarray:
    """Like `encode`, for a few rows given as dicts (no DataFrame: a single case scores in microseconds)."""
    out = np.full((len(rows), len(schema.columns)), np.nan, dtype=np.float64)
    for j, col in enumerate(schema.columns):
        index = {c: i for i, c in enumerate(col.categories)} if col.kind == "categorical" else None
        for i, row in enumerate(rows):
            value = row.get(col.name)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if index is None:
                out[i, j] = float(value)  # type: ignore[arg-type]
            elif (code := index.get(str(value).strip())) is not None:
                out[i, j] = code
    return out


def category_codes(series: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Index of each value in `categories` as float, NaN when missing or unseen. Factorises first,
    so the text work is done once per distinct value, not once per row."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = _categorical_text(pd.Series(uniques))
    lookup = pd.Index(list(categories), dtype=object).get_indexer(text.astype(object).to_numpy()).astype(np.float64)
    lookup[lookup < 0] = np.nan
    lookup = np.append(lookup, np.nan)  # code -1 (missing) reads the last entry
    return lookup[codes]


def _categorical_text(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if is_numeric_dtype(series) and not is_bool_dtype(series):
        return series.map(lambda v: None if pd.isna(v) else str(v))
    return series.astype("string").str.strip()


def encode_target(series: pd.Series, *, positive: str | None) -> tuple[np.ndarray, str]:
    """1 for the positive class (the outcome whose probability the model gives), 0 otherwise."""
    if series.isna().any():
        raise RuleViolation(_("{rows} rows have no target value", rows=int(series.isna().sum())), field="target")
    text = series.astype(str).str.strip()
    values = sorted(set(text))
    if len(values) != 2:
        raise RuleViolation(_("must have exactly two values, found {n}", n=len(values)), field="target")
    if positive is None:
        matches = [v for v in values if v.lower() in TRUE_WORDS]
        if len(matches) != 1:
            raise RuleViolation(_("cannot tell which of {values} is the positive class; pass --positive", values=values),
                                field="positive")
        positive = matches[0]
    elif str(positive) not in values:
        raise RuleViolation(_("'{value}' is not a value of the target ({values})", value=positive, values=values),
                            field="positive")
    return (text == str(positive)).to_numpy(dtype=np.int8), str(positive)
