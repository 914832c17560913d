from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money
from qingzhai.execution.rules import (
    Bucket,
    ContractStatus,
    ContractTerms,
    Escalation,
    EventKind,
    Installment,
    PaymentFact,
    PromiseSettings,
    PromiseStatus,
    allocate,
    decode_schedule,
    encode_schedule,
    evaluate,
    promise_outcome,
    validate_schedule,
)

D = Decimal
START = date(2026, 1, 10)


def schedule(n: int = 6, amount: str = "1000.00", every: int = 30) -> list[Installment]:
    return [Installment(START + timedelta(days=every * i), D(amount)) for i in range(n)]


def kinds(evaluation, kind: EventKind) -> list:
    return [e for e in evaluation.events if e.kind is kind]


def test_default_terms_are_the_documented_ones():
    t = ContractTerms()
    assert t.reminder_offsets == (3, 1)
    assert t.grace_days == 5
    assert t.partial_threshold == D("0.90")
    assert (t.consecutive_misses_to_default, t.total_misses_to_default) == (2, 3)
    assert t.cure_days == 15 and not t.append_missed and not t.accelerate_on_default
    assert t.escalation is Escalation.planning


def test_terms_round_trip_through_json():
    t = ContractTerms(reminder_offsets=(7, 2), grace_days=3, append_missed=True, escalation=Escalation.mediation)
    assert ContractTerms.from_json(t.to_json()) == t


@pytest.mark.parametrize(("field", "value"), [
    ("grace_days", -1), ("grace_days", 61), ("partial_threshold", D("0")), ("partial_threshold", D("1.01")),
    ("consecutive_misses_to_default", 0), ("total_misses_to_default", 0), ("cure_days", 181),
    ("reminder_offsets", (31,)), ("reminder_offsets", (3, 3)), ("reminder_channel", "fax"),
])
def test_terms_out_of_range_name_the_field(field, value):
    with pytest.raises(RuleViolation) as err:
        ContractTerms(**{field: value})
    assert err.value.field == field


def test_terms_edges_are_accepted():
    ContractTerms(grace_days=0, partial_threshold=D("1"), cure_days=0, reminder_offsets=())
    ContractTerms(grace_days=60, cure_days=180, consecutive_misses_to_default=24)


def test_unknown_term_is_refused():
    with pytest.raises(RuleViolation) as err:
        ContractTerms.from_dict({"grace": 3})
    assert err.value.field == "terms"


def test_schedule_must_increase_and_share_a_currency():
    with pytest.raises(RuleViolation, match="not after"):
        validate_schedule([(START, Money.of("1.00")), (START, Money.of("1.00"))])
    with pytest.raises(RuleViolation, match="HKD"):
        validate_schedule([(START, Money.of("1.00")), (START + timedelta(1), Money.of("1.00", "HKD"))])
    with pytest.raises(RuleViolation, match="above zero"):
        validate_schedule([(START, Money.of("0.00"))])
    with pytest.raises(RuleViolation):
        validate_schedule([])


def test_schedule_text_round_trip():
    s = tuple(schedule(3, "333.33"))
    assert decode_schedule(encode_schedule(s)) == s


def test_paying_on_time_completes_the_contract():
    pays = [PaymentFact(i.due, i.amount) for i in schedule()]
    ev = evaluate(ContractTerms(), schedule(), pays, as_of=date(2027, 1, 1))
    assert ev.state.status is ContractStatus.completed
    assert ev.state.balance == 0 and ev.state.misses_total == 0
    assert len(kinds(ev, EventKind.installment_paid)) == 6
    assert kinds(ev, EventKind.completed)[0].on == schedule()[-1].due


def test_unpaid_installment_is_missed_the_day_after_grace():
    terms = ContractTerms(grace_days=5)
    on_last_grace_day = evaluate(terms, schedule(), [], as_of=START + timedelta(days=5))
    assert not kinds(on_last_grace_day, EventKind.missed)
    day_after = evaluate(terms, schedule(), [], as_of=START + timedelta(days=6))
    assert [e.on for e in kinds(day_after, EventKind.missed)] == [START + timedelta(days=6)]


def test_partial_payment_at_threshold_is_not_a_miss_but_below_is():
    terms = ContractTerms(partial_threshold=D("0.90"))
    at = evaluate(terms, schedule(), [PaymentFact(START, D("900.00"))], as_of=START + timedelta(days=10))
    assert not kinds(at, EventKind.missed)
    assert at.state.arrears == D("100.00")
    below = evaluate(terms, schedule(), [PaymentFact(START, D("899.99"))], as_of=START + timedelta(days=10))
    assert kinds(below, EventKind.missed)[0].amount == D("100.01")


def test_two_consecutive_misses_default_by_default():
    ev = evaluate(ContractTerms(), schedule(), [], as_of=date(2026, 2, 20))
    assert ev.state.status is ContractStatus.defaulted
    assert len(kinds(ev, EventKind.missed)) == 2
    assert kinds(ev, EventKind.defaulted)[0].amount == D("2000.00")


def test_three_misses_in_total_default_even_when_not_consecutive():
    s = schedule(6)
    # Installment 2 is missed, then 2 and 3 are paid together; 4 is missed, then 4 and 5; 6 is missed.
    pays = [PaymentFact(s[0].due, D("1000.00")), PaymentFact(s[2].due, D("2000.00")),
            PaymentFact(s[4].due, D("2000.00"))]
    terms = ContractTerms(consecutive_misses_to_default=2, total_misses_to_default=3)
    ev = evaluate(terms, s, pays, as_of=s[5].due + timedelta(days=7))
    assert [e.installment for e in kinds(ev, EventKind.missed)] == [2, 4, 6]
    assert ev.state.status is ContractStatus.defaulted
    assert ev.state.consecutive_misses == 1 and ev.state.misses_total == 3


def test_paying_arrears_within_cure_days_cures_and_later_escalates_otherwise():
    s = schedule()
    defaulted_on = s[1].due + timedelta(days=6)
    cured = evaluate(ContractTerms(cure_days=15), s, [PaymentFact(defaulted_on + timedelta(days=15), D("2000.00"))],
                     as_of=defaulted_on + timedelta(days=20))
    assert cured.state.status is ContractStatus.active and cured.state.cures == 1
    late = evaluate(ContractTerms(cure_days=15), s, [PaymentFact(defaulted_on + timedelta(days=16), D("2000.00"))],
                    as_of=defaulted_on + timedelta(days=20))
    assert late.state.status is ContractStatus.escalated
    assert kinds(late, EventKind.escalated)[0].on == defaulted_on + timedelta(days=16)


def test_acceleration_makes_the_whole_balance_the_arrears():
    ev = evaluate(ContractTerms(accelerate_on_default=True), schedule(), [], as_of=date(2026, 2, 20))
    assert ev.state.status is ContractStatus.defaulted
    assert ev.state.arrears == D("6000.00")


def test_append_missed_moves_the_unpaid_amount_after_the_last_installment():
    s = schedule(3)
    ev = evaluate(ContractTerms(append_missed=True, append_interval_days=30, total_misses_to_default=9,
                                consecutive_misses_to_default=9), s, [], as_of=START + timedelta(days=7))
    assert len(ev.state.installments) == 4
    assert ev.state.installments[0].amount == D("0.00")
    assert ev.state.installments[-1] == Installment(s[-1].due + timedelta(days=30), D("1000.00"))
    assert ev.state.total == D("3000.00")


def test_reminders_go_out_only_for_unpaid_installments():
    s = schedule(2)
    ev = evaluate(ContractTerms(reminder_offsets=(3, 1)), s, [PaymentFact(START - timedelta(days=2), D("1000.00"))],
                  as_of=s[1].due)
    reminders = kinds(ev, EventKind.reminder_queued)
    assert [(e.installment, dict(e.data)["offset"]) for e in reminders] == [(1, "3"), (2, "3"), (2, "1")]


def test_reversal_undoes_a_payment_from_its_date():
    pay = PaymentFact(START, D("1000.00"), reversed_on=START + timedelta(days=2))
    ev = evaluate(ContractTerms(), schedule(), [pay], as_of=START + timedelta(days=10))
    assert ev.state.paid == 0
    assert kinds(ev, EventKind.missed)


payments_strategy = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 300_000), st.one_of(st.none(), st.integers(0, 60))),
    max_size=12,
)


def facts(raw) -> list[PaymentFact]:
    return [PaymentFact(START + timedelta(days=d), D(c) / 100, None if r is None else START + timedelta(days=d + r))
            for d, c, r in raw]


@settings(max_examples=150, deadline=None)
@given(payments_strategy, st.booleans(), st.booleans(), st.integers(0, 400))
def test_balance_never_below_zero_and_evaluation_is_repeatable(raw, append, accelerate, days):
    terms = ContractTerms(append_missed=append, accelerate_on_default=accelerate)
    as_of = START + timedelta(days=days)
    first = evaluate(terms, schedule(), facts(raw), as_of=as_of)
    again = evaluate(terms, schedule(), facts(raw), as_of=as_of)
    assert first == again
    assert first.state.balance >= 0 and first.state.arrears >= 0
    assert sum(i.amount for i in first.state.installments) == first.state.total


@settings(max_examples=60, deadline=None)
@given(payments_strategy, st.integers(30, 400))
def test_replaying_day_by_day_reproduces_the_history(raw, days):
    """The events up to day N are exactly the events of each earlier day's run, in order."""
    terms = ContractTerms()
    end = START + timedelta(days=days)
    full = evaluate(terms, schedule(), facts(raw), as_of=end)
    step = START + timedelta(days=days // 2)
    half = evaluate(terms, schedule(), facts(raw), as_of=step)
    assert full.events[: len(half.events)] == half.events
    assert all(e.on > step for e in full.events[len(half.events):])


amounts = st.integers(1, 10_000_000).map(lambda c: D(c) / 100)


@settings(max_examples=300, deadline=None)
@given(amounts, st.lists(st.tuples(st.sampled_from(["fees", "interest", "principal"]), st.integers(0, 5_000_000)),
                         max_size=9), st.one_of(st.none(), st.integers(0, 10_000_000)),
       st.permutations(["fees", "interest", "principal"]))
def test_allocations_always_sum_to_the_payment(amount, raw, cap, order):
    buckets = [Bucket(f"d{i}", comp, D(c) / 100) for i, (comp, c) in enumerate(raw)]
    result = allocate(amount, buckets, order=order, cap=None if cap is None else D(cap) / 100)
    assert result.total == amount
    assert all(line.amount > 0 for line in result.lines)
    assert result.credit >= 0
    by_debt = {b.debt_id: b.outstanding for b in buckets}
    for line in result.lines:
        if line.debt_id is not None:
            assert line.amount <= by_debt[line.debt_id]


def test_waterfall_pays_fees_then_interest_then_principal_and_holds_the_rest_as_credit():
    buckets = [Bucket("a", "principal", D("100")), Bucket("a", "interest", D("10")), Bucket("a", "fees", D("5"))]
    result = allocate(D("200"), buckets)
    assert [(line.component, line.amount) for line in result.lines] == [
        ("fees", D("5")), ("interest", D("10")), ("principal", D("100"))]
    assert result.credit == D("85")


def test_creditor_order_principal_first_is_followed():
    buckets = [Bucket("a", "fees", D("5")), Bucket("a", "principal", D("100"))]
    result = allocate(D("50"), buckets, order=("principal", "interest", "fees"))
    assert result.lines[0].component == "principal" and result.lines[0].amount == D("50")


def test_allocation_refuses_a_non_positive_payment():
    with pytest.raises(RuleViolation) as err:
        allocate(D("0"), [])
    assert err.value.field == "amount"


def test_promise_outcomes_at_the_edges():
    due = date(2026, 2, 1)
    settings_ = PromiseSettings(grace_days=1)
    assert promise_outcome(D("500"), due, D("500"), as_of=due - timedelta(days=3)) is PromiseStatus.kept
    assert promise_outcome(D("500"), due, D("0"), as_of=due + timedelta(days=1), settings=settings_) is PromiseStatus.open
    assert promise_outcome(D("500"), due, D("0"), as_of=due + timedelta(days=2), settings=settings_) is PromiseStatus.broken
    assert promise_outcome(D("500"), due, D("499.99"), as_of=due + timedelta(days=2),
                           settings=settings_) is PromiseStatus.partially_kept
    with pytest.raises(RuleViolation):
        PromiseSettings(grace_days=31)
