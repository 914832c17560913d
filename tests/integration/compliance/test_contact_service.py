"""The compliance service on SQLite and PostgreSQL: reservations, outcomes, holds, suspension,
restrictions, tightening, stored decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders import NOW, make_case, make_creditor, make_debtor

from qingzhai.compliance import service
from qingzhai.compliance.models import ContactDecisionRecord
from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import Conflict, NotFound, RuleViolation
from qingzhai.registry import service as registry
from qingzhai.registry.rules import HoldKind

TEN_AM = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


def call(session: Session, case, at=TEN_AM, **kw):
    kw.setdefault("agent_id", "collector-1")
    return service.request_contact(session, case=case, channel="call", at=at, **kw)


def test_fourth_connected_call_same_local_day_is_denied(session: Session) -> None:
    case = make_case(session)
    for i in range(3):
        d = call(session, case, at=TEN_AM + timedelta(minutes=i))
        assert d.allowed and d.attempt_id
        service.record_outcome(session, attempt_id=d.attempt_id, outcome="conversation", now=TEN_AM)
    fourth = call(session, case, at=TEN_AM + timedelta(minutes=10))
    assert not fourth.allowed and fourth.attempt_id is None
    assert [r.rule for r in fourth.reasons] == ["connected_calls_per_day"]
    assert fourth.reasons[0].text_zh and fourth.reasons[0].text_en != fourth.reasons[0].text_zh
    assert fourth.next_allowed_at == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 08:00 next local day


def test_unresolved_reservations_count_as_connected(session: Session) -> None:
    case = make_case(session)
    assert all(call(session, case).allowed for _ in range(3))
    assert not call(session, case).allowed


def test_unanswered_calls_free_the_connected_cap_but_not_the_number_cap(session: Session) -> None:
    case = make_case(session)
    for _ in range(6):
        d = call(session, case)
        assert d.allowed
        service.record_outcome(session, attempt_id=d.attempt_id, outcome="no_answer", now=TEN_AM)
    seventh = call(session, case)
    assert [r.rule for r in seventh.reasons] == ["attempts_per_number_per_day"]


def test_cancelled_reservation_counts_for_nothing(session: Session) -> None:
    case = make_case(session)
    ids = [call(session, case).attempt_id for _ in range(3)]
    service.record_outcome(session, attempt_id=ids[0], outcome="cancelled", now=TEN_AM)
    assert call(session, case).allowed


def test_query_without_reserve_does_not_reserve(session: Session) -> None:
    case = make_case(session)
    for _ in range(5):
        d = call(session, case, reserve=False)
        assert d.allowed and d.attempt_id is None
    assert all(call(session, case).allowed for _ in range(3))


def test_every_decision_is_stored_with_bilingual_reasons(session: Session) -> None:
    case = make_case(session)
    late = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # 22:30 Shanghai
    d = call(session, case, at=late)
    record = session.get(ContactDecisionRecord, d.decision_id)
    assert record is not None and record.allowed is False
    assert record.reasons[0]["rule"] == "quiet_hours"
    assert "22:00" in record.reasons[0]["text_en"] and record.reasons[0]["text_zh"]
    assert record.reasons[0]["source"].startswith("China Banking Association")
    assert service.decisions(session, case_id=case.id)[0].id == d.decision_id


def test_hold_blocks_collection_contact(session: Session) -> None:
    case = make_case(session)
    registry.place_hold(session, case, kind=HoldKind.dispute, until=date(2026, 11, 30), reason="disputed",
                        actor=SYSTEM, now=NOW)
    d = call(session, case)
    assert [r.rule for r in d.reasons] == ["hold"]
    assert d.next_allowed_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 Shanghai on Dec 1


def test_deceased_hold_on_another_case_of_the_same_debtor_blocks(session: Session) -> None:
    debtor = make_debtor(session)
    case, other = make_case(session, debtor=debtor), make_case(session, debtor=debtor)
    registry.place_hold(session, other, kind=HoldKind.deceased, until=None, reason="death certificate",
                        actor=SYSTEM, now=NOW)
    d = call(session, case)
    assert [r.rule for r in d.reasons] == ["hold"] and d.next_allowed_at is None


def test_suspended_agent_is_denied_until_reinstated(session: Session) -> None:
    case = make_case(session)
    service.suspend_agent(session, agent_id="collector-1", reason="threatening language", now=NOW, reference="INC-1")
    service.suspend_agent(session, agent_id="collector-1", reason="threatening language", now=NOW, reference="INC-1")
    assert len(service.suspensions(session)) == 1
    assert [r.rule for r in call(session, case).reasons] == ["agent_suspended"]
    assert call(session, case, agent_id="collector-2").allowed
    service.reinstate_agent(session, agent_id="collector-1", reason="retrained", now=NOW)
    assert call(session, case).allowed
    with pytest.raises(NotFound):
        service.reinstate_agent(session, agent_id="collector-1", reason="again", now=NOW)


def test_creditor_may_tighten_never_loosen(session: Session) -> None:
    creditor = make_creditor(session)
    registry.update_creditor_policy(session, creditor, {"contact": {
        "max_connected_calls_per_day": 1, "max_dial_attempts_per_number_per_day": 10,
        "quiet_start": "20:00", "quiet_end": "09:00"}})
    case = make_case(session, creditor=creditor)
    assert [r.rule for r in call(session, case, at=datetime(2026, 11, 20, 0, 30, tzinfo=UTC)).reasons] == ["quiet_hours"]
    assert call(session, case).allowed
    assert [r.rule for r in call(session, case).reasons] == ["connected_calls_per_day"]
    rules = service.rules_for(session, case)
    assert rules.max_attempts_per_number_per_day == 6  # 10 would loosen: ignored


def test_third_party_needs_the_debtor_out_of_contact(session: Session) -> None:
    case = make_case(session)
    relative = "13900001111"
    d = call(session, case, party="relative", phone=relative, purpose="locate")
    assert [r.rule for r in d.reasons] == ["third_party_not_out_of_contact"]
    for i in range(3):
        a = call(session, case, at=TEN_AM + timedelta(minutes=i))
        service.record_outcome(session, attempt_id=a.attempt_id, outcome="no_answer", now=TEN_AM)
    d = call(session, case, party="relative", phone=relative, purpose="locate", at=TEN_AM + timedelta(hours=1))
    assert d.allowed and "no_disclosure" in [o.rule for o in d.obligations]
    service.add_restriction(session, debtor_id=case.debtor_id, kind="third_party_refused", phone=relative,
                            reason="asked not to be called", now=TEN_AM)
    d = call(session, case, party="relative", phone=relative, purpose="locate", at=TEN_AM + timedelta(hours=2))
    assert [r.rule for r in d.reasons] == ["third_party_refused"]


def test_restriction_opt_out_blocks_that_channel_only(session: Session) -> None:
    case = make_case(session)
    service.add_restriction(session, debtor_id=case.debtor_id, kind="opt_out", channel="sms", reason="STOP", now=NOW)
    sms = service.request_contact(session, case=case, channel="sms", at=TEN_AM, agent_id="bot-1", agent_kind="bot")
    assert [r.rule for r in sms.reasons] == ["opt_out"]
    assert call(session, case).allowed


def test_debtor_without_zone_gets_the_most_restrictive_of_phone_and_address(session: Session) -> None:
    debtor = make_debtor(session, timezone="", phone="+1 212 555 0100")
    case = make_case(session, debtor=debtor)
    # The +1 number allows every US and Canadian zone: contact only inside 08:00-22:00 in all of them.
    d = call(session, case, at=datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # 11:00 NY, 06:00 Honolulu
    assert not d.allowed and any("Pacific/Honolulu" in r.text_en for r in d.reasons)
    assert d.next_allowed_at == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 08:00 Honolulu


def test_outcome_rules(session: Session) -> None:
    case = make_case(session)
    d = call(session, case)
    with pytest.raises(RuleViolation):
        service.record_outcome(session, attempt_id=d.attempt_id, outcome="delivered", now=NOW)
    with pytest.raises(RuleViolation):
        service.record_outcome(session, attempt_id=d.attempt_id, outcome="answered", now=NOW)
    service.record_outcome(session, attempt_id=d.attempt_id, outcome="busy", now=NOW)
    service.record_outcome(session, attempt_id=d.attempt_id, outcome="busy", now=NOW)
    with pytest.raises(Conflict):
        service.record_outcome(session, attempt_id=d.attempt_id, outcome="conversation", now=NOW)
    with pytest.raises(NotFound):
        service.record_outcome(session, attempt_id="nope", outcome="busy", now=NOW)


def test_bad_input_names_the_field(session: Session) -> None:
    case = make_case(session)
    with pytest.raises(RuleViolation) as e:
        service.request_contact(session, case=case, channel="pigeon", at=TEN_AM, agent_id="a")
    assert e.value.field == "channel"
    with pytest.raises(RuleViolation) as e:
        service.request_contact(session, case=case, channel="call", at=datetime(2026, 11, 20, 10), agent_id="a")
    assert e.value.field == "at"


def test_explain_shows_counters_and_next_times(session: Session) -> None:
    case = make_case(session)
    for _ in range(3):
        call(session, case)
    ex = service.explain(session, debtor_id=case.debtor_id, at=TEN_AM + timedelta(minutes=5), case=case)
    assert ex.pending_today == 3 and ex.attempts_today == 3
    by = {c.channel: c for c in ex.channels}
    assert not by["call"].allowed and by["sms"].allowed


def test_closed_case_is_not_contacted_for_collection(session: Session) -> None:
    case = make_case(session)
    case.stage = "closed"
    session.flush()
    d = call(session, case)
    assert [r.rule for r in d.reasons] == ["case_closed"] and d.next_allowed_at is None
    letter = service.request_contact(session, case=case, channel="letter", at=TEN_AM, agent_id="mailroom",
                                     purpose="notice")
    assert letter.allowed
