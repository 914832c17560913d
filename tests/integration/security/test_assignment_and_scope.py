from __future__ import annotations

from decimal import Decimal

import pytest
from tests.builders import NOW, make_case, make_creditor, make_debtor

from qingzhai.core.actor import SYSTEM, Actor, Role
from qingzhai.core.errors import NotFound, NotPermitted, RuleViolation
from qingzhai.registry import service as registry
from qingzhai.security import auth, service
from qingzhai.security.assignment import AssignmentRule, assign_by_rule, assign_case
from qingzhai.security.auth import actor_of

MANAGER = Actor(id="u-m", name="经理", role=Role.manager)


def user(session, name, role, **kw):
    return auth.create_user(session, name=name, role=role, actor=SYSTEM, now=NOW, **kw)


def test_collector_sees_only_assigned_cases_and_others_are_not_found(session):
    a, b = user(session, "张催收", "collector"), user(session, "王催收", "collector")
    mine, theirs = make_case(session), make_case(session)
    assign_case(session, mine, to="张催收", actor=MANAGER, now=NOW)
    assign_case(session, theirs, to=b.id, actor=MANAGER, now=NOW)
    me = actor_of(a, source=None)
    assert registry.get_case(session, mine.number, actor=me).id == mine.id
    with pytest.raises(NotFound):
        registry.get_case(session, theirs.number, actor=me)
    rows, total = registry.list_cases(session, actor=me)
    assert total == 1 and rows[0].id == mine.id
    assert registry.get_debtor(session, mine.debtor_id, actor=me).id == mine.debtor_id
    with pytest.raises(NotFound):
        registry.get_debtor(session, theirs.debtor_id, actor=me)
    debtors, count = registry.list_debtors(session, actor=me)
    assert count == 1 and debtors[0].id == mine.debtor_id


def test_creditor_client_sees_only_its_own_placements(session):
    c1, c2 = make_creditor(session), make_creditor(session)
    own, other = make_case(session, creditor=c1), make_case(session, creditor=c2)
    client = actor_of(user(session, "bank-api", "creditor", creditor=c1.id), source=None)
    assert registry.get_case(session, own.id, actor=client).id == own.id
    with pytest.raises(NotFound):
        registry.get_case(session, other.id, actor=client)
    assert {c.id for c in registry.list_cases(session, actor=client)[0]} == {own.id}


def test_reassignment_is_recorded_on_the_case_and_audited(session):
    user(session, "a1", "collector")
    b = user(session, "m1", "mediator")
    case = make_case(session)
    assign_case(session, case, to="a1", actor=MANAGER, now=NOW)
    assign_case(session, case, to="m1", actor=MANAGER, now=NOW, reason="mediation")
    assert case.assignee_id == b.id
    kinds = [e.kind for e in registry.case_events(session, case)]
    assert kinds[-2:] == ["assigned", "reassigned"]
    entries, _ = service.audit_entries(session, case_id=case.id)
    assert [e.action for e in entries] == ["case.assigned", "case.reassigned"]
    assert entries[1].detail["to"] == b.id and entries[1].actor_name == "经理"


def test_cases_go_only_to_collectors_or_mediators_and_only_managers_assign(session):
    user(session, "boss", "manager")
    user(session, "col", "collector")
    case = make_case(session)
    with pytest.raises(RuleViolation) as err:
        assign_case(session, case, to="boss", actor=MANAGER, now=NOW)
    assert err.value.field == "to"
    with pytest.raises(NotPermitted):
        assign_case(session, case, to="col", actor=Actor(id="x", name="x", role=Role.collector), now=NOW)


def test_bulk_assignment_by_district_and_inclusive_amount_tier(session):
    col = user(session, "tier", "collector")
    pudong = make_debtor(session, district="浦东新区")
    chongming = make_debtor(session, district="崇明区")
    low = make_case(session, debtor=pudong, amount="49999.99")
    edge = make_case(session, debtor=pudong, amount="50000.00")
    high = make_case(session, debtor=pudong, amount="500000.00")
    elsewhere = make_case(session, debtor=chongming, amount="60000.00")
    rule = AssignmentRule(district="浦东新区", min_amount=Decimal("50000.00"), max_amount=Decimal("500000.00"))
    assert assign_by_rule(session, to="tier", rule=rule, actor=MANAGER, now=NOW) == 2
    assert {c.assignee_id for c in (edge, high)} == {col.id}
    assert low.assignee_id is None and elsewhere.assignee_id is None
    assert assign_by_rule(session, to="tier", rule=rule, actor=MANAGER, now=NOW) == 0  # idempotent


def test_bulk_rule_refuses_min_above_max():
    with pytest.raises(RuleViolation) as err:
        AssignmentRule(min_amount=Decimal(2), max_amount=Decimal(1))
    assert err.value.field == "min_amount"
