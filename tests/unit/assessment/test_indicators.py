from datetime import UTC, date, datetime, timedelta

import pytest

from qingzhai.assessment import indicators as ind
from qingzhai.assessment import outcome
from qingzhai.assessment.evidence import (
    BankTxn,
    CaseFacts,
    ContactCheck,
    CourtRecord,
    CreditAccount,
    CreditReport,
    DebtDocument,
    DebtFacts,
    Employment,
    Evidence,
    Financials,
    IdentityCheck,
    Interview,
    OtherPlacement,
    Property,
    ShellEvidence,
    Vehicle,
)
from qingzhai.assessment.rules import (
    AssessmentSettings,
    AssessmentSummary,
    IndicatorKey,
    Status,
    grade_for,
)
from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money

AS_OF = date(2026, 11, 1)
NOW = datetime(2026, 11, 1, 2, tzinfo=UTC)
S = AssessmentSettings()
DEFAULT = date(2025, 3, 1)


def facts(**kw):
    debt = DebtFacts("D-1", 8_000_000, 0, 0, date(2024, 1, 1), DEFAULT)
    base = dict(case_number=1, debtor_kind="individual", currency="CNY", placed_fen=8_000_000, outstanding_fen=8_000_000,
                debts=(debt,), declared_income_fen=1_200_000)
    base.update(kw)
    return CaseFacts(**base)


def doc(**kw):
    base = dict(debt_ref="D-1", checked_on=date(2026, 10, 1), contract=True, disbursement_fen=8_000_000)
    base.update(kw)
    return DebtDocument(**base)


# --- missing sources ---------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [
    lambda: ind.identity(None, as_of=AS_OF, settings=S),
    lambda: ind.cash_flow(None, facts(), as_of=AS_OF, settings=S)[0],
    lambda: ind.income_stability(None, None, facts(), as_of=AS_OF, settings=S),
    lambda: ind.real_estate(None, facts(), as_of=AS_OF, settings=S),
    lambda: ind.movables(None, facts(), as_of=AS_OF, settings=S),
    lambda: ind.business(None, as_of=AS_OF, settings=S),
    lambda: ind.court(None, as_of=AS_OF, settings=S),
    lambda: ind.credit(None, facts(), None, as_of=AS_OF, settings=S),
    lambda: ind.interviews(None, as_of=AS_OF, settings=S),
    lambda: ind.consumption(None, facts(), as_of=AS_OF, settings=S),
    lambda: ind.contactability(None, location_allowed=True, as_of=AS_OF, settings=S),
])
def test_a_missing_source_is_unknown_with_confidence_zero(fn):
    result = fn()
    assert result.status is Status.unknown and result.score is None and result.confidence == 0


def test_an_indicator_that_is_not_known_cannot_carry_a_score():
    with pytest.raises(ValueError):
        ind.IndicatorResult(IndicatorKey.identity, Status.unknown, 50, 0.0, ())


# --- 1 identity --------------------------------------------------------------------------------


def test_identity_verified_with_photo_scores_full():
    r = ind.identity([IdentityCheck(date(2026, 10, 1), "公安", True, True, 0.95)], as_of=AS_OF, settings=S)
    assert r.score == 100 and r.confidence == 1.0 and not r.red_flags


def test_identity_that_does_not_match_is_a_high_red_flag():
    r = ind.identity([IdentityCheck(date(2026, 10, 1), "公安", True, False)], as_of=AS_OF, settings=S)
    assert r.score == 0 and r.red_flags[0].code == "identity_mismatch" and r.red_flags[0].severity == "high"


def test_identity_weak_face_match_below_setting_is_not_verified():
    r = ind.identity([IdentityCheck(date(2026, 10, 1), "公安", True, True, 0.79)], as_of=AS_OF, settings=S)
    assert r.score == 60 and r.facts["verified"] is False


def test_stale_evidence_counts_with_half_confidence():
    old = AS_OF - timedelta(days=S.stale_evidence_days + 1)
    r = ind.identity([IdentityCheck(old, "公安", True, True, 0.9)], as_of=AS_OF, settings=S)
    assert r.confidence == 0.5


# --- 2 cash flow -------------------------------------------------------------------------------


def months(n=12, salary=1_200_000, extra=()):
    out = []
    for k in range(n):
        y, m = divmod(2026 * 12 + 9 - k, 12)
        out.append(BankTxn("6222000011112222", date(y, m + 1, 10), salary, "employer", "salary", 5_000_000))
        out.append(BankTxn("6222000011112222", date(y, m + 1, 2), -400_000, "landlord", "rent"))
    return [*out, *extra]


def test_cash_flow_estimates_disposable_income():
    r, flow = ind.cash_flow(months(), facts(), as_of=AS_OF, settings=S)
    assert r.status is Status.known and flow.disposable_fen == 800_000
    assert r.facts["liquid_fen"] == 5_000_000


def test_gambling_over_the_share_setting_is_flagged():
    gamble = [BankTxn("6222000011112222", date(2026, 5, 20), -800_000, "casino", "gambling")]
    r, _flow = ind.cash_flow(months(extra=gamble), facts(), as_of=AS_OF, settings=S)
    assert "gambling" in {f.code for f in r.red_flags}


def test_gambling_under_the_share_setting_is_not_flagged():
    gamble = [BankTxn("6222000011112222", date(2026, 5, 20), -100_000, "casino", "gambling")]
    r, _flow = ind.cash_flow(months(extra=gamble), facts(), as_of=AS_OF, settings=S)
    assert "gambling" not in {f.code for f in r.red_flags}


def test_three_lending_platforms_are_flagged_two_are_not():
    def borrow(names):
        return [BankTxn("6222000011112222", date(2026, 4, 2), 300_000, n, "lending_platform") for n in names]
    r3, _ = ind.cash_flow(months(extra=borrow(["a", "b", "c"])), facts(), as_of=AS_OF, settings=S)
    r2, _ = ind.cash_flow(months(extra=borrow(["a", "b"])), facts(), as_of=AS_OF, settings=S)
    assert "many_lending_platforms" in {f.code for f in r3.red_flags}
    assert "many_lending_platforms" not in {f.code for f in r2.red_flags}


def test_round_sum_transfer_to_relative_after_default_is_a_high_flag_but_not_years_before():
    after = [BankTxn("6222000011112222", date(2025, 4, 1), -20_000_000, "配偶", "transfer_related")]
    before = [BankTxn("6222000011112222", date(2024, 1, 1), -20_000_000, "配偶", "transfer_related")]
    r, _ = ind.cash_flow(months(extra=after), facts(), as_of=AS_OF, settings=S)
    assert [f.severity for f in r.red_flags if f.code == "large_related_transfer"] == ["high"]
    r, _ = ind.cash_flow(months(extra=before), facts(), as_of=AS_OF, settings=S)
    assert not r.red_flags


# --- 3 income stability ------------------------------------------------------------------------


def test_unemployment_is_a_hardship():
    r = ind.income_stability([Employment(date(2026, 10, 1), "unemployed", None, None, None)], None, facts(),
                             as_of=AS_OF, settings=S)
    assert r.score == 10 and r.facts["hardship"] == "unemployment"


def test_long_tenure_scores_higher_than_short():
    def score(since):
        return ind.income_stability([Employment(date(2026, 10, 1), "employed", "X", since, 1_000_000, 36)], None,
                                    facts(), as_of=AS_OF, settings=S).score
    assert score(date(2016, 1, 1)) > score(date(2026, 6, 1))


@pytest.mark.parametrize(("revenue", "employees", "size"), [
    (299_999_999, 50, "micro"), (300_000_000, 50, "small"), (300_000_000, 9, "micro"),
    (2_000_000_000, 100, "medium"), (40_000_000_000, 300, "large"), (39_999_999_999, 500, "medium")])
def test_enterprise_size_edges(revenue, employees, size):
    f = Financials(2025, date(2026, 4, 30), revenue, 0, 0, 1, employees)
    assert ind.enterprise_size(f, S) == size


def test_enterprise_revenue_growth_and_size_come_from_financials():
    fin = [Financials(2024, date(2025, 4, 30), 1_000_000_00, 0, 0, 1, 20),
           Financials(2025, date(2026, 4, 30), 1_200_000_00, 300_00, 5_000_00, 2_000_00, 20)]
    r = ind.income_stability(None, fin, facts(debtor_kind="enterprise"), as_of=AS_OF, settings=S)
    assert r.score == 80 and r.facts["enterprise_size"] == "micro" and r.facts["receivables_fen"] == 300_00


# --- 4 / 5 real estate and vehicles ------------------------------------------------------------


def test_real_estate_equity_is_value_times_share_less_encumbrances():
    p = Property("沪1", date(2026, 10, 1), "x", 5_000_000_00, None, share=0.5, encumbrance_fen=1_000_000_00)
    r = ind.real_estate([p], facts(), as_of=AS_OF, settings=S)
    assert r.facts["equity_fen"] == 1_500_000_00 and r.score == 100


def test_property_disposed_after_default_is_flagged_but_not_one_sold_long_before():
    sold = Property("沪1", date(2026, 10, 1), "x", 1, None, disposed_on=DEFAULT - timedelta(days=S.disposal_window_days))
    long_ago = Property("沪2", date(2026, 10, 1), "x", 1, None, disposed_on=DEFAULT - timedelta(days=S.disposal_window_days + 1))
    codes = [f.code for f in ind.real_estate([sold, long_ago], facts(), as_of=AS_OF, settings=S).red_flags]
    assert codes == ["asset_disposed_near_default"]


def test_no_property_found_is_known_with_score_zero():
    r = ind.real_estate((), facts(), as_of=AS_OF, settings=S)
    assert r.status is Status.known and r.score == 0


def test_pledged_vehicles_do_not_count_as_recoverable_value():
    cars = [Vehicle("沪A1", date(2026, 10, 1), "car", 100_000_00, None, pledged=True),
            Vehicle("沪A2", date(2026, 10, 1), "car", 50_000_00, None)]
    assert ind.movables(cars, facts(), as_of=AS_OF, settings=S).facts["value_fen"] == 50_000_00


# --- 6 business --------------------------------------------------------------------------------


def test_strong_shell_finding_is_a_high_red_flag():
    shell = ShellEvidence(date(2026, 10, 1), "r.json", 2, ({"strength": 0.9, "explanation": "moved"},
                                                          {"strength": 0.2, "explanation": "weak"}))
    r = ind.business([shell], as_of=AS_OF, settings=S)
    assert [(f.code, f.severity) for f in r.red_flags] == [("shell_transfer", "high")]


# --- 7 court -----------------------------------------------------------------------------------


def test_dishonest_debtor_listing_is_flagged_and_no_records_scores_full():
    rec = CourtRecord("(2025)沪01执1号", "court", "dishonest", "defendant", 100_00, date(2025, 5, 1), "open")
    r = ind.court([rec], as_of=AS_OF, settings=S)
    assert "dishonest_debtor" in {f.code for f in r.red_flags} and r.score == 100 - S.court_open_penalty - 40
    assert ind.court((), as_of=AS_OF, settings=S).score == 100


def test_suits_the_debtor_brought_do_not_count_against_it():
    rec = CourtRecord("(2025)沪01民1号", "court", "litigation", "plaintiff", 100_00, date(2025, 5, 1), "open")
    assert ind.court([rec], as_of=AS_OF, settings=S).score == 100


# --- 8 credit ----------------------------------------------------------------------------------


def report(payment):
    return [CreditReport(date(2026, 10, 1), "PBOC", (CreditAccount("bank", "consumer_loan", 100, payment, 0, "normal"),))]


def test_debt_service_over_the_setting_is_over_indebted_and_at_it_is_not():
    over = ind.credit(report(500_001), facts(), 1_000_000, as_of=AS_OF, settings=S)
    at = ind.credit(report(500_000), facts(), 1_000_000, as_of=AS_OF, settings=S)
    assert "over_indebted" in {f.code for f in over.red_flags}
    assert "over_indebted" not in {f.code for f in at.red_flags}


# --- 9 interviews ------------------------------------------------------------------------------


def test_interviews_weigh_cooperation_by_reliability_and_report_hardship():
    talks = [Interview(date(2026, 10, 1), "partner", 0.9, cooperative=True, hardship="illness"),
             Interview(date(2026, 10, 2), "neighbour", 0.3, cooperative=False, hardship="disaster")]
    r = ind.interviews(talks, as_of=AS_OF, settings=S)
    assert r.facts["cooperative"] is True and r.facts["hardship"] == "illness"


# --- 10 consumption ----------------------------------------------------------------------------


def test_luxury_spending_after_default_over_the_share_is_flagged():
    spend = [BankTxn("a", date(2025, 6, 1), -300_00, "LV", "luxury"), BankTxn("a", date(2025, 6, 2), -700_00, "x", "food")]
    r = ind.consumption(spend, facts(), as_of=AS_OF, settings=S)
    assert "luxury_after_default" in {f.code for f in r.red_flags}


# --- 11 contactability -------------------------------------------------------------------------


def test_location_tracks_without_legal_basis_are_not_used():
    track = ContactCheck(date(2026, 10, 1), "location_track", address_verified=True)
    phone = ContactCheck(date(2026, 10, 1), "phone", phone_reachable=True)
    assert ind.contactability([track], location_allowed=False, as_of=AS_OF, settings=S).status is Status.withheld
    r = ind.contactability([track, phone], location_allowed=False, as_of=AS_OF, settings=S)
    assert r.score == 50 and len(r.findings) == 2
    assert ind.contactability([track, phone], location_allowed=True, as_of=AS_OF, settings=S).score == 100


# --- 12 authenticity ---------------------------------------------------------------------------


def auth(docs, **kw):
    ident = ind.identity(None, as_of=AS_OF, settings=S)
    return ind.authenticity(docs, facts(**kw), ident, as_of=AS_OF, settings=S)


def test_matching_documents_make_a_low_fake_debt_risk():
    a = auth([doc(acknowledgements=(date(2025, 6, 1),))])
    assert a.risk == "low" and a.evidence_strength == 1.0 and a.limitation_date == date(2028, 6, 1)


def test_disbursement_that_does_not_match_the_principal_is_high_risk():
    assert auth([doc(disbursement_fen=8_000_000 - S.disbursement_tolerance_fen - 1)]).risk == "high"
    assert auth([doc(disbursement_fen=8_000_000 - S.disbursement_tolerance_fen)]).risk == "low"


def test_no_contract_is_high_risk():
    assert auth([doc(contract=False)]).risk == "high"


def test_the_same_debt_placed_by_another_creditor_is_high_risk():
    other = OtherPlacement("another creditor", "X-9", 8_000_000, date(2024, 1, 1))
    assert auth([doc()], other_placements=(other,)).risk == "high"


def test_placed_amount_that_does_not_reconcile_is_medium_risk():
    assert auth([doc()], placed_fen=8_000_001).risk == "medium"


def test_limitation_runs_three_years_from_default_and_an_expired_one_is_reported():
    a = auth([doc()], debts=(DebtFacts("D-1", 8_000_000, 0, 0, None, date(2023, 10, 31)),))
    assert a.limitation_date == date(2026, 10, 31) and a.risk == "medium"
    b = auth([doc()], debts=(DebtFacts("D-1", 8_000_000, 0, 0, None, date(2023, 11, 1)),))
    assert b.limitation_date == date(2026, 11, 1) and b.risk == "low"


def test_a_part_payment_restarts_the_limitation_period():
    assert auth([doc(last_payment_on=date(2026, 1, 5))]).limitation_date == date(2029, 1, 5)


def test_no_documents_is_unknown_and_medium_risk():
    a = auth(None)
    assert a.result.status is Status.unknown and a.risk == "medium"


# --- the whole assessment ----------------------------------------------------------------------


def full_evidence(**kw):
    base = dict(
        identity=(IdentityCheck(date(2026, 10, 1), "公安", True, True, 0.95),), bank=tuple(months()),
        employment=(Employment(date(2026, 10, 1), "employed", "X", date(2018, 1, 1), 1_200_000, 60),),
        property=(), vehicles=(), court=(), credit=tuple(report(10_000)), interviews=(),
        contact=(ContactCheck(date(2026, 10, 1), "phone", phone_reachable=True),), debt_documents=(doc(),),
    )
    base.update(kw)
    return Evidence(**base)


def test_assess_combines_indicators_into_a_summary():
    out = outcome.assess(full_evidence(), facts(), now=NOW, as_of=AS_OF, settings=S)
    s = out.summary
    assert s.disposable_income == Money.of("8000.00") and s.liquid_assets == Money.of("50000.00")
    assert s.fake_debt_risk == "low" and s.grade in "ABCDE" and 0 < s.completeness < 1
    assert len(out.indicators) == 12


def test_without_a_legal_basis_bank_data_is_withheld_and_salary_is_the_fallback():
    out = outcome.assess(full_evidence(withheld=frozenset({"financial_accounts"})), facts(), now=NOW, as_of=AS_OF, settings=S)
    statuses = {i.key: i.status for i in out.indicators}
    assert statuses[IndicatorKey.cash_flow] is Status.withheld and statuses[IndicatorKey.consumption] is Status.withheld
    assert out.summary.disposable_income == Money.of("4800.00")  # 12,000 × (1 − 0.6)
    assert out.summary.disposable_income_low == Money.of("3360.00")
    assert out.summary.liquid_assets is None


def test_nothing_known_gives_grade_e_and_completeness_zero():
    out = outcome.assess(Evidence(), facts(declared_income_fen=None), now=NOW, as_of=AS_OF, settings=S)
    assert out.summary.grade == "E" and out.summary.completeness == 0 and out.summary.disposable_income is None


@pytest.mark.parametrize(("score", "grade"), [(80, "A"), (79.99, "B"), (65, "B"), (50, "C"), (35, "D"), (34.9, "E")])
def test_grade_bounds(score, grade):
    assert grade_for(score, S.grade_bounds) == grade


def test_summary_round_trips_through_its_stored_form():
    out = outcome.assess(full_evidence(), facts(), now=NOW, as_of=AS_OF, settings=S)
    assert AssessmentSummary.from_dict(out.summary.to_dict()) == out.summary


@pytest.mark.parametrize("changes", [{"planning_completeness": 1.5}, {"recent_months": 40}, {"grade_bounds": [50, 60, 40, 30]},
                                     {"no_such_setting": 1}])
def test_bad_settings_are_refused_naming_the_field(changes):
    with pytest.raises(RuleViolation):
        AssessmentSettings.from_dict(changes)


def test_a_property_seized_by_another_court_adds_no_equity():
    p = Property("沪1", date(2026, 10, 1), "x", 5_000_000_00, None, seized=True)
    assert ind.real_estate([p], facts(), as_of=AS_OF, settings=S).facts["equity_fen"] == 0
