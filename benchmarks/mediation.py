"""Mediation benchmark: settlement-engine evaluations per second (pure rules), for lump sums,
24-month schedules and blind bids, with the share of simulated pairs that find a zone.

    .venv/bin/python benchmarks/mediation.py              # 20,000 pairs per kind
    .venv/bin/python benchmarks/mediation.py --pairs 500  # quick
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from qingzhai.core.money import Money
from qingzhai.mediation.rules import MediationSettings, Party, Position, evaluate_bids, evaluate_positions
from qingzhai.sim.positions import simulate_bids, simulate_pair

AS_OF = date(2026, 11, 20)


def measure(label: str, work: list[Callable[[], bool]]) -> tuple[str, int, float, float]:
    started = time.perf_counter()
    zones = sum(1 for job in work if job())
    seconds = time.perf_counter() - started
    return label, len(work), len(work) / seconds, zones / len(work)


def main(pairs: int, seed: int) -> list[tuple[str, int, float, float]]:
    rng = random.Random(seed)
    s = MediationSettings()
    outstanding = Money(Decimal("80000.00"))
    lump: list[Callable[[], bool]] = []
    sched: list[Callable[[], bool]] = []
    bids: list[Callable[[], bool]] = []
    for _ in range(pairs):
        p = simulate_pair(rng, outstanding=outstanding, as_of=AS_OF)
        lump.append(lambda p=p: evaluate_positions(p.creditor, p.debtor, as_of=AS_OF, settings=s).zone_exists)
        q = simulate_pair(rng, outstanding=outstanding, as_of=AS_OF, monthly_income=Decimal("9000"))
        if q.debtor.form == "lump_sum":
            each = (q.debtor.nominal.amount / 24).quantize(Decimal("0.01"))
            q_debtor = Position(Party.debtor, tuple((date(2026 + (11 + i) // 12, (11 + i) % 12 + 1, 20), Money(each))
                                                    for i in range(24)))
        else:
            q_debtor = q.debtor
        sched.append(lambda c=q.creditor, d=q_debtor: evaluate_positions(c, d, as_of=AS_OF, settings=s).zone_exists)
        demand, offer = simulate_bids(rng, outstanding=outstanding, rounds=1)[0]
        bids.append(lambda a=demand, b=offer: evaluate_bids(a, b, due=AS_OF, settings=s).zone_exists)
    return [measure("positions: lump sums", lump), measure("positions: debtor schedules", sched),
            measure("blind bids (one round)", bids)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = main(args.pairs, args.seed)
    table = Table("engine", "pairs", "evaluations/s", "zone found", title="Mediation settlement engine")
    for label, n, rate, zone in rows:
        table.add_row(label, f"{n:,}", f"{rate:,.0f}", f"{zone:.0%}")
    console = Console()
    console.print(table)
    console.print(f"rerun: .venv/bin/python benchmarks/mediation.py --pairs {args.pairs} --seed {args.seed}")
