"""Benchmark: ranked resolution options for many synthetic debtors (cases per second).

    .venv/bin/python benchmarks/planning.py --cases 100000
    .venv/bin/python benchmarks/planning.py --cases 2000 --db-cases 500   # also through the service on SQLite

The pure planner (`planning.rules.plan`) runs for every case; with --db-cases the full service path
(`planning.service.plan_case`: load case, debtor, creditor policy, plan, localise) runs on a
throwaway SQLite database as well.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from qingzhai.core.money import Money
from qingzhai.planning import rules
from qingzhai.registry.rules import CreditorPolicy

DISTRICTS = ("浦东新区", "闵行区", "崇明区", "徐汇区", None)
HARDSHIPS = (None, None, None, "unemployment", "illness", "disaster")


def _m(value: float) -> Money:
    return Money(Decimal(int(value * 100)).scaleb(-2), "CNY")


def synthetic_inputs(n: int, seed: int, start: date) -> list[rules.PlanInput]:
    """A mix like the synthetic portfolio: 78% individuals, 17% small/micro firms, 5% larger firms."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(3, size=n, p=[0.78, 0.17, 0.05])
    out: list[rules.PlanInput] = []
    for i in range(n):
        kind = int(kinds[i])
        if kind == 0:
            amount = float(np.clip(rng.lognormal(10.8, 1.0), 1000, 3_000_000))
            income = float(np.clip(rng.lognormal(8.4, 0.6), 0, 60_000)) if rng.random() < 0.9 else None
            out.append(rules.PlanInput(
                outstanding=_m(amount), start=start, source="declared",
                disposable_income=_m(income) if income else None,
                liquid_assets=_m(amount * rng.random()) if rng.random() < 0.5 else None,
                district=DISTRICTS[int(rng.integers(len(DISTRICTS)))],
                hardship=(h := HARDSHIPS[int(rng.integers(len(HARDSHIPS)))]), hardship_verified=h is not None,
                cooperative=bool(rng.random() < 0.6), full_disclosure=bool(rng.random() < 0.7),
                concealment_flag=bool(rng.random() < 0.05),
                evidence_strength=float(rng.random()) if rng.random() < 0.7 else None))
        else:
            amount = float(np.clip(rng.lognormal(13.5 if kind == 1 else 15.5, 1.0), 50_000, 80_000_000))
            revenue = amount * float(rng.uniform(0.5, 6))
            out.append(rules.PlanInput(
                outstanding=_m(amount), start=start, debtor_type="enterprise", source="declared",
                enterprise_size=(("micro", "small") if kind == 1 else ("medium", "large"))[int(rng.integers(2))],
                annual_revenue=_m(revenue), receivables=_m(revenue * float(rng.uniform(0.05, 0.3))),
                valuation=_m(revenue * float(rng.uniform(0.5, 3))), liquid_assets=_m(amount * float(rng.random())),
                district=DISTRICTS[int(rng.integers(len(DISTRICTS)))], cooperative=bool(rng.random() < 0.5),
                evidence_strength=float(rng.random())))
    return out


def bench_rules(n: int, seed: int, console: Console) -> tuple[float, float, Counter[str], int]:
    start = date(2026, 11, 20)
    inputs = synthetic_inputs(n, seed, start)
    policy = CreditorPolicy()
    best: Counter[str] = Counter()
    options = 0
    began, cpu = time.perf_counter(), time.process_time()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("planning", total=n)
        for k, inp in enumerate(inputs, 1):
            found = rules.plan(inp, policy)
            options += len(found.options)
            best[found.options[0].type] += 1
            if k % 1000 == 0:
                progress.update(task, completed=k)
    return time.perf_counter() - began, time.process_time() - cpu, best, options


def bench_service(n: int, seed: int) -> tuple[float, float]:
    from qingzhai.config import reset_settings
    from qingzhai.db.all_models import metadata
    from qingzhai.db.session import make_engine, session_factory
    from qingzhai.planning import service
    from qingzhai.registry import service as registry
    from qingzhai.registry.models import Case, Creditor, Debtor

    reset_settings()
    path = Path(tempfile.mkdtemp()) / "bench.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    now = datetime(2026, 11, 20, 2, tzinfo=UTC)
    rng = np.random.default_rng(seed)
    with session_factory(engine)() as session:
        creditor = Creditor(name="bench", policy=CreditorPolicy().to_dict(), created_at=now)
        session.add(creditor)
        session.flush()
        for i in range(n):
            debtor = Debtor(kind="individual", name="测试", id_number=f"X{i}", id_key=f"k{i}", timezone="Asia/Shanghai",
                            monthly_income=Decimal(int(rng.uniform(3000, 30000))), income_currency="CNY", created_at=now)
            session.add(debtor)
            session.flush()
            session.add(Case(number=i + 1, creditor_id=creditor.id, debtor_id=debtor.id, currency="CNY", stage="planning",
                             placed_amount=Decimal(int(rng.uniform(5000, 400000))), recovered_amount=Decimal("0.00"),
                             opened_at=now, stage_changed_at=now))
        session.commit()
        cases, _total = registry.list_cases(session, limit=n)
        ports = service.default_ports()  # the real assessment and scoring look-ups
        began, cpu = time.perf_counter(), time.process_time()
        for case in cases:
            service.plan_case(session, case, now=now, ports=ports)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db-cases", type=int, default=0)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    console = Console()
    elapsed, cpu, best, options = bench_rules(args.cases, args.seed, console)
    table = Table("measure", "value", title=f"planning: options for {args.cases:,} synthetic cases")
    table.add_row("pure planner, cases/s", f"{args.cases / elapsed:,.0f}")
    table.add_row("pure planner, cases per CPU-second", f"{args.cases / cpu:,.0f}")
    table.add_row("pure planner, wall s / CPU s", f"{elapsed:.2f} / {cpu:.2f}")
    table.add_row("options per case (mean)", f"{options / args.cases:.2f}")
    for kind, count in best.most_common():
        table.add_row(f"ranked first: {kind}", f"{count:,} ({count / args.cases:.1%})")
    if args.db_cases:
        db_elapsed, db_cpu = bench_service(args.db_cases, args.seed)
        table.add_row(f"service on SQLite ({args.db_cases:,} cases), cases/s", f"{args.db_cases / db_elapsed:,.0f}")
        table.add_row("service on SQLite, cases per CPU-second", f"{args.db_cases / db_cpu:,.0f}")
    console.print(table)
    console.print(f"rerun: .venv/bin/python benchmarks/planning.py --cases {args.cases} --db-cases {args.db_cases} "
                  f"--seed {args.seed}")


if __name__ == "__main__":
    main()
