"""Execution figures on SQLite: run-day over N active contracts, payment posting, ledger append and verify.

    .venv/bin/python benchmarks/execution.py [--contracts 100000] [--payments 2000] [--ledger 1000000]

Goals (issue 7): run-day for 100,000 contracts under 60 s on SQLite; ledger verify at least
200,000 entries/s. Contracts and their payment history are bulk-loaded (12 monthly installments
each, debtors behaving as `qingzhai.sim.behaviour` decides); the timed run-day is a normal
nightly run: the previous day has run, so it records that day's reminders, dues, payments,
misses and defaults, writes them to the ledger and seals the day.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rich.console import Console
from rich.table import Table


def _setup(url: str, contracts: int, day: date, now: datetime) -> None:
    from sqlalchemy import insert

    from qingzhai.core.ids import new_id
    from qingzhai.db.all_models import metadata
    from qingzhai.db.session import make_engine
    from qingzhai.execution.models import Contract, Payment, RunDay
    from qingzhai.execution.rules import ContractTerms, Installment, PaymentFact, decode_schedule, encode_schedule, evaluate
    from qingzhai.registry.models import Case, Creditor, Debtor
    from qingzhai.sim.behaviour import PlanSpec, simulate

    engine = make_engine(url)
    metadata.create_all(engine)
    terms = ContractTerms().to_json()
    creditor_id, debtor_id = new_id(), new_id()
    with engine.begin() as conn:
        conn.execute(insert(Creditor).values(id=creditor_id, name="bench", policy={}, created_at=now))
        conn.execute(
            insert(Debtor).values(
                id=debtor_id,
                kind="individual",
                name="bench",
                id_number="x",
                id_key="bench",
                timezone="Asia/Shanghai",
                created_at=now,
            )
        )
        cases, rows, plans = [], [], []
        for i in range(contracts):
            case_id, contract_id = new_id(), new_id()
            first = day - timedelta(days=150 + i % 30)
            schedule = [Installment(first + timedelta(days=30 * k), Decimal("1000.00")) for k in range(12)]
            cases.append(
                {
                    "id": case_id,
                    "number": i + 1,
                    "creditor_id": creditor_id,
                    "debtor_id": debtor_id,
                    "currency": "CNY",
                    "stage": "execution",
                    "placed_amount": Decimal("12000.00"),
                    "recovered_amount": Decimal("0.00"),
                    "opened_at": now,
                    "stage_changed_at": now,
                }
            )
            rows.append(
                {
                    "id": contract_id,
                    "case_id": case_id,
                    "source": "bench",
                    "plan_type": "installments",
                    "currency": "CNY",
                    "terms": terms,
                    "schedule": encode_schedule(schedule),
                    "total": Decimal("12000.00"),
                    "case_outstanding": Decimal("12000.00"),
                    "starts_on": first - timedelta(days=10),
                    "status": "active",
                    "paid": Decimal("0.00"),
                    "arrears": Decimal("0.00"),
                    "misses_total": 0,
                    "consecutive_misses": 0,
                    "defaults": 0,
                    "cures": 0,
                    "created_at": now - timedelta(days=200),
                    "created_by": "bench",
                }
            )
            plans.append(PlanSpec(ref=contract_id, schedule=[(s.due, s.amount) for s in schedule]))
        case_of = {r["id"]: r["case_id"] for r in rows}
        sim = simulate(plans, seed=7, until=day)
        reversed_on = {r.key: r.on for r in sim.reversals}
        before = now - timedelta(days=2)
        payments = [
            {
                "id": new_id(),
                "idempotency_key": p.key,
                "case_id": case_of[p.ref],
                "contract_id": p.ref,
                "channel": "bank",
                "currency": "CNY",
                "amount": p.amount,
                "applied": p.amount,
                "credit": Decimal("0.00"),
                "value_date": p.value_date,
                "received_at": before,
                "changed_at": before,
                "status": "reversed" if p.key in reversed_on else "posted",
                "reversed_on": reversed_on.get(p.key),
                "recorded_by": "bench",
            }
            for p in sim.payments
        ]
        facts: dict[str, list[PaymentFact]] = {}
        for p in payments:
            facts.setdefault(p["contract_id"], []).append(PaymentFact(p["value_date"], p["applied"], p["reversed_on"]))
        parsed = ContractTerms()
        yesterday = day - timedelta(days=1)
        for row in rows:  # the state the nightly run of the day before left behind
            result = evaluate(
                parsed,
                decode_schedule(row["schedule"]),
                facts.get(row["id"], ()),
                as_of=yesterday,
                start=row["starts_on"],
                since=yesterday,
            )
            state = result.state
            row.update(
                status=state.status.value,
                paid=state.paid,
                arrears=state.arrears,
                misses_total=state.misses_total,
                consecutive_misses=state.consecutive_misses,
                defaults=state.defaults,
                cures=state.cures,
                next_due=state.next_due,
                next_amount=state.next_amount,
                next_check_on=result.next_check,
            )
        for i in range(0, contracts, 10_000):
            conn.execute(insert(Case), cases[i : i + 10_000])
            conn.execute(insert(Contract), rows[i : i + 10_000])
        for i in range(0, len(payments), 10_000):
            conn.execute(insert(Payment), payments[i : i + 10_000])
        conn.execute(
            insert(RunDay).values(
                day=day - timedelta(days=1),
                started_at=now - timedelta(days=1),
                finished_at=now - timedelta(days=1),
                contracts=contracts,
                events=0,
            )
        )
    engine.dispose()


_DIRS: list[str] = []


def _workdir() -> str:
    """A scratch directory for one benchmark database, removed when the benchmark ends."""
    path = tempfile.mkdtemp(prefix="qingzhai-bench-execution-")
    _DIRS.append(path)
    return path


def bench_run_day(contracts: int) -> dict[str, float]:
    from qingzhai.db.session import make_engine, session_factory
    from qingzhai.execution import jobs

    day = date(2026, 11, 20)
    now = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    url = f"sqlite:///{_workdir()}/bench.db"
    started = time.perf_counter()
    _setup(url, contracts, day, now)
    setup = time.perf_counter() - started
    engine = make_engine(url)
    factory = session_factory(engine)
    with engine.connect() as conn:
        open_count = conn.exec_driver_sql(
            "SELECT count(*) FROM execution_contracts WHERE status IN ('active', 'defaulted')"
        ).scalar()
    with factory() as session:
        started, cpu = time.perf_counter(), time.process_time()
        report = jobs.run_day(session, day=day, now=now, contact=None)
        session.commit()
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    with factory() as session:
        started = time.perf_counter()
        again = jobs.run_day(session, day=day, now=now, contact=None)
        session.commit()
        second = time.perf_counter() - started
    with engine.begin() as conn:  # worst case: every open contract evaluated (e.g. after a schema change)
        conn.exec_driver_sql("UPDATE execution_contracts SET next_check_on = NULL")
    with factory() as session:
        started, cpu = time.perf_counter(), time.process_time()
        full = jobs.run_day(session, day=day, now=now, contact=None)
        session.commit()
        full_s, full_cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return {
        "full_s": full_s,
        "full_cpu_s": full_cpu,
        "full_contracts": full.contracts,
        "setup_s": setup,
        "run_day_s": first,
        "run_day_cpu_s": first_cpu,
        "open": open_count,
        "rerun_s": second,
        "events": report.events,
        "rerun_events": again.events,
        "contracts": report.contracts,
    }


def bench_payments(count: int) -> dict[str, float]:
    from qingzhai.core.actor import SYSTEM
    from qingzhai.core.money import Money
    from qingzhai.db.all_models import metadata
    from qingzhai.db.session import make_engine, session_factory
    from qingzhai.execution import service
    from qingzhai.registry import service as registry
    from qingzhai.registry.models import Case

    url = f"sqlite:///{_workdir()}/bench.db"
    engine = make_engine(url)
    metadata.create_all(engine)
    day = date(2026, 11, 20)
    now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    contracts = 200
    _setup_small(engine, contracts, now)
    factory = session_factory(engine)
    with factory() as session:
        cases = session.query(Case).order_by(Case.number).all()
        started = time.perf_counter()
        for i in range(count):
            case = cases[i % len(cases)]
            service.record_payment(
                session,
                case=case,
                amount=Money.of("10.00"),
                idempotency_key=f"p{i}",
                value_date=day,
                channel="bank",
                actor=SYSTEM,
                now=now,
            )
        session.commit()
        elapsed = time.perf_counter() - started
        _ = registry
    engine.dispose()
    return {"payments": count, "seconds": elapsed, "per_s": count / elapsed}


def _setup_small(engine, contracts: int, now: datetime) -> None:
    from qingzhai.core.actor import SYSTEM
    from qingzhai.core.money import Money
    from qingzhai.db.session import session_factory
    from qingzhai.execution import service
    from qingzhai.registry import service as registry
    from qingzhai.registry.models import Case, Debt, Debtor

    with session_factory(engine)() as session:
        creditor = registry.create_creditor(session, name="bench", now=now)
        debtor = Debtor(kind="individual", name="bench", id_number="x", id_key="bench", timezone="Asia/Shanghai", created_at=now)
        session.add(debtor)
        session.flush()
        for i in range(contracts):
            case = Case(
                number=i + 1,
                creditor_id=creditor.id,
                debtor_id=debtor.id,
                currency="CNY",
                stage="planning",
                placed_amount=Decimal("100000.00"),
                recovered_amount=Decimal("0.00"),
                opened_at=now,
                stage_changed_at=now,
            )
            session.add(case)
            session.flush()
            session.add(
                Debt(
                    creditor_id=creditor.id,
                    debtor_id=debtor.id,
                    case_id=case.id,
                    debt_ref=f"D{i}",
                    currency="CNY",
                    principal=Decimal("90000.00"),
                    interest=Decimal("8000.00"),
                    fees=Decimal("2000.00"),
                    default_date=date(2025, 1, 1),
                    placed_at=now,
                )
            )
            schedule = [(date(2026, 12, 1) + timedelta(days=30 * k), Money.of("8000.00")) for k in range(12)]
            service.create_contract(session, case=case, schedule=schedule, source="bench", actor=SYSTEM, now=now)
        session.commit()


def bench_ledger(count: int) -> dict[str, float]:
    from qingzhai.db.all_models import metadata
    from qingzhai.db.session import make_engine, session_factory
    from qingzhai.execution import ledger

    url = f"sqlite:///{_workdir()}/bench.db"
    engine = make_engine(url)
    metadata.create_all(engine)
    now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    day = date(2026, 11, 20)
    factory = session_factory(engine)
    batch = 20_000
    started = time.perf_counter()
    with factory() as session:
        for start in range(0, count, batch):
            ledger.append(
                session,
                [
                    ledger.NewEntry(
                        key=f"bench:{i}",
                        kind="installment_paid",
                        day=day,
                        case_id="01J0000000000000000000CASE",
                        contract_id="01J00000000000000000CONTRA",
                        data={"installment": i % 12 + 1, "amount": "1000.00", "on": day.isoformat()},
                    )
                    for i in range(start, min(start + batch, count))
                ],
                now=now,
            )
        session.commit()
    append_s = time.perf_counter() - started
    with factory() as session:
        started = time.perf_counter()
        ledger.seal_day(session, day=day, now=now)
        session.commit()
        seal_s = time.perf_counter() - started
    with factory() as session:
        started, cpu = time.perf_counter(), time.process_time()
        report = ledger.verify(session)
        verify_s, verify_cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    assert report.ok, report.reason
    return {
        "entries": count,
        "append_per_s": count / append_s,
        "seal_s": seal_s,
        "verify_s": verify_s,
        "verify_per_s": count / verify_s,
        "verify_per_cpu_s": count / max(verify_cpu, 1e-9),
    }


def main(argv: list[str] | None = None) -> Table:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=2_000)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    try:
        return _run(args)
    finally:
        for path in _DIRS:
            shutil.rmtree(path, ignore_errors=True)


def _run(args: argparse.Namespace) -> Table:
    console = Console()
    table = Table("figure", "value", "goal", title="qingzhai execution benchmark (SQLite)")
    with console.status("run-day ..."):
        rd = bench_run_day(args.contracts)
    table.add_row(
        f"run-day, {rd['open']:,} active contracts ({rd['contracts']:,} with something due, {rd['events']:,} events)",
        f"{rd['run_day_s']:.1f} s (CPU {rd['run_day_cpu_s']:.1f} s)",
        "< 60 s for 100,000",
    )
    table.add_row(
        f"run-day evaluating all {rd['full_contracts']:,} open contracts (writes nothing new)",
        f"{rd['full_s']:.1f} s (CPU {rd['full_cpu_s']:.1f} s)",
        "< 60 s for 100,000",
    )
    table.add_row("run-day again, same day (writes nothing)", f"{rd['rerun_s']:.1f} s ({rd['rerun_events']} events)", "")
    table.add_row("bulk load of contracts and payment history (setup)", f"{rd['setup_s']:.1f} s", "")
    with console.status("payments ..."):
        pay = bench_payments(args.payments)
    table.add_row(f"payment posting ({pay['payments']:,}, waterfall + ledger)", f"{pay['per_s']:,.0f} /s", "")
    with console.status("ledger ..."):
        led = bench_ledger(args.ledger)
    table.add_row(f"ledger append ({led['entries']:,} entries)", f"{led['append_per_s']:,.0f} /s", "")
    table.add_row("ledger seal (Merkle root + Ed25519)", f"{led['seal_s']:.2f} s", "")
    table.add_row(
        "ledger verify (chain + seals)",
        f"{led['verify_per_s']:,.0f} /s (per CPU second {led['verify_per_cpu_s']:,.0f})",
        ">= 200,000 /s",
    )
    console.print(table)
    console.print("Rerun: .venv/bin/python benchmarks/execution.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items()))
    return table


if __name__ == "__main__":
    main()
