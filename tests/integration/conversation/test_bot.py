from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders import NOW, make_case

from qingzhai.conversation import bot
from qingzhai.conversation.models import BotTurn, Recording
from qingzhai.conversation.testing import FakeOption, RecordingSynthesizer, ScriptedRecognizer, fake_ports
from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import Conflict
from qingzhai.core.money import Money
from qingzhai.registry.models import Debtor
from qingzhai.registry.rules import HoldKind

PLAN = FakeOption("installments", [(date(2026, 1, 10), Money.of("2000")), (date(2026, 2, 10), Money.of("2000"))])


def _talk(session: Session, lines: list[str], *, option: FakeOption | None = PLAN, allow: bool = True):
    case = make_case(session)
    tail = session.get(Debtor, case.debtor_id).id_number[-4:]
    ports, parts = fake_ports(allow=allow, option=option)
    result = bot.start_conversation(session, case, channel="message", now=NOW, actor=SYSTEM, ports=ports)
    results = [result]
    for said in lines:
        said = said.replace("{tail}", tail).replace("{wrong_tail}", "1111" if tail == "0000" else "0000")
        result = bot.take_turn(session, result.conversation, said, now=NOW, actor=SYSTEM, ports=ports)
        results.append(result)
        if result.reply.ended:
            break
    return case, results, parts


def test_bot_asks_compliance_before_contact_and_stops_when_denied(session: Session) -> None:
    _case, results, parts = _talk(session, [], allow=False)
    assert parts["compliance"].requests[0]["agent_kind"] == "bot"
    assert parts["compliance"].requests[0]["channel"] == "message"
    assert results[0].conversation.status == "denied"
    assert results[0].reply is None
    assert results[0].denied_reasons and results[0].denied_reasons[0]["rule"] == "quiet_hours"
    with pytest.raises(Conflict):
        bot.take_turn(session, results[0].conversation, "喂", now=NOW, actor=SYSTEM, ports=fake_ports()[0])


def test_no_debt_detail_before_identity_is_verified(session: Session) -> None:
    _case, results, _parts = _talk(session, ["是我", "1234x", "{wrong_tail}"])
    said = [r.reply.text for r in results]
    assert all("欠款" not in text and "元" not in text for text in said)
    assert results[-1].conversation.outcome == "not_verified"


def test_cooperative_debtor_gets_the_plan_and_the_first_instalment_becomes_a_promise(session: Session) -> None:
    case, results, parts = _talk(session, ["是我", "{tail}", "嗯，你说吧", "好的，可以"])
    texts = [r.reply.text for r in results]
    assert any("分期还款" in t for t in texts)
    assert results[-1].conversation.outcome == "promise"
    promise = parts["promises"].promises[0]
    assert promise["amount"] == Money.of("2000") and promise["due"] == date(2026, 1, 10)
    assert promise["channel"] == "message" and promise["case"] is case
    assert parts["compliance"].outcomes == [("att-1", "conversation")]


def test_promise_with_amount_and_date_is_recorded(session: Session) -> None:
    _case, results, parts = _talk(session, ["是我", "{tail}", "下周五我还五千"])
    assert results[-1].conversation.outcome == "promise"
    assert parts["promises"].promises[0]["amount"] == Money.of("5000")


def test_dispute_places_a_dispute_hold_and_ends(session: Session) -> None:
    _case, results, parts = _talk(session, ["是我", "{tail}", "这笔钱不是我借的，你们搞错人了"])
    assert results[-1].conversation.outcome == "dispute"
    assert parts["holds"].holds[0]["kind"] == HoldKind.dispute
    assert parts["holds"].holds[0]["until"] is not None


def test_cease_request_places_a_cease_hold(session: Session) -> None:
    _case, results, parts = _talk(session, ["是我", "{tail}", "别再给我打电话了"])
    assert results[-1].conversation.outcome == "cease"
    assert parts["holds"].holds[0]["kind"] == HoldKind.cease_contact


def test_turns_are_logged_with_labels_and_reason_and_words_are_sealed(session: Session) -> None:
    _case, results, _parts = _talk(session, ["是我", "{tail}", "下周五我还五千"])
    conv = results[-1].conversation
    turns = session.scalars(select(BotTurn).where(BotTurn.conversation_id == conv.id).order_by(BotTurn.seq)).all()
    debtor_turns = [t for t in turns if t.speaker == "debtor"]
    assert debtor_turns[-1].intent == "promise_to_pay" and debtor_turns[-1].reason
    assert all("五千".encode() not in t.text_sealed for t in turns)
    transcript = bot.read_transcript(session, conv, actor=SYSTEM, now=NOW, ports=fake_ports()[0])
    assert transcript[0]["speaker"] == "bot" and "下周五我还五千" in [t["text"] for t in transcript]
    stored = session.scalars(select(Recording).where(Recording.conversation_id == conv.id)).one()
    assert stored.kind == "transcript" and stored.has_agreement is True


def test_voice_channel_runs_through_the_speech_ports_and_stores_the_audio(session: Session) -> None:
    case = make_case(session)
    tail = session.get(Debtor, case.debtor_id).id_number[-4:]
    ports, _parts = fake_ports(option=PLAN)
    conv = bot.start_conversation(session, case, channel="bot_call", now=NOW, actor=SYSTEM, ports=ports).conversation
    ears, mouth = ScriptedRecognizer(["是我", tail, "别再给我打电话了"]), RecordingSynthesizer()
    for _ in range(3):
        turn = bot.voice_turn(session, conv, b"wav-bytes", now=NOW, actor=SYSTEM, recognizer=ears, synthesizer=mouth, ports=ports)
    assert turn.heard == "别再给我打电话了" and turn.result.conversation.outcome == "cease"
    assert mouth.said[-1] == turn.result.reply.text and turn.reply_audio.startswith(b"RIFF")
    audio = session.scalars(select(Recording).where(Recording.conversation_id == conv.id, Recording.kind == "audio")).all()
    assert len(audio) == 3 and all(r.sealed != b"wav-bytes" for r in audio)


def test_missing_speech_engines_degrade_with_a_clear_message() -> None:
    import shutil

    from qingzhai.conversation.ports import EspeakSynthesizer, VoiceUnavailable, voice_status

    status = voice_status()
    if shutil.which("espeak-ng") is None:
        with pytest.raises(VoiceUnavailable) as err:
            EspeakSynthesizer()
        assert "text channel" in str(err.value)
        assert status["tts"].startswith("unavailable")
    else:
        assert status["tts"] == "espeak-ng"
