from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingzhai.conversation.rules import (
    RetentionPolicy,
    chinese_number,
    extract_promise,
    parse_amount,
    parse_due_date,
    recording_expired,
    retention_policy,
)
from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money

TODAY = date(2026, 11, 28)  # a Saturday


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("五千", 5000),
        ("一万五", 15000),
        ("两万三千", 23000),
        ("三千五", 3500),
        ("八百", 800),
        ("十五", 15),
        ("1.5万", 15000),
        ("3k", 3000),
        ("一点五万", 15000),
        ("2000", 2000),
    ],
)
def test_chinese_numbers_are_read(text: str, value: int) -> None:
    assert chinese_number(text) == Decimal(value)


@given(st.integers(min_value=0, max_value=10**9))
def test_arabic_digits_read_as_themselves(n: int) -> None:
    assert chinese_number(str(n)) == Decimal(n)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("下周五还五千", "5000.00"),
        ("我月底先还两千块", "2000.00"),
        ("明天转3000", "3000.00"),
        ("先还五百块", "500.00"),
        ("下个月10号给你打1500元", "1500.00"),
        ("两万我分四个月还，每月五千", "20000.00"),
    ],
)
def test_amounts_said_are_found(text: str, amount: str) -> None:
    assert parse_amount(text) == Money.of(amount)


@pytest.mark.parametrize("text", ["我下周还", "15号还", "我三天之内还", "我是1985年出生的", "电话13912345678"])
def test_dates_counts_and_phone_numbers_are_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("下周五", date(2026, 12, 4)),
        ("周五", date(2026, 12, 4)),
        ("明天", date(2026, 11, 29)),
        ("后天", date(2026, 11, 30)),
        ("月底", date(2026, 11, 30)),
        ("三天后", date(2026, 12, 1)),
        ("下个月10号", date(2026, 12, 10)),
        ("30号", date(2026, 11, 30)),
        ("5号", date(2026, 12, 5)),
        ("12月25日", date(2026, 12, 25)),
        ("3月1号", date(2027, 3, 1)),
        ("今天", TODAY),
    ],
)
def test_due_dates_resolve_against_the_local_day(text: str, due: date) -> None:
    assert parse_due_date(f"我{text}还钱", TODAY)[0] == due


def test_promise_carries_amount_date_and_the_words() -> None:
    promise = extract_promise("下周五还五千", TODAY)
    assert promise.amount == Money.of("5000") and promise.due == date(2026, 12, 4) and promise.date_text == "下周五"
    assert promise.to_dict() == {"amount": "5000.00", "currency": "CNY", "date": "2026-12-04", "date_text": "下周五"}


RECORDED = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("days", "expired"), [(729, False), (730, True), (731, True)])
def test_mainland_recordings_are_kept_two_years(days: int, expired: bool) -> None:
    assert (
        recording_expired(
            recorded_at=RECORDED,
            now=RECORDED + timedelta(days=days),
            policy=RetentionPolicy(),
            has_agreement=False,
            debt_paid_off=False,
        )
        is expired
    )


def test_repayment_agreement_calls_are_kept_until_the_debt_is_paid_off() -> None:
    later = RECORDED + timedelta(days=2000)
    assert not recording_expired(
        recorded_at=RECORDED, now=later, policy=RetentionPolicy(), has_agreement=True, debt_paid_off=False
    )
    assert recording_expired(recorded_at=RECORDED, now=later, policy=RetentionPolicy(), has_agreement=True, debt_paid_off=True)
    assert recording_expired(
        recorded_at=RECORDED, now=later, policy=retention_policy("us-regf"), has_agreement=True, debt_paid_off=False
    )


def test_unknown_retention_preset_is_refused() -> None:
    with pytest.raises(RuleViolation) as err:
        retention_policy("mars")
    assert err.value.field == "preset"
