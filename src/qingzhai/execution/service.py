"""Use cases of execution: contracts, payments (with reversals and the allocation waterfall) and
promises to pay. Services never commit; the caller does. The nightly run is in `jobs.py`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import Conflict, NotFound, RuleViolation
from qingzhai.core.masking import mask_account
from qingzhai.core.money import Money, quantum
from qingzhai.execution import ledger
from qingzhai.execution.models import Contract, Payment, PaymentAllocation, Promise
from qingzhai.execution.rules import (
    OPEN_STATUSES,
    Bucket,
    ContractStatus,
    ContractTerms,
    PaymentFact,
    PromiseStatus,
    allocate,
    decode_schedule,
    encode_schedule,
    evaluate,
    validate_schedule,
)
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage
from qingzhai.registry.service import Case

__all__ = ["ContractTerms", "create_contract", "record_payment", "record_promise", "reverse_payment"]

PROMISE_CHANNELS = ("call", "sms", "email", "letter", "visit", "bot_call", "message", "in_person")
PAYMENT_CHANNELS = ("api", "bank", "gateway", "cash", "manual")


# --- contracts ---------------------------------------------------------------------------------


def create_contract(
    session: Session,
    *,
    case: Case,
    schedule: list[tuple[date, Money]],
    source: str,
    actor: Actor,
    now: datetime,
    terms: ContractTerms | None = None,
    plan_type: str = "installments",
) -> Contract:
    """Put an accepted plan in force. Idempotent on (case, source); moves a case in planning to execution."""
    source = (source or "").strip()
    if not source or len(source) > 80:
        raise RuleViolation("must be 1 to 80 characters, e.g. 'plan:<id>' or 'manual'", field="source")
    existing = session.scalar(select(Contract).where(Contract.case_id == case.id, Contract.source == source))
    if existing is not None:
        return existing
    currency, installments = validate_schedule(schedule)
    if currency != case.currency:
        raise RuleViolation(
            "the case is in {case_currency}, the schedule in {currency}",
            field="schedule",
            params={"case_currency": case.currency, "currency": currency},
        )
    if not plan_type or len(plan_type) > 32:
        raise RuleViolation("must be 1 to 32 characters", field="plan_type")
    terms = terms or ContractTerms()
    if open_contract(session, case) is not None:
        raise Conflict("the case already has a contract in force", field="case_id")
    stage = Stage(case.stage)
    if stage is Stage.planning:
        registry.advance_case(session, case, to=Stage.execution, reason=f"contract in force ({source})", actor=actor, now=now)
    elif stage is not Stage.execution:
        raise RuleViolation(
            "a contract needs a case in planning or execution, not {stage}", field="stage", params={"stage": stage.value}
        )
    today = registry.local_today(now)
    total = sum((i.amount for i in installments), Decimal("0.00"))
    contract = Contract(
        case_id=case.id,
        source=source,
        plan_type=plan_type,
        currency=currency,
        terms=terms.to_json(),
        schedule=encode_schedule(installments),
        total=total,
        case_outstanding=max(registry.outstanding(case).amount, Decimal("0.00")),
        starts_on=today,
        status=ContractStatus.active.value,
        paid=Decimal("0.00"),
        arrears=Decimal("0.00"),
        next_due=installments[0].due,
        next_amount=installments[0].amount,
        created_at=now,
        created_by=actor.name,
    )
    session.add(contract)
    session.flush()
    ledger.append(
        session,
        [
            ledger.NewEntry(
                key=f"contract:{contract.id}:created",
                kind="created",
                day=today,
                case_id=case.id,
                contract_id=contract.id,
                data={
                    "source": source,
                    "plan_type": plan_type,
                    "currency": currency,
                    "total": str(total),
                    "schedule": contract.schedule,
                    "terms": terms.to_dict(),
                    "by": actor.name,
                },
            )
        ],
        now=now,
    )
    registry.record_event(
        session,
        case,
        "contract_created",
        actor=actor,
        now=now,
        data={"contract_id": contract.id, "source": source, "total": str(total)},
    )
    return contract


def open_contract(session: Session, case: Case) -> Contract | None:
    return session.scalar(
        select(Contract)
        .where(Contract.case_id == case.id, Contract.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Contract.created_at.desc())
        .limit(1)
    )


def get_contract(session: Session, contract_id: str, *, actor: Actor | None = None) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("no contract '{contract_id}'", field="contract_id", params={"contract_id": contract_id})
    registry.get_case(session, contract.case_id, actor=actor)  # access scope
    return contract


def list_contracts(
    session: Session, *, status: str | None = None, case: Case | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Contract], int]:
    stmt = select(Contract)
    if status:
        stmt = stmt.where(Contract.status == status)
    if case is not None:
        stmt = stmt.where(Contract.case_id == case.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return session.scalars(stmt.order_by(Contract.created_at, Contract.id).offset(offset).limit(limit)).all(), total


def contract_payments(session: Session, contract: Contract) -> list[PaymentFact]:
    rows = session.execute(
        select(Payment.value_date, Payment.applied, Payment.reversed_on)
        .where(Payment.contract_id == contract.id, Payment.applied > 0)
        .order_by(Payment.value_date, Payment.id)
    )
    return [PaymentFact(r.value_date, r.applied, r.reversed_on) for r in rows]


def evaluate_contract(session: Session, contract: Contract, *, as_of: date) -> Any:
    """The pure evaluation of a contract as of a day, from what is stored now (nothing is written)."""
    return evaluate(
        ContractTerms.from_json(contract.terms),
        decode_schedule(contract.schedule),
        contract_payments(session, contract),
        as_of=as_of,
        start=contract.starts_on,
    )


# --- payments ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posting:
    payment: Payment
    duplicate: bool


def _buckets(session: Session, case: Case) -> list[Bucket]:
    debts = sorted(registry.case_debts(session, case), key=lambda d: (d.default_date, d.debt_ref))
    paid: dict[tuple[str | None, str], Decimal] = {}
    for debt_id, component, amount in session.execute(
        select(PaymentAllocation.debt_id, PaymentAllocation.component, func.sum(PaymentAllocation.amount))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(Payment.case_id == case.id, Payment.status == "posted")
        .group_by(PaymentAllocation.debt_id, PaymentAllocation.component)
    ):
        paid[(debt_id, component)] = Decimal(amount or 0)
    buckets = []
    for debt in debts:
        for component, owed in (("fees", debt.fees), ("interest", debt.interest), ("principal", debt.principal)):
            buckets.append(Bucket(debt.id, component, max(owed - paid.get((debt.id, component), Decimal(0)), Decimal(0))))
    return buckets


def record_payment(
    session: Session,
    *,
    case: Case,
    amount: Money,
    idempotency_key: str,
    value_date: date,
    channel: str,
    actor: Actor,
    now: datetime,
    reference: str | None = None,
    payer_account: str | None = None,
) -> Posting:
    """Post a payment: allocate it by the creditor's waterfall to the debts and the contract, hold any
    overpayment as credit, add the recovery to the case and write it to the ledger. A second payment
    with the same idempotency key is ignored."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 200:
        raise RuleViolation("must be 1 to 200 characters", field="idempotency_key")
    if channel not in PAYMENT_CHANNELS:
        raise RuleViolation("must be one of {names}", field="channel", params={"names": ", ".join(PAYMENT_CHANNELS)})
    if amount.amount <= 0:
        raise RuleViolation("must be above zero", field="amount")
    if amount.amount != amount.amount.quantize(quantum(amount.currency)):
        raise RuleViolation(
            "has more decimal places than {currency} allows", field="amount", params={"currency": amount.currency}
        )
    if amount.currency != case.currency:
        raise RuleViolation(
            "the case is in {case_currency}, the payment in {currency}",
            field="currency",
            params={"case_currency": case.currency, "currency": amount.currency},
        )
    if value_date > registry.local_today(now):
        raise RuleViolation("is in the future", field="value_date")
    head = ledger.lock_head(session)  # serialises postings, so two imports of one file cannot both post
    existing = session.scalar(select(Payment).where(Payment.idempotency_key == key))
    if existing is not None:
        if existing.case_id != case.id or existing.amount != amount.amount:
            raise Conflict("this idempotency key was used for a different payment", field="idempotency_key")
        return Posting(existing, True)
    contract = open_contract(session, case)
    cap = None
    if contract is not None:
        paid = session.scalar(
            select(func.sum(Payment.applied)).where(Payment.contract_id == contract.id, Payment.status == "posted")
        ) or Decimal(0)
        cap = max(contract.total - Decimal(paid), Decimal(0))
    policy = registry.creditor_policy(registry.get_creditor(session, case.creditor_id))
    allocation = allocate(amount.amount, _buckets(session, case), order=policy.allocation_order, cap=cap)
    payment = Payment(
        idempotency_key=key,
        case_id=case.id,
        contract_id=contract.id if contract else None,
        channel=channel,
        reference=(reference or None) and reference[:200],
        payer_account=mask_account(payer_account) or None,
        currency=amount.currency,
        amount=amount.amount,
        applied=allocation.applied,
        credit=allocation.credit,
        value_date=value_date,
        received_at=now,
        changed_at=now,
        status="posted",
        recorded_by=actor.name,
    )
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(Payment).where(Payment.idempotency_key == key))
        if existing is None:
            raise
        return Posting(existing, True)
    session.add_all(
        PaymentAllocation(payment_id=payment.id, debt_id=line.debt_id, component=line.component, amount=line.amount)
        for line in allocation.lines
    )
    if allocation.applied > 0:
        registry.record_recovery(
            session, case, Money(allocation.applied, case.currency), actor=actor, now=now, data={"payment_id": payment.id}
        )
    ledger.append(
        session,
        [
            ledger.NewEntry(
                key=f"payment:{payment.id}:received",
                kind="payment_received",
                day=value_date,
                case_id=case.id,
                contract_id=payment.contract_id,
                data={
                    "payment_id": payment.id,
                    "idempotency_key": key,
                    "amount": str(amount.amount),
                    "currency": amount.currency,
                    "applied": str(allocation.applied),
                    "credit": str(allocation.credit),
                    "channel": channel,
                    "value_date": value_date.isoformat(),
                    "allocations": [[line.debt_id, line.component, str(line.amount)] for line in allocation.lines],
                },
            )
        ],
        now=now,
        head=head,
    )
    session.flush()
    return Posting(payment, False)


def get_payment(session: Session, ref: str) -> Payment:
    payment = session.get(Payment, ref) or session.scalar(select(Payment).where(Payment.idempotency_key == ref))
    if payment is None:
        raise NotFound("no payment '{ref}'", field="payment_id", params={"ref": ref})
    return payment


def reverse_payment(session: Session, *, payment: Payment, reason: str, on: date, actor: Actor, now: datetime) -> Posting:
    """Undo a payment (bounced, charged back): its allocations stop counting from `on`, the recovery
    is taken back and the ledger records the reversal. Reversing twice is harmless."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("a reason is required", field="reason")
    head = ledger.lock_head(session)
    session.refresh(payment)
    if payment.status == "reversed":
        return Posting(payment, True)
    if on > registry.local_today(now):
        raise RuleViolation("is in the future", field="reversed_on")
    if on < payment.value_date:
        raise RuleViolation("a payment cannot be reversed before its value date", field="reversed_on")
    payment.status = "reversed"
    payment.changed_at = now
    payment.reversed_on = on
    payment.reversal_reason = reason[:500]
    case = registry.get_case(session, payment.case_id)
    if payment.applied > 0:
        registry.record_recovery(
            session,
            case,
            Money(-payment.applied, payment.currency),
            actor=actor,
            now=now,
            data={"payment_id": payment.id, "reversal": True},
        )
    ledger.append(
        session,
        [
            ledger.NewEntry(
                key=f"payment:{payment.id}:reversed",
                kind="payment_reversed",
                day=on,
                case_id=payment.case_id,
                contract_id=payment.contract_id,
                data={
                    "payment_id": payment.id,
                    "idempotency_key": payment.idempotency_key,
                    "amount": str(payment.amount),
                    "applied": str(payment.applied),
                    "credit": str(payment.credit),
                    "reason": payment.reversal_reason,
                },
            )
        ],
        now=now,
        head=head,
    )
    session.flush()
    return Posting(payment, False)


def list_payments(
    session: Session, *, case: Case | None = None, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Payment], int]:
    stmt = select(Payment)
    if case is not None:
        stmt = stmt.where(Payment.case_id == case.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return session.scalars(stmt.order_by(Payment.received_at, Payment.id).offset(offset).limit(limit)).all(), total


def case_credit(session: Session, case: Case) -> Money:
    """Overpayments held for the case (never lost): the credit of every payment still standing."""
    held = session.scalar(select(func.sum(Payment.credit)).where(Payment.case_id == case.id, Payment.status == "posted"))
    return Money(Decimal(held or 0).quantize(Decimal("0.01")), case.currency)


def allocations_of(session: Session, payment: Payment) -> Sequence[PaymentAllocation]:
    return session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == payment.id).order_by(PaymentAllocation.id)
    ).all()


# --- promises ----------------------------------------------------------------------------------


def record_promise(
    session: Session, *, case: Case, amount: Money, due: date, channel: str, taken_by: str, now: datetime
) -> Promise:
    """A promise to pay (amount, date, channel, who took it); judged kept, partially kept or broken by run-day."""
    if amount.amount <= 0:
        raise RuleViolation("must be above zero", field="amount")
    if amount.currency != case.currency:
        raise RuleViolation(
            "the case is in {case_currency}, the promise in {currency}",
            field="currency",
            params={"case_currency": case.currency, "currency": amount.currency},
        )
    if amount.amount != amount.amount.quantize(quantum(amount.currency)):
        raise RuleViolation(
            "has more decimal places than {currency} allows", field="amount", params={"currency": amount.currency}
        )
    if channel not in PROMISE_CHANNELS:
        raise RuleViolation("must be one of {names}", field="channel", params={"names": ", ".join(PROMISE_CHANNELS)})
    taken_by = (taken_by or "").strip()
    if not taken_by:
        raise RuleViolation("must name who took the promise", field="taken_by")
    today = registry.local_today(now)
    if due < today:
        raise RuleViolation("is in the past", field="due")
    if Stage(case.stage) is Stage.closed:
        raise RuleViolation("the case is closed", field="case_id")
    promise = Promise(
        case_id=case.id,
        currency=amount.currency,
        amount=amount.amount,
        due=due,
        channel=channel,
        taken_by=taken_by[:200],
        made_on=today,
        status=PromiseStatus.open.value,
        paid=Decimal("0.00"),
        queued=False,
        created_at=now,
    )
    session.add(promise)
    session.flush()
    ledger.append(
        session,
        [
            ledger.NewEntry(
                key=f"promise:{promise.id}:recorded",
                kind="promise_recorded",
                day=today,
                case_id=case.id,
                contract_id=None,
                data={
                    "promise_id": promise.id,
                    "amount": str(amount.amount),
                    "currency": amount.currency,
                    "due": due.isoformat(),
                    "channel": channel,
                    "taken_by": promise.taken_by,
                },
            )
        ],
        now=now,
    )
    registry.record_event(
        session,
        case,
        "promise_recorded",
        actor=registry_actor(taken_by),
        now=now,
        data={"promise_id": promise.id, "amount": str(amount.amount), "due": due.isoformat()},
    )
    return promise


def registry_actor(name: str) -> Actor:
    from qingzhai.core.actor import Role

    return Actor(id=f"collector:{name}", name=name, role=Role.collector, source="execution")


def list_promises(
    session: Session,
    *,
    status: str | None = None,
    queued: bool | None = None,
    case: Case | None = None,
    offset: int = 0,
    limit: int = 50,
    visible_to: Actor | None = None,
) -> tuple[Sequence[Promise], int]:
    stmt = select(Promise)
    if visible_to is not None:
        stmt = stmt.where(Promise.case_id.in_(registry.visible_case_ids(visible_to)))
    if status:
        stmt = stmt.where(Promise.status == status)
    if queued is not None:
        stmt = stmt.where(Promise.queued.is_(queued))
    if case is not None:
        stmt = stmt.where(Promise.case_id == case.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return session.scalars(stmt.order_by(Promise.due, Promise.id).offset(offset).limit(limit)).all(), total


def take_from_queue(session: Session, *, promise_id: str, actor: Actor, now: datetime) -> Promise:
    """A collector has worked a broken promise: it leaves the broken-promise queue."""
    promise = session.get(Promise, promise_id)
    if promise is None:
        raise NotFound("no promise '{promise_id}'", field="promise_id", params={"promise_id": promise_id})
    if not promise.queued:
        raise Conflict("this promise is not in the broken-promise queue", field="promise_id")
    promise.queued = False
    case = registry.get_case(session, promise.case_id, actor=actor)
    registry.record_event(session, case, "broken_promise_worked", actor=actor, now=now, data={"promise_id": promise.id})
    session.flush()
    return promise
