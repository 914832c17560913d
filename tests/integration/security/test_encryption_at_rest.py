from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from tests.builders import NOW, make_creditor, make_debtor

from qingzhai.core.actor import SYSTEM
from qingzhai.db.all_models import metadata
from qingzhai.db.session import make_engine
from qingzhai.registry.intake.files import open_placements
from qingzhai.registry.intake.service import import_placements
from qingzhai.registry.models import Debtor
from qingzhai.registry.service import find_debtor_by_id_number
from qingzhai.security import envelope, service
from qingzhai.security.keyring import KEYRING, Keyring
from qingzhai.security.models import DataKey
from qingzhai.sim.portfolio import write_portfolio


def load(session, creditor, path: Path):
    return import_placements(session, creditor=creditor, rows=open_placements(path).rows(), filename=path.name,
                             sha256="x", actor=SYSTEM, now=NOW, batch_size=100)


def plaintexts(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    values = {r["id_number"] for r in rows} | {r["phone"] for r in rows if r["phone"]}
    values |= {r["email"] for r in rows if r.get("email")}
    return values


def raw_dump(session: Session) -> str:
    rows = session.execute(text("SELECT * FROM debtors")).all()
    return "\n".join("|".join(str(v) for v in row) for row in rows)


def test_raw_dump_of_imported_debtors_holds_no_plaintext_id_or_phone(session, tmp_path):
    path = tmp_path / "p.csv"
    write_portfolio(path, 60, seed=11)
    report = load(session, make_creditor(session), path)
    assert report.debtors_created == 60
    dump = raw_dump(session)
    secrets_ = plaintexts(path)
    assert len(secrets_) >= 60
    leaked = [s for s in secrets_ if s in dump]
    assert leaked == []
    assert dump.count(envelope.TEXT_PREFIX) >= 120


def test_orm_written_debtor_is_encrypted_and_reads_back_plain(session):
    debtor = make_debtor(session, phone="13811112222")
    number = debtor.id_number
    session.expire_all()
    assert number not in raw_dump(session) and "13811112222" not in raw_dump(session)
    again = session.get(Debtor, debtor.id)
    assert (again.id_number, again.phone) == (number, "13811112222")


def test_reimport_dedupes_by_keyed_hash_and_debtor_is_found_by_id_number(session, tmp_path):
    path = tmp_path / "p.csv"
    write_portfolio(path, 20, seed=5)
    creditor = make_creditor(session)
    first = load(session, creditor, path)
    second = load(session, creditor, path)
    assert second.already_present == first.imported and second.debtors_created == 0
    assert session.scalar(select(func.count()).select_from(Debtor)) >= 20
    with path.open(encoding="utf-8") as fh:
        number = next(csv.DictReader(fh))["id_number"]
    found = find_debtor_by_id_number(session, number)
    assert found is not None and found.id_number == number


def test_ciphertext_swapped_between_columns_fails_loudly(session):
    debtor = make_debtor(session)
    stored = session.execute(text("SELECT phone FROM debtors WHERE id = :i"), {"i": debtor.id}).scalar()
    session.execute(text("UPDATE debtors SET email = :v WHERE id = :i"), {"v": stored, "i": debtor.id})
    session.expire_all()
    with pytest.raises(Exception) as err:
        session.get(Debtor, debtor.id)
    assert isinstance(err.value, envelope.CiphertextRejected) or "CiphertextRejected" in repr(err.value)


def test_one_active_data_key_per_database_reused_across_rows(session):
    for _ in range(3):
        make_debtor(session)
    assert session.scalar(select(func.count()).select_from(DataKey).where(DataKey.active.is_(True))) == 1


def test_file_blob_round_trips_and_tampering_fails(session):
    blob = service.encrypt_bytes(session, b"RIFF...recording", context="recording:call-1")
    assert service.decrypt_bytes(session, blob, context="recording:call-1") == b"RIFF...recording"
    damaged = bytearray(blob)
    damaged[-5] ^= 1
    with pytest.raises(envelope.CiphertextRejected):
        service.decrypt_bytes(session, bytes(damaged), context="recording:call-1")
    with pytest.raises(envelope.CiphertextRejected):
        service.decrypt_bytes(session, blob, context="recording:call-2")


def test_key_created_in_a_rolled_back_transaction_is_not_reused(engine):
    with Session(engine) as s:
        make_debtor(s)
        kid = s.scalar(select(DataKey.id))
        s.rollback()
    with Session(engine) as s, s.begin():
        debtor = make_debtor(s)
        used = envelope.key_id_of(envelope.from_text(
            s.execute(text("SELECT phone FROM debtors WHERE id = :i"), {"i": debtor.id}).scalar()))
        assert used != kid
        assert s.get(DataKey, used) is not None
        s.execute(text("DELETE FROM debtors WHERE id = :i"), {"i": debtor.id})
        s.execute(update(DataKey).where(DataKey.id == used).values(active=False))


def test_two_databases_in_one_process_each_keep_their_own_keys(session, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    metadata.create_all(other)
    try:
        here = make_debtor(session)
        with Session(other) as s2:
            there_id = make_debtor(s2, phone="13700001111").id
            s2.commit()
            theirs = s2.scalar(select(DataKey.id))
        ours = session.scalar(select(DataKey.id).where(DataKey.active.is_(True)))
        assert ours != theirs
        # a cold keyring (a new process) opens each database's rows from that database's own keys
        cold = Keyring()
        with other.connect() as conn:
            blob = envelope.from_text(conn.execute(text("SELECT phone FROM debtors WHERE id = :i"), {"i": there_id}).scalar())
            assert envelope.open_sealed(blob, key=cold.key(conn, theirs), context="debtors.phone") == b"13700001111"
            with pytest.raises(envelope.KeyUnavailable):
                cold.key(conn, ours)
        session.expire_all()
        assert session.get(Debtor, here.id).phone == here.phone
    finally:
        other.dispose()
        KEYRING.forget()


def test_database_errors_do_not_carry_personal_data_into_messages(session):
    from sqlalchemy.exc import IntegrityError

    debtor = make_debtor(session, phone="13912345678")
    with pytest.raises(IntegrityError) as err, session.begin_nested():
        session.execute(text("INSERT INTO debtors (id, kind, name, id_number, id_key, phone, timezone, created_at) "
                             "VALUES (:id, 'individual', 'x', :num, :key, :phone, 'Asia/Shanghai', :at)"),
                        {"id": debtor.id, "num": debtor.id_number, "key": debtor.id_key, "phone": "13912345678",
                         "at": "2026-11-20 02:00:00"})
    assert "13912345678" not in str(err.value) and debtor.id_number not in str(err.value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(address=st.text(min_size=0, max_size=300))
def test_any_text_round_trips_through_an_encrypted_column(session, address):
    debtor = make_debtor(session)
    debtor.address = address
    session.flush()
    session.expire(debtor, ["address"])
    assert debtor.address == address
