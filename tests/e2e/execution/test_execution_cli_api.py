from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.builders import make_case
from typer.testing import CliRunner

import qingzhai.api.errors
from qingzhai import clock
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory, unit_of_work
from qingzhai.execution.api import router
from qingzhai.execution.cli import app
from qingzhai.execution.imports import import_payments, read_payment_file
from qingzhai.execution.models import LedgerEntry, Payment
from qingzhai.registry.models import Case
from qingzhai.registry.rules import Stage
from qingzhai.registry.service import local_today

runner = CliRunner()


def cases_in_planning(url: str, n: int = 2, amount: str = "3000.00") -> list[int]:
    with unit_of_work(engine_for(url)) as session:
        return [make_case(session, stage=Stage.planning, amount=amount).number for _ in range(n)]


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result


def bank_file(tmp_path: Path, numbers: list[int], rows: int = 1) -> Path:
    today = local_today(clock.now()).isoformat()
    lines = ["transaction_id,value_date,amount,currency,case,payer_account,memo,reverses"]
    for n in numbers:
        for r in range(rows):
            lines.append(f"T{n}-{r},{today},100.00,CNY,,6222020000001234,还款 QZ-{n},")
    lines.append(f"BAD,{today},12.345,CNY,{numbers[0]},,,")
    path = tmp_path / "statement.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_contract_payment_import_run_day_and_ledger(fresh_db, tmp_path):
    number, _other = cases_in_planning(fresh_db)
    created = invoke("contracts", "create", str(number), "--amount", "3000.00", "--installments", "3", "--json")
    assert created.exit_code == 0, created.output
    contract = json.loads(created.output)
    assert contract["status"] == "active" and len(contract["schedule"]) == 3

    path = bank_file(tmp_path, [number])
    first = invoke("payments", "import", str(path), "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert report["posted"] == 1 and report["rejected"] == 1 and report["errors"][0]["field"] == "amount"
    again = json.loads(invoke("payments", "import", str(path), "--json").output)
    assert again["posted"] == 0 and again["duplicates"] == 1

    today = local_today(clock.now())
    ran = invoke("run-day", "--from", (today - timedelta(days=1)).isoformat(), "--to", today.isoformat(), "--json")
    assert ran.exit_code == 0, ran.output
    assert len(json.loads(ran.output)) == 2

    verified = invoke("ledger", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.output)["ok"]

    with unit_of_work(engine_for(fresh_db)) as session:
        entry_id = session.scalar(select(LedgerEntry.id).where(LedgerEntry.kind == "payment_received"))
    proof_path = tmp_path / "proof.json"
    assert invoke("ledger", "proof", entry_id, "-o", str(proof_path)).exit_code == 0
    key = invoke("ledger", "public-key").output.strip()
    checked = invoke("ledger", "check-proof", str(proof_path), "--public-key", key)
    assert checked.exit_code == 0, checked.output

    tampered = json.loads(proof_path.read_text())
    tampered["entry"]["data"]["amount"] = "1000000.00"
    proof_path.write_text(json.dumps(tampered))
    assert invoke("ledger", "check-proof", str(proof_path), "--public-key", key).exit_code == 1

    listed = json.loads(invoke("contracts", "list", "--json").output)
    assert listed["total"] == 1 and listed["items"][0]["paid"] == "100.00"


def test_cli_ledger_verify_exits_non_zero_naming_the_broken_entry(fresh_db):
    (number,) = cases_in_planning(fresh_db, 1)
    invoke("contracts", "create", str(number), "--amount", "3000.00")
    invoke("payments", "record", str(number), "10.00", "--key", "p1")
    with engine_for(fresh_db).begin() as conn:
        conn.exec_driver_sql("UPDATE ledger_entries SET body = replace(body, '\"10.00\"', '\"11.00\"') "
                             "WHERE kind = 'payment_received'")
    result = invoke("ledger", "verify")
    assert result.exit_code == 1
    assert "entry 2" in result.output.replace("\n", " ")


def test_cli_bad_terms_name_the_field(fresh_db):
    (number,) = cases_in_planning(fresh_db, 1)
    result = invoke("contracts", "create", str(number), "--amount", "100.00", "--terms", '{"grace_days": 99}')
    assert result.exit_code == 2 and "grace_days" in result.output


def test_two_concurrent_imports_of_one_file_post_each_payment_once(fresh_db, tmp_path):
    numbers = cases_in_planning(fresh_db, 3)
    path = bank_file(tmp_path, numbers, rows=4)
    factory = session_factory(engine_for(fresh_db))
    reports, errors = [], []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            with factory() as session:
                reports.append(import_payments(session, read_payment_file(path), actor=_actor(), now=clock.now()))
                session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(r.posted for r in reports) == [0, 12]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 12
        recovered = session.scalars(select(Case.recovered_amount)).all()
        assert sorted(str(r) for r in recovered) == ["400.00"] * 3


def _actor():
    from qingzhai.core.actor import SYSTEM

    return SYSTEM


@pytest.fixture
def client(fresh_db):
    api = FastAPI()
    qingzhai.api.errors.install(api)
    api.state.engine = engine_for(fresh_db)
    api.state.sessions = session_factory(api.state.engine)
    api.state.actor_resolver = lambda _request: Actor(id="t", name="tester", role=Role.admin, source="test")
    api.include_router(router)
    with TestClient(api) as c:
        yield c


def test_api_contract_payment_promise_and_proof(client, fresh_db):
    (number,) = cases_in_planning(fresh_db, 1)
    today = local_today(clock.now())
    body = {"case": str(number), "schedule": [{"due": (today + timedelta(days=5)).isoformat(), "amount": "3000.00"}],
            "terms": {"grace_days": 2}}
    created = client.post("/contracts", json=body)
    assert created.status_code == 201, created.text
    contract = created.json()
    assert contract["terms"]["grace_days"] == 2

    payment = {"case": str(number), "amount": "3500.00", "idempotency_key": "api-1", "value_date": today.isoformat()}
    posted = client.post("/payments", json=payment).json()
    assert posted["applied"] == "3000.00" and posted["credit"] == "500.00" and not posted["duplicate"]
    assert client.post("/payments", json=payment).json()["duplicate"]

    promise = client.post("/promises", json={"case": str(number), "amount": "100.00", "due": today.isoformat(),
                                             "channel": "call", "taken_by": "王五"})
    assert promise.status_code == 201

    ran = client.post("/run-day", json={"day": today.isoformat()}).json()
    assert ran["by_kind"].get("completed") == 1 and ran["cases_closed"] == 1
    assert client.get(f"/contracts/{contract['id']}").json()["status"] == "completed"

    entries = client.get(f"/contracts/{contract['id']}/ledger").json()
    proof = client.get(f"/ledger/entries/{entries[-1]['id']}/proof").json()
    key = client.get("/ledger/public-key").json()["public_key"]
    assert client.post("/ledger/check-proof", params={"public_key": key}, json=proof).json()["ok"]
    assert client.get("/ledger/verify").json()["ok"]


def test_api_gateway_callbacks_with_refund(client, fresh_db):
    (number,) = cases_in_planning(fresh_db, 1)
    now = clock.now().isoformat()
    lines = [
        {"event": "payment.succeeded", "payment_id": "gw-1", "case": str(number), "amount": "200.00", "paid_at": now},
        {"event": "payment.succeeded", "payment_id": "gw-1", "case": str(number), "amount": "200.00", "paid_at": now},
        {"event": "payment.refunded", "payment_id": "gw-1", "amount": "200.00", "paid_at": now},
        {"event": "payment.unknown", "payment_id": "gw-2"},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    report = client.post("/payments/gateway-callbacks", content=text,
                         headers={"content-type": "application/x-ndjson"}).json()
    assert (report["posted"], report["duplicates"], report["reversed"], report["rejected"]) == (1, 1, 1, 1)
    assert report["errors"][0]["field"] == "event"


def test_api_bad_payment_names_the_field(client, fresh_db):
    (number,) = cases_in_planning(fresh_db, 1)
    response = client.post("/payments", json={"case": str(number), "amount": "-5", "idempotency_key": "x",
                                              "value_date": "2026-01-01"})
    assert response.status_code == 422 and response.json()["field"] == "amount"
