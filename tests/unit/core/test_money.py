from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money, parse_decimal, split_evenly

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999999.99"), places=2)


def test_money_refuses_float_amounts():
    with pytest.raises(TypeError):
        Money(12.5, "CNY")  # type: ignore[arg-type]


def test_money_of_different_currencies_cannot_be_added():
    with pytest.raises(RuleViolation) as err:
        Money.of("1.00", "CNY") + Money.of("1.00", "USD")
    assert err.value.field == "currency"


def test_unknown_currency_is_refused():
    with pytest.raises(RuleViolation):
        Money.of("1", "XYZ")


def test_rounding_is_half_up_to_the_fen():
    assert Money(Decimal("0.005")).rounded().amount == Decimal("0.01")
    assert Money(Decimal("0.0049")).rounded().amount == Decimal("0.00")
    assert Money(Decimal("100"), "JPY").rounded().amount == Decimal("100")


def test_parse_decimal_refuses_three_places_and_nan():
    with pytest.raises(RuleViolation, match="more than 2 decimal places"):
        parse_decimal("1.234", field="principal")
    with pytest.raises(RuleViolation):
        parse_decimal("NaN", field="principal")
    assert parse_decimal("1,234.50", field="principal") == Decimal("1234.50")


@given(amounts, st.integers(min_value=1, max_value=120))
def test_split_evenly_adds_up_to_the_fen(amount, parts):
    pieces = split_evenly(Money(amount), parts)
    assert len(pieces) == parts
    assert sum((p.amount for p in pieces), Decimal(0)) == amount
    assert all(p.amount >= 0 for p in pieces)
    assert pieces[-1].amount >= pieces[0].amount
    assert pieces[-1].amount - pieces[0].amount < Decimal("0.01") * parts
