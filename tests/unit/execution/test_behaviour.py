from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from qingzhai.sim.behaviour import BehaviourMix, PlanSpec, simulate

START = date(2026, 1, 10)


def plans(n: int) -> list[PlanSpec]:
    return [PlanSpec(ref=str(i), schedule=[(START + timedelta(days=30 * k), Decimal("1000.00")) for k in range(6)])
            for i in range(n)]


def test_same_seed_same_behaviour_other_seed_other_behaviour():
    a = simulate(plans(50), seed=3, until=date(2027, 1, 1))
    b = simulate(plans(50), seed=3, until=date(2027, 1, 1))
    c = simulate(plans(50), seed=4, until=date(2027, 1, 1))
    assert a == b
    assert a.kinds != c.kinds


def test_on_time_payers_pay_every_installment_by_its_due_date():
    result = simulate(plans(20), seed=1, until=date(2027, 1, 1), mix=BehaviourMix(
        on_time=1, late=0, partial=0, defaulter=0, curer=0, bounce_rate=0))
    for ref in result.kinds:
        mine = [p for p in result.payments if p.ref == ref]
        assert len(mine) == 6 and sum(p.amount for p in mine) == Decimal("6000.00")
        assert all(p.value_date <= START + timedelta(days=30 * i) for i, p in enumerate(mine))


def test_defaulters_pay_less_than_the_schedule_and_make_a_promise():
    result = simulate(plans(20), seed=1, until=date(2027, 1, 1), mix=BehaviourMix(
        on_time=0, late=0, partial=0, defaulter=1, curer=0, bounce_rate=0))
    for ref in result.kinds:
        assert sum(p.amount for p in result.payments if p.ref == ref) < Decimal("6000.00")
    assert len(result.promises) == 20


def test_bounced_payments_are_reversed_and_paid_again():
    result = simulate(plans(30), seed=2, until=date(2027, 1, 1), mix=BehaviourMix(bounce_rate=1))
    keys = {p.key for p in result.payments}
    assert result.reversals and all(r.key in keys for r in result.reversals)


def test_nothing_after_the_until_date():
    until = START + timedelta(days=45)
    result = simulate(plans(30), seed=2, until=until)
    assert all(p.value_date <= until for p in result.payments)
    assert all(p.made_on <= until for p in result.promises)
