"""Daily mediation work, idempotent: expire mediations past their deadline (lifting the hold) and
hand agreements signed before execution existed to execution (create_contract is idempotent on
the source "mediation:<id>")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qingzhai.core.actor import SYSTEM, Actor, Role
from qingzhai.mediation import service
from qingzhai.mediation.models import Mediation
from qingzhai.mediation.rules import AGREED, Status
from qingzhai.registry import service as registry


@dataclass(frozen=True, slots=True)
class DailyReport:
    expired: int
    contracts: int


def expire_overdue(session: Session, *, now: datetime, actor: Actor) -> list[Mediation]:
    """Daily: a mediation past its deadline without agreement fails (idempotent)."""
    today = registry.local_today(now)
    rows = session.scalars(select(Mediation).where(
        Mediation.status.in_([Status.referred.value, Status.active.value]), Mediation.deadline < today,
    ).order_by(Mediation.id)).all()
    system_mediator = [Actor(id=m.mediator_id, name=actor.name, role=Role.mediator, source="job") for m in rows]
    for mediation, acting in zip(rows, system_mediator, strict=True):
        service.conclude(session, mediation, outcome=Status.failed.value, reason="mediation deadline passed",
                         actor=acting, now=now)
    return list(rows)


def sync_contracts(session: Session, *, now: datetime, actor: Actor) -> int:
    """Create the execution contract for agreements signed before execution was installed."""
    made = 0
    rows = session.scalars(select(Mediation).where(
        Mediation.status.in_([s.value for s in AGREED]), Mediation.contract_id.is_(None),
    )).all()
    for mediation in rows:
        contract_id = service.make_contract(session, mediation, actor=actor, now=now)
        if contract_id:
            mediation.contract_id = contract_id
            made += 1
    session.flush()
    return made


def run_daily(session: Session, *, now: datetime, actor: Actor = SYSTEM) -> DailyReport:
    expired = expire_overdue(session, now=now, actor=actor)
    contracts = sync_contracts(session, now=now, actor=actor)
    return DailyReport(expired=len(expired), contracts=contracts)
