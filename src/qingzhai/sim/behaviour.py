"""Debtor behaviour simulator: who pays on time, late, partially, defaults or cures; which promises
are kept; which payments bounce. Deterministic by seed (each debtor draws from its own stream).

Used by the demo, the execution tests and the benchmark. It produces facts (payments, reversals,
promises) with dates; the caller feeds them to the platform day by day.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class BehaviourMix:
    """Shares of each kind of debtor (they are normalised, so they need not sum to 1)."""

    on_time: float = 0.66
    late: float = 0.12
    partial: float = 0.06
    defaulter: float = 0.08
    curer: float = 0.08
    bounce_rate: float = 0.03  # share of payments that bounce and are paid again a few days later

    def kinds(self) -> tuple[list[str], list[float]]:
        names = ["on_time", "late", "partial", "defaulter", "curer"]
        return names, [getattr(self, n) for n in names]


@dataclass(frozen=True, slots=True)
class PlanSpec:
    ref: str  # the case number (or any key the caller maps back)
    schedule: Sequence[tuple[date, Decimal]]
    grace_days: int = 5
    cure_days: int = 15


@dataclass(frozen=True, slots=True)
class SimPayment:
    ref: str
    key: str
    value_date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SimReversal:
    key: str  # the payment it undoes
    on: date


@dataclass(frozen=True, slots=True)
class SimPromise:
    ref: str
    made_on: date
    due: date
    amount: Decimal
    channel: str


@dataclass
class SimResult:
    kinds: dict[str, str] = field(default_factory=dict)
    payments: list[SimPayment] = field(default_factory=list)
    reversals: list[SimReversal] = field(default_factory=list)
    promises: list[SimPromise] = field(default_factory=list)

    def by_day(self) -> dict[date, tuple[list[SimPayment], list[SimReversal], list[SimPromise]]]:
        days: dict[date, tuple[list[SimPayment], list[SimReversal], list[SimPromise]]] = {}
        for p in self.payments:
            days.setdefault(p.value_date, ([], [], []))[0].append(p)
        for r in self.reversals:
            days.setdefault(r.on, ([], [], []))[1].append(r)
        for pr in self.promises:
            days.setdefault(pr.made_on, ([], [], []))[2].append(pr)
        return days


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def simulate(plans: Sequence[PlanSpec], *, seed: int, until: date, mix: BehaviourMix = BehaviourMix()) -> SimResult:
    result = SimResult()
    names, weights = mix.kinds()
    for plan in plans:
        rng = random.Random(f"{seed}:{plan.ref}")
        kind = rng.choices(names, weights)[0]
        result.kinds[plan.ref] = kind
        _debtor(plan, kind, rng, result, mix)
    result.payments = [p for p in result.payments if p.value_date <= until]
    result.reversals = [r for r in result.reversals if r.on <= until]
    result.promises = [p for p in result.promises if p.made_on <= until]
    return result


def _debtor(plan: PlanSpec, kind: str, rng: random.Random, out: SimResult, mix: BehaviourMix) -> None:
    n = len(plan.schedule)
    stop_after = rng.randint(0, max(n // 2, 0)) if kind == "defaulter" else n
    skip_from = rng.randint(0, max(n - 3, 0)) if kind == "curer" else -1
    counter = 0

    def pay(day: date, amount: Decimal) -> None:
        nonlocal counter
        counter += 1
        key = f"sim:{plan.ref}:{counter}"
        out.payments.append(SimPayment(plan.ref, key, day, amount))
        if rng.random() < mix.bounce_rate:
            out.reversals.append(SimReversal(key, day + timedelta(days=2)))
            counter += 1
            out.payments.append(SimPayment(plan.ref, f"sim:{plan.ref}:{counter}", day + timedelta(days=6), amount))

    for i, (due, amount) in enumerate(plan.schedule):
        if kind == "on_time":
            pay(due - timedelta(days=rng.randint(0, 3)), amount)
        elif kind == "late":
            delay = rng.randint(1, plan.grace_days + 2)
            out.promises.append(SimPromise(plan.ref, due + timedelta(days=1), due + timedelta(days=plan.grace_days),
                                           amount, rng.choice(["call", "sms", "message"])))
            pay(due + timedelta(days=delay), amount)
        elif kind == "partial":
            pay(due, _money(amount * Decimal(str(round(rng.uniform(0.8, 1.0), 2)))))
        elif kind == "defaulter":
            if i < stop_after:
                pay(due, amount)
            elif i == stop_after:
                out.promises.append(SimPromise(plan.ref, due + timedelta(days=2), due + timedelta(days=7), amount,
                                               "call"))
                if rng.random() < 0.3:
                    pay(due + timedelta(days=5), _money(amount / 2))
        elif kind == "curer":
            if i in (skip_from, skip_from + 1):
                if i == skip_from + 1:
                    defaulted = due + timedelta(days=plan.grace_days + 1)
                    catch_up = defaulted + timedelta(days=rng.randint(1, max(plan.cure_days - 1, 1)))
                    arrears = plan.schedule[skip_from][1] + amount
                    out.promises.append(SimPromise(plan.ref, defaulted + timedelta(days=1), catch_up, arrears, "call"))
                    pay(catch_up, arrears)
                continue
            pay(due - timedelta(days=rng.randint(0, 2)), amount)
