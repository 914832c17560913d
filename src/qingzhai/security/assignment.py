"""Assigning cases to collectors and mediators, one at a time or in bulk by a rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, RuleViolation
from qingzhai.registry.rules import Stage
from qingzhai.registry.service import Case, open_cases_matching, record_event
from qingzhai.security.auth import get_user
from qingzhai.security.models import User
from qingzhai.security.rules import ASSIGNABLE_ROLES, Permission, require
from qingzhai.security.service import audit


def assignee(session: Session, ref: str) -> User:
    user = get_user(session, ref)
    if not user.active:
        raise Conflict("user {name} is disabled", field="to", params={"name": user.name})
    if Role(user.role) not in ASSIGNABLE_ROLES:
        raise RuleViolation("cases are assigned to collectors or mediators, not to a {role}", field="to",
                            params={"role": user.role})
    return user


def assign_case(session: Session, case: Case, *, to: str, actor: Actor, now: datetime, reason: str | None = None) -> Case:
    """Give `case` to user `to` (name or id). Reassignment is recorded on the case and audited."""
    require(actor, Permission.case_assign)
    user = assignee(session, to)
    _assign(session, case, user, actor=actor, now=now, reason=reason)
    session.flush()
    return case


def _assign(session: Session, case: Case, user: User, *, actor: Actor, now: datetime, reason: str | None) -> bool:
    before = case.assignee_id
    if before == user.id:
        return False
    if case.stage == Stage.closed.value:
        raise RuleViolation("case {number} is closed", field="case_id", params={"number": case.number})
    case.assignee_id = user.id
    kind = "reassigned" if before else "assigned"
    record_event(session, case, kind, actor=actor, now=now, reason=reason,
                 data={"from": before, "to": user.id, "to_name": user.name})
    audit(session, actor=actor, action=f"case.{kind}", now=now, case_id=case.id, debtor_id=case.debtor_id,
          detail={"from": before, "to": user.id, "to_name": user.name})
    return True


@dataclass(frozen=True)
class AssignmentRule:
    """Which cases a bulk assignment takes: all given conditions must hold."""

    district: str | None = None
    min_amount: Decimal | None = None   # placed amount, inclusive (以上)
    max_amount: Decimal | None = None   # placed amount, inclusive (以下)
    currency: str | None = None
    stage: Stage | None = None
    creditor_id: str | None = None
    unassigned_only: bool = True
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            raise RuleViolation("must not exceed max_amount", field="min_amount")
        if self.limit is not None and self.limit < 1:
            raise RuleViolation("must be at least 1", field="limit")


def parse_amount(value: str | None, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RuleViolation(f"'{value}' is not an amount", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise RuleViolation("must be a non-negative amount", field=field)
    return amount


def assign_by_rule(
    session: Session, *, to: str, rule: AssignmentRule, actor: Actor, now: datetime,
    reason: str | None = None, on_progress: Callable[[int], None] | None = None,
) -> int:
    """Assign every open case matching `rule` to `to`; returns how many changed hands."""
    require(actor, Permission.case_assign)
    user = assignee(session, to)
    cases = open_cases_matching(
        session, district=rule.district, min_amount=rule.min_amount, max_amount=rule.max_amount,
        currency=rule.currency, stage=rule.stage, creditor_id=rule.creditor_id,
        unassigned_only=rule.unassigned_only, limit=rule.limit,
    )
    changed = 0
    for case in cases:
        changed += _assign(session, case, user, actor=actor, now=now, reason=reason)
        if on_progress:
            on_progress(changed)
    session.flush()
    return changed
