from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.builders import NOW, make_case, make_debtor

from qingzhai.config import reset_settings
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, NotPermitted
from qingzhai.registry.models import Debtor
from qingzhai.security import envelope, keys, privacy, service
from qingzhai.security.keyring import KEYRING
from qingzhai.security.models import DataKey, KeyWrap

ADMIN = Actor(id="u-a", name="admin", role=Role.admin, source="cli")


@pytest.fixture
def restore_keys(monkeypatch):
    yield monkeypatch
    monkeypatch.delenv("QINGZHAI_MASTER_KEY", raising=False)
    reset_settings()
    KEYRING.forget()


def use_master(monkeypatch, raw: bytes | None) -> None:
    if raw is None:
        monkeypatch.delenv("QINGZHAI_MASTER_KEY", raising=False)
    else:
        monkeypatch.setenv("QINGZHAI_MASTER_KEY", envelope.format_master_key(raw))
    reset_settings()
    KEYRING.forget()  # a process restarted with this configuration


def test_rotation_rewraps_keys_and_old_rows_read_under_the_new_master(session, restore_keys):
    debtor = make_debtor(session, phone="13600001111")
    before = session.execute(select(Debtor.__table__.c.phone).where(Debtor.id == debtor.id)).scalar()
    new_master = envelope.new_key()
    report = keys.rotate(session, new_master=new_master, actor=ADMIN, now=NOW)
    assert report.rewrapped >= 1 and report.new_data_key is not None
    use_master(restore_keys, new_master)
    session.expire_all()
    assert session.get(Debtor, debtor.id).phone == "13600001111"
    assert session.execute(select(Debtor.__table__.c.phone).where(Debtor.id == debtor.id)).scalar() == before
    fresh = make_debtor(session, phone="13600002222")  # written under the fresh data key
    assert session.get(DataKey, report.new_data_key).active
    removed = keys.retire_master(session, master_id=report.old_master, actor=ADMIN, now=NOW)
    assert removed >= 2
    use_master(restore_keys, new_master)
    session.expire_all()
    assert session.get(Debtor, fresh.id).phone == "13600002222"
    use_master(restore_keys, None)  # a server still on the retired key can no longer open anything
    session.expire_all()
    with pytest.raises(Exception, match=r"KeyUnavailable|not under the configured"):
        _ = session.get(Debtor, debtor.id).phone


def test_retiring_a_master_that_alone_wraps_a_key_is_refused(session, restore_keys):
    make_debtor(session)
    other = envelope.master_key_id(envelope.new_key())
    with pytest.raises(Conflict):
        keys.retire_master(session, master_id=other, actor=ADMIN, now=NOW)
    current = keys.status(session).configured_master
    with pytest.raises(Conflict):
        keys.retire_master(session, master_id=current, actor=ADMIN, now=NOW)
    assert session.scalar(select(KeyWrap.id)) is not None


def test_rotation_needs_the_keys_permission(session):
    with pytest.raises(NotPermitted):
        keys.rotate(session, new_master=envelope.new_key(), actor=Actor(id="m", name="m", role=Role.manager), now=NOW)


def test_export_holds_everything_about_the_debtor_in_plain_text_and_is_audited(session):
    case = make_case(session)
    debtor = session.get(Debtor, case.debtor_id)
    service.record_basis(session, debtor_id=debtor.id, category="contact", basis="contract", source="L-9",
                         actor=ADMIN, now=NOW)
    data = privacy.export_debtor(session, debtor.id, actor=ADMIN, now=NOW)
    assert data["tables"]["debtors"][0]["id_number"] == debtor.id_number
    assert data["tables"]["debtors"][0]["phone"] == debtor.phone
    assert {"cases", "debts", "case_events", "legal_bases"} <= set(data["tables"])
    assert data["access_history"][0]["action"] == "legal_basis.record"
    entries, _ = service.audit_entries(session, debtor_id=debtor.id, action="privacy.export")
    assert len(entries) == 1 and debtor.id_number not in str(entries[0].detail)


def test_erasure_clears_contact_data_keeps_identity_for_open_case_and_withdraws_bases(session):
    case = make_case(session)
    debtor = session.get(Debtor, case.debtor_id)
    service.record_basis(session, debtor_id=debtor.id, category="contact", basis="consent", source="form",
                         actor=ADMIN, now=NOW)
    report = privacy.erase_debtor(session, debtor.id, actor=ADMIN, now=NOW, reason="request 2026-11-19 by letter")
    assert "debtors.phone" in report.erased and report.bases_withdrawn == 1
    assert debtor.phone is None and debtor.phone_key is None and debtor.name == "张三"
    assert not service.has_basis(session, debtor_id=debtor.id, category="contact", purpose="collection", now=NOW)
    entries, _ = service.audit_entries(session, debtor_id=debtor.id, action="privacy.erase")
    assert entries[0].detail["reason"].startswith("request")
    with pytest.raises(Conflict):
        privacy.erase_debtor(session, debtor.id, actor=ADMIN, now=NOW, reason="again")


def test_erasure_pseudonymises_the_name_once_no_case_is_open(session):
    debtor = make_debtor(session, name="赵六")
    privacy.erase_debtor(session, debtor.id, actor=ADMIN, now=NOW, reason="r")
    assert debtor.name == "赵*"


def test_collectors_cannot_export_or_erase(session):
    debtor = make_debtor(session)
    col = Actor(id="c", name="c", role=Role.collector)
    with pytest.raises(NotPermitted):
        privacy.export_debtor(session, debtor.id, actor=col, now=NOW)
    with pytest.raises(NotPermitted):
        privacy.erase_debtor(session, debtor.id, actor=col, now=NOW, reason="x")
