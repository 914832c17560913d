from __future__ import annotations

import json
import subprocess

from sqlalchemy import text
from tests.builders import make_case
from tests.e2e.security.conftest import PASSWORD
from typer.testing import CliRunner

from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.registry.cli import cases_app
from qingzhai.security.cli import audit_app, keys_app, privacy_app, users_app

runner = CliRunner()


def ok(app, args, **kw):
    result = runner.invoke(app, args, **kw)
    assert result.exit_code == 0, result.output
    return result


def test_users_assignment_and_audit_from_the_cli(fresh_db):
    ok(users_app, ["add", "张三", "--role", "collector", "--password-stdin"], input=PASSWORD + "\n")
    short = runner.invoke(users_app, ["add", "李四", "--role", "collector", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "password" in short.output
    with unit_of_work(engine_for(fresh_db)) as s:
        number = make_case(s).number
    ok(cases_app, ["assign", str(number), "--to", "张三"])
    ok(cases_app, ["show", str(number)])
    shown = json.loads(ok(audit_app, ["show", "--case", str(number), "--json"]).stdout)
    actions = [e["action"] for e in shown["items"]]
    assert actions[:2] == ["case.assigned", "case.read"]
    assert shown["items"][0]["source"] == "cli" and shown["items"][0]["actor_role"] == "admin"
    verified = json.loads(ok(audit_app, ["verify", "--json"]).stdout)
    assert verified["intact"] and verified["entries"] >= 4


def test_audit_verify_exits_6_naming_the_broken_entry(sqlite_db):
    ok(users_app, ["add", "a", "--role", "manager", "--no-password"])
    ok(users_app, ["add", "b", "--role", "manager", "--no-password"])
    with engine_for(sqlite_db).begin() as conn:
        conn.execute(text("DROP TRIGGER audit_entries_no_update"))
        conn.execute(text("UPDATE audit_entries SET detail = '{}' WHERE seq = 2"))
    result = runner.invoke(audit_app, ["verify"])
    assert result.exit_code == 6 and "2" in result.output


def test_api_key_is_printed_once_and_never_listed(sqlite_db):
    from qingzhai.registry.cli import creditors_app

    ok(creditors_app, ["add", "申城银行"])
    ok(users_app, ["add", "bank", "--role", "creditor", "--creditor", "申城银行", "--no-password"])
    issued = json.loads(ok(users_app, ["key-add", "bank", "--label", "core", "--json"]).stdout)
    assert issued["key"].startswith("qz_")
    listed = ok(users_app, ["keys", "--json"]).stdout
    assert issued["key"] not in listed and issued["prefix"] in listed
    ok(users_app, ["key-revoke", issued["prefix"]])
    assert json.loads(ok(users_app, ["keys", "--json"]).stdout)[0]["revoked_at"]


def test_keys_rotate_then_retire_keeps_every_record_readable(sqlite_db, tmp_path, monkeypatch):
    from qingzhai.config import reset_settings
    from qingzhai.registry.models import Debtor
    from qingzhai.security.keyring import KEYRING

    with unit_of_work(engine_for(sqlite_db)) as s:
        debtor_id = make_case(s).debtor_id
    key_file = tmp_path / "new.key"
    ok(keys_app, ["generate", "--out", str(key_file)])
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    old = json.loads(ok(keys_app, ["status", "--json"]).stdout)["configured_master"]
    report = json.loads(ok(keys_app, ["rotate", "--new-key-file", str(key_file), "--json"]).stdout)
    assert report["rewrapped"] == 1 and report["old_master"] == old
    monkeypatch.setenv("QINGZHAI_MASTER_KEY_FILE", str(key_file))
    reset_settings()
    KEYRING.forget()
    ok(keys_app, ["retire", old])
    with unit_of_work(engine_for(sqlite_db)) as s:
        assert s.get(Debtor, debtor_id).phone.startswith("139")
    KEYRING.forget()


def test_privacy_export_is_plain_json_and_dump_has_no_plaintext(fresh_db, tmp_path):
    from qingzhai.registry.models import Debtor

    with unit_of_work(engine_for(fresh_db)) as s:
        debtor = s.get(Debtor, make_case(s).debtor_id)
        debtor_id, number, phone = debtor.id, debtor.id_number, debtor.phone
    ok(privacy_app, ["basis", "add", debtor_id, "--category", "contact", "--basis", "contract", "--source", "L-1"])
    out = tmp_path / "export.json"
    ok(privacy_app, ["export", debtor_id, "--out", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["tables"]["debtors"][0]["id_number"] == number
    dump = database_dump(fresh_db, tmp_path)
    assert number not in dump and phone not in dump
    assert "debtors" in dump


def database_dump(url: str, tmp_path) -> str:
    """The whole database as SQL text, the way a backup or a stolen disk would hold it."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--data-only", libpq], check=True, capture_output=True, text=True).stdout
