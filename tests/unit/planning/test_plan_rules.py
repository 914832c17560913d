from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money
from qingzhai.planning import rules
from qingzhai.planning.rules import PlanInput, PlanningSettings, PlanType
from qingzhai.registry.rules import CreditorPolicy

START = date(2026, 11, 20)
S = rules.DEFAULT_SETTINGS


def m(text: str) -> Money:
    return Money.of(text)


def inp(**kw) -> PlanInput:
    kw.setdefault("outstanding", m("80000.00"))
    kw.setdefault("start", START)
    return PlanInput(**kw)


def by_type(plan_set: rules.PlanSet, kind: str) -> list[rules.PlanOption]:
    return [o for o in plan_set.options if o.type == kind]


# --- affordability: 29.99% / 30% / 30.01% ------------------------------------------------------


@pytest.mark.parametrize(("installment", "ok"), [("2999.00", True), ("3000.00", True), ("3001.00", False)])
def test_installment_at_most_thirty_percent_of_disposable_income(installment, ok):
    assert rules.within_affordability(m(installment), m("10000.00"), S) is ok


@pytest.mark.parametrize(("disposable", "months"), [
    ("10003.34", 3),  # cap 3001.00: 9000.00 in 3 x 3000.00 fits
    ("10000.00", 3),  # cap exactly 3000.00: 30% included
    ("9996.67", 4),  # cap 2999.00: three installments would be 30.01%, so four
])
def test_term_follows_the_thirty_percent_cap_at_its_edge(disposable, months):
    found = rules.installments(inp(outstanding=m("9000.00"), disposable_income=m(disposable)), CreditorPolicy(), S)
    assert found[0].details["term_months"] == months
    assert all(a <= found[0].monthly_cap for _d, a in found[0].schedule)


def test_the_last_installment_is_checked_against_the_cap_too():
    # 29.99 in 3 parts is 9.99 + 9.99 + 10.01: the last is over a 10.00 cap, so 4 months are needed.
    months, amount = rules.shortest_term(m("29.99"), m("10.00"), Decimal(0), 60)
    assert months == 4 and amount == m("29.99")
    parts = [a for _d, a in rules.monthly_schedule(amount, months, START)]
    assert sum(p.amount for p in parts) == Decimal("29.99") and max(parts) <= m("10.00")


def test_installments_sum_exactly_to_the_fen_and_last_absorbs_rounding():
    option = rules.installments(inp(outstanding=m("80000.00"), disposable_income=m("6000.00")), CreditorPolicy(), S)[0]
    amounts = [a.amount for _d, a in option.schedule]
    assert sum(amounts) == Decimal("80000.00")
    assert amounts[-1] >= amounts[0] and len(set(amounts[:-1])) == 1
    assert option.details["term_months"] == 45 and not option.needs_approval


def test_interest_per_creditor_policy_raises_the_total():
    policy = CreditorPolicy(plan_interest_rate=Decimal("0.06"))
    option = rules.installments(inp(outstanding=m("12000.00"), disposable_income=m("5000.00")), policy, S)[0]
    total = sum(a.amount for _d, a in option.schedule)
    assert total > Decimal("12000.00") and total == option.nominal.amount
    assert "6%" in option.explanation


def test_when_thirty_percent_cannot_clear_within_the_cap_a_longer_plan_and_partial_settlement_are_offered():
    found = rules.installments(inp(outstanding=m("200000.00"), disposable_income=m("5000.00")),
                               CreditorPolicy(longest_plan_months=60), S)
    longer, partial = found
    assert longer.needs_approval and longer.details["longer_plan"] and longer.details["term_months"] > 60
    assert partial.details["partial"] and partial.nominal == m("90000.00")  # 1500 x 60
    assert partial.needs_approval  # waives 55%, more than the creditor's 30%
    assert "not cleared within the creditor's longest plan of 60 months" in partial.explanation


def test_unknown_income_plan_needs_approval():
    option = rules.installments(inp(), CreditorPolicy(), S)[0]
    assert option.needs_approval and option.affordable is None


def test_first_installment_falls_due_after_first_due_days_then_monthly():
    option = rules.installments(inp(outstanding=m("3000.00"), disposable_income=m("10000.00")), CreditorPolicy(), S)[0]
    assert [d for d, _a in option.schedule] == [date(2026, 12, 20), date(2027, 1, 20), date(2027, 2, 20),
                                                date(2027, 3, 20)][: len(option.schedule)]


def test_add_months_clamps_to_month_end():
    assert rules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


# --- settlement ----------------------------------------------------------------------------------


def test_settlement_discount_stays_inside_the_creditors_bounds():
    policy = CreditorPolicy(max_settlement_discount=Decimal("0.20"))
    poor = rules.settlement(inp(liquid_assets=m("1000.00")), policy, S)
    rich = rules.settlement(inp(liquid_assets=m("100000.00")), policy, S)
    assert poor.schedule[0][1] == m("64000.00") and poor.affordable is False
    assert rich.schedule[0][1] == m("76000.00") and rich.affordable is True  # floor discount 5%


def test_settlement_asks_what_liquid_assets_allow_within_bounds():
    option = rules.settlement(inp(liquid_assets=m("70000.00")), CreditorPolicy(), S)
    assert option.schedule[0][1] == m("70000.00") and option.details["discount"] == "0.125"


# --- debt-to-equity: 4,999,999.99 / 5,000,000.00 / 5,000,000.01 ----------------------------------


@pytest.mark.parametrize(("amount", "eligible"), [("4999999.99", False), ("5000000.00", True), ("5000000.01", True)])
def test_debt_to_equity_for_enterprise_debts_of_five_million_or_more(amount, eligible):
    data = inp(outstanding=m(amount), debtor_type="enterprise", enterprise_size="medium",
               valuation=m("20000000.00"), annual_revenue=m("30000000.00"))
    found = rules.plan(data)
    assert bool(by_type(found, "debt_to_equity")) is eligible
    assert rules.dte_eligible(data, S) is eligible


def test_debt_to_equity_is_not_for_individuals():
    assert not rules.dte_eligible(inp(outstanding=m("9000000.00")), S)


def test_debt_to_equity_has_share_targets_bet_and_scenarios():
    option = rules.debt_to_equity(
        inp(outstanding=m("5000000.00"), debtor_type="enterprise", enterprise_size="large",
            valuation=m("20000000.00"), annual_revenue=m("10000000.00")), CreditorPolicy(), S)
    assert isinstance(option, rules.PlanOption)
    assert option.details["equity_share"] == "0.2000"
    assert [t["revenue_target"] for t in option.details["targets"]] == ["11000000.00", "12100000.00", "13310000.00"]
    assert {s["scenario"] for s in option.details["scenarios"]} == {"good", "base", "bad"}
    assert option.details["compensation_per_missed_year"] == "400000.00"
    assert Decimal(0) <= option.expected_recovery.amount <= option.nominal.amount


def test_debt_to_equity_above_max_share_needs_approval():
    option = rules.debt_to_equity(
        inp(outstanding=m("8000000.00"), debtor_type="enterprise", valuation=m("2000000.00"),
            annual_revenue=m("1000000.00")), CreditorPolicy(), S)
    assert option.needs_approval


# --- moratorium: 24 vs 25 months ----------------------------------------------------------------


def honest(**kw) -> PlanInput:
    return inp(hardship="illness", hardship_verified=True, cooperative=True, full_disclosure=True, **kw)


def test_moratorium_of_twenty_four_months_is_allowed_twenty_five_is_not():
    option = rules.moratorium(honest(), CreditorPolicy(), S, months=24)
    assert option.details["review_date"] == "2028-11-20"
    with pytest.raises(RuleViolation) as err:
        rules.moratorium(honest(), CreditorPolicy(), S, months=25)
    assert err.value.field == "months"
    assert PlanningSettings(moratorium_months=24).moratorium_months == 24
    with pytest.raises(RuleViolation):
        PlanningSettings(moratorium_months=25)


@pytest.mark.parametrize(("change", "reason"), [
    ({"cooperative": False}, "not been found cooperative"),
    ({"full_disclosure": False}, "not fully disclosed"),
    ({"hardship": None, "hardship_verified": False}, "No hardship cause"),
    ({"hardship_verified": False}, "not verified"),
    ({"concealment_flag": True}, "concealed assets"),
])
def test_moratorium_eligibility_is_explicit(change, reason):
    data = {"hardship": "illness", "hardship_verified": True, "cooperative": True, "full_disclosure": True, **change}
    result = rules.moratorium(inp(**data), CreditorPolicy(), S)
    assert isinstance(result, rules.Ineligible)
    assert reason in rules.render_notes(result.notes)


# --- restructuring, mediation, litigation ---------------------------------------------------------


def test_scf_for_small_enterprise_links_repayment_to_receivables():
    option = rules.restructuring_scf(
        inp(outstanding=m("1000000.00"), debtor_type="enterprise", enterprise_size="small",
            annual_revenue=m("2400000.00"), receivables=m("500000.00")), CreditorPolicy(), S)
    assert option.details["advance"] == "120000.00"  # 80% of 30% of 500,000
    assert option.monthly_cap == m("30000.00")  # 15% of 200,000 a month
    assert sum(a.amount for _d, a in option.schedule) == Decimal("1000000.00")
    assert all(a <= option.monthly_cap for _d, a in option.schedule[1:])
    assert option.details["cash_flow"][-1]["balance"] == "0.00"


def test_scf_not_for_medium_enterprises_or_individuals():
    assert isinstance(rules.restructuring_scf(inp(debtor_type="enterprise", enterprise_size="medium",
                                                  annual_revenue=m("1.00")), CreditorPolicy(), S), rules.Ineligible)
    assert isinstance(rules.restructuring_scf(inp(), CreditorPolicy(), S), rules.Ineligible)


def test_chongming_is_referred_to_community_mediation():
    assert rules.mediation(inp(district="崇明区"), CreditorPolicy(), S).details["kind"] == "community"
    other = rules.mediation(inp(district="浦东新区"), CreditorPolicy(), S)
    assert other.details["kind"] == "institutional"  # mediation's default kind
    assert "Local custom" not in other.explanation


def test_litigation_uses_evidence_strength_and_limitation_date():
    option = rules.litigation(inp(evidence_strength=0.9, total_assets=m("500000.00"),
                                  limitation_date=date(2027, 1, 10)), CreditorPolicy(), S)
    assert option.probability == pytest.approx(0.72)
    assert "File soon" in option.explanation
    barred = rules.litigation(inp(limitation_date=date(2026, 11, 19)), CreditorPolicy(), S)
    assert isinstance(barred, rules.Ineligible)


# --- ranking -----------------------------------------------------------------------------------


def test_options_are_ranked_by_expected_npv():
    found = rules.plan(inp(disposable_income=m("8000.00"), liquid_assets=m("20000.00"), cooperative=True))
    values = [o.expected_recovery.amount for o in found.options]
    assert values == sorted(values, reverse=True)
    assert {o.type for o in found.options} >= {"settlement", "installments", "mediation", "litigation"}


def test_npv_discounts_later_money():
    now_value = rules.npv([(START, m("1000.00"))], START, Decimal("0.08"), "CNY")
    year_value = rules.npv([(date(2027, 11, 20), m("1000.00"))], START, Decimal("0.08"), "CNY")
    assert now_value == m("1000.00") and year_value == m("925.92")


def test_best_affordable_skips_options_needing_approval():
    found = rules.plan(inp(outstanding=m("500000.00"), disposable_income=m("3000.00")))
    best = rules.best_affordable(found.options)
    assert best is None or (best.affordable and not best.needs_approval and best.type in rules.BOT_TYPES)


def test_bad_inputs_name_the_field():
    with pytest.raises(RuleViolation) as err:
        inp(outstanding=m("0.00"))
    assert err.value.field == "outstanding"
    with pytest.raises(RuleViolation) as err:
        inp(liquid_assets=Money.of("1.00", "USD"))
    assert err.value.field == "liquid_assets"
    with pytest.raises(RuleViolation) as err:
        inp(hardship="boredom")
    assert err.value.field == "hardship"


def test_every_plan_type_has_an_order():
    assert set(rules.TYPE_ORDER) == {t.value for t in PlanType}


def test_when_only_the_interest_does_not_fit_waiving_it_is_offered_for_approval():
    policy = CreditorPolicy(longest_plan_months=12, plan_interest_rate=Decimal("0.24"))
    found = rules.installments(inp(outstanding=m("12000.00"), disposable_income=m("3400.00")), policy, S)
    waived = [o for o in found if o.details.get("interest_waived")]
    assert len(waived) == 1 and waived[0].needs_approval
    assert waived[0].nominal == m("12000.00") and all(a <= m("1020.00") for _d, a in waived[0].schedule)
    assert not any(o.details.get("partial") for o in found)


@pytest.mark.parametrize("field", ["longer_plan_max_months", "unknown_income_term_months", "moratorium_resume_months"])
def test_plan_lengths_stay_within_what_execution_runs(field):
    assert getattr(PlanningSettings(**{field: 360}), field) == 360
    with pytest.raises(RuleViolation) as err:
        PlanningSettings(**{field: 361})
    assert err.value.field == field
