"""Use cases of the compliance engine: decide and reserve contacts, record outcomes, suspend agents,
keep restrictions, explain a debtor's counters. Services never commit; the caller does.

Atomic reservations: `request_contact(..., reserve=True)` first upserts the debtor's row in
`compliance_debtor_locks` (INSERT ... ON CONFLICT DO UPDATE). On PostgreSQL that takes the row
lock until the transaction ends, so a second request for the same debtor waits, then reads the
first one's attempt (READ COMMITTED sees it once committed). On SQLite the statement takes the
database write lock (as BEGIN IMMEDIATE would), with the same effect. Reserved attempts whose
outcome is not yet known count as connected calls, so the cap holds even when they all connect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from qingzhai import clock
from qingzhai.compliance.models import (
    AgentSuspension,
    ContactAttempt,
    ContactDecisionRecord,
    ContactLock,
    ContactRestrictionRecord,
)
from qingzhai.compliance.presets import preset as preset_rules
from qingzhai.compliance.rules import (
    CALL_CHANNELS,
    CHANNELS,
    OUTCOMES,
    RESTRICTION_KINDS,
    ContactRequest,
    ContactRules,
    PastContact,
    Restriction,
    Standing,
    check_request,
    decide,
    tighten,
)
from qingzhai.compliance.settings import get_compliance_settings
from qingzhai.compliance.texts import Reason, reason
from qingzhai.compliance.zones import candidate_zones, tzinfo
from qingzhai.core.errors import Conflict, NotFound, RuleViolation
from qingzhai.core.masking import mask_phone
from qingzhai.core.timeutil import require_aware
from qingzhai.db.session import get_or_not_found
from qingzhai.registry import service as registry
from qingzhai.registry.rules import OPEN_ENDED_HOLDS

if TYPE_CHECKING:
    from qingzhai.registry.service import Case, Debtor

PHONE_CHANNELS = frozenset({"call", "bot_call", "sms", "message"})


@dataclass(frozen=True)
class ContactDecision:
    allowed: bool
    attempt_id: str | None
    reasons: list[Reason]
    next_allowed_at: datetime | None
    obligations: list[Reason] = field(default_factory=list)
    decision_id: str | None = None
    preset: str = "cn"
    zones: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed, "attempt_id": self.attempt_id, "decision_id": self.decision_id,
            "preset": self.preset, "zones": list(self.zones),
            "reasons": [r.to_dict() for r in self.reasons],
            "obligations": [r.to_dict() for r in self.obligations],
            "next_allowed_at": self.next_allowed_at.isoformat() if self.next_allowed_at else None,
        }


# --- rules and zones -----------------------------------------------------------------------------


def rules_for(session: Session, case: Case | None, *, preset: str | None = None) -> ContactRules:
    """The preset (setting `QINGZHAI_COMPLIANCE_PRESET`) tightened by the creditor's policy."""
    settings = get_compliance_settings()
    rules = preset_rules(preset or settings.preset)
    if settings.holidays_quiet:
        rules = tighten(rules, _Holidays())
    if case is not None:
        creditor = registry.get_creditor(session, case.creditor_id)
        rules = tighten(rules, registry.creditor_policy(creditor).contact)
    return rules


@dataclass(frozen=True)
class _Holidays:
    holidays_quiet: bool = True


def debtor_zones(debtor: Debtor) -> tuple[str, ...]:
    return candidate_zones(debtor.timezone, debtor.phone, debtor.address, get_compliance_settings().default_zone)


def phone_key(phone: str | None) -> str | None:
    return registry.identity_key(phone) if phone else None


# --- history and standing ------------------------------------------------------------------------


def _lock(session: Session, debtor_id: str, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ContactLock).values(debtor_id=debtor_id, version=1, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ContactLock.debtor_id],
        set_={"version": ContactLock.version + 1, "updated_at": now},
    )
    session.execute(stmt)


def history(session: Session, debtor_id: str, *, at: datetime, days: int) -> list[PastContact]:
    rows = session.execute(
        select(ContactAttempt.at, ContactAttempt.channel, ContactAttempt.outcome, ContactAttempt.phone_key,
               ContactAttempt.party, ContactAttempt.case_id)
        .where(ContactAttempt.debtor_id == debtor_id,
               ContactAttempt.at >= at - timedelta(days=days + 1),
               ContactAttempt.at < at + timedelta(days=2))
        .order_by(ContactAttempt.at, ContactAttempt.id)
    ).all()
    return [PastContact(at=r[0].timestamp(), channel=r[1], outcome=r[2], phone=r[3], party=r[4], case_id=r[5])
            for r in rows]


def is_suspended(session: Session, agent_id: str) -> bool:
    return session.scalar(
        select(AgentSuspension.id).where(AgentSuspension.agent_id == agent_id, AgentSuspension.reinstated_at.is_(None))
        .limit(1)
    ) is not None


def restrictions(session: Session, debtor_id: str) -> Sequence[ContactRestrictionRecord]:
    return session.scalars(
        select(ContactRestrictionRecord)
        .where(ContactRestrictionRecord.debtor_id == debtor_id, ContactRestrictionRecord.lifted_at.is_(None))
        .order_by(ContactRestrictionRecord.created_at)
    ).all()


def _holds(session: Session, case: Case | None, debtor_id: str, at: datetime) -> tuple[tuple[str, Any], ...]:
    """Holds of the case, plus open-ended holds (cease_contact, bankruptcy, deceased) on any other
    case of the same debtor: those are facts about the person."""
    found: list[tuple[str, Any]] = []
    if case is not None:
        found.extend((h.kind, h.until) for h in registry.active_holds(session, case, now=at))
    others, _total = registry.list_cases(session, debtor_id=debtor_id, limit=1000)
    for other in others:
        if case is not None and other.id == case.id:
            continue
        for h in registry.active_holds(session, other, now=at):
            if h.kind in {k.value for k in OPEN_ENDED_HOLDS} and (h.kind, h.until) not in found:
                found.append((h.kind, h.until))
    return tuple(found)


def standing(session: Session, *, case: Case | None, debtor_id: str, agent_id: str | None, at: datetime) -> Standing:
    return Standing(
        holds=_holds(session, case, debtor_id, at),
        agent_suspended=bool(agent_id) and is_suspended(session, agent_id),  # type: ignore[arg-type]
        restrictions=tuple(Restriction(kind=r.kind, channel=r.channel, phone=r.phone_key)
                           for r in restrictions(session, debtor_id)),
        case_closed=case is not None and case.stage == "closed",
    )


# --- the interface other capabilities call -------------------------------------------------------


def request_contact(
    session: Session,
    *,
    case: Case,
    channel: str,
    at: datetime,
    agent_id: str,
    agent_kind: str = "human",
    phone: str | None = None,
    party: str = "debtor",
    purpose: str = "collection",
    reserve: bool = True,
    collectors: int = 1,
    at_workplace: bool = False,
    phone_source: str | None = None,
    preset: str | None = None,
) -> ContactDecision:
    """May `agent_id` contact the case's debtor (or a third party: `party`) by `channel` at `at`?

    When allowed and `reserve`, the attempt is reserved atomically and its id returned; record its
    outcome with `record_outcome`. Every decision is stored with its reasons."""
    if not agent_id or not agent_id.strip():
        raise RuleViolation("must not be empty", field="agent_id")
    try:
        require_aware(at, "at")
    except ValueError:
        raise RuleViolation("must carry a time zone offset", field="at") from None
    debtor = registry.get_debtor(session, case.debtor_id)
    if phone is None and party in ("debtor", "guarantor") and channel in PHONE_CHANNELS:
        phone = debtor.phone
    if channel in CALL_CHANNELS and not phone:
        raise RuleViolation("a call needs a phone number", field="phone")
    rules = rules_for(session, case, preset=preset)
    zones = debtor_zones(debtor)
    key = phone_key(phone)
    req = ContactRequest(at=at, channel=channel, zones=zones, phone=key, party=party, purpose=purpose, case_id=case.id,
                         agent_kind=agent_kind, collectors=collectors, at_workplace=at_workplace,
                         phone_source=phone_source)
    check_request(req)
    if reserve:
        _lock(session, debtor.id, at)
    past = history(session, debtor.id, at=at, days=rules.lookback_days)
    facts = standing(session, case=case, debtor_id=debtor.id, agent_id=agent_id, at=at)
    decision = decide(rules, req, past, facts)
    attempt_id: str | None = None
    if decision.allowed and reserve:
        attempt = ContactAttempt(
            debtor_id=debtor.id, case_id=case.id, channel=channel, phone_key=key, phone_masked=mask_phone(phone),
            party=party, purpose=purpose, agent_id=agent_id, agent_kind=agent_kind, preset=rules.preset, at=at,
            local_day=at.astimezone(tzinfo(zones[0])).date(), zones="|".join(zones), created_at=clock.now(),
        )
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id
    reasons = [reason(f, rules) for f in decision.reasons]
    duties = [reason(f, rules) for f in decision.obligations]
    record = ContactDecisionRecord(
        debtor_id=debtor.id, case_id=case.id, attempt_id=attempt_id, channel=channel, party=party, purpose=purpose,
        agent_id=agent_id, agent_kind=agent_kind, phone_masked=mask_phone(phone), preset=rules.preset, at=at,
        allowed=decision.allowed, reasons=[r.to_dict() for r in reasons], obligations=[r.to_dict() for r in duties],
        next_allowed_at=decision.next_allowed_at, decided_at=clock.now(),
    )
    session.add(record)
    session.flush()
    return ContactDecision(allowed=decision.allowed, attempt_id=attempt_id, reasons=reasons,
                           next_allowed_at=decision.next_allowed_at, obligations=duties, decision_id=record.id,
                           preset=rules.preset, zones=zones)


def record_outcome(session: Session, *, attempt_id: str, outcome: str, now: datetime) -> None:
    """Resolve a reserved attempt. Recording the same outcome again is harmless; a different one
    is a conflict. `cancelled` releases a reservation that was never placed."""
    if outcome not in OUTCOMES:
        raise RuleViolation(f"must be one of {', '.join(OUTCOMES)}", field="outcome")
    attempt = get_attempt(session, attempt_id)
    if outcome == "delivered" and attempt.channel in CALL_CHANNELS:
        raise RuleViolation("delivered is an outcome of messages, letters and visits, not calls", field="outcome")
    if attempt.outcome is not None:
        if attempt.outcome == outcome:
            return
        raise Conflict(f"the attempt already has the outcome {attempt.outcome}", field="outcome")
    attempt.outcome = outcome
    attempt.outcome_at = now
    session.flush()


def get_attempt(session: Session, attempt_id: str) -> ContactAttempt:
    return get_or_not_found(session, ContactAttempt, attempt_id, what="contact attempt", field="attempt_id")


def suspend_agent(session: Session, *, agent_id: str, reason: str, now: datetime, reference: str | None = None) -> None:
    """Deny every contact request of the agent (rule `agent_suspended`) until reinstated.
    Suspending a suspended agent again with the same reference changes nothing."""
    if not agent_id or not agent_id.strip():
        raise RuleViolation("must not be empty", field="agent_id")
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    active = session.scalars(
        select(AgentSuspension).where(AgentSuspension.agent_id == agent_id, AgentSuspension.reinstated_at.is_(None))
    ).all()
    if any(s.reference == reference for s in active):
        return
    session.add(AgentSuspension(agent_id=agent_id, reason=reason.strip(), reference=reference, suspended_at=now))
    session.flush()


def reinstate_agent(session: Session, *, agent_id: str, reason: str, now: datetime) -> None:
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    active = session.scalars(
        select(AgentSuspension).where(AgentSuspension.agent_id == agent_id, AgentSuspension.reinstated_at.is_(None))
    ).all()
    if not active:
        raise NotFound(f"agent '{agent_id}' is not suspended", field="agent_id")
    for s in active:
        s.reinstated_at = now
        s.reinstate_reason = reason.strip()
    session.flush()


def suspensions(session: Session, *, active_only: bool = True) -> Sequence[AgentSuspension]:
    stmt = select(AgentSuspension).order_by(AgentSuspension.suspended_at)
    if active_only:
        stmt = stmt.where(AgentSuspension.reinstated_at.is_(None))
    return session.scalars(stmt).all()


def add_restriction(session: Session, *, debtor_id: str, kind: str, reason: str, now: datetime,
                    channel: str | None = None, phone: str | None = None,
                    reference: str | None = None) -> ContactRestrictionRecord:
    """Record an opt-out, cease-communication, attorney representation, workplace ban, or a third
    party's request not to be contacted again. The same restriction twice is stored once."""
    if kind not in RESTRICTION_KINDS:
        raise RuleViolation(f"must be one of {', '.join(RESTRICTION_KINDS)}", field="kind")
    if channel is not None and channel not in CHANNELS:
        raise RuleViolation(f"must be one of {', '.join(CHANNELS)}", field="channel")
    if kind == "third_party_refused" and not phone:
        raise RuleViolation("the third party's number is needed", field="phone")
    if kind == "opt_out" and not (channel or phone):
        raise RuleViolation("an opt-out names a channel or a number", field="channel")
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    registry.get_debtor(session, debtor_id)
    key = phone_key(phone)
    for existing in restrictions(session, debtor_id):
        if existing.kind == kind and existing.channel == channel and existing.phone_key == key:
            return existing
    record = ContactRestrictionRecord(debtor_id=debtor_id, kind=kind, channel=channel, phone_key=key,
                                      phone_masked=mask_phone(phone) or None, reason=reason.strip(),
                                      reference=reference, created_at=now)
    session.add(record)
    session.flush()
    return record


def lift_restriction(session: Session, *, restriction_id: str, now: datetime) -> ContactRestrictionRecord:
    record = get_or_not_found(session, ContactRestrictionRecord, restriction_id, what="restriction", field="restriction_id")
    if record.lifted_at is None:
        record.lifted_at = now
        session.flush()
    return record


def decisions(session: Session, *, debtor_id: str | None = None, case_id: str | None = None,
              limit: int = 100) -> Sequence[ContactDecisionRecord]:
    stmt = select(ContactDecisionRecord).order_by(ContactDecisionRecord.at.desc(), ContactDecisionRecord.id.desc())
    if debtor_id:
        stmt = stmt.where(ContactDecisionRecord.debtor_id == debtor_id)
    if case_id:
        stmt = stmt.where(ContactDecisionRecord.case_id == case_id)
    return session.scalars(stmt.limit(limit)).all()


# --- explain -------------------------------------------------------------------------------------


@dataclass
class ChannelOutlook:
    channel: str
    allowed: bool
    reasons: list[Reason]
    next_allowed_at: datetime | None


@dataclass
class Explanation:
    debtor_id: str
    at: datetime
    preset: str
    zones: tuple[str, ...]
    local_times: list[str]
    connected_today: int
    pending_today: int
    attempts_today: int
    attempts_by_number: dict[str, int]
    calls_in_period: int
    period_days: int
    holds: list[str]
    restrictions: list[str]
    channels: list[ChannelOutlook]

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["at"] = self.at.isoformat()
        data["zones"] = list(self.zones)
        data["channels"] = [
            {"channel": c.channel, "allowed": c.allowed, "reasons": [r.to_dict() for r in c.reasons],
             "next_allowed_at": c.next_allowed_at.isoformat() if c.next_allowed_at else None}
            for c in self.channels
        ]
        return data


def explain(session: Session, *, debtor_id: str, at: datetime, preset: str | None = None,
            case: Case | None = None) -> Explanation:
    """The debtor's counters for the local day and what each channel may do from `at`."""
    debtor = registry.get_debtor(session, debtor_id)
    rules = rules_for(session, case, preset=preset)
    zones = debtor_zones(debtor)
    past = history(session, debtor.id, at=at, days=rules.lookback_days)
    z = tzinfo(zones[0])
    today = at.astimezone(z).date()
    period_start = today - timedelta(days=rules.period_days - 1)
    pkey = phone_key(debtor.phone)
    numbers: dict[str, int] = {}
    connected = pending = attempts = period = 0
    masked = {phone_key(debtor.phone): mask_phone(debtor.phone)}
    for p in past:
        if p.outcome == "cancelled" or p.channel not in CALL_CHANNELS:
            continue
        day = datetime.fromtimestamp(p.at, z).date()
        if period_start <= day <= today:
            period += 1
        if day != today:
            continue
        attempts += 1
        connected += p.outcome == "conversation"
        pending += p.outcome is None
        label = masked.get(p.phone, "other number")
        numbers[label] = numbers.get(label, 0) + 1
    facts = standing(session, case=case, debtor_id=debtor.id, agent_id=None, at=at)
    outlook: list[ChannelOutlook] = []
    for channel in ("call", "bot_call", "sms", "email", "letter", "visit", "message"):
        req = ContactRequest(at=at, channel=channel, zones=zones, phone=pkey if channel in PHONE_CHANNELS else None,
                             case_id=case.id if case else None, collectors=2 if channel == "visit" else 1)
        d = decide(rules, req, past, facts)
        outlook.append(ChannelOutlook(channel, d.allowed, [reason(f, rules) for f in d.reasons], d.next_allowed_at))
    return Explanation(
        debtor_id=debtor.id, at=at, preset=rules.preset, zones=zones,
        local_times=[at.astimezone(tzinfo(zn)).isoformat() for zn in zones],
        connected_today=connected, pending_today=pending, attempts_today=attempts, attempts_by_number=numbers,
        calls_in_period=period, period_days=rules.period_days,
        holds=[k if u is None else f"{k} until {u.isoformat()}" for k, u in facts.holds],
        restrictions=[r.kind + (f" ({r.channel})" if r.channel else "") for r in facts.restrictions],
        channels=outlook,
    )
