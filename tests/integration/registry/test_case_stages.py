from __future__ import annotations

import pytest
from tests.builders import NOW, make_case

from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import InvalidTransition, RuleViolation
from qingzhai.registry import service
from qingzhai.registry.rules import Outcome, Stage


def test_advance_records_an_event_with_who_and_why(session):
    case = make_case(session)
    service.advance_case(session, case, to=Stage.assessment, reason="placement accepted", actor=SYSTEM, now=NOW)
    events = service.case_events(session, case)
    assert case.stage == "assessment"
    assert events[-1].kind == "stage_changed"
    assert events[-1].data == {"from": "intake", "to": "assessment", "outcome": None}
    assert events[-1].reason == "placement accepted"
    assert events[-1].actor_name == "system"


def test_skipping_a_stage_is_refused_and_changes_nothing(session):
    case = make_case(session)
    with pytest.raises(InvalidTransition):
        service.advance_case(session, case, to=Stage.execution, reason="x", actor=SYSTEM, now=NOW)
    assert case.stage == "intake"
    assert [e.kind for e in service.case_events(session, case)] == ["case_opened"]


def test_closing_needs_an_outcome(session):
    case = make_case(session, stage=Stage.execution)
    with pytest.raises(RuleViolation) as err:
        service.advance_case(session, case, to=Stage.closed, reason="done", actor=SYSTEM, now=NOW)
    assert err.value.field == "outcome"
    service.advance_case(session, case, to=Stage.closed, reason="done", outcome=Outcome.paid, actor=SYSTEM, now=NOW)
    assert case.outcome == "paid" and case.closed_at == NOW


def test_an_absurdly_large_case_number_is_simply_not_found(session):
    from qingzhai.core.errors import NotFound

    for ref in ("99999999999999999999999", "2147483648", "QZ-9999999999"):
        with pytest.raises(NotFound):
            service.get_case(session, ref)
