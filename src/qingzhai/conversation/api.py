"""HTTP routes of collection conversations: analysis, the conduct guard, the bot's SMS/WeChat
channel, conduct reviews and incidents. Thin: parse, call the service, map."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile

from qingzhai import clock
from qingzhai.api.deps import ActorDep, PagingDep, SessionDep
from qingzhai.conversation import bot as bot_service
from qingzhai.conversation import service
from qingzhai.conversation.ports import VoiceEngines, default_voice_engines
from qingzhai.conversation.schemas import (
    AnalysisRead,
    BotReplyRead,
    ConductRead,
    ConductReportRead,
    ConversationCreate,
    ConversationRead,
    IncidentClose,
    IncidentRead,
    ReviewCreate,
    ReviewRead,
    TurnCreate,
    UtterancesIn,
    VoiceReplyRead,
)
from qingzhai.registry import service as registry
from qingzhai.registry.schemas import Page
from qingzhai.security.rules import Permission, require

router = APIRouter()
VoiceDep = Annotated[VoiceEngines, Depends(default_voice_engines)]


@router.post("/conversation/analyze", response_model=list[AnalysisRead], tags=["conversation"])
def analyze(body: UtterancesIn) -> list[AnalysisRead]:
    """Emotion, intent and promise (amount, date) of each debtor utterance."""
    return [AnalysisRead.model_validate(a.to_dict()) for a in service.analyze_many(body.texts, now=clock.now())]


@router.post("/conduct/check", response_model=list[ConductRead], tags=["conversation"])
def conduct_check(body: UtterancesIn) -> list[ConductRead]:
    """Prohibited conduct in each collector (or bot) utterance."""
    return [
        ConductRead.model_validate({"text": t, "violations": [v.to_dict() for v in service.check_conduct(t)]}) for t in body.texts
    ]


def _reply(result: bot_service.TurnResult) -> BotReplyRead:
    return BotReplyRead(
        conversation=ConversationRead.model_validate(bot_service.conversation_dict(result.conversation)),
        reply=result.reply.text if result.reply else None,
        reason=result.reply.reason if result.reply else None,
        ended=result.reply.ended if result.reply else True,
        analysis=AnalysisRead.model_validate(result.analysis.to_dict()) if result.analysis else None,
    )


@router.post("/bot/conversations", response_model=BotReplyRead, status_code=201, tags=["conversation"])
def start_conversation(body: ConversationCreate, session: SessionDep, actor: ActorDep) -> BotReplyRead:
    """Start a bot conversation on a text channel; the compliance engine decides first."""
    case = registry.get_case(session, body.case, actor=actor)
    result = bot_service.start_conversation(session, case, channel=body.channel, now=clock.now(), actor=actor)
    session.commit()
    return _reply(result)


@router.post("/bot/conversations/{conversation_id}/turns", response_model=BotReplyRead, tags=["conversation"])
def take_turn(conversation_id: str, body: TurnCreate, session: SessionDep, actor: ActorDep) -> BotReplyRead:
    """The debtor's message in (SMS/WeChat webhook), the bot's reply out."""
    conv = bot_service.get_conversation(session, conversation_id, actor=actor)
    result = bot_service.take_turn(session, conv, body.text, now=clock.now(), actor=actor)
    session.commit()
    return _reply(result)


@router.post(
    "/bot/conversations/{conversation_id}/voice-turns",
    response_model=VoiceReplyRead,
    tags=["conversation"],
    responses={503: {"description": "A speech engine is not installed here; the text channel still works."}},
)
def voice_turn(
    conversation_id: str,
    session: SessionDep,
    actor: ActorDep,
    voice: VoiceDep,
    audio: UploadFile = File(description="What the debtor said: one utterance, WAV (telephony gateway or app)."),
) -> VoiceReplyRead:
    """The voice channel: the debtor's speech in, the bot's reply out as text and as speech. The
    audio is stored encrypted as a recording of the conversation."""
    conv = bot_service.get_conversation(session, conversation_id, actor=actor)
    turn = bot_service.voice_turn(
        session,
        conv,
        audio.file.read(bot_service.MAX_AUDIO_BYTES + 1),
        now=clock.now(),
        actor=actor,
        recognizer=voice.recognizer,
        synthesizer=voice.synthesizer,
    )
    session.commit()
    spoken = base64.b64encode(turn.reply_audio).decode("ascii") if turn.reply_audio else None
    return VoiceReplyRead(**_reply(turn.result).model_dump(), heard=turn.heard, reply_audio_wav=spoken)


@router.get("/bot/conversations/{conversation_id}/transcript", tags=["conversation"])
def transcript(conversation_id: str, session: SessionDep, actor: ActorDep) -> list[dict[str, object]]:
    """The turns, decrypted; the read is audited."""
    conv = bot_service.get_conversation(session, conversation_id, actor=actor)
    turns = bot_service.read_transcript(session, conv, actor=actor, now=clock.now())
    session.commit()
    return turns


@router.post("/conduct/reviews", response_model=ReviewRead, tags=["conversation"])
def review(body: ReviewCreate, session: SessionDep, actor: ActorDep) -> ReviewRead:
    """Screen a human collector's call transcript; violations open an incident and suspend the collector."""
    case = registry.get_case(session, body.case, actor=actor) if body.case else None
    lines = [service.TranscriptLine(line.speaker, line.text) for line in body.lines]
    result = service.review_transcript(session, agent_id=body.agent_id, lines=lines, now=clock.now(), actor=actor, case=case)
    out = ReviewRead(
        agent_id=body.agent_id,
        clean=result.clean,
        violations=[{"line": i, **v.to_dict()} for i, v in result.findings],
        flagged_for_review=[{"line": i, **v.to_dict()} for i, v in result.flagged],
        incident=IncidentRead.model_validate(service.incident_dict(result.incident)) if result.incident else None,
    )
    session.commit()
    return out


@router.get("/conduct/incidents", response_model=Page[IncidentRead], tags=["conversation"])
def list_incidents(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    status: str | None = Query(None, max_length=8),
    agent_id: str | None = Query(None, max_length=64),
) -> Page[IncidentRead]:
    require(actor, Permission.conduct_oversee)
    rows, total = service.list_incidents(session, status=status, agent_id=agent_id, offset=paging.offset, limit=paging.size)
    return Page[IncidentRead](
        items=[IncidentRead.model_validate(service.incident_dict(r)) for r in rows],
        total=total,
        page=paging.page,
        size=paging.size,
    )


@router.get("/conduct/incidents/{incident_id}", response_model=IncidentRead, tags=["conversation"])
def get_incident(incident_id: str, session: SessionDep, actor: ActorDep) -> IncidentRead:
    require(actor, Permission.conduct_oversee)
    return IncidentRead.model_validate(service.incident_dict(service.get_incident(session, incident_id)))


@router.post("/conduct/incidents/{incident_id}/close", response_model=IncidentRead, tags=["conversation"])
def close_incident(incident_id: str, body: IncidentClose, session: SessionDep, actor: ActorDep) -> IncidentRead:
    """A compliance officer closes the incident with an outcome."""
    incident = service.close_incident(
        session,
        incident_id,
        outcome=body.outcome,
        actor=actor,
        now=clock.now(),
        retraining_completed_on=body.retraining_completed_on,
        note=body.note,
    )
    out = IncidentRead.model_validate(service.incident_dict(incident))
    session.commit()
    return out


@router.get("/conduct/report", response_model=ConductReportRead, tags=["conversation"])
def report(session: SessionDep, actor: ActorDep) -> ConductReportRead:
    """Incidents, complaints and their monthly trends."""
    require(actor, Permission.conduct_oversee)
    return ConductReportRead.model_validate(service.conduct_report(session).to_dict())
