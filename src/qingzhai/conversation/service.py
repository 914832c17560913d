"""Use cases of collection conversations: analysing debtor speech, screening collector speech,
conduct incidents, and encrypted recordings with their retention. (The bot is in `bot.py`.)

Services never commit; the caller does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qingzhai.conversation import conduct
from qingzhai.conversation.model import Classifier, default_classifier
from qingzhai.conversation.models import BotConversation, BotTurn, ConductIncident, Recording
from qingzhai.conversation.ports import Ports, default_ports
from qingzhai.conversation.rules import (
    Analysis,
    Emotion,
    Intent,
    extract_promise,
    recording_expired,
    retention_policy,
)
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, NotFound, NotPermitted, RuleViolation
from qingzhai.db.session import get_or_not_found
from qingzhai.registry import service as registry
from qingzhai.registry.service import Case

MAX_UTTERANCE_CHARS = 2000
INCIDENT_OUTCOMES: tuple[str, ...] = ("retraining", "warning", "dismissal")
COLLECTOR_SPEAKERS: frozenset[str] = frozenset({"collector", "agent", "催收员", "坐席"})


# --------------------------------------------------------------------------- analysis


def _local_today(now: datetime | None) -> date:
    from qingzhai import clock
    from qingzhai.registry.service import local_today

    return local_today(now or clock.now())


def analyze_many(
    texts: Sequence[str], *, now: datetime | None = None, currency: str = "CNY", classifier: Classifier | None = None
) -> list[Analysis]:
    """Emotion, intent and any promise (amount, date) of each debtor utterance; batched."""
    cleaned = []
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise RuleViolation(f"utterance {index + 1} is empty", field="text")
        if len(text) > MAX_UTTERANCE_CHARS:
            raise RuleViolation(f"utterance {index + 1} is longer than {MAX_UTTERANCE_CHARS} characters", field="text")
        cleaned.append(text.strip())
    today = _local_today(now)
    preds = (classifier or default_classifier()).classify(cleaned)
    out = []
    for text, p in zip(cleaned, preds, strict=True):
        promise = extract_promise(text, today, currency=currency)
        has_promise = p.intent == Intent.promise_to_pay and (promise.amount is not None or promise.due is not None)
        out.append(
            Analysis(
                text=text,
                emotion=Emotion(p.emotion),
                emotion_confidence=p.emotion_confidence,
                intent=Intent(p.intent),
                intent_confidence=p.intent_confidence,
                promise=promise if has_promise else None,
                emotion_scores=p.emotion_scores,
                intent_scores=p.intent_scores,
            )
        )
    return out


def analyze(text: str, *, now: datetime | None = None, currency: str = "CNY") -> Analysis:
    """Emotion, intent and promise of one debtor utterance (other capabilities call this)."""
    return analyze_many([text], now=now, currency=currency)[0]


def check_conduct(text: str) -> list[conduct.Violation]:
    return conduct.check(text)


# --------------------------------------------------------------------------- recordings


def _context(recording_id: str) -> str:
    return f"conversation.recording:{recording_id}"


def store_recording(
    session: Session,
    *,
    data: bytes,
    kind: str,
    media_type: str,
    recorded_at: datetime,
    now: datetime,
    case: Case | None = None,
    conversation_id: str | None = None,
    agent_id: str | None = None,
    has_agreement: bool = False,
    preset: str = "cn",
    actor: Actor | None = None,
    ports: Ports | None = None,
) -> Recording:
    """Encrypt (AES-256-GCM, the platform's key management) and keep a recording or transcript."""
    if kind not in ("audio", "transcript"):
        raise RuleViolation("must be audio or transcript", field="kind")
    if not data:
        raise RuleViolation("is empty", field="data")
    retention_policy(preset)
    ports = ports or default_ports()
    rec = Recording(
        case_id=case.id if case else None,
        conversation_id=conversation_id,
        agent_id=agent_id,
        kind=kind,
        media_type=media_type,
        sealed=b"",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        retention_preset=preset,
        has_agreement=has_agreement,
        recorded_at=recorded_at,
        created_at=now,
    )
    session.add(rec)
    session.flush()
    rec.sealed = ports.crypto.encrypt_bytes(session, data, context=_context(rec.id))
    ports.crypto.audit(
        session,
        actor=actor,
        action="conversation.recording.store",
        now=now,
        case_id=rec.case_id,
        detail={"recording_id": rec.id, "kind": kind, "size": len(data)},
    )
    session.flush()
    return rec


def get_recording(session: Session, recording_id: str) -> Recording:
    return get_or_not_found(session, Recording, recording_id, what="recording", field="recording_id")


def read_recording(
    session: Session, recording_id: str, *, actor: Actor, now: datetime, purpose: str, ports: Ports | None = None
) -> bytes:
    """Decrypt a recording for `actor`; every access is audited with its purpose."""
    if actor.role not in (Role.admin, Role.compliance_officer, Role.manager):
        raise NotPermitted("only compliance officers, managers and admins may play recordings", field="actor")
    if not purpose or not purpose.strip():
        raise RuleViolation("a purpose is required", field="purpose")
    rec = get_recording(session, recording_id)
    if rec.purged_at is not None or not rec.sealed:
        raise NotFound("the recording was purged at the end of its retention period", field="recording_id")
    ports = ports or default_ports()
    data = ports.crypto.decrypt_bytes(session, rec.sealed, context=_context(rec.id))
    ports.crypto.audit(
        session,
        actor=actor,
        action="conversation.recording.read",
        now=now,
        case_id=rec.case_id,
        detail={"recording_id": rec.id, "purpose": purpose.strip()},
    )
    return data


@dataclass
class PurgeReport:
    examined: int = 0
    purged: int = 0
    kept_for_agreement: int = 0
    purged_ids: list[str] = field(default_factory=list)


def purge_expired_recordings(session: Session, *, now: datetime, ports: Ports | None = None) -> PurgeReport:
    """Delete the content of recordings past their retention (idempotent: purged ones are skipped)."""
    from qingzhai.registry.service import outstanding

    ports = ports or default_ports()
    report = PurgeReport()
    rows = session.scalars(select(Recording).where(Recording.purged_at.is_(None)).order_by(Recording.recorded_at)).all()
    for rec in rows:
        report.examined += 1
        policy = retention_policy(rec.retention_preset)
        paid_off = False
        if rec.case_id:
            case = registry.get_case(session, rec.case_id)
            paid_off = outstanding(case).amount <= 0
        if not recording_expired(
            recorded_at=rec.recorded_at, now=now, policy=policy, has_agreement=rec.has_agreement, debt_paid_off=paid_off
        ):
            if rec.has_agreement and not paid_off and now - rec.recorded_at >= _days(policy.minimum_days):
                report.kept_for_agreement += 1
            continue
        rec.sealed = None
        rec.purged_at = now
        report.purged += 1
        report.purged_ids.append(rec.id)
        ports.crypto.audit(
            session,
            actor=None,
            action="conversation.recording.purge",
            now=now,
            case_id=rec.case_id,
            detail={"recording_id": rec.id, "preset": rec.retention_preset, "sha256": rec.sha256},
        )
    session.flush()
    return report


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


# --------------------------------------------------------------------------- conduct incidents


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str
    text: str


@dataclass
class Review:
    """The conduct review of one human collector's transcript."""

    agent_id: str
    findings: list[tuple[int, conduct.Violation]]
    incident: ConductIncident | None = None
    flagged: list[tuple[int, conduct.Violation]] = field(default_factory=list)  # semantic-only: for an officer to read

    @property
    def clean(self) -> bool:
        return not self.findings


def parse_transcript(raw: str) -> list[TranscriptLine]:
    """Lines `speaker: text` (also `speaker：text`); a line without a speaker is the collector's."""
    lines = []
    for row in raw.splitlines():
        if not row.strip():
            continue
        head, sep, tail = row.replace("：", ":").partition(":")
        if sep and len(head) <= 16:
            lines.append(TranscriptLine(head.strip(), tail.strip()))
        else:
            lines.append(TranscriptLine("collector", row.strip()))
    return lines


def review_transcript(
    session: Session,
    *,
    agent_id: str,
    lines: Sequence[TranscriptLine],
    now: datetime,
    actor: Actor,
    case: Case | None = None,
    audio: bytes | None = None,
    preset: str = "cn",
    ports: Ports | None = None,
    semantic: bool = True,
) -> Review:
    """Screen every collector utterance. A violation opens a conduct incident with the transcript
    (and recording) attached, and suspends the collector at once through the compliance engine.
    Reviewing the same transcript again opens nothing new. Only rule findings suspend: what the
    semantic guard alone flags is returned in `flagged` for an officer to read (its false-alarm rate
    on held-out data is too high to suspend anyone on it)."""
    if not agent_id or not agent_id.strip():
        raise RuleViolation("must not be empty", field="agent_id")
    if not lines:
        raise RuleViolation("the transcript has no lines", field="transcript")
    collector = [(index, line.text) for index, line in enumerate(lines) if line.speaker.lower() in COLLECTOR_SPEAKERS]
    screened = conduct.check_many([text for _i, text in collector], semantic=semantic)
    findings: list[tuple[int, conduct.Violation]] = []
    flagged: list[tuple[int, conduct.Violation]] = []
    for (index, text), found in zip(collector, screened, strict=True):
        by_rules = {(v.rule, v.span) for v in conduct.check_rules(text)}
        for v in found:
            (findings if (v.rule, v.span) in by_rules else flagged).append((index, v))
    review = Review(agent_id=agent_id, findings=findings, flagged=flagged)
    if not findings:
        return review
    body = "\n".join(f"{line.speaker}: {line.text}" for line in lines).encode("utf-8")
    key = hashlib.sha256(body).hexdigest()
    existing = session.scalar(
        select(ConductIncident).where(ConductIncident.agent_id == agent_id, ConductIncident.source_key == key)
    )
    if existing is not None:
        review.incident = existing
        return review
    ports = ports or default_ports()
    transcript = store_recording(
        session,
        data=body,
        kind="transcript",
        media_type="text/plain; charset=utf-8",
        recorded_at=now,
        now=now,
        case=case,
        agent_id=agent_id,
        preset=preset,
        actor=actor,
        ports=ports,
    )
    recording = None
    if audio:
        recording = store_recording(
            session,
            data=audio,
            kind="audio",
            media_type="audio/wav",
            recorded_at=now,
            now=now,
            case=case,
            agent_id=agent_id,
            preset=preset,
            actor=actor,
            ports=ports,
        )
    rules = sorted({v.rule for _i, v in findings})
    incident = ConductIncident(
        agent_id=agent_id,
        case_id=case.id if case else None,
        source_key=key,
        violations=[{"line": i, **v.to_dict()} for i, v in findings],
        rules=",".join(rules)[:200],
        transcript_id=transcript.id,
        recording_id=recording.id if recording else None,
        status="open",
        opened_at=now,
    )
    session.add(incident)
    session.flush()
    ports.compliance.suspend_agent(
        session, agent_id=agent_id, reason=f"conduct incident: {', '.join(rules)}", now=now, reference=f"conduct:{incident.id}"
    )
    ports.crypto.audit(
        session,
        actor=actor,
        action="conversation.incident.open",
        now=now,
        case_id=incident.case_id,
        detail={"incident_id": incident.id, "agent_id": agent_id, "rules": rules},
    )
    review.incident = incident
    return review


def get_incident(session: Session, incident_id: str) -> ConductIncident:
    return get_or_not_found(session, ConductIncident, incident_id, what="conduct incident", field="incident_id")


def list_incidents(
    session: Session, *, status: str | None = None, agent_id: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[ConductIncident], int]:
    stmt = select(ConductIncident)
    if status:
        if status not in ("open", "closed"):
            raise RuleViolation("must be open or closed", field="status")
        stmt = stmt.where(ConductIncident.status == status)
    if agent_id:
        stmt = stmt.where(ConductIncident.agent_id == agent_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(ConductIncident.opened_at.desc(), ConductIncident.id).offset(offset).limit(limit)).all()
    return rows, total


def close_incident(
    session: Session,
    incident_id: str,
    *,
    outcome: str,
    actor: Actor,
    now: datetime,
    retraining_completed_on: date | None = None,
    note: str | None = None,
    ports: Ports | None = None,
) -> ConductIncident:
    """A compliance officer closes an incident: retraining (with the completion date) or a warning
    reinstate the collector; dismissal leaves them suspended."""
    if actor.role not in (Role.compliance_officer, Role.admin):
        raise NotPermitted("only a compliance officer closes conduct incidents", field="actor")
    incident = get_incident(session, incident_id)
    if incident.status == "closed":
        raise Conflict("the incident is already closed", field="incident_id")
    if outcome not in INCIDENT_OUTCOMES:
        raise RuleViolation(f"must be one of {', '.join(INCIDENT_OUTCOMES)}", field="outcome")
    if outcome == "retraining":
        if retraining_completed_on is None:
            raise RuleViolation("the date the retraining was completed is required", field="retraining_completed_on")
        if retraining_completed_on < incident.opened_at.date():
            raise RuleViolation("retraining must be completed after the incident was opened", field="retraining_completed_on")
        if retraining_completed_on > now.date():
            raise RuleViolation("cannot be in the future", field="retraining_completed_on")
    elif retraining_completed_on is not None:
        raise RuleViolation("only a retraining outcome has a completion date", field="retraining_completed_on")
    ports = ports or default_ports()
    incident.status = "closed"
    incident.outcome = outcome
    incident.retraining_completed_on = retraining_completed_on
    incident.note = (note or "").strip() or None
    incident.closed_at = now
    incident.closed_by = actor.id
    if outcome in ("retraining", "warning"):
        others_open = session.scalar(
            select(func.count()).where(
                ConductIncident.agent_id == incident.agent_id, ConductIncident.status == "open", ConductIncident.id != incident.id
            )
        )
        if not others_open:
            with contextlib.suppress(NotFound):  # already reinstated by hand
                ports.compliance.reinstate_agent(
                    session, agent_id=incident.agent_id, reason=f"conduct incident {incident.id} closed: {outcome}", now=now
                )
    ports.crypto.audit(
        session,
        actor=actor,
        action="conversation.incident.close",
        now=now,
        case_id=incident.case_id,
        detail={"incident_id": incident.id, "outcome": outcome},
    )
    session.flush()
    return incident


@dataclass
class ConductReport:
    incidents_by_month: dict[str, int]
    incidents_by_rule: dict[str, int]
    incidents_by_outcome: dict[str, int]
    open_incidents: int
    complaints_by_month: dict[str, int]
    bot_outcomes: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def conduct_report(session: Session, *, since: datetime | None = None) -> ConductReport:
    """Incidents, complaints (debtor turns classified as complaints) and their monthly trends."""
    stmt = select(ConductIncident)
    if since:
        stmt = stmt.where(ConductIncident.opened_at >= since)
    incidents = session.scalars(stmt).all()
    by_month: Counter[str] = Counter(i.opened_at.strftime("%Y-%m") for i in incidents)
    by_rule: Counter[str] = Counter(r for i in incidents for r in i.rules.split(",") if r)
    by_outcome: Counter[str] = Counter(i.outcome or "open" for i in incidents)
    turns = select(BotTurn.at).where(BotTurn.intent == Intent.complaint.value, BotTurn.speaker == "debtor")
    if since:
        turns = turns.where(BotTurn.at >= since)
    complaints: Counter[str] = Counter(at.strftime("%Y-%m") for at in session.scalars(turns))
    convs = select(BotConversation.outcome, func.count()).group_by(BotConversation.outcome)
    if since:
        convs = convs.where(BotConversation.started_at >= since)
    outcomes = {str(o or "open"): int(n) for o, n in session.execute(convs)}
    return ConductReport(
        dict(sorted(by_month.items())),
        dict(by_rule.most_common()),
        dict(by_outcome),
        sum(1 for i in incidents if i.status == "open"),
        dict(sorted(complaints.items())),
        outcomes,
    )


def incident_dict(incident: ConductIncident) -> dict[str, object]:
    return {
        "id": incident.id,
        "agent_id": incident.agent_id,
        "case_id": incident.case_id,
        "status": incident.status,
        "rules": [r for r in incident.rules.split(",") if r],
        "violations": incident.violations,
        "transcript_id": incident.transcript_id,
        "recording_id": incident.recording_id,
        "outcome": incident.outcome,
        "retraining_completed_on": incident.retraining_completed_on.isoformat() if incident.retraining_completed_on else None,
        "note": incident.note,
        "opened_at": incident.opened_at.isoformat(),
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "closed_by": incident.closed_by,
    }


def dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False)
