"""What each viewer may see of a mediation, and the metrics. Read-only; built on the service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money
from qingzhai.mediation import vault
from qingzhai.mediation.models import Mediation, MediationEvent, MediationSession, Proposal
from qingzhai.mediation.rules import (
    Confirmation,
    MediationFacts,
    MediationSettings,
    MetricRow,
    Mode,
    Party,
    Status,
    Terms,
    Viewer,
    compute_metrics,
    confirmation_window,
    timing_options,
    visible_to,
)
from qingzhai.mediation.service import TOKEN_HOLDERS, case_of, default_settings, evaluate_round_again, viewer_of
from qingzhai.registry import service as registry


def sessions_visible(session: Session, mediation: Mediation, viewer: Viewer) -> list[dict[str, Any]]:
    rows = session.scalars(select(MediationSession).where(MediationSession.mediation_id == mediation.id)
                           .order_by(MediationSession.held_at, MediationSession.id)).all()
    out: list[dict[str, Any]] = []
    for row in rows:
        private = row.kind == "caucus" and not vault.can_read(viewer, Party(row.party or "creditor"))
        out.append({
            "id": row.id, "kind": row.kind, "party": row.party, "held_at": row.held_at,
            "attendees": [] if private else list(row.attendees),
            "notes": None if private else row.notes,
            "statements": {} if private else dict(row.statements),
            "confidential": private,
        })
    return out


def proposals_visible(session: Session, mediation: Mediation, viewer: Viewer, *, now: datetime,
                      settings: MediationSettings | None = None) -> list[dict[str, Any]]:
    s = settings or default_settings()
    rows = session.scalars(select(Proposal).where(Proposal.mediation_id == mediation.id).order_by(Proposal.round)).all()
    out: list[dict[str, Any]] = []
    for row in rows:
        item: dict[str, Any] = {
            "id": row.id, "round": row.round, "mode": row.mode, "rule": row.rule, "zone_exists": row.zone_exists,
            "terms": row.terms, "created_at": row.created_at,
            "creditor_response": row.creditor_response, "debtor_response": row.debtor_response,
        }
        if row.zone_exists and row.amount is not None:
            # Equal present value, different timing: derived from the public proposal only.
            item["timing_options"] = [o.to_dict() for o in timing_options(
                Money(row.amount, row.currency), as_of=registry.local_today(row.created_at), settings=s)]
        if viewer is not Viewer.staff:
            evaluation = evaluate_round_again(session, mediation, row.round, now=row.created_at, settings=s)
            seen = visible_to(evaluation, viewer).to_dict()
            item.update({k: v for k, v in seen.items() if k in ("own_limit", "creditor_floor", "debtor_ceiling", "shortfall")})
        out.append(item)
    return out


# --- the whole view -------------------------------------------------------------------------------------------


def describe(session: Session, mediation: Mediation, *, actor: Actor, now: datetime, party_token: str | None = None,
             settings: MediationSettings | None = None) -> dict[str, Any]:
    """Everything the viewer may see of a mediation, and nothing else."""
    s = settings or default_settings()
    viewer = viewer_of(session, mediation, actor=actor, party_token=party_token)
    case = case_of(session, mediation)
    data: dict[str, Any] = {
        "id": mediation.id, "case_number": case.number, "viewer": viewer.value, "kind": mediation.kind,
        "mode": mediation.mode, "status": mediation.status, "mediator_id": mediation.mediator_id,
        "institution": mediation.institution, "district": mediation.district, "reason": mediation.reason,
        "referred_at": mediation.referred_at, "deadline": mediation.deadline, "round": mediation.round,
        "max_rounds": s.max_rounds, "currency": mediation.currency, "accepted_at": mediation.accepted_at,
        "concluded_at": mediation.concluded_at, "conclusion_reason": mediation.conclusion_reason,
        "agreement": None,
        "sessions": sessions_visible(session, mediation, viewer),
        "proposals": proposals_visible(session, mediation, viewer, now=now, settings=s),
        "positions": {},
    }
    if mediation.agreed_at is not None:
        window = confirmation_window(registry.local_today(mediation.agreed_at), registry.local_today(now), s)
        data["agreement"] = {
            "agreed_at": mediation.agreed_at, "total": str(mediation.agreed_amount), "partial": mediation.partial,
            "schedule": mediation.schedule, "court": mediation.court, "contract_id": mediation.contract_id,
            "confirmation": mediation.confirmation, "confirmation_deadline": mediation.confirmation_deadline,
            "confirmation_days_left": window.days_left if mediation.confirmation == Confirmation.none.value else None,
        }
    kind = "position" if mediation.mode == Mode.positions.value else "bid"
    for party in Party:
        if vault.can_read(viewer, party):
            entry = vault.entry_for(session, mediation, party=party, kind=kind, round_=mediation.round)
            data["positions"][party.value] = (
                {"submitted": False} if entry is None else
                {"submitted": True, "round": entry.round, **vault.read_position(session, entry).to_dict()}
            )
        else:
            data["positions"][party.value] = None  # not even whether it was submitted
    if viewer is Viewer.mediator or (viewer is Viewer.staff and actor.role in TOKEN_HOLDERS):
        data["debtor_party_token"] = vault.debtor_token(mediation)
    return data


def terms_of(mediation: Mediation) -> Terms | None:
    if not mediation.schedule:
        return None
    schedule = tuple((date.fromisoformat(d), Money(Decimal(a), mediation.currency)) for d, a in mediation.schedule)
    total = Money(sum((m.amount for _, m in schedule), Decimal(0)), mediation.currency)
    return Terms(currency=mediation.currency, schedule=schedule, present_value=total)


# --- metrics ---------------------------------------------------------------------------------------


def metrics(session: Session, *, since: datetime | None = None) -> list[MetricRow]:
    """Settlement, time and confirmation rates rebuilt from mediation events (numerator/denominator)."""
    if since is not None and (since.tzinfo is None or since.utcoffset() is None):
        raise RuleViolation("must carry a time zone offset, e.g. +08:00", field="since")
    stmt = select(MediationEvent).order_by(MediationEvent.at, MediationEvent.id)
    events = session.scalars(stmt).all()
    facts: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.kind == "referred":
            if since is not None and event.at < since:
                continue
            facts[event.mediation_id] = {
                "mediation_id": event.mediation_id, "mediator_id": event.mediator_id, "institution": event.institution,
                "district": event.district or "-", "referred_on": registry.local_today(event.at), "accepted": False,
                "outcome": None, "agreed_on": None, "confirmed": False,
            }
            continue
        fact = facts.get(event.mediation_id)
        if fact is None:
            continue
        if event.kind == "accepted":
            fact["accepted"] = True
        elif event.kind == "agreed":
            fact["outcome"] = Status.partially_settled if event.data.get("partial") else Status.settled
            fact["agreed_on"] = registry.local_today(event.at)
            fact["accepted"] = True
        elif event.kind == "concluded":
            fact["outcome"] = Status(event.data["outcome"])
        elif event.kind == "confirmation_confirmed":
            fact["confirmed"] = True
    return compute_metrics([MediationFacts(**f) for f in facts.values()])
