"""Mediation use cases on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, NotFound, NotPermitted, RuleViolation
from qingzhai.core.money import Money
from qingzhai.mediation import jobs, service, vault, views
from qingzhai.mediation.models import MediationEvent
from qingzhai.mediation.rules import MediationSettings, Status
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage

# Execution's tables join the test schema (its contracts are where agreements go).
execution = pytest.importorskip("qingzhai.execution.service")
try:  # the compliance engine's tables join the test schema when it is installed
    compliance: Any = importlib.import_module("qingzhai.compliance.service")
except ImportError:  # pragma: no cover
    compliance = None

from tests.builders import NOW, make_case, make_debtor  # noqa: E402

MANAGER = Actor(id="m1", name="经理", role=Role.manager)


def mediator(m: object) -> Actor:
    return Actor(id=m.mediator_id, name="调解员", role=Role.mediator)  # type: ignore[attr-defined]


def creditor_actor(case: object) -> Actor:
    return Actor(id="c1", name="委托方", role=Role.creditor, creditor_id=case.creditor_id)  # type: ignore[attr-defined]


def cny(text: str) -> Money:
    return Money(Decimal(text), "CNY")


def active_mediation(session: Session, **kwargs: object):
    case = make_case(session, stage=Stage.planning, amount="80000.00")
    m = service.refer(session, case=case, kind="", actor=MANAGER, now=NOW, reason="债务人申请调解", **kwargs)
    service.accept(session, m, actor=mediator(m), now=NOW)
    return case, m


def test_referral_places_a_mediation_hold_until_the_deadline(session: Session) -> None:
    case = make_case(session, stage=Stage.planning)
    m = service.refer(session, case=case, kind="court", actor=MANAGER, now=NOW, reason="法院委派")
    holds = registry.active_holds(session, case, now=NOW)
    assert [h.kind for h in holds] == ["mediation"]
    assert holds[0].until == date(2026, 12, 20)  # 30 days after 2026-11-20 (Shanghai)
    assert m.deadline == date(2026, 12, 20)
    assert m.status == Status.referred.value
    assert m.mediator_id == "mediator-01"
    assert "人民法院" in m.institution


def test_deadline_is_a_setting(session: Session) -> None:
    case = make_case(session, stage=Stage.planning)
    m = service.refer(session, case=case, kind="court", actor=MANAGER, now=NOW, reason="x",
                      settings=MediationSettings(deadline_days=10))
    assert m.deadline == date(2026, 11, 30)


def test_chongming_defaults_to_community_hometown_mediation(session: Session) -> None:
    case = make_case(session, stage=Stage.planning, debtor=make_debtor(session, district="崇明区"))
    m = service.refer(session, case=case, kind="default", actor=MANAGER, now=NOW, reason="x")
    assert m.kind == "community"
    assert m.institution == "崇明区乡情调解委员会"


def test_pudong_defaults_to_institutional_mediation(session: Session) -> None:
    case = make_case(session, stage=Stage.planning)
    m = service.refer(session, case=case, kind="", actor=MANAGER, now=NOW, reason="x")
    assert m.kind == "institutional"


def test_second_referral_of_the_same_case_conflicts(session: Session) -> None:
    case = make_case(session, stage=Stage.planning)
    service.refer(session, case=case, kind="court", actor=MANAGER, now=NOW, reason="x")
    with pytest.raises(Conflict):
        service.refer(session, case=case, kind="court", actor=MANAGER, now=NOW, reason="x")


def test_creditor_may_not_refer(session: Session) -> None:
    case = make_case(session, stage=Stage.planning)
    with pytest.raises(NotPermitted):
        service.refer(session, case=case, kind="court", actor=creditor_actor(case), now=NOW, reason="x")


def test_unknown_kind_names_the_field(session: Session) -> None:
    case = make_case(session, stage=Stage.planning)
    with pytest.raises(RuleViolation) as err:
        service.refer(session, case=case, kind="arbitration", actor=MANAGER, now=NOW, reason="x")
    assert err.value.field == "kind"


def test_mediators_are_assigned_by_fewest_open_mediations(session: Session) -> None:
    s = MediationSettings(mediator_pool=("zz-a", "zz-b"))
    first = service.refer(session, case=make_case(session, stage=Stage.planning), kind="court", actor=MANAGER,
                          now=NOW, reason="x", settings=s)
    second = service.refer(session, case=make_case(session, stage=Stage.planning), kind="court", actor=MANAGER,
                           now=NOW, reason="x", settings=s)
    assert {first.mediator_id, second.mediator_id} == {"zz-a", "zz-b"}


def test_overlapping_positions_settle_at_the_midpoint_and_become_an_agreement(session: Session) -> None:
    case, m = active_mediation(session)
    med = mediator(m)
    due = date(2026, 11, 20)
    service.submit_position(session, m, actor=creditor_actor(case), now=NOW, payments=[(due, cny("50000.00"))])
    token = vault.debtor_token(m)
    service.submit_position(session, m, actor=MANAGER, party_token=token, now=NOW, payments=[(due, cny("60000.00"))])
    proposal, seen = service.propose(session, m, actor=med, now=NOW)
    assert proposal.zone_exists and proposal.amount == Decimal("55000.00")
    assert seen.creditor_floor == cny("50000.00") and seen.debtor_ceiling == cny("60000.00")
    with pytest.raises(RuleViolation):
        service.agree(session, m, actor=med, now=NOW)  # nobody accepted yet
    service.respond(session, m, actor=creditor_actor(case), now=NOW, accept=True)
    service.respond(session, m, actor=MANAGER, party_token=token, now=NOW, accept=True)
    later = NOW + timedelta(days=3)
    service.agree(session, m, actor=med, now=later)
    assert m.status == Status.settled.value
    assert m.agreed_amount == Decimal("55000.00")
    assert m.confirmation_deadline == date(2026, 12, 23)
    assert registry.active_holds(session, case, now=later) == []


def test_no_zone_tells_the_mediator_the_shortfall_and_the_parties_nothing(session: Session) -> None:
    case, m = active_mediation(session)
    due = date(2026, 11, 20)
    token = vault.debtor_token(m)
    service.submit_position(session, m, actor=creditor_actor(case), now=NOW, payments=[(due, cny("70000.00"))])
    service.submit_position(session, m, actor=MANAGER, party_token=token, now=NOW, payments=[(due, cny("40000.00"))])
    proposal, seen = service.propose(session, m, actor=mediator(m), now=NOW)
    assert not proposal.zone_exists and proposal.amount is None
    assert seen.shortfall == cny("30000.00")
    debtor_view = views.describe(session, m, actor=MANAGER, party_token=token, now=NOW)
    text = repr(debtor_view)
    assert "70000" not in text and "30000" not in text
    assert debtor_view["positions"]["creditor"] is None
    creditor_view = views.describe(session, m, actor=creditor_actor(case), now=NOW)
    assert "40000" not in repr(creditor_view)


def test_staff_cannot_read_a_confidential_position(session: Session) -> None:
    case, m = active_mediation(session)
    service.submit_position(session, m, actor=creditor_actor(case), now=NOW, payments=[(date(2026, 12, 1), cny("50000.00"))])
    with pytest.raises(NotPermitted) as err:
        service.read_position(session, m, actor=MANAGER, now=NOW, party="creditor")
    assert "50000" not in str(err.value)
    assert service.read_position(session, m, actor=mediator(m), now=NOW, party="creditor") is not None


def test_debtor_cannot_read_the_creditors_position(session: Session) -> None:
    case, m = active_mediation(session)
    service.submit_position(session, m, actor=creditor_actor(case), now=NOW, payments=[(date(2026, 12, 1), cny("50000.00"))])
    with pytest.raises(NotPermitted):
        service.read_position(session, m, actor=MANAGER, party_token=vault.debtor_token(m), now=NOW, party="creditor")


def test_another_creditor_does_not_see_the_mediation(session: Session) -> None:
    _case, m = active_mediation(session)
    stranger = Actor(id="c9", name="他人", role=Role.creditor, creditor_id="someone-else")
    with pytest.raises(NotFound):
        service.get_mediation(session, m.id, actor=stranger)


def test_a_wrong_party_token_is_refused(session: Session) -> None:
    _case, m = active_mediation(session)
    with pytest.raises(NotPermitted):
        views.describe(session, m, actor=MANAGER, party_token="0" * 32, now=NOW)


def test_case_events_carry_no_confidential_amount(session: Session) -> None:
    case, m = active_mediation(session)
    due = date(2026, 11, 20)
    service.submit_position(session, m, actor=creditor_actor(case), now=NOW, payments=[(due, cny("71234.56"))])
    service.submit_position(session, m, actor=MANAGER, party_token=vault.debtor_token(m), now=NOW,
                           payments=[(due, cny("41234.56"))])
    service.propose(session, m, actor=mediator(m), now=NOW)
    events = registry.case_events(session, case)
    mine = session.query(MediationEvent).filter_by(mediation_id=m.id).all()
    text = repr([(e.kind, e.reason, e.data) for e in events]) + repr([(e.kind, e.data) for e in mine])
    for secret in ("71234", "41234", "30000"):
        assert secret not in text


def test_blind_bids_within_the_band_settle_at_the_midpoint(session: Session) -> None:
    case, m = active_mediation(session, mode="blind_bid")
    token = vault.debtor_token(m)
    assert service.submit_bid(session, m, actor=creditor_actor(case), now=NOW, amount=cny("60000.00")) is None
    seen = service.submit_bid(session, m, actor=MANAGER, party_token=token, now=NOW, amount=cny("57000.00"))
    assert seen is not None and seen.zone_exists
    assert seen.terms is not None and seen.terms.total == cny("58500.00")


def test_blind_bids_outside_the_band_open_the_next_round(session: Session) -> None:
    case, m = active_mediation(session, mode="blind_bid")
    token = vault.debtor_token(m)
    service.submit_bid(session, m, actor=creditor_actor(case), now=NOW, amount=cny("60000.00"))
    seen = service.submit_bid(session, m, actor=MANAGER, party_token=token, now=NOW, amount=cny("40000.00"))
    assert seen is not None and not seen.zone_exists and seen.shortfall is None
    assert m.round == 2
    with pytest.raises(RuleViolation):
        service.submit_bid(session, m, actor=creditor_actor(case), now=NOW, amount=cny("61000.00"))


def test_failed_mediation_lifts_the_hold(session: Session) -> None:
    case, m = active_mediation(session)
    service.conclude(session, m, outcome="failed", reason="债务人拒绝", actor=mediator(m), now=NOW)
    assert m.status == "failed"
    assert registry.active_holds(session, case, now=NOW) == []


def test_overdue_mediations_expire_once(session: Session) -> None:
    _case, m = active_mediation(session)
    later = NOW + timedelta(days=31)
    expired = jobs.expire_overdue(session, now=later, actor=MANAGER)
    assert m in expired and m.status == "failed"
    assert m not in jobs.expire_overdue(session, now=later, actor=MANAGER)


def _agreed(session: Session):
    case, m = active_mediation(session)
    service.agree(session, m, actor=mediator(m), now=NOW,
                  schedule=[(date(2026, 12, 20), cny("30000.00")), (date(2027, 1, 20), cny("30000.00"))])
    return case, m


def test_confirmation_must_be_filed_within_thirty_days(session: Session) -> None:
    _case, m = _agreed(session)
    with pytest.raises(RuleViolation) as err:
        service.apply_for_confirmation(session, m, actor=mediator(m), now=NOW + timedelta(days=31))
    assert err.value.field == "confirmation"
    service.apply_for_confirmation(session, m, actor=mediator(m), now=NOW + timedelta(days=30))
    assert m.confirmation == "applied"
    service.record_confirmation(session, m, confirmed=True, actor=mediator(m), now=NOW + timedelta(days=40))
    assert m.confirmation == "confirmed"


def test_metrics_show_numerators_and_denominators(session: Session) -> None:
    before = session.query(MediationEvent).count()
    _case, agreed = _agreed(session)
    service.apply_for_confirmation(session, agreed, actor=mediator(agreed), now=NOW)
    service.record_confirmation(session, agreed, confirmed=True, actor=mediator(agreed), now=NOW)
    _case2, failed = active_mediation(session)
    service.conclude(session, failed, outcome="failed", reason="x", actor=mediator(failed), now=NOW)
    case3 = make_case(session, stage=Stage.planning)
    service.refer(session, case=case3, kind="court", actor=MANAGER, now=NOW, reason="x")
    rows = views.metrics(session, since=NOW)
    overall = next(r for r in rows if r.group == "all")
    if before == 0:
        assert overall.referred == 3
        assert (overall.settled_of_accepted.numerator, overall.settled_of_accepted.denominator) == (1, 2)
        assert (overall.settled_of_concluded.numerator, overall.settled_of_concluded.denominator) == (1, 2)
        assert (overall.confirmed_of_agreed.numerator, overall.confirmed_of_agreed.denominator) == (1, 1)
        assert overall.median_days == 0
    assert {r.group for r in rows} == {"all", "mediator", "institution", "district"}


def test_agreement_becomes_a_contract_and_the_case_moves_to_execution(session: Session) -> None:
    case, m = _agreed(session)
    assert m.contract_id is not None
    contract = execution.get_contract(session, m.contract_id)
    assert contract.source == f"mediation:{m.id}"
    assert case.stage == Stage.execution.value
    assert jobs.sync_contracts(session, now=NOW, actor=MANAGER) == 0  # nothing left to hand over


def test_referral_from_intake_is_refused(session: Session) -> None:
    case = make_case(session, stage=Stage.intake)
    with pytest.raises(RuleViolation) as err:
        service.refer(session, case=case, kind="court", actor=MANAGER, now=NOW, reason="x")
    assert err.value.field == "case_id"


def test_daily_job_expires_once_and_is_harmless_to_rerun(session: Session) -> None:
    from qingzhai.mediation.jobs import run_daily

    _case, m = active_mediation(session)
    later = NOW + timedelta(days=31)
    first = run_daily(session, now=later)
    assert first.expired >= 1 and m.status == "failed"
    assert run_daily(session, now=later).expired == 0


def test_compliance_refuses_collection_contact_while_mediation_runs(session: Session) -> None:
    if compliance is None:
        pytest.skip("the compliance capability is not installed")
    case = make_case(session, stage=Stage.planning)
    m = service.refer(session, case=case, kind="court", actor=MANAGER, now=NOW, reason="x")
    decision = compliance.request_contact(session, case=case, channel="call", at=NOW, agent_id="agent-1", reserve=False)
    assert not decision.allowed
    assert any(r.rule == "hold" for r in decision.reasons)
    service.conclude(session, m, outcome="withdrawn", reason="x", actor=mediator(m), now=NOW)
    after = compliance.request_contact(session, case=case, channel="call", at=NOW, agent_id="agent-1", reserve=False)
    assert not any(r.rule == "hold" for r in after.reasons)


@pytest.mark.parametrize("creditor_minimums", [("60000.01", "79999.99"), ("70000.00", "1000000.00")])
def test_debtor_view_is_the_same_whatever_the_creditor_minimum_beyond_the_overlap(
    session: Session, creditor_minimums: tuple[str, str]
) -> None:
    seen = []
    for minimum in creditor_minimums:
        case, m = active_mediation(session)
        token = vault.debtor_token(m)
        service.submit_position(session, m, actor=creditor_actor(case), now=NOW, payments=[(date(2026, 12, 1), cny(minimum))])
        service.submit_position(session, m, actor=MANAGER, party_token=token, now=NOW,
                                payments=[(date(2026, 12, 1), cny("60000.00"))])
        service.propose(session, m, actor=mediator(m), now=NOW)
        view = views.describe(session, m, actor=MANAGER, party_token=token, now=NOW)
        for key in ("id", "case_number", "mediator_id"):
            view.pop(key)
        for proposal in view["proposals"]:
            proposal.pop("id")
        seen.append(view)
        assert minimum not in repr(view)
    assert seen[0] == seen[1]
