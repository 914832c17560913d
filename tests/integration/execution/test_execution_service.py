from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from tests.builders import NOW, make_case

import qingzhai.compliance.models  # noqa: F401  (until compliance/ has an __init__.py, all_models misses it)
from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import Conflict, RuleViolation
from qingzhai.core.money import Money
from qingzhai.execution import jobs, ledger, service
from qingzhai.execution.models import LedgerEntry, Payment, PaymentAllocation, Promise, Reminder
from qingzhai.execution.rules import ContractTerms, Escalation
from qingzhai.registry.models import Debt
from qingzhai.registry.rules import Stage

TODAY = date(2026, 11, 20)  # local date of NOW


def at(day: date):
    return NOW + timedelta(days=(day - TODAY).days)


def plan(n: int = 3, amount: str = "1000.00", first: date = TODAY + timedelta(days=10)):
    return [(first + timedelta(days=30 * i), Money.of(amount)) for i in range(n)]


def contract_for(session, *, amount="3000.00", n=3, terms=None, stage=Stage.planning):
    case = make_case(session, stage=stage, amount=amount)
    contract = service.create_contract(session, case=case, schedule=plan(n, str(Decimal(amount) / n)),
                                       source="manual", actor=SYSTEM, now=NOW, terms=terms)
    return case, contract


def pay(session, case, amount, key, day):
    return service.record_payment(session, case=case, amount=Money.of(amount), idempotency_key=key,
                                  value_date=day, channel="api", actor=SYSTEM, now=at(day))


def test_creating_a_contract_moves_the_case_to_execution_and_is_idempotent(session):
    case, contract = contract_for(session)
    assert case.stage == Stage.execution.value
    again = service.create_contract(session, case=case, schedule=plan(), source="manual", actor=SYSTEM, now=NOW)
    assert again.id == contract.id
    assert session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.contract_id == contract.id)) == 1


def test_a_second_contract_in_force_for_the_case_is_a_conflict(session):
    case, _ = contract_for(session)
    with pytest.raises(Conflict):
        service.create_contract(session, case=case, schedule=plan(), source="plan:2", actor=SYSTEM, now=NOW)


def test_contract_in_another_currency_is_refused_naming_the_schedule(session):
    case = make_case(session, stage=Stage.planning)
    with pytest.raises(RuleViolation) as err:
        service.create_contract(session, case=case, schedule=[(TODAY, Money.of("1.00", "USD"))], source="manual",
                                actor=SYSTEM, now=NOW)
    assert err.value.field == "schedule"


def test_contract_for_a_case_in_intake_is_refused(session):
    case = make_case(session, stage=Stage.intake)
    with pytest.raises(RuleViolation) as err:
        service.create_contract(session, case=case, schedule=plan(), source="manual", actor=SYSTEM, now=NOW)
    assert err.value.field == "stage"


def test_duplicate_payment_key_is_ignored(session):
    case, _ = contract_for(session)
    first = pay(session, case, "500.00", "k-1", TODAY)
    second = pay(session, case, "500.00", "k-1", TODAY)
    assert not first.duplicate and second.duplicate
    assert case.recovered_amount == Decimal("500.00")


def test_same_key_for_a_different_amount_is_a_conflict(session):
    case, _ = contract_for(session)
    pay(session, case, "500.00", "k-1", TODAY)
    with pytest.raises(Conflict):
        pay(session, case, "600.00", "k-1", TODAY)


def test_payment_follows_the_creditor_waterfall_and_overpayment_is_credit(session):
    case, _ = contract_for(session, amount="3000.00")
    debt = session.scalar(select(Debt).where(Debt.case_id == case.id))
    debt.principal, debt.interest, debt.fees = Decimal("2800.00"), Decimal("150.00"), Decimal("50.00")
    session.flush()
    posting = pay(session, case, "3500.00", "k-over", TODAY)
    lines = {a.component: a.amount for a in session.scalars(
        select(PaymentAllocation).where(PaymentAllocation.payment_id == posting.payment.id))}
    assert lines == {"fees": Decimal("50.00"), "interest": Decimal("150.00"), "principal": Decimal("2800.00")}
    assert posting.payment.credit == Decimal("500.00")
    assert service.case_credit(session, case) == Money.of("500.00")
    assert case.recovered_amount == Decimal("3000.00")


def test_reversal_takes_back_the_recovery_and_is_recorded_once(session):
    case, _ = contract_for(session)
    posting = pay(session, case, "800.00", "k-r", TODAY)
    service.reverse_payment(session, payment=posting.payment, reason="bounced", on=TODAY, actor=SYSTEM, now=NOW)
    again = service.reverse_payment(session, payment=posting.payment, reason="bounced", on=TODAY, actor=SYSTEM, now=NOW)
    assert again.duplicate
    assert case.recovered_amount == Decimal("0.00")
    kinds = session.scalars(select(LedgerEntry.kind).where(LedgerEntry.case_id == case.id)).all()
    assert kinds.count("payment_reversed") == 1


def test_future_value_date_is_refused(session):
    case, _ = contract_for(session)
    with pytest.raises(RuleViolation) as err:
        service.record_payment(session, case=case, amount=Money.of("1.00"), idempotency_key="k-f",
                               value_date=TODAY + timedelta(days=1), channel="api", actor=SYSTEM, now=NOW)
    assert err.value.field == "value_date"


def test_run_day_twice_writes_nothing_the_second_time(session):
    contract_for(session)
    day = TODAY + timedelta(days=7)  # first reminder (3 days before the first due date)
    first = jobs.run_day(session, day=day, now=at(day), contact=None)
    count = session.scalar(select(func.count()).select_from(LedgerEntry))
    second = jobs.run_day(session, day=day, now=at(day), contact=None)
    assert first.events >= 1 and first.by_kind.get("reminder_queued") == 1
    assert second.events == 0 and second.repeated
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == count
    assert ledger.verify(session).ok


def test_running_a_day_before_the_last_run_is_refused(session):
    jobs.run_day(session, day=TODAY, now=NOW, contact=None)
    with pytest.raises(RuleViolation) as err:
        jobs.run_day(session, day=TODAY - timedelta(days=1), now=NOW, contact=None)
    assert err.value.field == "date"


def test_paid_contract_closes_the_case_as_paid(session):
    case, contract = contract_for(session, amount="80000.00", n=2)
    for i, (due, money) in enumerate(plan(2, "40000.00")):
        pay(session, case, str(money.amount), f"k{i}", due)
        jobs.run_day(session, day=due, now=at(due), contact=None)
    session.refresh(case)
    assert case.stage == Stage.closed.value and case.outcome == "paid"
    assert contract.status == "completed"


def test_settlement_below_the_debt_closes_as_settled(session):
    case = make_case(session, stage=Stage.planning, amount="10000.00")
    service.create_contract(session, case=case, schedule=[(TODAY, Money.of("7000.00"))], source="plan:s",
                            actor=SYSTEM, now=NOW)
    pay(session, case, "7000.00", "k-s", TODAY)
    jobs.run_day(session, day=TODAY, now=NOW, contact=None)
    session.refresh(case)
    assert case.outcome == "settled"


def test_uncured_default_escalates_back_to_planning_catching_up_over_a_range(session):
    case, contract = contract_for(session, terms=ContractTerms(cure_days=5, escalation=Escalation.planning))
    for i in range(0, 80):
        day = TODAY + timedelta(days=i)
        jobs.run_day(session, day=day, now=at(day), contact=None)
    session.refresh(case)
    assert contract.status == "escalated"
    assert case.stage == Stage.planning.value
    kinds = session.scalars(select(LedgerEntry.kind).where(LedgerEntry.contract_id == contract.id)
                            .order_by(LedgerEntry.seq)).all()
    assert kinds.count("missed") == 2 and kinds.count("defaulted") == 1 and kinds[-1] == "escalated"
    assert ledger.verify(session).ok


def test_escalation_to_litigation_closes_the_case(session):
    case, _contract = contract_for(session, terms=ContractTerms(cure_days=0, escalation=Escalation.litigation))
    day = TODAY + timedelta(days=60)
    jobs.run_day(session, day=day, now=at(day), contact=None)
    session.refresh(case)
    assert case.stage == Stage.closed.value and case.outcome == "litigation"


def test_broken_promise_goes_to_the_queue_kept_does_not(session):
    case_a, _ = contract_for(session)
    case_b, _ = contract_for(session)
    due = TODAY + timedelta(days=2)
    kept = service.record_promise(session, case=case_a, amount=Money.of("300.00"), due=due, channel="call",
                                  taken_by="李四", now=NOW)
    broken = service.record_promise(session, case=case_b, amount=Money.of("300.00"), due=due, channel="call",
                                    taken_by="李四", now=NOW)
    pay(session, case_a, "300.00", "k-p", due)
    for i in range(5):
        day = TODAY + timedelta(days=i)
        jobs.run_day(session, day=day, now=at(day), contact=None)
    session.refresh(kept)
    session.refresh(broken)
    assert (kept.status, kept.queued) == ("kept", False)
    assert (broken.status, broken.queued) == ("broken", True)
    queue, total = service.list_promises(session, queued=True)
    assert total == 1 and queue[0].id == broken.id


def test_promise_in_the_past_is_refused(session):
    case, _ = contract_for(session)
    with pytest.raises(RuleViolation) as err:
        service.record_promise(session, case=case, amount=Money.of("1.00"), due=TODAY - timedelta(days=1),
                               channel="call", taken_by="x", now=NOW)
    assert err.value.field == "due"


class FakeCompliance:
    """Records each request; denies the first one for a case, allows the next."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, session, *, case, channel, at, agent_id, agent_kind="human", phone=None, party="debtor",
                 purpose="collection", reserve=True):
        self.calls.append({"case": case.id, "channel": channel, "at": at})
        from types import SimpleNamespace

        first = sum(1 for c in self.calls if c["case"] == case.id) == 1
        if first:
            return SimpleNamespace(allowed=False, attempt_id=None, next_allowed_at=at + timedelta(days=1),
                                   reasons=[SimpleNamespace(rule="quiet_hours", text_en="quiet hours", text_zh="")])
        return SimpleNamespace(allowed=True, attempt_id=f"att-{len(self.calls)}", next_allowed_at=None, reasons=[])


def test_denied_reminder_is_not_sent_and_retried_next_allowed_day(session):
    contract_for(session)
    gate = FakeCompliance()
    day = TODAY + timedelta(days=7)
    report = jobs.run_day(session, day=day, now=at(day), contact=gate)
    reminder = session.scalar(select(Reminder))
    assert report.reminders_deferred == 1 and reminder.status == "queued"
    assert reminder.next_try_on == day + timedelta(days=1)
    nxt = day + timedelta(days=1)
    report = jobs.run_day(session, day=nxt, now=at(nxt), contact=gate)
    session.refresh(reminder)
    assert reminder.status == "sent" and reminder.attempt_id
    assert len(gate.calls) == 2  # the denied one, then its retry the next day


def test_ledger_verify_names_the_first_changed_entry(session):
    case, _ = contract_for(session)
    for i in range(3):
        pay(session, case, "10.00", f"k{i}", TODAY)
    jobs.run_day(session, day=TODAY, now=NOW, contact=None)
    assert ledger.verify(session).ok
    target = session.scalars(select(LedgerEntry.seq).order_by(LedgerEntry.seq)).all()[2]
    session.flush()
    session.execute(text("UPDATE ledger_entries SET body = replace(body, '10.00', '99.00') WHERE seq = :s"),
                    {"s": target})
    report = ledger.verify(session)
    assert not report.ok and report.broken_seq == target


def test_ledger_verify_detects_a_removed_entry(session):
    case, _ = contract_for(session)
    for i in range(3):
        pay(session, case, "10.00", f"k{i}", TODAY)
    session.flush()
    seqs = session.scalars(select(LedgerEntry.seq).order_by(LedgerEntry.seq)).all()
    session.execute(text("DELETE FROM ledger_entries WHERE seq = :s"), {"s": seqs[1]})
    report = ledger.verify(session)
    assert not report.ok and report.broken_seq == seqs[1]


def test_ledger_verify_detects_truncation_at_the_end(session):
    case, _ = contract_for(session)
    pay(session, case, "10.00", "k", TODAY)
    session.flush()
    last = session.scalar(select(func.max(LedgerEntry.seq)))
    session.execute(text("DELETE FROM ledger_entries WHERE seq = :s"), {"s": last})
    assert not ledger.verify(session).ok


def test_proof_of_a_sealed_entry_checks_out(session):
    from qingzhai.execution import chain

    case, _ = contract_for(session)
    pay(session, case, "10.00", "k", TODAY)
    jobs.run_day(session, day=TODAY, now=NOW, contact=None)
    entry = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == "payment_received"))
    proof = ledger.proof(session, entry.id)
    assert chain.check_proof(proof, ledger.public_key(session, now=NOW)).ok


def test_payments_post_to_the_contract_and_run_day_counts_them(session):
    case, contract = contract_for(session)
    due = plan()[0][0]
    pay(session, case, "1000.00", "k1", due)
    jobs.run_day(session, day=due, now=at(due), contact=None)
    assert contract.paid == Decimal("1000.00")
    assert session.scalar(select(Payment.contract_id).where(Payment.idempotency_key == "k1")) == contract.id
    assert session.scalar(select(func.count()).select_from(Promise)) == 0


def test_escalation_to_mediation_refers_the_case_back_in_planning(session):
    from qingzhai.registry.service import active_holds

    case, contract = contract_for(session, terms=ContractTerms(cure_days=0, escalation=Escalation.mediation))
    day = TODAY + timedelta(days=60)
    report = jobs.run_day(session, day=day, now=at(day), contact=None)
    session.refresh(case)
    assert report.cases_escalated == 1 and contract.status == "escalated"
    assert case.stage == Stage.planning.value
    assert [h.kind for h in active_holds(session, case, now=at(day))] == ["mediation"]


def test_real_compliance_engine_sends_a_reminder_and_blocks_one_under_a_cease_contact_hold(session):
    from qingzhai.registry.rules import HoldKind
    from qingzhai.registry.service import place_hold

    free_case, _ = contract_for(session)
    held_case, _ = contract_for(session)
    place_hold(session, held_case, kind=HoldKind.cease_contact, until=None, reason="debtor asked in writing",
               actor=SYSTEM, now=NOW)
    day = TODAY + timedelta(days=7)
    report = jobs.run_day(session, day=day, now=at(day))  # the installed compliance engine decides
    reminders = {r.case_id: r for r in session.scalars(select(Reminder))}
    assert reminders[free_case.id].status == "sent" and reminders[free_case.id].attempt_id
    held = reminders[held_case.id]
    assert held.status == "queued" and held.last_reasons and held.next_try_on > day
    assert report.reminders_sent == 1 and report.reminders_deferred == 1


@pytest.mark.slow
def test_nightly_runs_that_skip_quiet_contracts_leave_the_same_state_and_events_as_a_replay(session):
    case, contract = contract_for(session, n=3)
    dues = [d for d, _m in plan(3)]
    last = dues[-1] + timedelta(days=20)
    payments = {dues[0]: "1000.00", dues[1] + timedelta(days=9): "400.00", dues[2] + timedelta(days=2): "1600.00"}
    day = TODAY
    while day <= last:
        if day in payments:
            pay(session, case, payments[day], f"k-{day}", day)
        jobs.run_day(session, day=day, now=at(day), contact=None)
        day += timedelta(days=1)
    replay = service.evaluate_contract(session, contract, as_of=last)
    session.refresh(contract)
    assert (contract.status, contract.paid, contract.arrears, contract.misses_total) == (
        replay.state.status.value, replay.state.paid, replay.state.arrears, replay.state.misses_total)
    recorded = session.scalars(select(LedgerEntry.key).where(
        LedgerEntry.contract_id == contract.id, LedgerEntry.key.like("contract:%"),
        LedgerEntry.kind != "created")).all()
    expected = [f"contract:{contract.id}:{e.key}" for e in replay.events]
    assert set(recorded) ^ set(expected) == set()


def test_a_payment_posted_after_the_nightly_run_for_its_day_is_caught_up_the_next_night(session):
    case, contract = contract_for(session)
    paid_on = TODAY + timedelta(days=2)  # nothing is due that day: the contract is otherwise quiet
    jobs.run_day(session, day=TODAY, now=at(TODAY), contact=None)
    jobs.run_day(session, day=paid_on, now=at(paid_on) + timedelta(hours=12), contact=None)
    pay(session, case, "1000.00", "late-file", paid_on)  # the bank file arrives after the run
    nxt = paid_on + timedelta(days=1)
    jobs.run_day(session, day=nxt, now=at(nxt), contact=None)
    keys = session.scalars(select(LedgerEntry.key).where(LedgerEntry.contract_id == contract.id)).all()
    assert f"contract:{contract.id}:installment_paid:1:{paid_on.isoformat()}" in keys
    assert contract.paid == Decimal("1000.00")
