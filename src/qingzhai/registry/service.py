"""Use cases of the case registry. Services never commit; the caller does."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qingzhai.config import get_settings
from qingzhai.core.actor import Actor
from qingzhai.core.errors import Conflict, NotFound, RuleViolation
from qingzhai.core.money import Money
from qingzhai.core.timeutil import zone
from qingzhai.registry.models import Case, CaseEvent, Creditor, Debt, Debtor, Hold

# The registry's entities are the platform's shared aggregates: other capabilities receive and
# pass them (and annotate with them) through this module, and change them only through its
# functions; they never query the registry's tables themselves.
from qingzhai.registry.rules import (
    CreditorPolicy,
    HoldKind,
    Outcome,
    Stage,
    advance,
    check_hold,
    hold_is_active,
)
from qingzhai.security.rules import Scope, case_scope


def identity_key(value: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised identifier, for matching without plaintext."""
    key = get_settings().hmac_key.get_secret_value().encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


def local_today(now: datetime, tz: str | None = None) -> date:
    return now.astimezone(zone(tz or get_settings().timezone)).date()


# --- creditors -------------------------------------------------------------------------------


def create_creditor(
    session: Session, *, name: str, now: datetime, policy: CreditorPolicy | None = None
) -> Creditor:
    name = (name or "").strip()
    if not name:
        raise RuleViolation("must not be empty", field="name")
    if len(name) > 200:
        raise RuleViolation("is longer than 200 characters", field="name")
    if session.scalar(select(Creditor.id).where(Creditor.name == name)):
        raise Conflict(f"a creditor named '{name}' already exists", field="name")
    creditor = Creditor(name=name, policy=(policy or CreditorPolicy()).to_dict(), created_at=now)
    session.add(creditor)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"a creditor named '{name}' already exists", field="name") from None
    return creditor


def ensure_creditor(session: Session, *, name: str, now: datetime) -> Creditor:
    found = session.scalar(select(Creditor).where(Creditor.name == name.strip()))
    return found or create_creditor(session, name=name, now=now)


def get_creditor(session: Session, ref: str) -> Creditor:
    creditor = session.get(Creditor, ref) or session.scalar(
        select(Creditor).where(Creditor.name == ref)
    )
    if creditor is None:
        raise NotFound(f"no creditor '{ref}'", field="creditor")
    return creditor


def list_creditors(session: Session) -> Sequence[Creditor]:
    return session.scalars(select(Creditor).order_by(Creditor.name)).all()


def creditor_policy(creditor: Creditor) -> CreditorPolicy:
    return CreditorPolicy.from_dict(creditor.policy)


def update_creditor_policy(
    session: Session, creditor: Creditor, changes: Mapping[str, Any]
) -> CreditorPolicy:
    policy = creditor_policy(creditor).merged(changes)
    creditor.policy = policy.to_dict()
    session.flush()
    return policy


# --- access scope ----------------------------------------------------------------------------


def _scoped(stmt: Select[Any], actor: Actor | None) -> Select[Any]:
    """Restrict a case query to what `actor` may see (the one table: security.rules.CASE_SCOPE)."""
    scope = case_scope(actor)
    if scope is Scope.all:
        return stmt
    if scope is Scope.assigned and actor is not None:
        return stmt.where(Case.assignee_id == actor.id)
    if scope is Scope.own_placements and actor is not None and actor.creditor_id:
        return stmt.where(Case.creditor_id == actor.creditor_id)
    return stmt.where(false())


def visible_case_ids(actor: Actor | None) -> Select[Any]:
    """A subquery of the ids of the cases `actor` may see, for other capabilities' scoped lists
    (`stmt.where(Mediation.case_id.in_(visible_case_ids(actor)))`)."""
    return _scoped(select(Case.id), actor)


def cases_by_ids(session: Session, ids: Iterable[str]) -> list[Case]:
    """Load many cases at once (chunked for SQLite's parameter limit)."""
    id_list = list(dict.fromkeys(ids))
    found: list[Case] = []
    for i in range(0, len(id_list), 900):
        found.extend(session.scalars(select(Case).where(Case.id.in_(id_list[i : i + 900]))))
    return found


def case_ids_of_debtor(session: Session, debtor_id: str, *, open_only: bool = False) -> list[str]:
    stmt = select(Case.id).where(Case.debtor_id == debtor_id)
    if open_only:
        stmt = stmt.where(Case.stage != Stage.closed.value)
    return list(session.scalars(stmt.order_by(Case.number)))


def open_cases_matching(
    session: Session,
    *,
    district: str | None = None,
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
    currency: str | None = None,
    stage: Stage | None = None,
    creditor_id: str | None = None,
    unassigned_only: bool = False,
    limit: int | None = None,
) -> list[Case]:
    """Open cases selected by a rule (bulk assignment). Amount bounds are inclusive."""
    stmt = select(Case).join(Debtor, Debtor.id == Case.debtor_id).where(Case.stage != Stage.closed.value)
    if district is not None:
        stmt = stmt.where(Debtor.district == district)
    if min_amount is not None:
        stmt = stmt.where(Case.placed_amount >= min_amount)
    if max_amount is not None:
        stmt = stmt.where(Case.placed_amount <= max_amount)
    if currency is not None:
        stmt = stmt.where(Case.currency == currency)
    if stage is not None:
        stmt = stmt.where(Case.stage == stage.value)
    if creditor_id is not None:
        stmt = stmt.where(Case.creditor_id == creditor_id)
    if unassigned_only:
        stmt = stmt.where(Case.assignee_id.is_(None))
    stmt = stmt.order_by(Case.number)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def case_districts(session: Session) -> list[tuple[str | None, int]]:
    """Open cases per debtor district, most first."""
    rows = session.execute(
        select(Debtor.district, func.count()).join(Case, Case.debtor_id == Debtor.id)
        .where(Case.stage != Stage.closed.value).group_by(Debtor.district).order_by(func.count().desc())
    )
    return [(district, count) for district, count in rows]


def _debtor_in_scope(session: Session, debtor_id: str, actor: Actor | None) -> bool:
    if case_scope(actor) is Scope.all:
        return True
    return session.scalar(_scoped(select(Case.id).where(Case.debtor_id == debtor_id).limit(1), actor)) is not None


# --- debtors ---------------------------------------------------------------------------------


def get_debtor(session: Session, debtor_id: str, *, actor: Actor | None = None) -> Debtor:
    """A debtor; NotFound also when `actor` has no case of this debtor in scope."""
    debtor = session.get(Debtor, debtor_id)
    if debtor is None or not _debtor_in_scope(session, debtor.id, actor):
        raise NotFound(f"no debtor '{debtor_id}'", field="debtor_id")
    return debtor


def find_debtor_by_id_number(session: Session, id_number: str) -> Debtor | None:
    return session.scalar(select(Debtor).where(Debtor.id_key == identity_key(id_number)))


def list_debtors(
    session: Session, *, offset: int = 0, limit: int = 50, actor: Actor | None = None
) -> tuple[Sequence[Debtor], int]:
    stmt = select(Debtor)
    if case_scope(actor) is not Scope.all:
        stmt = stmt.where(Debtor.id.in_(_scoped(select(Case.debtor_id), actor)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Debtor.id).offset(offset).limit(limit)).all()
    return rows, total


# --- cases -----------------------------------------------------------------------------------


MAX_CASE_NUMBER = 2_147_483_647  # the number column is a 32-bit integer


def get_case(session: Session, ref: str | int, *, actor: Actor | None = None) -> Case:
    """A case by id or by its number; NotFound also when it is outside `actor`'s scope."""
    text = str(ref).strip().removeprefix("QZ-").removeprefix("qz-")
    if text.isdigit() and (len(text) > 10 or int(text) > MAX_CASE_NUMBER):
        raise NotFound(f"no case '{ref}'", field="case_id")
    stmt = select(Case).where(Case.number == int(text)) if text.isdigit() else select(Case).where(Case.id == text)
    case = session.scalar(_scoped(stmt, actor))
    if case is None:
        raise NotFound(f"no case '{ref}'", field="case_id")
    return case


def list_cases(
    session: Session,
    *,
    actor: Actor | None = None,
    stage: Stage | None = None,
    creditor_id: str | None = None,
    debtor_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[Case], int]:
    stmt = select(Case)
    if stage is not None:
        stmt = stmt.where(Case.stage == stage.value)
    if creditor_id is not None:
        stmt = stmt.where(Case.creditor_id == creditor_id)
    if debtor_id is not None:
        stmt = stmt.where(Case.debtor_id == debtor_id)
    stmt = _scoped(stmt, actor)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Case.number).offset(offset).limit(limit)).all()
    return rows, total


def record_event(
    session: Session,
    case: Case,
    kind: str,
    *,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=now,
        kind=kind,
        actor_id=actor.id,
        actor_name=actor.name,
        reason=reason,
        data=dict(data or {}),
    )
    session.add(event)
    return event


def case_events(session: Session, case: Case) -> Sequence[CaseEvent]:
    return session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
    ).all()


def advance_case(
    session: Session,
    case: Case,
    *,
    to: Stage,
    reason: str,
    actor: Actor,
    now: datetime,
    outcome: Outcome | None = None,
) -> Case:
    change = advance(Stage(case.stage), to, reason=reason, outcome=outcome)
    case.stage = change.current.value
    case.stage_changed_at = now
    if change.current is Stage.closed:
        case.outcome = change.outcome.value if change.outcome else None
        case.closed_at = now
    record_event(
        session,
        case,
        "stage_changed",
        actor=actor,
        now=now,
        reason=change.reason,
        data={
            "from": change.previous.value,
            "to": change.current.value,
            "outcome": case.outcome,
        },
    )
    session.flush()
    return case


def place_hold(
    session: Session,
    case: Case,
    *,
    kind: HoldKind,
    until: date | None,
    reason: str,
    actor: Actor,
    now: datetime,
) -> Hold:
    request = check_hold(Stage(case.stage), kind, until, reason, local_today(now))
    hold = Hold(
        case_id=case.id,
        kind=request.kind.value,
        reason=request.reason,
        until=request.until,
        placed_at=now,
        placed_by=actor.name,
    )
    session.add(hold)
    session.flush()
    record_event(
        session,
        case,
        "hold_placed",
        actor=actor,
        now=now,
        reason=request.reason,
        data={"hold_id": hold.id, "kind": request.kind.value, "until": _iso(request.until)},
    )
    return hold


def lift_hold(
    session: Session, case: Case, hold_id: str, *, reason: str, actor: Actor, now: datetime
) -> Hold:
    hold = session.get(Hold, hold_id)
    if hold is None or hold.case_id != case.id:
        raise NotFound(f"no hold '{hold_id}' on this case", field="hold_id")
    if hold.lifted_at is not None:
        raise Conflict("this hold was already lifted", field="hold_id")
    if not reason or not reason.strip():
        raise RuleViolation("a reason is required", field="reason")
    hold.lifted_at = now
    hold.lifted_by = actor.name
    hold.lift_reason = reason.strip()
    record_event(
        session, case, "hold_lifted", actor=actor, now=now, reason=reason.strip(),
        data={"hold_id": hold.id, "kind": hold.kind},
    )
    session.flush()
    return hold


def active_holds(session: Session, case: Case, *, now: datetime) -> list[Hold]:
    today = local_today(now)
    holds = session.scalars(select(Hold).where(Hold.case_id == case.id, Hold.lifted_at.is_(None))).all()
    return [h for h in holds if hold_is_active(h.until, h.lifted_at is not None, today)]


def record_recovery(
    session: Session, case: Case, amount: Money, *, actor: Actor, now: datetime, data: Mapping[str, Any] | None = None
) -> Case:
    """Add money received for the case (execution posts payments through here)."""
    if amount.currency != case.currency:
        raise RuleViolation(
            f"case is in {case.currency}, payment in {amount.currency}", field="currency"
        )
    case.recovered_amount = (case.recovered_amount + amount.amount).quantize(Decimal("0.01"))
    record_event(
        session, case, "recovery", actor=actor, now=now,
        data={"amount": str(amount.amount), "currency": amount.currency, **(data or {})},
    )
    session.flush()
    return case


def case_debts(session: Session, case: Case) -> Sequence[Debt]:
    return session.scalars(select(Debt).where(Debt.case_id == case.id).order_by(Debt.debt_ref)).all()


def outstanding(case: Case) -> Money:
    return Money(case.placed_amount - case.recovered_amount, case.currency)


# --- portfolio summary -----------------------------------------------------------------------


@dataclass
class CurrencyTotals:
    currency: str
    cases: int = 0
    placed: Decimal = Decimal("0.00")
    recovered: Decimal = Decimal("0.00")

    @property
    def outstanding(self) -> Decimal:
        return self.placed - self.recovered


@dataclass
class PortfolioSummary:
    by_stage: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    totals: list[CurrencyTotals] = field(default_factory=list)
    debtors: int = 0
    debts: int = 0
    overdue_targets: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "by_stage": self.by_stage,
            "by_outcome": self.by_outcome,
            "debtors": self.debtors,
            "debts": self.debts,
            "overdue_targets": self.overdue_targets,
            "totals": [
                {
                    "currency": t.currency,
                    "cases": t.cases,
                    "placed": str(t.placed),
                    "recovered": str(t.recovered),
                    "outstanding": str(t.outstanding),
                }
                for t in self.totals
            ],
        }


def portfolio_summary(session: Session, *, now: datetime, creditor_id: str | None = None) -> PortfolioSummary:
    def scoped(stmt: Select[Any]) -> Select[Any]:
        return stmt.where(Case.creditor_id == creditor_id) if creditor_id else stmt

    summary = PortfolioSummary()
    summary.by_stage = {s.value: 0 for s in Stage}
    for stage, count in session.execute(scoped(select(Case.stage, func.count()).group_by(Case.stage))):
        summary.by_stage[stage] = count
    for outcome, count in session.execute(
        scoped(select(Case.outcome, func.count()).where(Case.outcome.is_not(None)).group_by(Case.outcome))
    ):
        summary.by_outcome[outcome] = count
    rows = session.execute(
        scoped(
            select(
                Case.currency,
                func.count(),
                func.sum(Case.placed_amount),
                func.sum(Case.recovered_amount),
            ).group_by(Case.currency).order_by(Case.currency)
        )
    )
    for currency, count, placed, recovered in rows:
        summary.totals.append(
            CurrencyTotals(currency, count, placed or Decimal("0.00"), recovered or Decimal("0.00"))
        )
    summary.debtors = session.scalar(scoped(select(func.count(func.distinct(Case.debtor_id))))) or 0
    debt_stmt = select(func.count()).select_from(Debt)
    if creditor_id:
        debt_stmt = debt_stmt.where(Debt.creditor_id == creditor_id)
    summary.debts = session.scalar(debt_stmt) or 0
    summary.overdue_targets = session.scalar(
        scoped(
            select(func.count()).select_from(Case).where(
                Case.stage != Stage.closed.value, Case.target_close_date < local_today(now)
            )
        )
    ) or 0
    return summary


def target_close_date(policy: CreditorPolicy, amount: Decimal, opened: date) -> date:
    return opened + timedelta(days=policy.target_days_for(amount))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
