"""Training and honest evaluation.

`fit_pipeline` fits everything on one training set only: an inner stratified K-fold on it picks
the LightGBM shape, the number of rounds (early stopping on the inner validation folds) and the
calibrations of LightGBM and the random forest (fitted on their inner out-of-fold predictions);
then LightGBM, the forest and the scorecard are refitted on the whole training set, and the blend
averages their log-odds. `cross_validate` wraps it in repeated stratified K-fold, so
the outer test folds are never seen by any choice. Same data and seed, same numbers.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from qingzhai.core.errors import RuleViolation
from qingzhai.i18n import _
from qingzhai.scoring.rules import (
    Metrics,
    Summary,
    TrainSettings,
    auc,
    check_leaks,
    metrics,
    summarise,
)
from qingzhai.scoring.scorecard import Scorecard, fit_scorecard
from qingzhai.scoring.tabular import Schema, encode, refit_categories

MODEL_KINDS = ("lightgbm", "forest", "scorecard", "blend")
Progress = Callable[[str], None]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Calibrator:
    method: str
    a: float = 1.0
    b: float = 0.0
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)

    @classmethod
    def fit(cls, method: str, margin: np.ndarray, y: np.ndarray) -> Calibrator:
        if method == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4)
            iso.fit(margin, y)
            return cls(method=method, xs=[float(v) for v in iso.X_thresholds_], ys=[float(v) for v in iso.y_thresholds_])
        lr = LogisticRegression(C=1e6, max_iter=1000)
        lr.fit(margin.reshape(-1, 1), y)
        return cls(method="platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))

    def __call__(self, margin: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            return np.interp(margin, np.asarray(self.xs), np.asarray(self.ys))
        return _sigmoid(self.a * margin + self.b)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def lgbm_params(settings: TrainSettings, candidate: dict[str, float], seed: int, *, threads: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": "binary", "learning_rate": settings.learning_rate, "verbose": -1,
        "num_threads": threads or settings.num_threads, "deterministic": True, "force_col_wise": True,
        "seed": seed, "bagging_seed": seed, "feature_fraction_seed": seed, "data_random_seed": seed,
        "bagging_fraction": 0.8, "bagging_freq": 1, "cat_smooth": 10.0, "min_data_per_group": 20,
        "max_cat_to_onehot": 4,
    }
    for key, value in candidate.items():
        params[key] = int(value) if key in ("num_leaves", "min_data_in_leaf") else value
    return params


def forest_params(settings: TrainSettings, seed: int) -> dict[str, Any]:
    """A random forest in LightGBM: bagged trees without shrinkage, averaged (`boosting="rf"`)."""
    return {
        "objective": "binary", "boosting": "rf", "verbose": -1, "num_threads": settings.num_threads,
        "deterministic": True, "force_col_wise": True, "seed": seed, "bagging_seed": seed,
        "feature_fraction_seed": seed, "data_random_seed": seed,
        "num_leaves": settings.forest_leaves, "min_data_in_leaf": settings.forest_min_leaf,
        "min_sum_hessian_in_leaf": 1e-3, "lambda_l2": 0.0,
        "feature_fraction_bynode": settings.forest_feature_fraction,
        "bagging_fraction": settings.forest_bagging_fraction, "bagging_freq": 1,
        "max_cat_to_onehot": 4, "min_data_per_group": settings.forest_min_leaf, "cat_smooth": 1.0, "cat_l2": 1.0,
    }


BLEND_MEMBERS = ("lightgbm", "forest", "scorecard")


def weighted_mean(parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The blend of the members' log-odds, contributions or importances: their weighted mean;
    members without a weight are left out."""
    total = sum(weights.values())
    return sum((w / total) * parts[k] for k, w in weights.items() if w > 0)  # type: ignore[return-value]


@dataclass
class Pipeline:
    """A fitted model: encoder schema, LightGBM and the random forest with their calibrations, the
    scorecard, and the blend of the three."""

    schema: Schema
    booster: lgb.Booster
    calibrator: Calibrator
    scorecard: Scorecard
    blend_weights: dict[str, float]
    chosen_params: dict[str, Any]
    rounds: int
    inner_auc: dict[str, float]
    forest: lgb.Booster | None = None  # None in models saved before the forest existed
    forest_calibrator: Calibrator | None = None
    compiled: dict[str, Any] = field(default_factory=dict)  # "lightgbm"/"forest" -> lleaves.Model

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        return encode(self.schema, frame)

    def boosters(self) -> dict[str, lgb.Booster]:
        return {"lightgbm": self.booster, **({"forest": self.forest} if self.forest is not None else {})}

    def calibrator_of(self, kind: str) -> Calibrator | None:
        return {"lightgbm": self.calibrator, "forest": self.forest_calibrator}.get(kind)

    def margin(self, x: np.ndarray, *, threads: int = 0, kind: str = "lightgbm") -> np.ndarray:
        """Raw log-odds of LightGBM (`kind="lightgbm"`) or of the forest (`"forest"`)."""
        compiled = self.compiled.get(kind)
        if compiled is not None:
            return compiled.predict(np.ascontiguousarray(x, dtype=np.float64), n_jobs=threads or (os.cpu_count() or 1))
        return self.boosters()[kind].predict(x, raw_score=True, num_threads=threads)

    def log_odds(self, x: np.ndarray, *, threads: int = 0, kinds: tuple[str, ...] = BLEND_MEMBERS) -> dict[str, np.ndarray]:
        """Calibrated log-odds of repaying per member model."""
        out: dict[str, np.ndarray] = {}
        for kind in kinds:
            if kind == "scorecard":
                out[kind] = self.scorecard.margin(x)
            elif kind in self.boosters() and (calibrator := self.calibrator_of(kind)) is not None:
                out[kind] = _logit(calibrator(self.margin(x, threads=threads, kind=kind)))
        return out

    def active_blend_weights(self) -> dict[str, float]:
        return {k: w for k, w in self.blend_weights.items() if w > 0 and (k != "forest" or self.forest is not None)}

    def predict_matrix(self, x: np.ndarray, *, threads: int = 0,
                       kinds: tuple[str, ...] = MODEL_KINDS) -> dict[str, np.ndarray]:
        weights = self.active_blend_weights()
        needed = set(kinds) - {"blend"}
        if "blend" in kinds:
            needed |= set(weights)
        odds = self.log_odds(x, threads=threads, kinds=tuple(k for k in BLEND_MEMBERS if k in needed))
        out = {k: _sigmoid(v) for k, v in odds.items() if k in kinds}
        if "blend" in kinds:
            out["blend"] = _sigmoid(weighted_mean(odds, weights))
        return out

    def predict(self, frame: pd.DataFrame, *, threads: int = 0) -> dict[str, np.ndarray]:
        return self.predict_matrix(self.encode(frame), threads=threads)


def importance_shares(pipeline: Pipeline, x: np.ndarray, kind: str) -> np.ndarray:
    """How much each feature matters to model `kind`, as shares that add up to 1: the trees' split
    gain, the spread (standard deviation over `x`) of the scorecard's coef x WoE, and for the blend
    the weighted mean of its members' shares."""
    def normalised(values: np.ndarray) -> np.ndarray:
        total = float(values.sum())
        return values / total if total > 0 else np.full(len(values), 1.0 / max(len(values), 1))

    if kind == "scorecard":
        return normalised(pipeline.scorecard.contributions(x).std(axis=0))
    if kind in ("lightgbm", "forest"):
        return normalised(pipeline.boosters()[kind].feature_importance(importance_type="gain").astype(float))
    weights = pipeline.active_blend_weights()
    return weighted_mean({k: importance_shares(pipeline, x, k) for k in weights}, weights)


def _train_booster(params: dict[str, Any], x: np.ndarray, y: np.ndarray, cat: list[int], rounds: int,
                   valid: tuple[np.ndarray, np.ndarray] | None = None, stopping: int = 0) -> lgb.Booster:
    train = lgb.Dataset(x, label=y, categorical_feature=cat or "auto", free_raw_data=False,
                        params={"verbose": -1, "max_bin": 255})
    callbacks = []
    valid_sets = []
    if valid is not None:
        valid_sets = [lgb.Dataset(valid[0], label=valid[1], reference=train, categorical_feature=cat or "auto")]
        callbacks = [lgb.early_stopping(stopping, verbose=False)]
    params = {**params, "metric": "auc"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lgb.train(params, train, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks)


def fit_pipeline(schema: Schema, frame: pd.DataFrame, y: np.ndarray, *, settings: TrainSettings,
                 seed: int | None = None) -> Pipeline:
    """Fit on `frame` only. Nothing outside it is looked at."""
    seed = settings.seed if seed is None else seed
    schema = refit_categories(schema, frame)
    x = encode(schema, frame)
    cat = schema.categorical_indices()
    inner = StratifiedKFold(n_splits=settings.inner_folds, shuffle=True, random_state=seed)
    splits = list(inner.split(x, y))
    best: tuple[float, int, dict[str, float], np.ndarray, int] | None = None
    inner_auc: dict[str, float] = {}
    for index, candidate_items in enumerate(settings.lgbm_candidates):
        candidate = dict(candidate_items)
        params = lgbm_params(settings, candidate, seed)
        oof = np.zeros(len(y))
        iterations = []
        for tr, va in splits:
            booster = _train_booster(params, x[tr], y[tr], cat, settings.max_rounds,
                                     valid=(x[va], y[va]), stopping=settings.early_stopping_rounds)
            iterations.append(booster.best_iteration or settings.max_rounds)
            oof[va] = booster.predict(x[va], raw_score=True, num_iteration=booster.best_iteration)
        score = auc(y, oof)
        inner_auc[f"lightgbm_{index}"] = score
        rounds = max(round(float(np.mean(iterations))), 1)
        if best is None or score > best[0]:
            best = (score, index, candidate, oof, rounds)
    assert best is not None
    _score, _index, candidate, oof, rounds = best
    calibrator = Calibrator.fit(settings.calibration, oof, y)
    f_params = forest_params(settings, seed)
    forest_oof = np.zeros(len(y))
    for tr, va in splits:
        inner_forest = _train_booster(f_params, x[tr], y[tr], cat, settings.forest_trees)
        forest_oof[va] = inner_forest.predict(x[va], raw_score=True)
    inner_auc["forest"] = auc(y, forest_oof)
    forest_calibrator = Calibrator.fit(settings.calibration, forest_oof, y)
    params = lgbm_params(settings, candidate, seed)
    booster = _train_booster(params, x, y, cat, rounds)
    forest = _train_booster(f_params, x, y, cat, settings.forest_trees)
    card = fit_scorecard(schema, x, y, c=settings.scorecard_c, max_bins=settings.max_bins,
                         min_bin_share=settings.min_bin_share)
    weights = dict(zip(BLEND_MEMBERS, settings.blend_weights, strict=True))
    return Pipeline(schema=schema, booster=booster, calibrator=calibrator, scorecard=card,
                    blend_weights=weights, chosen_params=params, rounds=rounds, inner_auc=inner_auc,
                    forest=forest, forest_calibrator=forest_calibrator)


# --- leak detection --------------------------------------------------------------------------


def single_feature_aucs(schema: Schema, frame: pd.DataFrame, y: np.ndarray, *, seed: int) -> dict[str, float]:
    """How well each feature alone separates the target. Categories use out-of-fold target means,
    so a column with many distinct values does not look predictive by memorising rows."""
    x = encode(schema, frame)
    result: dict[str, float] = {}
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    for j, col in enumerate(schema.columns):
        column = x[:, j]
        if col.kind == "numeric":
            filled = np.where(np.isnan(column), np.nanmedian(column) if (~np.isnan(column)).any() else 0.0, column)
            result[col.name] = auc(y, filled)
        else:
            encoded = np.full(len(y), float(y.mean()))
            for tr, te in folds.split(column, y):
                codes_tr = np.where(np.isnan(column[tr]), -1, column[tr]).astype(np.int64) + 1
                codes_te = np.where(np.isnan(column[te]), -1, column[te]).astype(np.int64) + 1
                size = len(col.categories) + 1
                sums = np.bincount(codes_tr, weights=y[tr].astype(float), minlength=size)
                counts = np.bincount(codes_tr, minlength=size)
                means = (sums + y[tr].mean()) / (counts + 1)
                encoded[te] = means[codes_te]
            result[col.name] = auc(y, encoded)
    return result


def refuse_leaks(schema: Schema, frame: pd.DataFrame, y: np.ndarray, *, settings: TrainSettings) -> dict[str, float]:
    aucs = single_feature_aucs(schema, frame, y, seed=settings.seed)
    leaks = check_leaks(aucs, threshold=settings.leak_auc)
    if leaks:
        first = leaks[0]
        names = ", ".join(f"{f.feature} (AUC {f.auc:.3f})" for f in leaks)
        raise RuleViolation(
            _("alone predicts the target almost perfectly: {names}. This is almost always a leak "
              "(the outcome copied into a feature); remove it or pass it with --protected", names=names),
            field=first.feature, rule="target_leak",
        )
    return aucs


# --- cross-validation ------------------------------------------------------------------------

ExtraModel = Callable[[Schema, pd.DataFrame, np.ndarray, pd.DataFrame, int], np.ndarray]


@dataclass
class CVResult:
    per_fold: dict[str, list[Metrics]]
    summary: dict[str, dict[str, Summary]]
    oof: dict[str, np.ndarray]  # out-of-fold probabilities of the first repetition
    rounds: list[int]
    chosen_candidates: list[dict[str, Any]]

    def auc(self, kind: str) -> Summary:
        return self.summary[kind]["auc"]

    def to_dict(self) -> dict[str, Any]:
        return {
            kind: {name: s.to_dict() for name, s in stats.items()} for kind, stats in self.summary.items()
        }


def cross_validate(schema: Schema, frame: pd.DataFrame, y: np.ndarray, *, settings: TrainSettings,
                   extra: dict[str, ExtraModel] | None = None, progress: Progress | None = None) -> CVResult:
    extra = extra or {}
    kinds = [*MODEL_KINDS, *extra]
    per_fold: dict[str, list[Metrics]] = {k: [] for k in kinds}
    oof = {k: np.full(len(y), np.nan) for k in kinds}
    rounds: list[int] = []
    chosen: list[dict[str, Any]] = []
    frame = frame.reset_index(drop=True)
    for repeat in range(settings.repeats):
        outer = StratifiedKFold(n_splits=settings.folds, shuffle=True, random_state=settings.seed + 1000 * repeat)
        for fold, (tr, te) in enumerate(outer.split(np.zeros(len(y)), y)):
            seed = settings.seed + 1000 * repeat + fold
            train, test = frame.iloc[tr], frame.iloc[te]
            pipeline = fit_pipeline(schema, train, y[tr], settings=settings, seed=seed)
            predictions = pipeline.predict(test, threads=settings.num_threads)
            for name, fn in extra.items():
                predictions[name] = fn(schema, train, y[tr], test, seed)
            for kind in kinds:
                per_fold[kind].append(metrics(y[te], predictions[kind]))
                if repeat == 0:
                    oof[kind][te] = predictions[kind]
            rounds.append(pipeline.rounds)
            chosen.append({k: v for k, v in pipeline.chosen_params.items() if k in ("num_leaves", "min_data_in_leaf")})
            if progress:
                progress(f"repeat {repeat + 1}/{settings.repeats} fold {fold + 1}/{settings.folds}")
    summary = {
        kind: {
            name: summarise([getattr(m, name) for m in per_fold[kind]]) for name in ("auc", "gini", "ks", "brier")
        }
        for kind in kinds
    }
    return CVResult(per_fold=per_fold, summary=summary, oof=oof, rounds=rounds, chosen_candidates=chosen)


def choose_model(result: CVResult) -> str:
    """The model with the best mean cross-validated AUC; ties go to the simpler (earlier) kind."""
    best_kind, best_auc = MODEL_KINDS[0], -math.inf
    for kind in MODEL_KINDS:
        value = result.auc(kind).mean
        if value > best_auc + 1e-9:
            best_kind, best_auc = kind, value
    return best_kind
