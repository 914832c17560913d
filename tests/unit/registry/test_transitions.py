from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qingzhai.core.errors import InvalidTransition, RuleViolation
from qingzhai.registry.rules import (
    TRANSITIONS,
    CreditorPolicy,
    HoldKind,
    Outcome,
    Stage,
    advance,
    check_hold,
    hold_is_active,
)

stages = st.sampled_from(list(Stage))


@given(stages, stages, st.sampled_from([None, *Outcome]))
def test_advance_allows_exactly_the_table(current, target, outcome):
    allowed = target in TRANSITIONS[current] and ((target is Stage.closed) == (outcome is not None))
    try:
        change = advance(current, target, reason="because", outcome=outcome)
    except (InvalidTransition, RuleViolation):
        assert not allowed
    else:
        assert allowed
        assert (change.previous, change.current) == (current, target)


@given(st.lists(stages, max_size=12))
def test_no_path_leaves_closed(path):
    current = Stage.closed
    for target in path:
        with pytest.raises(InvalidTransition):
            advance(current, target, reason="x", outcome=Outcome.paid)


def test_forward_path_through_every_stage():
    stage = Stage.intake
    for target in (Stage.assessment, Stage.planning, Stage.execution):
        stage = advance(stage, target, reason="next").current
    assert advance(stage, Stage.closed, reason="paid off", outcome=Outcome.paid).current is Stage.closed


def test_blank_reason_is_refused():
    with pytest.raises(RuleViolation) as err:
        advance(Stage.intake, Stage.assessment, reason="  ")
    assert err.value.field == "reason"


def test_hold_needs_end_date_except_open_ended_kinds():
    today = date(2026, 11, 20)
    with pytest.raises(RuleViolation) as err:
        check_hold(Stage.planning, HoldKind.dispute, None, "debtor disputes amount", today)
    assert err.value.field == "until"
    assert check_hold(Stage.planning, HoldKind.cease_contact, None, "asked to stop", today).until is None


def test_hold_on_closed_case_or_in_the_past_is_refused():
    today = date(2026, 11, 20)
    with pytest.raises(RuleViolation):
        check_hold(Stage.closed, HoldKind.dispute, today, "x", today)
    with pytest.raises(RuleViolation):
        check_hold(Stage.intake, HoldKind.dispute, date(2026, 11, 19), "x", today)


def test_hold_is_active_through_its_last_day():
    assert hold_is_active(date(2026, 11, 20), False, date(2026, 11, 20))
    assert not hold_is_active(date(2026, 11, 20), False, date(2026, 11, 21))
    assert not hold_is_active(None, True, date(2026, 11, 21))


def test_policy_round_trips_and_refuses_unknown_settings():
    policy = CreditorPolicy(longest_plan_months=36, max_settlement_discount=Decimal("0.25"))
    assert CreditorPolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(RuleViolation, match="unknown policy"):
        CreditorPolicy.from_dict({"longest_plan": 3})
    with pytest.raises(RuleViolation) as err:
        CreditorPolicy(allocation_order=("fees", "principal"))
    assert err.value.field == "allocation_order"


def test_target_days_tiers_include_their_upper_bound():
    policy = CreditorPolicy()
    assert policy.target_days_for(Decimal("500000.00")) == 28
    assert policy.target_days_for(Decimal("500000.01")) == 60
    assert policy.target_days_for(Decimal("90000000")) == 120
