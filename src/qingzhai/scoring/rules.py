"""Pure pieces of scoring: settings, metrics, score bands, score scaling, reason phrasing.

Nothing here reads the clock, the environment or a database; numbers come in as settings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qingzhai.core.errors import RuleViolation


@dataclass(frozen=True)
class TrainSettings:
    """How a model is trained and evaluated. Every default is documented in docs/scoring.md."""

    folds: int = 5  # outer stratified folds
    repeats: int = 3  # repetitions of the outer K-fold with different shuffles
    inner_folds: int = 3  # inner folds on each training fold: config choice, rounds, calibration
    seed: int = 42
    num_threads: int = 1  # LightGBM threads while training (1 = bit-for-bit reproducible)
    learning_rate: float = 0.03
    max_rounds: int = 1500
    early_stopping_rounds: int = 100
    # Small grid of LightGBM shapes; the inner CV of each training fold picks one.
    lgbm_candidates: tuple[tuple[tuple[str, float], ...], ...] = (
        (("num_leaves", 4), ("min_data_in_leaf", 20), ("feature_fraction", 0.5), ("lambda_l2", 5.0)),
        (("num_leaves", 8), ("min_data_in_leaf", 30), ("feature_fraction", 0.6), ("lambda_l2", 10.0)),
        (("num_leaves", 16), ("min_data_in_leaf", 40), ("feature_fraction", 0.7), ("lambda_l2", 20.0)),
    )
    calibration: str = "platt"  # "platt" or "isotonic", fitted on inner out-of-fold predictions
    # The random forest (LightGBM's `rf` boosting: bagged deep trees averaged, no shrinkage). On
    # small credit tables it is the strongest single model; its errors differ from boosting's.
    forest_trees: int = 100
    forest_leaves: int = 32
    forest_min_leaf: int = 3  # rows per leaf
    forest_feature_fraction: float = 0.25  # share of the features tried at each split
    forest_bagging_fraction: float = 0.632  # rows per tree, sampled without replacement
    # Weights of LightGBM, the forest and the scorecard in the blend (an average of their log-odds).
    # Fixed, not chosen by inner CV: on 1,000 rows the chosen weight was noise and did worse than equal.
    blend_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    scorecard_c: float = 1.0  # inverse L2 strength of the scorecard's logistic regression
    max_bins: int = 10  # pre-bins per variable before optimal merging
    min_bin_share: float = 0.05  # smallest bin as a share of rows
    leak_auc: float = 0.98  # a single feature separating the target at least this well is refused
    max_categories: int = 200  # a text column with more distinct values is treated as an identifier
    calibration_bins: int = 10

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise RuleViolation("needs at least 2 folds", field="folds")
        if self.repeats < 1:
            raise RuleViolation("must be at least 1", field="repeats")
        if self.inner_folds < 2:
            raise RuleViolation("needs at least 2 inner folds", field="inner_folds")
        if self.calibration not in ("platt", "isotonic"):
            raise RuleViolation("must be 'platt' or 'isotonic'", field="calibration")
        if len(self.blend_weights) != 3 or min(self.blend_weights) < 0 or sum(self.blend_weights) <= 0:
            raise RuleViolation("must be three weights (LightGBM, forest, scorecard), none negative, not all zero",
                                field="blend_weights")
        if self.forest_trees < 1 or self.forest_leaves < 2 or self.forest_min_leaf < 1:
            raise RuleViolation("needs at least 1 tree, 2 leaves and 1 row per leaf", field="forest")
        if not (0.0 < self.forest_feature_fraction <= 1.0 and 0.0 < self.forest_bagging_fraction < 1.0):
            raise RuleViolation("feature share must be in (0, 1] and row share in (0, 1)", field="forest")
        if not 0.5 < self.leak_auc <= 1.0:
            raise RuleViolation("must be above 0.5 and at most 1", field="leak_auc")


@dataclass(frozen=True)
class ScoreScale:
    """Points scale shared by the scorecard and LightGBM: `base` points at odds `base_odds`:1 of
    repaying, and `pdo` more points each time the odds double (industry convention 600/50/20)."""

    base: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        return self.base - self.factor * math.log(self.base_odds)

    def points(self, probability: np.ndarray) -> np.ndarray:
        p = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
        return self.offset + self.factor * np.log(p / (1 - p))


@dataclass(frozen=True)
class Bands:
    """Score bands by probability of repaying: A is the best. Lower bounds, best first."""

    edges: tuple[tuple[str, float], ...] = (("A", 0.80), ("B", 0.65), ("C", 0.50), ("D", 0.30), ("E", 0.0))

    def band(self, probability: float) -> str:
        for name, lower in self.edges:
            if probability >= lower:
                return name
        return self.edges[-1][0]

    def bands(self, probability: np.ndarray) -> np.ndarray:
        p = np.asarray(probability, dtype=float)
        names = np.array([n for n, _ in self.edges], dtype=object)
        ascending = np.array([lo for _, lo in self.edges])[::-1]
        index = len(ascending) - np.searchsorted(ascending, p, side="right")
        return names[np.clip(index, 0, len(names) - 1)]


@dataclass(frozen=True)
class FairnessSettings:
    approve_at: float = 0.5  # a case counts as "approved" (offered the plan) at this probability or more
    parity_floor: float = 0.8  # four-fifths rule: a group's approval rate below 80% of the best is flagged
    auc_gap: float = 0.05  # AUC of a group more than this below the overall AUC is flagged
    min_group_size: int = 30  # smaller groups are reported but not flagged
    numeric_bands: int = 4  # a numeric group column (e.g. age) is cut into this many quantile bands

    def __post_init__(self) -> None:
        if not 0.0 <= self.approve_at <= 1.0:
            raise RuleViolation("must be between 0 and 1", field="approve_at")
        if not 0.0 < self.parity_floor <= 1.0:
            raise RuleViolation("must be above 0 and at most 1", field="parity_floor")


# --- metrics ---------------------------------------------------------------------------------


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula, ties counted half."""
    y = np.asarray(y).astype(bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(np.asarray(score, dtype=float))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    ranks = np.empty(len(values), dtype=float)
    boundaries = np.flatnonzero(np.diff(sorted_vals)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(values)]))
    avg = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def ks(y: np.ndarray, score: np.ndarray) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of the classes."""
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        return float("nan")
    order = np.argsort(np.asarray(score, dtype=float), kind="mergesort")
    ys = y[order]
    cum_pos = np.cumsum(ys) / ys.sum()
    cum_neg = np.cumsum(~ys) / (~ys).sum()
    return float(np.max(np.abs(cum_pos - cum_neg)))


def brier(y: np.ndarray, probability: np.ndarray) -> float:
    return float(np.mean((np.asarray(probability, dtype=float) - np.asarray(y, dtype=float)) ** 2))


@dataclass(frozen=True)
class CalibrationRow:
    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


def calibration_table(y: np.ndarray, probability: np.ndarray, *, bins: int = 10) -> list[CalibrationRow]:
    """Predicted against observed rate in equal-count bins of the predicted probability."""
    p = np.asarray(probability, dtype=float)
    yy = np.asarray(y, dtype=float)
    order = np.argsort(p, kind="mergesort")
    rows = []
    for chunk in np.array_split(order, min(bins, len(p))):
        if len(chunk) == 0:
            continue
        rows.append(CalibrationRow(
            lower=float(p[chunk].min()), upper=float(p[chunk].max()), count=len(chunk),
            mean_predicted=float(p[chunk].mean()), observed_rate=float(yy[chunk].mean()),
        ))
    return rows


@dataclass(frozen=True)
class Metrics:
    auc: float
    gini: float
    ks: float
    brier: float

    def to_dict(self) -> dict[str, float]:
        return {"auc": self.auc, "gini": self.gini, "ks": self.ks, "brier": self.brier}


def metrics(y: np.ndarray, probability: np.ndarray) -> Metrics:
    a = auc(y, probability)
    return Metrics(auc=a, gini=2 * a - 1, ks=ks(y, probability), brier=brier(y, probability))


@dataclass(frozen=True)
class Summary:
    mean: float
    sd: float
    n: int

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "sd": self.sd, "n": self.n}


def summarise(values: Sequence[float]) -> Summary:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(arr) == 0:
        return Summary(float("nan"), float("nan"), 0)
    sd = float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
    return Summary(float(arr.mean()), sd, len(arr))


# --- reason codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureLabel:
    en: str
    zh: str


@dataclass(frozen=True)
class Reason:
    feature: str
    impact: float  # change in log-odds of repaying (negative: lowers it) or points lost
    text_en: str
    text_zh: str

    def to_dict(self) -> dict[str, object]:
        return {"feature": self.feature, "impact": round(self.impact, 4), "text_en": self.text_en, "text_zh": self.text_zh}


LEVEL_WORDS: dict[str, tuple[str, str]] = {
    "high": ("high", "偏高"),
    "low": ("low", "偏低"),
    "moderate": ("moderate", "中等"),
    "missing": ("not known", "未知"),
}


def level_of(value: float, q25: float, q75: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if value >= q75 and q75 > q25:
        return "high"
    if value <= q25 and q75 > q25:
        return "low"
    if value > q75:
        return "high"
    if value < q25:
        return "low"
    return "moderate"


def humanise(column: str) -> FeatureLabel:
    text = column.replace("_", " ").replace(".", " ").strip()
    return FeatureLabel(en=text, zh=text)


def phrase_numeric(label: FeatureLabel, level: str) -> tuple[str, str]:
    en, zh = LEVEL_WORDS[level]
    return f"{label.en} is {en}", f"{label.zh}{zh}"


# Words for coded values of the platform's own features (plan types, debtor types).
VALUE_LABELS: dict[str, tuple[str, str]] = {
    "settlement": ("a lump-sum settlement", "一次性和解"),
    "installments": ("installments", "分期还款"),
    "restructuring_scf": ("restructuring with supply-chain financing", "债务重组加供应链融资"),
    "debt_to_equity": ("debt-to-equity", "债转股"),
    "moratorium": ("a moratorium", "暂缓还款"),
    "mediation": ("mediation", "调解"),
    "litigation": ("litigation", "诉讼"),
    "individual": ("an individual", "个人"),
    "enterprise": ("an enterprise", "企业"),
}


def phrase_category(label: FeatureLabel, value: str | None) -> tuple[str, str]:
    if value is None or value == "":
        return f"{label.en} is not known", f"{label.zh}未知"
    en, zh = VALUE_LABELS.get(value, (f"“{value}”", f"“{value}”"))
    return f"{label.en} is {en}", f"{label.zh}为{zh}"


def top_reasons(impacts: Sequence[tuple[str, float]], k: int = 3) -> list[tuple[str, float]]:
    """The `k` features that lower the probability of repaying most (most negative impact first)."""
    negative = [(f, v) for f, v in impacts if v < 0]
    negative.sort(key=lambda item: (item[1], item[0]))
    return negative[:k]


@dataclass(frozen=True)
class LeakFinding:
    feature: str
    auc: float


def check_leaks(single_feature_aucs: dict[str, float], *, threshold: float) -> list[LeakFinding]:
    """Features that alone separate the target at least `threshold` well (AUC folded around 0.5)."""
    found = []
    for name, value in sorted(single_feature_aucs.items()):
        folded = max(value, 1 - value) if not math.isnan(value) else 0.5
        if folded >= threshold:
            found.append(LeakFinding(feature=name, auc=folded))
    return found


@dataclass(frozen=True)
class GroupFairness:
    group: str
    count: int
    positives: int
    auc: float
    approval_rate: float
    mean_probability: float
    parity_ratio: float = field(default=float("nan"))
    flagged: bool = False


def fairness_by_group(
    y: np.ndarray, probability: np.ndarray, groups: np.ndarray, *, settings: FairnessSettings
) -> list[GroupFairness]:
    """AUC, approval rate and the approval-rate ratio to the best-treated group, per group."""
    y = np.asarray(y).astype(int)
    p = np.asarray(probability, dtype=float)
    g = np.asarray(groups, dtype=object)
    overall = auc(y, p)
    rows = []
    for name in sorted({str(v) for v in g}):
        mask = np.array([str(v) == name for v in g])
        rows.append((name, mask))
    stats = []
    for name, mask in rows:
        approval = float((p[mask] >= settings.approve_at).mean()) if mask.any() else float("nan")
        stats.append((name, mask, approval))
    best = max((a for _, m, a in stats if m.sum() >= settings.min_group_size), default=float("nan"))
    result = []
    for name, mask, approval in stats:
        group_auc = auc(y[mask], p[mask])
        ratio = approval / best if best and best > 0 else float("nan")
        big = int(mask.sum()) >= settings.min_group_size
        flagged = big and ((not math.isnan(ratio) and ratio < settings.parity_floor)
                           or (not math.isnan(group_auc) and overall - group_auc > settings.auc_gap))
        result.append(GroupFairness(
            group=name, count=int(mask.sum()), positives=int(y[mask].sum()), auc=group_auc,
            approval_rate=approval, mean_probability=float(p[mask].mean()), parity_ratio=ratio, flagged=flagged,
        ))
    return result


@dataclass(frozen=True)
class PortfolioSettings:
    """The platform's own repayment-capacity model (`qingzhai model train-portfolio`)."""

    horizon_days: int = 90  # a plan counts as kept when it has not defaulted this long after it started
    min_examples: int = 200  # fewer labelled contracts than this: not enough real history
    min_per_class: int = 20  # and at least this many kept and this many broken plans
    purpose: str = "scoring"  # purpose named when checking the debtor's legal basis
    simulated_plans_per_case: int = 2  # fallback history: simulated plan offers per case
    min_simulated_examples: int = 60  # fewer simulated examples than this: no model at all
    retrain_growth: float = 0.25  # the daily job retrains when labelled plans grew by this share
    groups: tuple[str, ...] = ("district", "gender", "age_band")  # fairness groups, never features

    def __post_init__(self) -> None:
        if self.horizon_days < 1:
            raise RuleViolation("must be at least 1 day", field="horizon_days")
        if self.min_examples < 10:
            raise RuleViolation("must be at least 10", field="min_examples")


def should_retrain(*, labelled_now: int, labelled_at_last_training: int | None, history_at_last_training: str | None,
                   settings: PortfolioSettings) -> bool:
    """Retrain when there is no model yet, when real history has become sufficient after a
    simulated model, or when the labelled plans grew by `retrain_growth` since the last training."""
    enough = labelled_now >= settings.min_examples
    if labelled_at_last_training is None:
        return True
    if history_at_last_training == "simulated":
        return enough
    return labelled_now >= labelled_at_last_training * (1 + settings.retrain_growth) and labelled_now > labelled_at_last_training
