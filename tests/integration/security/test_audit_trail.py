from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from tests.builders import NOW, make_case

from qingzhai.core.actor import Actor, Role
from qingzhai.security import service
from qingzhai.security.models import AuditEntry

ALICE = Actor(id="u-alice", name="alice", role=Role.collector, source="10.1.2.3")


def write(session, n, **kw):
    for i in range(n):
        service.audit(session, actor=ALICE, action="case.read", now=NOW + timedelta(seconds=i), **kw)


def test_entries_chain_and_verify(session):
    case = make_case(session)
    write(session, 4, case_id=case.id, debtor_id=case.debtor_id, detail={"fields": ["phone"]})
    report = service.verify_audit(session)
    assert report.broken is None and report.entries == 4
    rows, total = service.audit_entries(session, case_id=case.id)
    assert total == 4 and [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[1].prev_hash == rows[0].hash
    assert rows[0].source == "10.1.2.3" and rows[0].actor_role == "collector"


def test_database_refuses_to_update_or_delete_an_audit_entry(session):
    write(session, 1)
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(update(AuditEntry).values(action="nothing"))
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(delete(AuditEntry))
    assert service.verify_audit(session).entries == 1


def _disable_guard(session):
    if session.bind.dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
    else:
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))


def test_verify_names_the_first_altered_entry(session):
    write(session, 5)
    _disable_guard(session)  # an attacker with database access; rolled back with the test
    session.execute(text("UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 3"))
    session.expire_all()
    report = service.verify_audit(session, batch=2)
    assert report.broken is not None and report.broken.seq == 3
    assert report.entries == 2


def test_audit_detail_round_trips_exactly_through_the_database(session):
    service.audit(session, actor=ALICE, action="x", now=NOW,
                  detail={"amount": "80000.00", "nested": {"list": [1, 2.5, None, True]}, "中文": "是"})
    session.expire_all()
    assert service.verify_audit(session).broken is None
