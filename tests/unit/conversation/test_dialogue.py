from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qingzhai.conversation.conduct import check
from qingzhai.conversation.dialogue import (
    ActionKind,
    CaseFacts,
    DialogueSettings,
    DialogueState,
    Offer,
    Outcome,
    Stage,
    opening_line,
    script_lines,
    step,
)
from qingzhai.conversation.rules import Analysis, Emotion, Intent, extract_promise

FACTS = CaseFacts(
    debtor_name="张*",
    id_tail="123X",
    creditor_name="浦江商业银行",
    agency_name="清债催收服务中心",
    outstanding=Decimal("80000.00"),
    offer=Offer("installments", "分期还款，共12期", Decimal("2000.00"), date(2026, 12, 10)),
)
SETTINGS = DialogueSettings()


def said(text: str, emotion: Emotion = Emotion.neutral, intent: Intent = Intent.other, confidence: float = 0.9) -> Analysis:
    promise = extract_promise(text, date(2026, 11, 28)) if intent == Intent.promise_to_pay else None
    return Analysis(text, emotion, confidence, intent, confidence, promise)


def verified() -> DialogueState:
    state = DialogueState()
    step(state, FACTS, "是我", said("是我"), SETTINGS)
    step(state, FACTS, "123x", said("123x"), SETTINGS)
    assert state.verified and state.stage == Stage.negotiate
    return state


def test_no_debt_detail_before_the_id_tail_matches() -> None:
    state = DialogueState()
    first = step(state, FACTS, "是我", said("是我"), SETTINGS)
    assert "80,000" not in first.text and "欠款" not in first.text
    wrong = step(state, FACTS, "0000", said("0000"), SETTINGS)
    assert "欠款" not in wrong.text and not state.verified
    last = step(state, FACTS, "1111", said("1111"), SETTINGS)
    assert last.ended and state.outcome == Outcome.not_verified and "欠款" not in last.text


def test_identity_attempts_setting_is_respected() -> None:
    state = DialogueState()
    step(state, FACTS, "是我", said("是我"), SETTINGS)
    reply = step(state, FACTS, "0000", said("0000"), DialogueSettings(identity_attempts=1))
    assert reply.ended and state.outcome == Outcome.not_verified


def test_verified_debtor_hears_disclosures_and_the_debt() -> None:
    state = DialogueState()
    step(state, FACTS, "是我", said("是我"), SETTINGS)
    reply = step(state, FACTS, "123X", said("123X"), SETTINGS)
    assert "录音" in reply.text and "浦江商业银行" in reply.text and "80,000.00" in reply.text


def test_third_party_gets_no_detail_and_the_call_ends() -> None:
    state = DialogueState()
    reply = step(state, FACTS, "你打错了", said("你打错了", intent=Intent.third_party), SETTINGS)
    assert reply.ended and state.outcome == Outcome.third_party and "欠" not in reply.text


@pytest.mark.parametrize(
    ("intent", "outcome", "action"),
    [
        (Intent.dispute, Outcome.dispute, ActionKind.open_dispute),
        (Intent.cease_request, Outcome.cease, ActionKind.record_cease),
        (Intent.complaint, Outcome.handoff, ActionKind.handoff),
        (Intent.callback_request, Outcome.callback, ActionKind.schedule_callback),
    ],
)
def test_intent_decides_the_ending(intent: Intent, outcome: Outcome, action: ActionKind) -> None:
    state = verified()
    reply = step(state, FACTS, "...", said("...", intent=intent), SETTINGS)
    assert reply.ended and state.outcome == outcome
    assert action in {a.kind for a in reply.actions}


def test_anger_is_de_escalated_with_a_callback_offer() -> None:
    state = verified()
    reply = step(state, FACTS, "烦死了", said("烦死了", Emotion.anger), SETTINGS)
    assert not reply.ended and "换个您方便的时间" in reply.text and "anger" in reply.reason


def test_anxiety_gets_empathy_and_hardship_options() -> None:
    state = verified()
    reply = step(state, FACTS, "我好担心", said("我好担心", Emotion.anxiety), SETTINGS)
    assert "暂缓" in reply.text and ActionKind.offer_hardship in {a.kind for a in reply.actions}


@pytest.mark.parametrize(("streak", "handoff"), [(2, False), (3, True)])
def test_repeated_negative_emotion_hands_off_at_the_setting(streak: int, handoff: bool) -> None:
    state = verified()
    reply = None
    for _ in range(streak):
        reply = step(state, FACTS, "烦", said("烦", Emotion.anger), SETTINGS)
    assert reply is not None and (state.outcome == Outcome.handoff) is handoff


def test_cooperative_debtor_gets_the_plan_and_accepting_records_the_first_instalment() -> None:
    state = verified()
    offer = step(state, FACTS, "你说吧", said("你说吧"), SETTINGS)
    assert "分期还款" in offer.text and state.stage == Stage.offered
    accept = step(state, FACTS, "好的，可以", said("好的，可以", Emotion.positive), SETTINGS)
    promise = next(a for a in accept.actions if a.kind == ActionKind.record_promise)
    assert promise.data["amount"] == "2000.00" and promise.data["due"] == "2026-12-10"
    assert state.outcome == Outcome.promise


def test_promise_without_a_date_asks_for_one() -> None:
    state = verified()
    reply = step(state, FACTS, "我还五千", said("我还五千", intent=Intent.promise_to_pay), SETTINGS)
    assert not reply.ended and "哪一天" in reply.text


def test_state_survives_a_round_trip() -> None:
    state = verified()
    assert DialogueState.from_dict(state.to_dict()) == state


def test_every_bot_script_line_passes_the_conduct_guard() -> None:
    lines = [*script_lines(FACTS), opening_line(FACTS).text]
    assert all(not check(line) for line in lines), [(line, check(line)) for line in lines if check(line)]
