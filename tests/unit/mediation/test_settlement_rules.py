"""The settlement engine: band edges, the split rule, present value, and what each side may see."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingzhai.core.errors import InvalidTransition, RuleViolation
from qingzhai.core.money import Money
from qingzhai.mediation.rules import (
    MediationKind,
    MediationSettings,
    Party,
    Position,
    Status,
    Viewer,
    band_amount,
    check_bid_progress,
    choose_kind,
    confirmation_window,
    deadline,
    evaluate_bids,
    evaluate_positions,
    lump_sum,
    move,
    pick_mediator,
    present_value,
    rmb_upper,
    timing_options,
    visible_to,
)

TODAY = date(2026, 11, 20)
S = MediationSettings()
ZERO_RATE = MediationSettings(discount_rate=Decimal(0))


def cny(text: str) -> Money:
    return Money(Decimal(text), "CNY")


# --- blind bids at the band edges (band 5% of the demand, inclusive) ------------------------------


def test_bids_exactly_meeting_settle_at_that_amount() -> None:
    result = evaluate_bids(cny("50000.00"), cny("50000.00"), due=TODAY, settings=S)
    assert result.zone_exists and result.terms is not None
    assert result.terms.total == cny("50000.00")


def test_bids_exactly_at_the_band_edge_settle_at_the_midpoint() -> None:
    assert band_amount(cny("50000.00"), S) == cny("2500.00")
    result = evaluate_bids(cny("50000.00"), cny("47500.00"), due=TODAY, settings=S)
    assert result.zone_exists and result.terms is not None
    assert result.terms.total == cny("48750.00")


def test_bids_within_the_band_settle_at_the_midpoint_rounded_half_up() -> None:
    result = evaluate_bids(cny("50000.00"), cny("48000.01"), due=TODAY, settings=S)
    assert result.terms is not None and result.terms.total == cny("49000.01")  # 49000.005 -> .01


def test_bids_one_fen_outside_the_band_do_not_settle() -> None:
    result = evaluate_bids(cny("50000.00"), cny("47499.99"), due=TODAY, settings=S)
    assert not result.zone_exists and result.terms is None
    assert result.gap == cny("2500.01")


def test_crossed_bids_split_the_difference() -> None:
    result = evaluate_bids(cny("40000.00"), cny("45000.00"), due=TODAY, settings=S)
    assert result.terms is not None and result.terms.total == cny("42500.00")


def test_band_is_a_setting() -> None:
    tight = MediationSettings(band_rate=Decimal("0"))
    assert not evaluate_bids(cny("50000.00"), cny("49999.99"), due=TODAY, settings=tight).zone_exists
    assert evaluate_bids(cny("50000.00"), cny("50000.00"), due=TODAY, settings=tight).zone_exists


def test_a_demand_may_not_rise_and_an_offer_may_not_fall_between_rounds() -> None:
    with pytest.raises(RuleViolation):
        check_bid_progress(cny("100.00"), cny("100.01"), Party.creditor)
    with pytest.raises(RuleViolation):
        check_bid_progress(cny("100.00"), cny("99.99"), Party.debtor)
    check_bid_progress(cny("100.00"), cny("100.00"), Party.creditor)


# --- confidential positions: overlap midpoint at present value ------------------------------------


def test_positions_exactly_meeting_settle_at_that_amount() -> None:
    result = evaluate_positions(lump_sum(Party.creditor, cny("30000.00"), TODAY),
                                lump_sum(Party.debtor, cny("30000.00"), TODAY), as_of=TODAY, settings=S)
    assert result.zone_exists and result.terms is not None and result.terms.total == cny("30000.00")


def test_positions_one_fen_apart_have_no_zone_and_the_mediator_sees_one_fen() -> None:
    result = evaluate_positions(lump_sum(Party.creditor, cny("30000.01"), TODAY),
                                lump_sum(Party.debtor, cny("30000.00"), TODAY), as_of=TODAY, settings=S)
    assert not result.zone_exists
    assert visible_to(result, Viewer.mediator).shortfall == cny("0.01")
    assert visible_to(result, Viewer.debtor).shortfall is None


def test_later_money_is_worth_less_at_present_value() -> None:
    later = TODAY + timedelta(days=365)
    pv = present_value([(later, cny("10300.00"))], as_of=TODAY, annual_rate=Decimal("0.03"))
    assert pv.quantize(Decimal("0.01")) == Decimal("10000.00")


def test_a_debtor_schedule_gets_installments_on_its_own_dates() -> None:
    debtor = Position(Party.debtor, tuple((TODAY + timedelta(days=30 * i), cny("2000.00")) for i in range(1, 13)))
    creditor = lump_sum(Party.creditor, cny("18000.00"), TODAY)
    result = evaluate_positions(creditor, debtor, as_of=TODAY, settings=ZERO_RATE)
    assert result.terms is not None
    assert [d for d, _ in result.terms.schedule] == [d for d, _ in debtor.payments]
    assert result.terms.total == cny("21000.00")
    assert all(m <= cny("2000.00") for _, m in result.terms.schedule)


def test_timing_options_have_the_same_present_value() -> None:
    options = timing_options(cny("12000.00"), as_of=TODAY, settings=S)
    assert options[0].label == "lump_sum"
    for option in options:
        assert cny("12000.00") <= option.present_value <= cny("12000.50")
    assert options[-1].nominal > options[0].nominal  # waiting costs the debtor more in nominal terms


# --- properties ------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("2000000.00"), places=2)
rates = st.sampled_from([Decimal("0"), Decimal("0.03"), Decimal("0.1")])


@st.composite
def schedules(draw: st.DrawFn, party: Party) -> Position:
    n = draw(st.integers(min_value=1, max_value=12))
    start = draw(st.integers(min_value=0, max_value=60))
    gap = draw(st.integers(min_value=1, max_value=45))
    return Position(party, tuple((TODAY + timedelta(days=start + i * gap), Money(draw(amounts), "CNY")) for i in range(n)))


@settings(max_examples=300, deadline=None)
@given(creditor=schedules(Party.creditor), debtor=schedules(Party.debtor), rate=rates)
def test_a_proposal_always_lies_within_both_acceptable_ranges(creditor: Position, debtor: Position, rate: Decimal) -> None:
    s = MediationSettings(discount_rate=rate)
    result = evaluate_positions(creditor, debtor, as_of=TODAY, settings=s)
    if not result.zone_exists:
        return
    assert result.terms is not None
    pv = present_value(result.terms.schedule, as_of=TODAY, annual_rate=rate)
    assert present_value(creditor.payments, as_of=TODAY, annual_rate=rate) <= pv
    assert pv <= present_value(debtor.payments, as_of=TODAY, annual_rate=rate)
    if debtor.form == "schedule":
        offered = dict(debtor.payments)
        assert all(m <= offered[d] for d, m in result.terms.schedule)


@settings(max_examples=300, deadline=None)
@given(demand=amounts, offer=amounts)
def test_a_blind_bid_settlement_lies_between_the_bids_and_within_the_band(demand: Decimal, offer: Decimal) -> None:
    result = evaluate_bids(Money(demand), Money(offer), due=TODAY, settings=S)
    if not result.zone_exists:
        assert demand - offer > band_amount(Money(demand), S).amount
        return
    assert result.terms is not None
    amount = result.terms.total.amount
    assert min(demand, offer) <= amount <= max(demand, offer)
    assert amount >= demand - band_amount(Money(demand), S).amount  # the creditor's pre-agreed range
    assert amount <= max(offer, demand)  # the debtor never pays above the demand


@settings(max_examples=200, deadline=None)
@given(debtor=schedules(Party.debtor), above=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000000"),
                                                                   places=2), min_size=2, max_size=4), rate=rates)
def test_debtor_view_does_not_change_when_the_creditor_minimum_moves_within_the_non_overlap_region(
    debtor: Position, above: list[Decimal], rate: Decimal
) -> None:
    s = MediationSettings(discount_rate=rate)
    ceiling = present_value(debtor.payments, as_of=TODAY, annual_rate=rate).quantize(Decimal("0.01"))
    views = []
    for extra in above:
        creditor = lump_sum(Party.creditor, Money(ceiling + Decimal("0.01") + extra), TODAY)
        result = evaluate_positions(creditor, debtor, as_of=TODAY, settings=s)
        assert not result.zone_exists
        views.append(visible_to(result, Viewer.debtor).to_dict())
    assert all(v == views[0] for v in views)


@settings(max_examples=200, deadline=None)
@given(offer=amounts, extras=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2),
                                      min_size=2, max_size=4))
def test_debtor_view_of_bids_does_not_change_when_the_demand_moves_outside_the_band(offer: Decimal,
                                                                                     extras: list[Decimal]) -> None:
    # Outside the band: demand × (1 - band) > offer, i.e. demand > offer / 0.95.
    floor = (offer / (1 - S.band_rate)).quantize(Decimal("0.01")) + Decimal("0.01")
    views = []
    for extra in extras:
        result = evaluate_bids(Money(floor + extra), Money(offer), due=TODAY, settings=S)
        assert not result.zone_exists
        views.append(visible_to(result, Viewer.debtor).to_dict())
    assert all(v == views[0] for v in views)


@given(creditor=schedules(Party.creditor), debtor=schedules(Party.debtor))
@settings(max_examples=100, deadline=None)
def test_staff_never_see_a_limit(creditor: Position, debtor: Position) -> None:
    seen = visible_to(evaluate_positions(creditor, debtor, as_of=TODAY, settings=S), Viewer.staff).to_dict()
    assert not {"own_limit", "creditor_floor", "debtor_ceiling", "shortfall"} & set(seen)


# --- referral, clocks, status ----------------------------------------------------------------------


def test_chongming_custom_is_community_mediation() -> None:
    assert choose_kind("default", "崇明区", S) is MediationKind.community
    assert choose_kind("", "浦东新区", S) is MediationKind.institutional
    assert choose_kind("court", "崇明区", S) is MediationKind.court


def test_mediation_deadline_and_confirmation_window_are_thirty_days_inclusive() -> None:
    assert deadline(TODAY, S) == date(2026, 12, 20)
    assert confirmation_window(TODAY, date(2026, 12, 20), S).open
    assert not confirmation_window(TODAY, date(2026, 12, 21), S).open


def test_a_concluded_mediation_cannot_move() -> None:
    with pytest.raises(InvalidTransition):
        move(Status.failed, Status.active)
    assert move(Status.referred, Status.active) is Status.active


def test_pick_mediator_takes_the_least_busy_then_the_first() -> None:
    s = MediationSettings(mediator_pool=("a", "b", "c"))
    assert pick_mediator({"a": 2, "b": 1, "c": 1}, s) == "b"
    assert pick_mediator({}, s) == "a"


@pytest.mark.parametrize("field,value", [("band_rate", Decimal("0.5")), ("deadline_days", 0), ("max_rounds", 0),
                                         ("discount_rate", Decimal("0.25"))])
def test_settings_out_of_range_name_the_field(field: str, value: object) -> None:
    with pytest.raises(RuleViolation) as err:
        MediationSettings(**{field: value})  # type: ignore[arg-type]
    assert err.value.field == field


def test_position_refuses_fractions_of_a_fen_and_zero() -> None:
    with pytest.raises(RuleViolation):
        lump_sum(Party.debtor, cny("1.001"), TODAY)
    with pytest.raises(RuleViolation):
        lump_sum(Party.debtor, cny("0"), TODAY)


@pytest.mark.parametrize("amount,words", [
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"), ("100010", "壹拾万零壹拾元整"), ("60000.02", "陆万元零贰分"),
    ("100000000", "壹亿元整"), ("0.50", "伍角整"), ("0", "零元整"),
])
def test_chinese_capital_amounts(amount: str, words: str) -> None:
    assert rmb_upper(Decimal(amount)) == words
