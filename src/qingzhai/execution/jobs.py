"""The nightly run (`qingzhai run-day`): evaluate every open contract and promise, queue and send
reminders through the compliance engine, record misses, defaults, cures and completions on the
ledger, escalate, close paid cases, and seal the day. Idempotent: a second run of the same day
writes nothing new. Set-based: contracts and payments are loaded in a few queries, not one by one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from qingzhai.config import get_settings
from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import RuleViolation
from qingzhai.core.timeutil import zone
from qingzhai.execution import ledger
from qingzhai.execution.models import Contract, LedgerEntry, Payment, Promise, Reminder, RunDay
from qingzhai.execution.rules import (
    OPEN_STATUSES,
    ContractStatus,
    ContractTerms,
    Escalation,
    EventKind,
    PaymentFact,
    PromiseSettings,
    PromiseStatus,
    decode_schedule,
    evaluate,
    promise_outcome,
)
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Outcome, Stage
from qingzhai.registry.service import Case

log = logging.getLogger(__name__)

REMINDER_HOUR = time(10, 0)  # reminders are asked for at 10:00 in the firm's time zone
AGENT_ID = "qingzhai-execution"


class ContactGate(Protocol):
    """The shape of `compliance.service.request_contact`, so tests can pass a recording fake."""

    def __call__(
        self,
        session: Session,
        *,
        case: Case,
        channel: str,
        at: datetime,
        agent_id: str,
        agent_kind: str = ...,
        phone: str | None = ...,
        party: str = ...,
        purpose: str = ...,
        reserve: bool = ...,
    ) -> Any: ...


def compliance_gate() -> ContactGate | None:
    try:
        from qingzhai.compliance import service as compliance  # type: ignore[attr-defined]
    except ImportError:
        return None
    gate = getattr(compliance, "request_contact", None)
    return gate  # type: ignore[no-any-return]


@dataclass
class RunDayReport:
    day: date
    contracts: int = 0
    events: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    reminders_sent: int = 0
    reminders_deferred: int = 0
    reminders_waiting: int = 0  # no compliance engine to ask yet
    reminders_expired: int = 0
    promises_kept: int = 0
    promises_partial: int = 0
    promises_broken: int = 0
    cases_closed: int = 0
    cases_escalated: int = 0
    sealed_entries: int = 0
    repeated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


def last_run(session: Session) -> date | None:
    return session.scalar(select(func.max(RunDay.day)))


def run_day(
    session: Session,
    *,
    day: date,
    now: datetime,
    contact: ContactGate | bool | None = True,
    tz: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunDayReport:
    """Run the nightly job for `day`. `contact=True` asks the compliance engine if it is installed;
    pass a gate to use another, or None to leave reminders queued."""
    latest = last_run(session)
    if latest is not None and day < latest:
        raise RuleViolation(
            "run-day already ran for {latest}; earlier days cannot be re-run", field="date", params={"latest": latest}
        )
    repeated = session.get(RunDay, day) is not None
    previous_run = session.scalar(select(RunDay).where(RunDay.day < day).order_by(RunDay.day.desc()).limit(1))
    previous = (previous_run.day, previous_run.ledger_seq or 0) if previous_run else None
    # Postings wait while the day runs, so each payment is either seen now or after `head_seq`.
    head_seq, _head = ledger.lock_head(session)
    report = RunDayReport(day=day, repeated=repeated)
    gate = compliance_gate() if contact is True else (contact or None)
    entries, changes, finished = _evaluate_contracts(session, day=day, previous=previous, report=report, on_progress=on_progress)
    written = ledger.append(session, entries, now=now)
    _queue_reminders(session, written)
    for row in written:
        report.by_kind[row["kind"]] = report.by_kind.get(row["kind"], 0) + 1
    report.events = len(written)
    for i in range(0, len(changes), 5000):
        session.execute(update(Contract), changes[i : i + 5000])
    _finish_contracts(session, finished, day=day, now=now, report=report)
    _dispatch_reminders(session, day=day, now=now, gate=gate, tz=tz, report=report)
    _judge_promises(session, day=day, now=now, report=report)
    seal = ledger.seal_day(session, day=day, now=now)
    if seal is not None and seal.day == day and not repeated:
        report.sealed_entries = seal.last_seq - seal.first_seq + 1
    if not repeated:
        session.add(
            RunDay(
                day=day, started_at=now, finished_at=now, contracts=report.contracts, events=report.events, ledger_seq=head_seq
            )
        )
    session.flush()
    return report


def _evaluate_contracts(
    session: Session,
    *,
    day: date,
    previous: tuple[date, int] | None,
    report: RunDayReport,
    on_progress: Callable[[int, int], None] | None,
) -> tuple[list[ledger.NewEntry], list[dict[str, Any]], list[tuple[str, str, str]]]:
    open_values = [s.value for s in OPEN_STATUSES]
    due_now = (Contract.next_check_on.is_(None)) | (Contract.next_check_on <= day)
    fresh: set[str] = set()
    money_since: dict[str, date] = {}
    if previous is not None:
        # Contracts that came into force, or whose money changed, since the last run took the lock;
        # a late-imported or reversed payment can change what happened on earlier days.
        for cid, kind, first_day in session.execute(
            select(LedgerEntry.contract_id, LedgerEntry.kind, func.min(LedgerEntry.day))
            .where(
                LedgerEntry.seq > previous[1],
                LedgerEntry.kind.in_(["payment_received", "payment_reversed", "created"]),
                LedgerEntry.contract_id.is_not(None),
            )
            .group_by(LedgerEntry.contract_id, LedgerEntry.kind)
        ):
            if kind == "created":
                fresh.add(cid)
            else:
                money_since[cid] = min(money_since.get(cid, first_day), first_day)
        due_now = due_now | Contract.id.in_(
            select(LedgerEntry.contract_id).where(
                LedgerEntry.seq > previous[1],
                LedgerEntry.kind.in_(["payment_received", "payment_reversed", "created"]),
                LedgerEntry.contract_id.is_not(None),
            )
        )
    else:
        due_now = Contract.id.is_not(None)
    contracts = session.execute(
        select(
            Contract.id,
            Contract.case_id,
            Contract.terms,
            Contract.schedule,
            Contract.starts_on,
            Contract.status,
            Contract.paid,
            Contract.arrears,
            Contract.misses_total,
            Contract.consecutive_misses,
            Contract.defaults,
            Contract.cures,
            Contract.next_due,
            Contract.next_amount,
            Contract.next_check_on,
            Contract.created_at,
        ).where(Contract.status.in_(open_values), Contract.starts_on <= day, due_now)
    ).all()
    report.contracts = len(contracts)
    payments: dict[str, list[PaymentFact]] = defaultdict(list)
    ids = [c.id for c in contracts]
    for i in range(0, len(ids), 900):
        for cid, value_date, applied, reversed_on in session.execute(
            select(Payment.contract_id, Payment.value_date, Payment.applied, Payment.reversed_on).where(
                Payment.contract_id.in_(ids[i : i + 900]), Payment.value_date <= day, Payment.applied > 0
            )
        ):
            payments[cid].append(PaymentFact(value_date, applied, reversed_on))
    terms_cache: dict[str, ContractTerms] = {}
    entries: list[ledger.NewEntry] = []
    changes: list[dict[str, Any]] = []
    finished: list[tuple[str, str, str]] = []
    total = len(contracts)
    for n, c in enumerate(contracts, start=1):
        terms = terms_cache.get(c.terms)
        if terms is None:
            terms = terms_cache[c.terms] = ContractTerms.from_json(c.terms)
        # Events up to the previous run were recorded then, unless the contract came into force after it.
        since = previous[0] if previous is not None and c.id not in fresh else None
        if since is not None and c.id in money_since:
            since = min(since, money_since[c.id] - timedelta(days=1))
        result = evaluate(terms, decode_schedule(c.schedule), payments.get(c.id, ()), as_of=day, start=c.starts_on, since=since)
        for event in result.events:
            entries.append(
                ledger.NewEntry(
                    key=f"contract:{c.id}:{event.key}",
                    kind=event.kind.value,
                    day=event.on,
                    case_id=c.case_id,
                    contract_id=c.id,
                    data=event.to_dict(),
                )
            )
        s = result.state
        change = {
            "status": s.status.value,
            "paid": s.paid,
            "arrears": s.arrears,
            "misses_total": s.misses_total,
            "consecutive_misses": s.consecutive_misses,
            "defaults": s.defaults,
            "cures": s.cures,
            "next_due": s.next_due,
            "next_amount": s.next_amount,
            "next_check_on": result.next_check,
        }
        current = {
            "status": c.status,
            "paid": c.paid,
            "arrears": c.arrears,
            "misses_total": c.misses_total,
            "consecutive_misses": c.consecutive_misses,
            "defaults": c.defaults,
            "cures": c.cures,
            "next_due": c.next_due,
            "next_amount": c.next_amount,
            "next_check_on": c.next_check_on,
        }
        if change != current:
            change["id"] = c.id
            change["evaluated_on"] = day
            change["closed_on"] = s.completed_on or s.escalated_on
            if s.status in (ContractStatus.completed, ContractStatus.escalated):
                finished.append((c.id, c.case_id, s.status.value))
            changes.append(change)
        if on_progress and (n % 2000 == 0 or n == total):
            on_progress(n, total)
    return entries, changes, finished


def _queue_reminders(session: Session, written: list[dict[str, Any]]) -> None:
    import json

    rows = []
    for row in written:
        if row["kind"] != EventKind.reminder_queued.value:
            continue
        data = json.loads(row["body"])["data"]
        rows.append(
            {
                "id": row["id"],
                "contract_id": row["contract_id"],
                "case_id": row["case_id"],
                "installment": int(data["installment"]),
                "offset_days": int(data["offset"]),
                "due": date.fromisoformat(data["due"]),
                "channel": "sms",
                "status": "queued",
                "next_try_on": row["day"],
                "tries": 0,
                "last_reasons": [],
            }
        )
    if rows:
        channels = dict(
            session.execute(select(Contract.id, Contract.terms).where(Contract.id.in_({r["contract_id"] for r in rows}))).all()
        )
        for r in rows:
            r["channel"] = ContractTerms.from_json(channels[r["contract_id"]]).reminder_channel
        for i in range(0, len(rows), 5000):
            session.execute(insert(Reminder), rows[i : i + 5000])


def _finish_contracts(
    session: Session, finished: list[tuple[str, str, str]], *, day: date, now: datetime, report: RunDayReport
) -> None:
    for contract_id, case_id, status in finished:
        contract = session.get(Contract, contract_id)
        case = registry.get_case(session, case_id)
        if contract is None or Stage(case.stage) is not Stage.execution:
            continue
        if status == ContractStatus.completed.value:
            outcome = Outcome.paid if contract.total >= contract.case_outstanding else Outcome.settled
            registry.advance_case(
                session,
                case,
                to=Stage.closed,
                outcome=outcome,
                actor=SYSTEM,
                now=now,
                reason=f"contract {contract.id} paid in full",
            )
            report.cases_closed += 1
        else:
            _escalate(session, case, contract, day=day, now=now)
            report.cases_escalated += 1


def _escalate(session: Session, case: Case, contract: Contract, *, day: date, now: datetime) -> None:
    target = ContractTerms.from_json(contract.terms).escalation
    reason = f"contract {contract.id} defaulted and was not cured"
    if target is Escalation.litigation:
        registry.advance_case(session, case, to=Stage.closed, outcome=Outcome.litigation, actor=SYSTEM, now=now, reason=reason)
        return
    registry.advance_case(session, case, to=Stage.planning, actor=SYSTEM, now=now, reason=reason)
    if target is Escalation.mediation:
        try:
            from qingzhai.mediation import service as mediation  # type: ignore[attr-defined]
        except ImportError:
            registry.record_event(
                session, case, "mediation_requested", actor=SYSTEM, now=now, reason=reason, data={"contract_id": contract.id}
            )
            return
        mediation.refer(session, case=case, kind="default", actor=SYSTEM, now=now, reason=reason)


def _dispatch_reminders(
    session: Session, *, day: date, now: datetime, gate: ContactGate | None, tz: str | None, report: RunDayReport
) -> None:
    expired = session.execute(
        update(Reminder)
        .where(Reminder.status == "queued", Reminder.due < day)
        .values(status="expired")
        .execution_options(synchronize_session=False)
    ).rowcount
    report.reminders_expired = int(expired or 0)
    due = session.scalars(
        select(Reminder).where(Reminder.status == "queued", Reminder.next_try_on <= day).order_by(Reminder.id)
    ).all()
    if gate is None:
        report.reminders_waiting = len(due)
        return
    firm_tz = zone(tz or get_settings().timezone)
    at = datetime.combine(day, REMINDER_HOUR, tzinfo=firm_tz).astimezone(UTC)
    cases = {c.id: c for c in registry.cases_by_ids(session, {r.case_id for r in due})}
    sent: list[ledger.NewEntry] = []
    for reminder in due:
        case = cases.get(reminder.case_id)
        if case is None or Stage(case.stage) is Stage.closed:
            reminder.status = "expired"
            continue
        decision = gate(
            session,
            case=case,
            channel=reminder.channel,
            at=at,
            agent_id=AGENT_ID,
            agent_kind="bot",
            purpose="collection",
            reserve=True,
        )
        reminder.tries += 1
        reminder.last_reasons = [
            {"rule": getattr(r, "rule", str(r)), "text_en": getattr(r, "text_en", str(r))}
            for r in (getattr(decision, "reasons", None) or [])
        ]
        if decision.allowed:
            reminder.status = "sent"
            reminder.attempt_id = decision.attempt_id
            reminder.sent_at = now
            report.reminders_sent += 1
            sent.append(
                ledger.NewEntry(
                    key=f"reminder:{reminder.id}:sent",
                    kind="reminder_sent",
                    day=day,
                    case_id=reminder.case_id,
                    contract_id=reminder.contract_id,
                    data={
                        "installment": reminder.installment,
                        "channel": reminder.channel,
                        "attempt_id": decision.attempt_id,
                        "due": reminder.due.isoformat(),
                    },
                )
            )
        else:
            nxt = getattr(decision, "next_allowed_at", None)
            next_day = registry.local_today(nxt) if nxt is not None else day + timedelta(days=1)
            reminder.next_try_on = max(next_day, day + timedelta(days=1)) if next_day <= day else next_day
            report.reminders_deferred += 1
    ledger.append(session, sent, now=now)
    session.flush()


def _judge_promises(
    session: Session, *, day: date, now: datetime, report: RunDayReport, settings: PromiseSettings = PromiseSettings()
) -> None:
    promises = session.execute(
        select(Promise.id, Promise.case_id, Promise.amount, Promise.due, Promise.made_on, Promise.paid).where(
            Promise.status == PromiseStatus.open.value, Promise.made_on <= day
        )
    ).all()
    if not promises:
        return
    by_case: dict[str, list[tuple[date, Decimal, date | None]]] = defaultdict(list)
    for case_id, value_date, amount, reversed_on in session.execute(
        select(Payment.case_id, Payment.value_date, Payment.amount, Payment.reversed_on).where(
            Payment.value_date <= day,
            Payment.case_id.in_(select(Promise.case_id).where(Promise.status == PromiseStatus.open.value)),
        )
    ):
        by_case[case_id].append((value_date, amount, reversed_on))
    entries: list[ledger.NewEntry] = []
    updates: list[dict[str, Any]] = []
    for p in promises:
        window_end = min(day, p.due + timedelta(days=settings.grace_days))
        paid = sum(
            (a for v, a, r in by_case.get(p.case_id, ()) if p.made_on <= v <= window_end and (r is None or r > day)),
            Decimal("0.00"),
        )
        outcome = promise_outcome(p.amount, p.due, paid, as_of=day, settings=settings)
        if outcome is PromiseStatus.open:
            if paid != p.paid:
                updates.append({"id": p.id, "paid": paid})
            continue
        queued = outcome in (PromiseStatus.broken, PromiseStatus.partially_kept)
        updates.append({"id": p.id, "status": outcome.value, "paid": paid, "resolved_on": day, "queued": queued})
        entries.append(
            ledger.NewEntry(
                key=f"promise:{p.id}:{outcome.value}",
                kind=f"promise_{outcome.value}",
                day=day,
                case_id=p.case_id,
                contract_id=None,
                data={"promise_id": p.id, "amount": str(p.amount), "paid": str(paid), "due": p.due.isoformat()},
            )
        )
        if outcome is PromiseStatus.kept:
            report.promises_kept += 1
        elif outcome is PromiseStatus.partially_kept:
            report.promises_partial += 1
        else:
            report.promises_broken += 1
    for row in updates:
        session.execute(
            update(Promise).where(Promise.id == row.pop("id")).values(**row).execution_options(synchronize_session=False)
        )
    ledger.append(session, entries, now=now)


def run_days(
    session_factory: Callable[[], Any],
    *,
    start: date,
    end: date,
    now: datetime,
    contact: ContactGate | bool | None = True,
    on_day: Callable[[RunDayReport], None] | None = None,
) -> list[RunDayReport]:
    """Catch up after downtime: run each day from `start` to `end`, one transaction per day."""
    if end < start:
        raise RuleViolation("the end date is before the start date", field="to")
    reports = []
    day = start
    while day <= end:
        with session_factory() as session:
            report = run_day(session, day=day, now=now, contact=contact)
            session.commit()
        reports.append(report)
        if on_day:
            on_day(report)
        day += timedelta(days=1)
    return reports
