"""Invariants of every plan (hypothesis): exact schedules, the affordability cap, sane recoveries."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from qingzhai.core.money import Money
from qingzhai.planning import rules
from qingzhai.registry.rules import CreditorPolicy

cents = st.integers(min_value=1, max_value=2_000_000_000)  # 0.01 .. 20,000,000.00


def money(c: int) -> Money:
    return Money(Decimal(c).scaleb(-2), "CNY")


maybe_money = st.one_of(st.none(), cents.map(money))


@st.composite
def plan_inputs(draw: st.DrawFn) -> rules.PlanInput:
    enterprise = draw(st.booleans())
    hardship = draw(st.sampled_from([None, "unemployment", "illness", "disaster"]))
    return rules.PlanInput(
        outstanding=money(draw(cents)),
        start=date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 1000))),
        debtor_type="enterprise" if enterprise else "individual",
        enterprise_size=draw(st.sampled_from(["micro", "small", "medium", "large"])) if enterprise else None,
        disposable_income=draw(st.one_of(st.none(), st.integers(0, 50_000_000).map(money))),
        liquid_assets=draw(maybe_money), total_assets=draw(maybe_money),
        district=draw(st.sampled_from([None, "崇明区", "浦东新区"])),
        hardship=hardship, hardship_verified=draw(st.booleans()) and hardship is not None,
        cooperative=draw(st.sampled_from([None, True, False])), full_disclosure=draw(st.booleans()),
        concealment_flag=draw(st.booleans()), annual_revenue=draw(maybe_money), receivables=draw(maybe_money),
        valuation=draw(maybe_money), evidence_strength=draw(st.one_of(st.none(), st.floats(0, 1))),
        limitation_date=draw(st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2032, 1, 1)))),
    )


policies = st.builds(
    CreditorPolicy,
    max_settlement_discount=st.sampled_from([Decimal("0"), Decimal("0.2"), Decimal("0.3"), Decimal("0.5")]),
    longest_plan_months=st.integers(1, 120),
    plan_interest_rate=st.sampled_from([Decimal("0"), Decimal("0.06"), Decimal("0.24")]),
)


@settings(max_examples=250, deadline=None)
@given(plan_inputs(), policies)
def test_every_option_keeps_the_invariants(data, policy):
    found = rules.plan(data, policy)
    assert found.options
    for option in found.options:
        cur = data.outstanding.currency
        amounts = [a for _d, a in option.schedule]
        assert all(a.currency == cur and a.amount > 0 for a in amounts)  # execution refuses zero installments
        assert all(a.amount == a.rounded().amount for a in amounts)  # whole fen
        if option.type not in ("debt_to_equity", "moratorium"):
            # every schedule sums exactly to its amount
            assert sum((a.amount for a in amounts), Decimal(0)) == option.nominal.amount
        dates = [d for d, _a in option.schedule]
        assert dates == sorted(dates) and all(d >= data.start for d in dates)
        if option.type == "installments" and not option.needs_approval:
            assert option.monthly_cap is not None and all(a <= option.monthly_cap for a in amounts)
            assert all(rules.within_affordability(a, data.disposable_income, rules.DEFAULT_SETTINGS) for a in amounts)
            assert len(amounts) <= policy.longest_plan_months
        if option.type == "restructuring_scf" and not option.needs_approval:
            monthly = amounts[1:] if Decimal(option.details["advance"]) > 0 else amounts
            assert all(a <= option.monthly_cap for a in monthly)
        if option.details.get("partial") or option.details.get("interest_waived"):
            assert option.nominal <= data.outstanding
        if option.type == "settlement":
            discount = Decimal(option.details["discount"])
            assert 0 <= discount <= policy.max_settlement_discount
        # expected recovery: finite, non-negative, not above what the option itself collects
        value = option.expected_recovery.amount
        assert value.is_finite() and value >= 0 and value <= option.nominal.amount
        assert 0 <= option.probability <= 1 and math.isfinite(option.probability)
        assert option.explanation


@settings(max_examples=200, deadline=None)
@given(cents, st.integers(1, 50_000_000), st.integers(1, 120))
def test_shortest_term_never_exceeds_the_cap(principal, cap_cents, longest):
    cap = money(cap_cents)
    found = rules.shortest_term(money(principal), cap, Decimal(0), longest)
    if found is None:  # no term within `longest` keeps every equal part (and the last) within the cap
        assert not any(rules.fits(money(principal), n, cap) for n in range(1, longest + 1))
        return
    months, amount = found
    parts = [a for _d, a in rules.monthly_schedule(amount, months, date(2026, 1, 31))]
    assert len(parts) == months <= longest
    assert sum(p.amount for p in parts) == amount.amount == money(principal).amount
    assert max(parts) <= cap
    if months > 1:  # and it is the shortest such term
        assert not rules.fits(amount, months - 1, cap)
