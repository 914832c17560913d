"""Planning's queued work: accepted plans that waited for execution or mediation (idempotent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from qingzhai.core.actor import SYSTEM
from qingzhai.planning import service


def complete_pending_plans(session: Session, *, now: datetime) -> int:
    """Create the contracts and referrals of accepted plans still waiting for them. Safe to re-run:
    only `pending_*` decisions are touched and execution's contracts are idempotent on their source."""
    return service.complete_pending(session, now=now, actor=SYSTEM)
