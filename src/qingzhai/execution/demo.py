"""Demo step of execution: months of simulated payments, the nightly run across them, the rates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import DomainError
from qingzhai.core.money import Money, split_evenly
from qingzhai.core.timeutil import zone
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.demo import DemoContext
from qingzhai.execution import jobs, ledger, service
from qingzhai.execution.models import Contract, Payment, Promise
from qingzhai.execution.rules import OPEN_STATUSES, ContractTerms, decode_schedule
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage
from qingzhai.sim.behaviour import PlanSpec, simulate

DEMO_ACTOR = Actor(id="demo", name="demo", role=Role.manager, source="demo")
MONTHS = 7
MAX_NEW_CONTRACTS = 150
INSTALLMENTS = 6


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=zone("Asia/Shanghai"))


def _contracts_for_planning_cases(ctx: DemoContext) -> int:
    """Cases a plan was agreed for but that no plan capability turned into a contract yet."""
    created = 0
    today = registry.local_today(ctx.now)
    with unit_of_work(engine_for(ctx.url)) as session:
        cases, _total = registry.list_cases(session, stage=Stage.planning, limit=MAX_NEW_CONTRACTS)
        for case in cases:
            owed = registry.outstanding(case)
            if owed.amount < INSTALLMENTS:
                continue
            parts = split_evenly(owed, INSTALLMENTS)
            first = today + timedelta(days=10 + ctx.rng.randint(0, 20))
            schedule = [(first + timedelta(days=30 * i), part) for i, part in enumerate(parts)]
            try:
                service.create_contract(session, case=case, schedule=schedule, source="demo:plan", actor=DEMO_ACTOR,
                                        now=ctx.now, terms=ContractTerms())
            except DomainError:
                continue
            created += 1
    return created


def demo_step(ctx: DemoContext) -> None:
    created = _contracts_for_planning_cases(ctx)
    engine = engine_for(ctx.url)
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(Contract.id, Contract.case_id, Contract.schedule, Contract.terms)
            .where(Contract.status.in_([s.value for s in OPEN_STATUSES]))
        ).all()
        numbers = {c.id: c.number for c in registry.cases_by_ids(session, [r.case_id for r in rows])}
    if not rows:
        ctx.console.print(_("No cases in planning or execution: nothing to execute."))
        return
    ctx.console.print(_("{n} contracts in force ({created} created here from a simple schedule).", n=len(rows),
                        created=created))
    start = registry.local_today(ctx.now)
    end = start + timedelta(days=30 * MONTHS)
    case_of = {r.id: r.case_id for r in rows}
    contract_of = {str(numbers[r.case_id]): r.id for r in rows}  # the simulator keys debtors by case number
    plans = []
    for r in rows:
        terms = ContractTerms.from_json(r.terms)
        plans.append(PlanSpec(ref=str(numbers[r.case_id]), schedule=[(i.due, i.amount) for i in decode_schedule(r.schedule)],
                              grace_days=terms.grace_days, cure_days=terms.cure_days))
    sim = simulate(plans, seed=ctx.seed, until=end)
    by_day = sim.by_day()
    totals = {"days": 0, "reminders_sent": 0, "reminders_deferred": 0}
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=ctx.console, transient=True) as progress:
        task = progress.add_task(_("Simulating {months} months of payments and nightly runs", months=MONTHS),
                                 total=(end - start).days + 1)
        day = start
        while day <= end:
            payments, reversals, promises = by_day.get(day, ([], [], []))
            with unit_of_work(engine) as session:
                open_ids = set(session.scalars(select(Contract.id).where(
                    Contract.id.in_(list(case_of)), Contract.status.in_([s.value for s in OPEN_STATUSES]))))
                now = _moment(day, 12)
                for promise in promises:
                    contract_id = contract_of[promise.ref]
                    if contract_id in open_ids and promise.due >= day:
                        case = registry.get_case(session, case_of[contract_id])
                        service.record_promise(session, case=case, amount=Money(promise.amount, case.currency),
                                               due=promise.due, channel=promise.channel, taken_by="demo collector",
                                               now=now)
                for p in payments:
                    contract_id = contract_of[p.ref]
                    if contract_id not in open_ids:
                        continue
                    case = registry.get_case(session, case_of[contract_id])
                    service.record_payment(session, case=case, amount=Money(p.amount, case.currency),
                                           idempotency_key=p.key, value_date=day, channel="bank", actor=DEMO_ACTOR,
                                           now=now, reference=f"QZ-{numbers.get(case.id)}")
                for r in reversals:
                    found = session.scalar(select(Payment).where(Payment.idempotency_key == r.key))
                    if found is not None:
                        service.reverse_payment(session, payment=found, reason="bounced", on=day, actor=DEMO_ACTOR,
                                                now=now)
                report = jobs.run_day(session, day=day, now=_moment(day, 22))
            totals["days"] += 1
            totals["reminders_sent"] += report.reminders_sent
            totals["reminders_deferred"] += report.reminders_deferred
            progress.advance(task)
            day += timedelta(days=1)
    _print_results(ctx, list(case_of), totals, sim.kinds)


def _print_results(ctx: DemoContext, contract_ids: list[str], totals: dict[str, int], kinds: dict[str, str]) -> None:
    with unit_of_work(engine_for(ctx.url)) as session:
        contracts = session.scalars(select(Contract).where(Contract.id.in_(contract_ids))).all()
        promise_counts = dict(session.execute(
            select(Promise.status, func.count()).where(Promise.case_id.in_({c.case_id for c in contracts}))
            .group_by(Promise.status)
        ).all())
        verify = ledger.verify(session)
        key = ledger.public_key(session, now=ctx.now)
    n = len(contracts)
    defaulted = sum(1 for c in contracts if c.defaults > 0)
    cured = sum(1 for c in contracts if c.cures > 0)
    total = sum((c.total for c in contracts), Decimal(0))
    paid = sum((c.paid for c in contracts), Decimal(0))
    resolved = sum(v for k, v in promise_counts.items() if k != "open")
    kept = promise_counts.get("kept", 0)
    by_status: dict[str, int] = {}
    for c in contracts:
        by_status[c.status] = by_status.get(c.status, 0) + 1
    mix: dict[str, int] = {}
    for kind in kinds.values():
        mix[kind] = mix.get(kind, 0) + 1

    def pct(a: float, b: float) -> str:
        return f"{100 * a / b:.1f}%" if b else "-"

    table = Table(_("Figure"), _("Value"), title=_("Execution over {days} simulated days", days=totals["days"]))
    table.add_row(_("Contracts"), str(n))
    table.add_row(_("Simulated debtors"), ", ".join(f"{_(k)} {v}" for k, v in sorted(mix.items())))
    table.add_row(_("Contracts by status"), ", ".join(f"{_(k)} {v}" for k, v in sorted(by_status.items())))
    table.add_row(_("Default-trigger rate"), pct(defaulted, n))
    table.add_row(_("Cure rate (of defaults)"), pct(cured, defaulted))
    table.add_row(_("Promise-kept rate"), f"{pct(kept, resolved)} ({kept}/{resolved})")
    table.add_row(_("Recovery (paid / contracted)"), f"{pct(float(paid), float(total))} ({paid:,.2f} / {total:,.2f})")
    table.add_row(_("Reminders sent / deferred by compliance"),
                  f"{totals['reminders_sent']} / {totals['reminders_deferred']}")
    table.add_row(_("Ledger"), _("{entries} entries, {seals} sealed days, intact: {ok}", entries=verify.entries,
                                 seals=verify.seals, ok=_("yes") if verify.ok else _("no")))
    table.add_row(_("Ledger public key (Ed25519)"), key)
    ctx.console.print(table)
