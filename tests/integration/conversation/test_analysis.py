from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from qingzhai.conversation import service
from qingzhai.conversation.model import Heads
from qingzhai.core.errors import RuleViolation

NOON = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # Saturday 12:00 in Shanghai


def test_the_shipped_heads_load_and_match_the_cue_features() -> None:
    heads = Heads.load()
    assert heads.emotion_w.shape[0] == 5 and heads.intent_w.shape[0] == 9


@pytest.mark.slow
def test_analyze_reads_emotion_intent_and_promise() -> None:
    a = service.analyze("下周五还五千", now=NOON)
    assert a.intent.value == "promise_to_pay"
    assert a.promise is not None and a.promise.due == date(2026, 12, 4) and str(a.promise.amount.amount) == "5000.00"
    results = service.analyze_many(["别再给我打电话了", "这笔钱不是我借的", "你他妈的有病吧"], now=NOON)
    assert [r.intent.value for r in results] == ["cease_request", "dispute", "abuse"]
    assert results[2].emotion.value == "anger"
    assert 0 < results[0].intent_confidence <= 1


def test_empty_or_overlong_utterances_are_refused() -> None:
    with pytest.raises(RuleViolation):
        service.analyze_many(["好", " "])
    with pytest.raises(RuleViolation):
        service.analyze("好" * 2001)
