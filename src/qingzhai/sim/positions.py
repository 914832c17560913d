"""Simulated confidential positions for mediation (demo, tests, benchmarks).

The creditor's minimum is a share of the outstanding balance (its policy's settlement floor,
drawn around 1 - max discount); the debtor's maximum is what it can pay, a share drawn wider, so
some pairs overlap and some miss. Debtors with a monthly income sometimes offer a schedule
instead of a lump sum. Same seed, same positions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from qingzhai.core.money import Money
from qingzhai.mediation.rules import Party, Position, add_months


@dataclass(frozen=True, slots=True)
class SimulatedPair:
    creditor: Position
    debtor: Position


def _fen(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def simulate_pair(
    rng: random.Random,
    *,
    outstanding: Money,
    as_of: date,
    max_discount: Decimal = Decimal("0.30"),
    monthly_income: Decimal | None = None,
) -> SimulatedPair:
    cur = outstanding.currency
    total = float(outstanding.amount)
    floor_share = min(max(1.0 - float(max_discount) + rng.uniform(-0.10, 0.10), 0.30), 1.0)
    creditor = Position(Party.creditor, ((as_of + timedelta(days=15), Money(_fen(total * floor_share), cur)),))
    debtor_share = min(max(rng.uniform(0.35, 1.05), 0.05), 1.10)
    offer = max(_fen(total * debtor_share), Decimal("1.00"))
    if monthly_income and rng.random() < 0.4:
        months = rng.choice((6, 12, 24))
        each = max((offer / months).quantize(Decimal("0.01"), ROUND_HALF_UP), Decimal("0.01"))
        payments = tuple((add_months(as_of, i), Money(each, cur)) for i in range(1, months + 1))
        debtor = Position(Party.debtor, payments)
    else:
        debtor = Position(Party.debtor, ((as_of + timedelta(days=15), Money(offer, cur)),))
    return SimulatedPair(creditor, debtor)


def simulate_bids(rng: random.Random, *, outstanding: Money, rounds: int) -> list[tuple[Money, Money]]:
    """Demands that come down and offers that go up, round by round."""
    cur = outstanding.currency
    total = float(outstanding.amount)
    demand = total * rng.uniform(0.75, 1.0)
    offer = total * rng.uniform(0.30, 0.75)
    bids: list[tuple[Money, Money]] = []
    for _ in range(rounds):
        bids.append((Money(_fen(demand), cur), Money(_fen(offer), cur)))
        demand *= rng.uniform(0.88, 0.98)
        offer *= rng.uniform(1.02, 1.15)
    return bids
