from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from qingzhai.registry.intake.rules import REQUIRED_COLUMNS, PlacementRow, neutralise, validate_row

TODAY = date(2026, 11, 20)
GOOD = {
    "debt_ref": "PJB-00000001",
    "debtor_type": "individual",
    "debtor_name": "张三",
    "id_number": "11010519491231002X",
    "phone": "13812345678",
    "currency": "CNY",
    "principal": "80000.00",
    "default_date": "2025-03-01",
    "interest": "1200.50",
    "fees": "",
    "origination_date": "2023-01-15",
    "district": "崇明区",
    "timezone": "",
}


def problems(**changes):
    result = validate_row({**GOOD, **changes}, line=2, today=TODAY)
    return {} if isinstance(result, PlacementRow) else {p.field: p.reason for p in result}


def test_good_row_is_accepted_with_defaults():
    row = validate_row(GOOD, line=2, today=TODAY)
    assert isinstance(row, PlacementRow)
    assert row.fees == Decimal("0.00") and row.timezone == "Asia/Shanghai"
    assert row.total == Decimal("81200.50")


def test_each_required_column_is_named_when_missing():
    for column in REQUIRED_COLUMNS:
        assert problems(**{column: ""}).get(column) == "is required", column


def test_id_check_digit_is_verified():
    assert "check character" in problems(id_number="110105194912310021")["id_number"]


def test_enterprise_needs_a_credit_code():
    assert "unified social credit code" in problems(debtor_type="enterprise")["id_number"]
    assert problems(debtor_type="enterprise", id_number="9144030071526726XG") == {}


def test_amounts_must_be_positive_with_two_decimals():
    assert problems(principal="0") == {"principal": "must be greater than zero"}
    assert problems(principal="-5") == {"principal": "must be greater than zero"}
    assert problems(principal="10.001") == {"principal": "has more than 2 decimal places"}
    assert "not a number" in problems(principal="1e3x")["principal"]
    assert problems(interest="-1") == {"interest": "must not be negative"}


def test_dates_must_be_iso_real_and_not_future():
    assert "ISO date" in problems(default_date="01/03/2025")["default_date"]
    assert "real calendar date" in problems(default_date="2025-02-30")["default_date"]
    assert problems(default_date="2026-11-21") == {"default_date": "is in the future"}
    assert problems(default_date="2026-11-20") == {}
    assert problems(default_date="2023-01-14") == {"default_date": "is before the origination date"}


def test_missing_timezone_is_shanghai_for_a_mainland_mobile_and_unknown_for_a_number_abroad():
    assert validate_row({**GOOD, "timezone": ""}, line=2, today=TODAY).timezone == "Asia/Shanghai"
    abroad = validate_row({**GOOD, "timezone": "", "phone": "+14155550123"}, line=2, today=TODAY)
    assert abroad.timezone == ""
    given = validate_row({**GOOD, "timezone": "America/Los_Angeles", "phone": "+14155550123"}, line=2, today=TODAY)
    assert given.timezone == "America/Los_Angeles"


def test_currency_and_timezone_are_checked():
    assert "ISO 4217" in problems(currency="RMB")["currency"]
    assert problems(currency="usd") == {}
    assert "IANA" in problems(timezone="Shanghai")["timezone"]
    assert problems(timezone="America/Los_Angeles") == {}


def test_formula_injection_is_refused_and_neutralised_in_output():
    assert "spreadsheet formula" in problems(debtor_name="=cmd|' /C calc'!A0")["debtor_name"]
    assert "spreadsheet formula" in problems(address="@SUM(A1)")["address"]
    assert neutralise("=1+2") == "'=1+2"
    assert neutralise("张三") == "张三"


def test_all_problems_of_a_row_are_reported_together():
    found = problems(phone="123", currency="XXX", principal="abc")
    assert set(found) == {"phone", "currency", "principal"}


text = st.text(max_size=30)


@given(st.fixed_dictionaries({c: text for c in GOOD}))
def test_validator_never_crashes_and_accepted_rows_are_clean(raw):
    result = validate_row(raw, line=7, today=TODAY)
    if isinstance(result, PlacementRow):
        assert result.principal > 0
        assert result.default_date <= TODAY
        assert not result.debtor_name.startswith(("=", "+", "-", "@"))
    else:
        assert result and all(p.field in GOOD or p.field == "row" for p in result)
        assert all(p.reason for p in result)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2))
def test_any_two_place_positive_amount_is_accepted_exactly(amount):
    row = validate_row({**GOOD, "principal": str(amount)}, line=2, today=TODAY)
    assert isinstance(row, PlacementRow) and row.principal == amount
