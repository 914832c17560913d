"""The collection bot as use cases: start a conversation (asking the compliance engine first),
take a debtor turn (analyse, decide, act, log), read a transcript (decrypted, audited).

Every turn is stored with the emotion, the intent and the reason for the bot's choice; the words
are encrypted. Promises go to execution, disputes and cease requests place holds on the case, a
hand-off leaves a case event for a human collector. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingzhai.conversation import dialogue
from qingzhai.conversation.dialogue import ActionKind, CaseFacts, DialogueSettings, DialogueState, Offer, Reply
from qingzhai.conversation.models import BotConversation, BotTurn
from qingzhai.conversation.ports import Ports, SpeechRecognizer, SpeechSynthesizer, default_ports
from qingzhai.conversation.rules import Analysis
from qingzhai.conversation.service import analyze, store_recording
from qingzhai.core.actor import Actor
from qingzhai.core.errors import Conflict, RuleViolation
from qingzhai.core.masking import mask_name
from qingzhai.core.money import Money
from qingzhai.db.session import get_or_not_found
from qingzhai.registry import service as registry
from qingzhai.registry.rules import HoldKind
from qingzhai.registry.service import Case

BOT_CHANNELS: tuple[str, ...] = ("message", "sms", "bot_call")
PLAN_WORDS = {
    "settlement": "一次性结清",
    "installments": "分期还款",
    "moratorium": "暂缓还款",
    "mediation": "调解",
    "restructuring_scf": "债务重组",
    "debt_to_equity": "债转股",
    "litigation": "诉讼",
}


@dataclass(frozen=True)
class BotSettings:
    agency_name: str = "清债催收服务中心"  # how the bot names the firm (CN-06: state the institution at first contact)
    agent_id: str = "bot:qingzhai"  # the bot's agent id at the compliance engine
    dispute_hold_days: int = 30  # a dispute holds collection while it is verified (CN-15, product choice)
    preset: str = "cn"  # retention preset of the stored transcript
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)


DEFAULT_SETTINGS = BotSettings()


@dataclass
class TurnResult:
    conversation: BotConversation
    analysis: Analysis | None
    reply: Reply | None
    denied_reasons: list[dict[str, Any]] | None = None


def _seal(ports: Ports, session: Session, conv: BotConversation, seq: int, text: str) -> bytes:
    return ports.crypto.encrypt_bytes(session, text.encode("utf-8"), context=f"conversation.turn:{conv.id}:{seq}")


def _next_seq(session: Session, conv: BotConversation) -> int:
    return int(session.scalar(select(func.coalesce(func.max(BotTurn.seq), 0)).where(BotTurn.conversation_id == conv.id)) or 0) + 1


def _log(
    session: Session,
    ports: Ports,
    conv: BotConversation,
    *,
    speaker: str,
    text: str,
    now: datetime,
    analysis: Analysis | None = None,
    reply: Reply | None = None,
) -> BotTurn:
    seq = _next_seq(session, conv)
    turn = BotTurn(
        conversation_id=conv.id,
        seq=seq,
        speaker=speaker,
        text_sealed=_seal(ports, session, conv, seq, text),
        emotion=analysis.emotion.value if analysis else None,
        emotion_confidence=round(analysis.emotion_confidence, 4) if analysis else None,
        intent=analysis.intent.value if analysis else None,
        intent_confidence=round(analysis.intent_confidence, 4) if analysis else None,
        reason=reply.reason if reply else None,
        actions=[{"kind": a.kind.value, **a.data} for a in reply.actions] if reply else [],
        at=now,
    )
    session.add(turn)
    session.flush()
    return turn


def _offer_dict(offer: Offer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {
        "kind": offer.kind,
        "summary": offer.summary,
        "first_amount": str(offer.first_amount),
        "first_due": offer.first_due.isoformat(),
        "currency": offer.currency,
    }


def _offer_from(data: dict[str, Any] | None) -> Offer | None:
    if not data:
        return None
    return Offer(
        kind=str(data["kind"]),
        summary=str(data["summary"]),
        first_amount=Decimal(str(data["first_amount"])),
        first_due=date.fromisoformat(str(data["first_due"])),
        currency=str(data["currency"]),
    )


def best_offer(session: Session, case: Case, *, now: datetime, ports: Ports) -> Offer | None:
    """The planning engine's best affordable option as the bot words it (None without planning or a plan)."""
    offer = None
    if ports.planning is not None:
        option = ports.planning.best_affordable_option(session, case, now=now)
        if option is not None and option.schedule:
            first_due, first_amount = option.schedule[0]
            n = len(option.schedule)
            words = PLAN_WORDS.get(str(option.type), str(option.type))
            summary = f"{words}，共{n}期" if n > 1 else words
            offer = Offer(
                kind=str(option.type),
                summary=summary,
                first_amount=first_amount.amount,
                first_due=first_due,
                currency=first_amount.currency,
            )
    return offer


def case_facts(session: Session, case: Case, *, offer: Offer | None, settings: BotSettings = DEFAULT_SETTINGS) -> CaseFacts:
    from qingzhai.registry.service import outstanding

    debtor = registry.get_debtor(session, case.debtor_id)
    creditor = registry.get_creditor(session, case.creditor_id)
    return CaseFacts(
        debtor_name=mask_name(debtor.name),
        id_tail=(debtor.id_number or "")[-4:],
        creditor_name=creditor.name,
        agency_name=settings.agency_name,
        outstanding=outstanding(case).amount,
        currency=case.currency,
        offer=offer,
    )


def start_conversation(
    session: Session,
    case: Case,
    *,
    channel: str,
    now: datetime,
    actor: Actor,
    ports: Ports | None = None,
    settings: BotSettings = DEFAULT_SETTINGS,
) -> TurnResult:
    """Ask the compliance engine; if allowed, open the conversation with the identity question."""
    if channel not in BOT_CHANNELS:
        raise RuleViolation(f"must be one of {', '.join(BOT_CHANNELS)}", field="channel")
    ports = ports or default_ports()
    decision = ports.compliance.request_contact(
        session, case=case, channel=channel, at=now, agent_id=settings.agent_id, agent_kind="bot"
    )
    conv = BotConversation(
        case_id=case.id,
        channel=channel,
        agent_id=settings.agent_id,
        status="open",
        state=DialogueState().to_dict(),
        started_at=now,
    )
    session.add(conv)
    if not decision.allowed:
        conv.status = "denied"
        conv.ended_at = now
        conv.denial = [_reason(r) for r in decision.reasons]
        session.flush()
        return TurnResult(conv, None, None, conv.denial)
    conv.attempt_id = decision.attempt_id
    offer = best_offer(session, case, now=now, ports=ports)
    conv.offer = _offer_dict(offer)
    session.flush()
    facts = case_facts(session, case, offer=offer, settings=settings)
    reply = dialogue.opening_line(facts)
    _log(session, ports, conv, speaker="bot", text=reply.text, now=now, reply=reply)
    return TurnResult(conv, None, reply)


def _reason(reason: Any) -> dict[str, Any]:
    if hasattr(reason, "to_dict"):
        return dict(reason.to_dict())
    return {k: getattr(reason, k, None) for k in ("rule", "text_en", "text_zh")}


def get_conversation(session: Session, conversation_id: str, *, actor: Actor | None = None) -> BotConversation:
    """The conversation; with `actor`, only if the actor may see its case (else NotFound, as for the case)."""
    conv = get_or_not_found(session, BotConversation, conversation_id, what="conversation", field="conversation_id")
    if actor is not None:
        registry.get_case(session, conv.case_id, actor=actor)
    return conv


def take_turn(
    session: Session,
    conv: BotConversation,
    text: str,
    *,
    now: datetime,
    actor: Actor,
    ports: Ports | None = None,
    settings: BotSettings = DEFAULT_SETTINGS,
) -> TurnResult:
    """One debtor utterance in: analysis, the bot's decision and its actions, both turns logged."""
    if conv.status != "open":
        raise Conflict(f"the conversation is {conv.status}", field="conversation_id")
    ports = ports or default_ports()
    case = registry.get_case(session, conv.case_id)
    analysis = analyze(text, now=now, currency=case.currency)
    state = DialogueState.from_dict(conv.state)
    facts = case_facts(session, case, offer=_offer_from(conv.offer), settings=settings)
    reply = dialogue.step(state, facts, analysis.text, analysis, settings.dialogue)
    _log(session, ports, conv, speaker="debtor", text=analysis.text, now=now, analysis=analysis, reply=reply)
    for action in reply.actions:
        _act(session, case, conv, action.kind, action.data, now=now, actor=actor, ports=ports, settings=settings)
    _log(session, ports, conv, speaker="bot", text=reply.text, now=now)
    conv.state = state.to_dict()
    if reply.ended:
        _close(session, case, conv, state, now=now, actor=actor, ports=ports, settings=settings)
    session.flush()
    return TurnResult(conv, analysis, reply)


def _act(
    session: Session,
    case: Case,
    conv: BotConversation,
    kind: ActionKind,
    data: dict[str, Any],
    *,
    now: datetime,
    actor: Actor,
    ports: Ports,
    settings: BotSettings,
) -> None:
    from qingzhai.registry.service import local_today, record_event

    if kind == ActionKind.record_promise:
        amount = Money(Decimal(str(data["amount"])), str(data["currency"]))
        ports.promises.record_promise(
            session,
            case=case,
            amount=amount,
            due=date.fromisoformat(str(data["due"])),
            channel=conv.channel,
            taken_by=conv.agent_id,
            now=now,
        )
    elif kind == ActionKind.open_dispute:
        ports.holds.place_hold(
            session,
            case,
            kind=HoldKind.dispute,
            until=local_today(now) + timedelta(days=settings.dispute_hold_days),
            reason="debtor disputed the debt in a bot conversation",
            actor=actor,
            now=now,
        )
    elif kind == ActionKind.record_cease:
        ports.holds.place_hold(
            session,
            case,
            kind=HoldKind.cease_contact,
            until=None,
            reason="debtor asked the bot to stop contact",
            actor=actor,
            now=now,
        )
    elif kind in (ActionKind.handoff, ActionKind.schedule_callback):
        record_event(
            session,
            case,
            f"bot_{kind.value}",
            actor=actor,
            now=now,
            reason=str(data.get("why") or kind.value),
            data={"conversation_id": conv.id},
        )


def _close(
    session: Session,
    case: Case,
    conv: BotConversation,
    state: DialogueState,
    *,
    now: datetime,
    actor: Actor,
    ports: Ports,
    settings: BotSettings,
) -> None:
    conv.status = "closed"
    conv.outcome = state.outcome.value if state.outcome else None
    conv.ended_at = now
    if conv.attempt_id:
        outcome = "third_party" if state.outcome == dialogue.Outcome.third_party else "conversation"
        ports.compliance.record_outcome(session, attempt_id=conv.attempt_id, outcome=outcome, now=now)
    lines = transcript_lines(session, conv, ports=ports)
    body = "\n".join(f"{speaker}: {text}" for speaker, text in lines).encode("utf-8")
    store_recording(
        session,
        data=body,
        kind="transcript",
        media_type="text/plain; charset=utf-8",
        recorded_at=conv.started_at,
        now=now,
        case=case,
        conversation_id=conv.id,
        agent_id=conv.agent_id,
        has_agreement=state.outcome == dialogue.Outcome.promise,
        preset=settings.preset,
        actor=actor,
        ports=ports,
    )


def transcript_lines(session: Session, conv: BotConversation, *, ports: Ports) -> list[tuple[str, str]]:
    turns = session.scalars(select(BotTurn).where(BotTurn.conversation_id == conv.id).order_by(BotTurn.seq)).all()
    return [
        (
            t.speaker,
            ports.crypto.decrypt_bytes(session, t.text_sealed, context=f"conversation.turn:{conv.id}:{t.seq}").decode("utf-8"),
        )
        for t in turns
    ]


def read_transcript(
    session: Session, conv: BotConversation, *, actor: Actor, now: datetime, ports: Ports | None = None
) -> list[dict[str, Any]]:
    """The turns with their words decrypted; the access is audited."""
    ports = ports or default_ports()
    turns = session.scalars(select(BotTurn).where(BotTurn.conversation_id == conv.id).order_by(BotTurn.seq)).all()
    out = []
    for t in turns:
        text = ports.crypto.decrypt_bytes(session, t.text_sealed, context=f"conversation.turn:{conv.id}:{t.seq}").decode("utf-8")
        out.append(
            {
                "seq": t.seq,
                "speaker": t.speaker,
                "text": text,
                "emotion": t.emotion,
                "intent": t.intent,
                "emotion_confidence": t.emotion_confidence,
                "intent_confidence": t.intent_confidence,
                "reason": t.reason,
                "actions": t.actions,
                "at": t.at.isoformat(),
            }
        )
    ports.crypto.audit(
        session,
        actor=actor,
        action="conversation.transcript.read",
        now=now,
        case_id=conv.case_id,
        detail={"conversation_id": conv.id, "turns": len(out)},
    )
    return out


def conversation_dict(conv: BotConversation) -> dict[str, Any]:
    return {
        "id": conv.id,
        "case_id": conv.case_id,
        "channel": conv.channel,
        "status": conv.status,
        "outcome": conv.outcome,
        "attempt_id": conv.attempt_id,
        "denial": conv.denial,
        "started_at": conv.started_at.isoformat(),
        "ended_at": conv.ended_at.isoformat() if conv.ended_at else None,
    }


MAX_AUDIO_BYTES = 20 * 1024 * 1024  # one utterance: 16 kHz mono WAV is about 2 MB a minute


@dataclass
class VoiceTurn:
    result: TurnResult
    heard: str
    reply_audio: bytes | None


def voice_turn(
    session: Session,
    conv: BotConversation,
    audio: bytes,
    *,
    now: datetime,
    actor: Actor,
    recognizer: SpeechRecognizer,
    synthesizer: SpeechSynthesizer,
    ports: Ports | None = None,
    settings: BotSettings = DEFAULT_SETTINGS,
) -> VoiceTurn:
    """The voice channel: speech in (ASR port), a text turn, speech out (TTS port). The caller's audio
    is stored encrypted like every recording. Engines that are not installed raise `VoiceUnavailable`
    when constructed (`ports.EspeakSynthesizer()`, `ports.WhisperRecognizer()`); the text channel is unaffected."""
    if not audio:
        raise RuleViolation("is empty", field="audio")
    if len(audio) > MAX_AUDIO_BYTES:
        raise RuleViolation(
            "is larger than {limit} MB; send one utterance per turn",
            field="audio",
            params={"limit": MAX_AUDIO_BYTES // (1024 * 1024)},
        )
    ports = ports or default_ports()
    case = registry.get_case(session, conv.case_id)
    store_recording(
        session,
        data=audio,
        kind="audio",
        media_type="audio/wav",
        recorded_at=now,
        now=now,
        case=case,
        conversation_id=conv.id,
        agent_id=conv.agent_id,
        preset=settings.preset,
        actor=actor,
        ports=ports,
    )
    heard = recognizer.transcribe(audio).strip()
    if not heard:
        raise RuleViolation("nothing intelligible was heard; ask the debtor to repeat", field="audio")
    result = take_turn(session, conv, heard, now=now, actor=actor, ports=ports, settings=settings)
    spoken = synthesizer.synthesize(result.reply.text) if result.reply else None
    return VoiceTurn(result, heard, spoken)
