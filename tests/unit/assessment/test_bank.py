from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingzhai.assessment import bank
from qingzhai.assessment.evidence import BankTxn
from qingzhai.assessment.rules import AssessmentSettings

AS_OF = date(2026, 10, 31)
S = AssessmentSettings()

txn = st.builds(
    BankTxn,
    account=st.sampled_from(["6222000011112222", "6222000033334444"]),
    on=st.dates(min_value=AS_OF - timedelta(days=36 * 31), max_value=AS_OF),
    amount_fen=st.integers(min_value=-5_000_000_00, max_value=5_000_000_00),
    counterparty=st.sampled_from(["A", "B", "平台一"]),
    category=st.sampled_from(sorted(bank.CATEGORIES)),
    balance_fen=st.none() | st.integers(min_value=-10**9, max_value=10**9),
)


@given(st.lists(txn, max_size=200))
def test_income_and_outflow_totals_reconcile_to_the_fen(txns):
    flow = bank.analyse(txns, as_of=AS_OF, settings=S)
    inside = [t for t in txns if bank.month_key(t.on) > bank.month_key(AS_OF) - S.lookback_months]
    counted = [t for t in inside if t.category not in bank.NEUTRAL]
    assert flow.total_in_fen == sum(t.amount_fen for t in counted if t.amount_fen >= 0)
    assert flow.total_out_fen == -sum(t.amount_fen for t in counted if t.amount_fen < 0)
    assert flow.net_fen == sum(t.amount_fen for t in counted)
    assert sum(m.income_fen for m in flow.months) == flow.total_in_fen
    assert sum(m.essential_fen + m.other_out_fen for m in flow.months) == flow.total_out_fen
    assert sum(flow.by_category_fen.values()) == sum(t.amount_fen for t in inside)
    assert len(flow.months) == S.lookback_months
    if flow.disposable_fen is not None:
        assert flow.disposable_low_fen <= flow.disposable_fen <= flow.disposable_high_fen


def _month(year, month, salary=1_000_000, rent=300_000):
    return [BankTxn("6222000011112222", date(year, month, 10), salary, "employer", "salary"),
            BankTxn("6222000011112222", date(year, month, 1), -rent, "landlord", "rent")]


def test_disposable_income_is_the_median_of_recent_months_salary_minus_essentials():
    txns = [t for m in range(1, 11) for t in _month(2026, m)]
    flow = bank.analyse(txns, as_of=AS_OF, settings=S)
    assert flow.disposable_fen == 700_000
    assert flow.months_with_data == 10


def test_transactions_outside_the_36_month_window_are_ignored():
    old = BankTxn("6222000011112222", date(2023, 10, 31), 9_999_900, "x", "salary")
    flow = bank.analyse([old, *_month(2026, 1)], as_of=AS_OF, settings=S)
    assert flow.total_in_fen == 1_000_000


def test_transfers_between_own_accounts_are_neither_income_nor_outflow():
    txns = [BankTxn("a", date(2026, 5, 1), 500_000, "me", "own_transfer"),
            BankTxn("b", date(2026, 5, 1), -500_000, "me", "own_transfer")]
    flow = bank.analyse(txns, as_of=AS_OF, settings=S)
    assert flow.total_in_fen == 0 and flow.total_out_fen == 0


def test_round_sum_large_transfer_to_a_related_party_is_collected():
    txns = [BankTxn("a", date(2026, 5, 3), -20_000_000, "spouse", "transfer_related")]
    flow = bank.analyse(txns, as_of=AS_OF, settings=S)
    assert flow.large_related[0].round_sum


def test_liquid_assets_are_the_last_balance_of_each_account():
    txns = [BankTxn("a", date(2026, 5, 3), 100, "x", "income_other", 1_000),
            BankTxn("a", date(2026, 6, 3), 100, "x", "income_other", 1_100),
            BankTxn("b", date(2026, 6, 3), 100, "x", "income_other", 50)]
    assert bank.analyse(txns, as_of=AS_OF, settings=S).liquid_fen == 1_150


@pytest.mark.parametrize(("values", "q", "expected"), [([5], 0.5, 5), ([1, 2, 3, 4], 0.5, 2), ([1, 2, 3, 4], 0.75, 3),
                                                       ([4, 1, 3, 2], 0.25, 1)])
def test_nearest_rank_quantile(values, q, expected):
    assert bank.quantile_fen(values, q) == expected
