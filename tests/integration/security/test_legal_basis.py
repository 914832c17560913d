from __future__ import annotations

from datetime import timedelta

import pytest
from tests.builders import NOW, make_debtor

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotFound, NotPermitted, RuleViolation
from qingzhai.security import service

OFFICER = Actor(id="u-c", name="合规官", role=Role.compliance_officer)


def test_category_without_basis_is_refused_naming_legal_basis(session):
    debtor = make_debtor(session)
    assert not service.has_basis(session, debtor_id=debtor.id, category="contact", purpose="collection", now=NOW)
    with pytest.raises(NotPermitted) as err:
        service.require_basis(session, debtor_id=debtor.id, category="contact", purpose="collection", now=NOW)
    assert err.value.field == "legal_basis" and err.value.rule == "pipl_legal_basis"


def test_contract_basis_allows_contact_data(session):
    debtor = make_debtor(session)
    service.record_basis(session, debtor_id=debtor.id, category="contact", basis="contract", source="loan L-1",
                         actor=OFFICER, now=NOW)
    service.require_basis(session, debtor_id=debtor.id, category="contact", purpose="collection", now=NOW)


def test_location_needs_separate_consent_and_stops_when_withdrawn(session):
    debtor = make_debtor(session)
    with pytest.raises(RuleViolation) as err:
        service.record_basis(session, debtor_id=debtor.id, category="location", basis="consent", source="form 7",
                             actor=OFFICER, now=NOW)
    assert err.value.field == "basis"
    row = service.record_basis(session, debtor_id=debtor.id, category="location", basis="separate_consent",
                               source="form 7b", actor=OFFICER, now=NOW)
    assert service.has_basis(session, debtor_id=debtor.id, category="location", purpose="assessment", now=NOW)
    service.withdraw_basis(session, basis_id=row.id, actor=OFFICER, now=NOW + timedelta(hours=1))
    assert not service.has_basis(session, debtor_id=debtor.id, category="location", purpose="assessment",
                                 now=NOW + timedelta(hours=1))
    with pytest.raises(NotPermitted, match="separate consent"):
        service.require_basis(session, debtor_id=debtor.id, category="location", purpose="assessment",
                              now=NOW + timedelta(hours=1))


def test_expired_consent_is_not_a_basis(session):
    debtor = make_debtor(session)
    service.record_basis(session, debtor_id=debtor.id, category="financial_accounts", basis="separate_consent",
                         source="form 9", actor=OFFICER, now=NOW, expires_at=NOW + timedelta(days=30))
    assert service.has_basis(session, debtor_id=debtor.id, category="financial_accounts", purpose="a",
                             now=NOW + timedelta(days=29))
    assert not service.has_basis(session, debtor_id=debtor.id, category="financial_accounts", purpose="a",
                                 now=NOW + timedelta(days=30))


def test_unknown_category_and_unknown_debtor_are_named(session):
    debtor = make_debtor(session)
    with pytest.raises(RuleViolation) as err:
        service.has_basis(session, debtor_id=debtor.id, category="dna", purpose="x", now=NOW)
    assert err.value.field == "category"
    with pytest.raises(NotFound):
        service.record_basis(session, debtor_id="nope", category="contact", basis="consent", source="s",
                             actor=OFFICER, now=NOW)


def test_recording_a_basis_is_audited(session):
    debtor = make_debtor(session)
    service.record_basis(session, debtor_id=debtor.id, category="credit", basis="consent", source="form 3",
                         actor=OFFICER, now=NOW)
    rows, _ = service.audit_entries(session, debtor_id=debtor.id)
    assert [r.action for r in rows] == ["legal_basis.record"]
