"""A trained model as a directory: train it from a table, save it, load it, score rows with reasons.

Directory layout (every file is written by `save`):
- `model_card.json` — what was trained on what, how well it did, which model is chosen;
- `pipeline.json` — column types, categories, calibration, the scorecard's bins and points;
- `lightgbm.txt` — the LightGBM model in LightGBM's own text format;
- `forest.txt` — the random forest, in the same format;
- `oof.parquet` — out-of-fold predictions of the first CV repetition, the target and the
  fairness group columns, for `qingzhai model report`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

import qingzhai
from qingzhai.core.errors import NotFound, RuleViolation
from qingzhai.i18n import _
from qingzhai.scoring.rules import (
    Bands,
    FeatureLabel,
    ScoreScale,
    TrainSettings,
    calibration_table,
    level_of,
    phrase_category,
    phrase_numeric,
)
from qingzhai.scoring.scorecard import Scorecard
from qingzhai.scoring.tabular import Schema, encode_target, infer_schema
from qingzhai.scoring.trainer import (
    Calibrator,
    Pipeline,
    choose_model,
    cross_validate,
    fit_pipeline,
    importance_shares,
    refuse_leaks,
    weighted_mean,
)

CARD_FILE = "model_card.json"
PIPELINE_FILE = "pipeline.json"
BOOSTER_FILE = "lightgbm.txt"
FOREST_FILE = "forest.txt"
OOF_FILE = "oof.parquet"
COMPILED_FILES = {"lightgbm": "lightgbm.lleaves.o", "forest": "forest.lleaves.o"}
COMPILE_FROM_ROWS = 50_000  # batches at least this large are scored with the compiled trees
log = logging.getLogger(__name__)


def fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 over the column names, dtypes and values: the same table gives the same print."""
    digest = hashlib.sha256()
    digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass
class TrainedModel:
    pipeline: Pipeline
    card: dict[str, Any]
    oof: pd.DataFrame = field(default_factory=pd.DataFrame)
    scale: ScoreScale = field(default_factory=ScoreScale)
    bands: Bands = field(default_factory=Bands)
    directory: Path | None = None

    @property
    def chosen(self) -> str:
        return str(self.card["chosen_model"])

    def probability(self, frame: pd.DataFrame, *, threads: int = 0) -> np.ndarray:
        return self.probability_matrix(self.pipeline.encode(frame), threads=threads)

    def probability_matrix(self, x: np.ndarray, *, threads: int = 0) -> np.ndarray:
        return self.pipeline.predict_matrix(x, threads=threads, kinds=(self.chosen,))[self.chosen]

    def tree_models(self) -> tuple[str, ...]:
        """The tree models the chosen model needs."""
        if self.chosen == "blend":
            return tuple(k for k in self.pipeline.active_blend_weights() if k != "scorecard")
        return (self.chosen,) if self.chosen in ("lightgbm", "forest") else ()

    def compile(self, cache_dir: Path | None = None) -> bool:
        """Compile the tree models the chosen model needs to machine code with lleaves (when
        installed) for fast batch scoring; object files are cached in `cache_dir`. Same numbers as
        LightGBM (to ~1e-12). Returns False, and scoring stays on LightGBM, when lleaves is not
        available or cannot compile."""
        needed = [k for k in self.tree_models() if k not in self.pipeline.compiled]
        if not needed:
            return True
        try:
            import lleaves  # optional: pip install lleaves
        except ImportError:
            return False
        cache_dir = cache_dir or self.directory
        boosters = self.pipeline.boosters()
        for kind in needed:
            with tempfile.TemporaryDirectory() as tmp:
                model_file = Path(tmp) / f"{kind}.txt"
                model_file.write_text(boosters[kind].model_to_string(), encoding="utf-8")
                compiled = lleaves.Model(model_file=str(model_file))
                cache = str(cache_dir / COMPILED_FILES[kind]) if cache_dir is not None else None
                try:
                    compiled.compile(cache=cache, raw_score=True)
                except Exception:
                    log.warning("lleaves could not compile the %s model; scoring with LightGBM", kind, exc_info=True)
                    return False
            self.pipeline.compiled[kind] = compiled
        return True

    def impacts(self, x: np.ndarray, *, threads: int = 0) -> np.ndarray:
        """Per row and feature: how much the feature moved the log-odds of repaying. Tree models
        give their own SHAP values (`pred_contrib`), scaled by the calibration's slope; the
        scorecard gives coefficient x WoE; the blend the weighted mean of its members' impacts.
        A scorecard chosen alone speaks in the points it gave away against each variable's best bin."""
        pipe = self.pipeline
        if self.chosen == "scorecard":
            return pipe.scorecard.points_lost(x, self.scale)
        weights = pipe.active_blend_weights() if self.chosen == "blend" else {self.chosen: 1.0}
        parts: dict[str, np.ndarray] = {}
        for kind in weights:
            if kind == "scorecard":
                parts[kind] = pipe.scorecard.contributions(x)
            else:
                calibrator = pipe.calibrator_of(kind)
                slope = calibrator.a if calibrator is not None and calibrator.method == "platt" else 1.0
                contrib = pipe.boosters()[kind].predict(x, pred_contrib=True, num_threads=threads)
                parts[kind] = slope * np.asarray(contrib)[:, :-1]
        return weighted_mean(parts, weights)

    def reasons(self, frame: pd.DataFrame, *, k: int = 3, threads: int = 0) -> list[list[dict[str, Any]]]:
        x = self.pipeline.encode(frame)
        impacts = self.impacts(x, threads=threads)
        columns = self.pipeline.schema.columns
        out: list[list[dict[str, Any]]] = []
        order = np.argsort(impacts, axis=1, kind="stable")[:, :k]
        for i in range(len(frame)):
            row = []
            for j in order[i]:
                value = impacts[i, j]
                if value >= 0:
                    break
                col = columns[j]
                if col.kind == "numeric":
                    en, zh = phrase_numeric(col.label, level_of(x[i, j], col.q25, col.q75))
                else:
                    raw = x[i, j]
                    en, zh = phrase_category(col.label, None if np.isnan(raw) else col.categories[int(raw)])
                row.append({"feature": col.name, "impact": round(float(value), 4), "text_en": en, "text_zh": zh})
            out.append(row)
        return out

    def score(self, frame: pd.DataFrame, *, lang: str = "zh_CN", with_reasons: bool = True, threads: int = 0) -> pd.DataFrame:
        if len(frame) >= COMPILE_FROM_ROWS and self.chosen != "scorecard":
            self.compile()
        p = self.probability(frame, threads=threads)
        result = pd.DataFrame({
            "probability": np.round(p, 6),
            "score": np.round(self.scale.points(p)).astype(int),
            "band": self.bands.bands(p),
        }, index=frame.index)
        if with_reasons:
            reasons = self.reasons(frame, threads=threads)
            key = "text_zh" if lang.startswith("zh") else "text_en"
            for n in range(3):
                result[f"reason_{n + 1}"] = [r[n][key] if len(r) > n else "" for r in reasons]
        return result

    # --- persistence --------------------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        pipe = self.pipeline
        payload = {
            "schema": pipe.schema.to_dict(), "calibrator": pipe.calibrator.to_dict(),
            "scorecard": pipe.scorecard.to_dict(), "blend_weights": pipe.blend_weights,
            "forest_calibrator": pipe.forest_calibrator.to_dict() if pipe.forest_calibrator else None,
            "chosen_params": pipe.chosen_params, "rounds": pipe.rounds, "inner_auc": pipe.inner_auc,
            "scale": {"base": self.scale.base, "base_odds": self.scale.base_odds, "pdo": self.scale.pdo},
            "bands": [list(edge) for edge in self.bands.edges],
        }
        (directory / PIPELINE_FILE).write_text(json.dumps(payload, indent=1, default=_json_default), encoding="utf-8")
        (directory / BOOSTER_FILE).write_text(pipe.booster.model_to_string(), encoding="utf-8")
        if pipe.forest is not None:
            (directory / FOREST_FILE).write_text(pipe.forest.model_to_string(), encoding="utf-8")
        for name in COMPILED_FILES.values():
            (directory / name).unlink(missing_ok=True)  # compiled for an earlier model
        self.directory = directory
        (directory / CARD_FILE).write_text(json.dumps(self.card, indent=2, ensure_ascii=False, default=_json_default),
                                           encoding="utf-8")
        if not self.oof.empty:
            self.oof.to_parquet(directory / OOF_FILE, index=False)
        return directory

    @classmethod
    def load(cls, directory: Path) -> TrainedModel:
        directory = Path(directory)
        for name in (CARD_FILE, PIPELINE_FILE, BOOSTER_FILE):
            if not (directory / name).is_file():
                raise NotFound(_("'{directory}' holds no trained model ({name} is missing)", directory=directory, name=name),
                               field="model")
        payload = json.loads((directory / PIPELINE_FILE).read_text(encoding="utf-8"))
        booster = lgb.Booster(model_str=(directory / BOOSTER_FILE).read_text(encoding="utf-8"))
        forest_file = directory / FOREST_FILE
        forest = lgb.Booster(model_str=forest_file.read_text(encoding="utf-8")) if forest_file.is_file() else None
        forest_calibrator = payload.get("forest_calibrator")
        pipeline = Pipeline(
            schema=Schema.from_dict(payload["schema"]), booster=booster,
            calibrator=Calibrator(**payload["calibrator"]), scorecard=Scorecard.from_dict(payload["scorecard"]),
            blend_weights=_blend_weights(payload), chosen_params=payload["chosen_params"],
            rounds=int(payload["rounds"]), inner_auc=payload["inner_auc"],
            forest=forest, forest_calibrator=Calibrator(**forest_calibrator) if forest and forest_calibrator else None,
        )
        card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
        oof = pd.read_parquet(directory / OOF_FILE) if (directory / OOF_FILE).is_file() else pd.DataFrame()
        scale = ScoreScale(**payload["scale"])
        bands = Bands(edges=tuple((str(n), float(v)) for n, v in payload["bands"]))
        return cls(pipeline=pipeline, card=card, oof=oof, scale=scale, bands=bands, directory=directory)


def _blend_weights(payload: dict[str, Any]) -> dict[str, float]:
    if "blend_weights" in payload:
        return {str(k): float(v) for k, v in payload["blend_weights"].items()}
    w = float(payload["blend_weight"])  # a model saved before the forest: LightGBM and the scorecard
    return {"lightgbm": w, "forest": 0.0, "scorecard": 1.0 - w}


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def train_table(
    frame: pd.DataFrame,
    *,
    target: str,
    positive: str | None = None,
    settings: TrainSettings | None = None,
    protected: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    labels: dict[str, FeatureLabel] | None = None,
    now: datetime,
    name: str = "model",
    extra_card: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[TrainedModel, Any]:
    """Type the columns, refuse leaks, cross-validate, choose, and refit on all rows.

    `protected` columns never become features; `groups` (which may overlap) are kept aside for
    the fairness report. Returns the model and the cross-validation result.
    """
    settings = settings or TrainSettings()
    if len(frame) < settings.folds * 4:
        raise RuleViolation(_("has {rows} rows; at least {needed} are needed", rows=len(frame), needed=settings.folds * 4),
                            field="data")
    missing = [g for g in groups if g not in frame.columns]
    if missing:
        raise RuleViolation(_("no column '{name}' in the data", name=missing[0]), field="group")
    y, positive = encode_target(frame[target], positive=positive)
    counts = np.bincount(y, minlength=2)
    if counts.min() < settings.folds * 2:
        raise RuleViolation(_("the rarer class has only {rows} rows; too few for {folds} folds", rows=int(counts.min()),
                              folds=settings.folds), field="target")
    exclude = tuple(dict.fromkeys((*protected, *groups)))
    schema = infer_schema(frame, target=target, exclude=exclude, labels=labels, max_categories=settings.max_categories)
    single_aucs = refuse_leaks(schema, frame, y, settings=settings)
    features = frame[schema.names]
    result = cross_validate(schema, features, y, settings=settings, progress=progress)
    chosen = choose_model(result)
    if progress:
        progress("final fit on all rows")
    pipeline = fit_pipeline(schema, features, y, settings=settings)
    oof = pd.DataFrame({"target": y, **{f"p_{k}": v for k, v in result.oof.items()}})
    for g in groups:
        oof[f"group:{g}"] = frame[g].to_numpy()
    shares = importance_shares(pipeline, pipeline.encode(features), chosen)
    top = sorted(zip(schema.names, shares, strict=True), key=lambda t: (-t[1], t[0]))
    card: dict[str, Any] = {
        "name": name,
        "version": qingzhai.__version__,
        "trained_at": now.isoformat(),
        "seed": settings.seed,
        "data": {"fingerprint": fingerprint(frame), "rows": len(frame), "positives": int(counts[1]),
                 "negatives": int(counts[0]), "target": target, "positive": positive},
        "features": [{"name": c.name, "kind": c.kind} for c in pipeline.schema.columns],
        "ignored_columns": schema.ignored,
        "protected_attributes": list(exclude),
        "fairness_groups": list(groups),
        "single_feature_auc": {k: _clean(v) for k, v in single_aucs.items()},
        "evaluation": {
            "method": f"{settings.repeats}x repeated stratified {settings.folds}-fold cross-validation; "
                      f"inner {settings.inner_folds}-fold CV on each training fold for the LightGBM shape, "
                      "rounds (early stopping) and the calibrations of LightGBM and the random forest",
            "folds": settings.folds, "repeats": settings.repeats,
        },
        "metrics": {kind: {m: {"mean": _clean(s.mean), "sd": _clean(s.sd)} for m, s in stats.items()}
                    for kind, stats in result.summary.items()},
        "chosen_model": chosen,
        "calibration": {
            kind: [r.__dict__ for r in calibration_table(y, result.oof[kind], bins=settings.calibration_bins)]
            for kind in result.oof
        },
        "top_features": [{"name": n, "share": round(float(v), 4)} for n, v in top[:10]],
        "top_features_of": chosen,
        "lightgbm": {"params": {k: v for k, v in pipeline.chosen_params.items() if k != "verbose"},
                     "rounds": pipeline.rounds, "cv_rounds": result.rounds},
        "forest": {"trees": settings.forest_trees, "leaves": settings.forest_leaves,
                   "min_leaf": settings.forest_min_leaf, "feature_fraction": settings.forest_feature_fraction,
                   "bagging_fraction": settings.forest_bagging_fraction},
        "blend_weights": pipeline.blend_weights,
        "settings": {k: v for k, v in settings.__dict__.items() if k != "lgbm_candidates"},
    }
    card.update(extra_card or {})
    return TrainedModel(pipeline=pipeline, card=card, oof=oof), result
