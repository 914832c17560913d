"""The `compliance` CLI and HTTP routes end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.builders import make_case
from typer.testing import CliRunner

import qingzhai.api.errors
from qingzhai.compliance.api import router
from qingzhai.compliance.cli import app
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory
from qingzhai.sim.contact_log import write_contact_log

runner = CliRunner()
HEADER = "attempt_id,debtor_id,phone,channel,started_at,debtor_timezone,outcome\n"


def write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_audit_clean_log_exits_zero(tmp_path: Path) -> None:
    log = write(tmp_path / "ok.csv", ["A1,D1,13800000001,call,2026-11-20T02:00:00Z,Asia/Shanghai,no_answer"])
    result = runner.invoke(app, ["audit", str(log), "--preset", "cn", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["violations"] == 0


def test_audit_finds_planted_violations_in_any_row_order(tmp_path: Path) -> None:
    rows = [f"C{i},D1,13800000001,call,2026-11-20T0{2 + i}:00:00Z,Asia/Shanghai,conversation" for i in range(4)]
    rows.append("Q1,D2,13800000002,sms,2026-11-20T14:00:00Z,Asia/Shanghai,delivered")  # 22:00 Shanghai
    rows.append("L1,D3,+13105550100,call,2026-11-20T06:30:00+00:00,America/Los_Angeles,no_answer")  # 22:30 LA
    log = write(tmp_path / "bad.csv", list(reversed(rows)))
    result = runner.invoke(app, ["audit", str(log), "--preset", "cn", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    found = {(v["attempt_id"], v["rule"]) for v in data["violations"]}
    assert found == {("C3", "connected_calls_per_day"), ("Q1", "quiet_hours"), ("L1", "quiet_hours")}
    assert set(data["violations"][0]) >= {"attempt_id", "rule", "reason"}
    assert data["summary"]["by_rule"] == {"connected_calls_per_day": 1, "quiet_hours": 2}


def test_audit_us_preset_flags_the_eighth_call_in_seven_days(tmp_path: Path) -> None:
    rows = [f"U{d},D1,+12125550100,call,2026-11-{10 + d}T15:00:00Z,America/New_York,no_answer" for d in range(7)]
    rows.append("U7,D1,+12125550100,call,2026-11-16T20:00:00Z,America/New_York,no_answer")
    result = runner.invoke(app, ["audit", str(write(tmp_path / "us.csv", rows)), "--preset", "us-regf", "--json"])
    assert result.exit_code == 1
    assert [(v["attempt_id"], v["rule"]) for v in json.loads(result.stdout)["violations"]] == [
        ("U7", "call_attempts_per_period")]


def test_audit_unusable_file_exits_two_naming_line_and_field(tmp_path: Path) -> None:
    log = write(tmp_path / "bad.csv", ["A1,D1,1380,call,2026-11-20T02:00:00Z,Asia/Shanghai,no_answer",
                                       "A2,D1,1380,call,2026-11-20 10:00:00,Asia/Shanghai,no_answer"])
    result = runner.invoke(app, ["audit", str(log)])
    assert result.exit_code == 2
    assert "line 3" in result.output and "started_at" in result.output
    (tmp_path / "cols.csv").write_text("attempt_id,debtor_id\nA,B\n", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(tmp_path / "cols.csv")])
    assert result.exit_code == 2 and "phone" in result.output
    log = write(tmp_path / "tz.csv", ["A1,D1,1380,call,2026-11-20T02:00:00Z,Mars/Olympus,no_answer"])
    result = runner.invoke(app, ["audit", str(log)])
    assert result.exit_code == 2 and "debtor_timezone" in result.output and "line 2" in result.output


def test_audit_table_output_on_a_generated_log(tmp_path: Path) -> None:
    log = write_contact_log(tmp_path / "gen.csv", 2000, seed=3)
    result = runner.invoke(app, ["audit", str(log), "--preset", "cn"])
    assert result.exit_code == 1 and "quiet_hours" in result.output


def test_check_explain_and_suspend_through_the_cli(fresh_db: str) -> None:
    with session_factory(engine_for(fresh_db))() as session:
        case = make_case(session)
        session.commit()
        case_id, debtor_id = case.id, case.debtor_id
    at = "2026-11-20T10:00:00+08:00"
    result = runner.invoke(app, ["check", "--case", case_id, "--at", at, "--reserve", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["allowed"] is True
    result = runner.invoke(app, ["explain", "--debtor", debtor_id, "--at", at, "--json"])
    assert json.loads(result.stdout)["pending_today"] == 1
    assert runner.invoke(app, ["explain", "--debtor", debtor_id, "--at", at]).exit_code == 0
    assert runner.invoke(app, ["suspend", "cli", "--reason", "threats", "--reference", "INC-9"]).exit_code == 0
    result = runner.invoke(app, ["check", "--case", case_id, "--at", at, "--json"])
    assert json.loads(result.stdout)["reasons"][0]["rule"] == "agent_suspended"
    assert runner.invoke(app, ["explain", "--debtor", "nobody"]).exit_code == 3


def test_http_request_outcome_and_explain(fresh_db: str) -> None:
    engine = engine_for(fresh_db)
    with session_factory(engine)() as session:
        case = make_case(session)
        session.commit()
        case_id, debtor_id = case.id, case.debtor_id
    api = FastAPI()
    qingzhai.api.errors.install(api)
    api.state.engine = engine
    api.state.sessions = session_factory(engine)
    api.state.actor_resolver = lambda _request: Actor(id="officer", name="officer", role=Role.compliance_officer)
    api.include_router(router)
    client = TestClient(api)
    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC).isoformat()
    ids = []
    for _ in range(3):
        r = client.post("/compliance/contact-requests", json={"case": case_id, "channel": "call", "agent_id": "bot-7",
                                                              "agent_kind": "bot", "at": at})
        assert r.status_code == 200 and r.json()["allowed"]
        ids.append(r.json()["attempt_id"])
    r = client.post("/compliance/contact-requests", json={"case": case_id, "channel": "call", "agent_id": "c1", "at": at})
    assert r.json()["allowed"] is False and r.json()["reasons"][0]["rule"] == "connected_calls_per_day"
    assert r.json()["reasons"][0]["text_zh"]
    assert client.post(f"/compliance/attempts/{ids[0]}/outcome", json={"outcome": "no_answer"}).status_code == 204
    r = client.post("/compliance/contact-requests", json={"case": case_id, "channel": "call", "agent_id": "c1", "at": at})
    assert r.json()["allowed"] is True
    r = client.post("/compliance/contact-requests", json={"case": case_id, "channel": "pigeon", "agent_id": "c1"})
    assert r.status_code in (400, 422) and "channel" in r.text
    r = client.get(f"/compliance/debtors/{debtor_id}/explain", params={"at": at})
    assert r.status_code == 200 and r.json()["pending_today"] == 3
    assert client.post("/compliance/agents/c1/suspend", json={"reason": "insult", "reference": "INC-1"}).status_code == 204
    r = client.post("/compliance/contact-requests", json={"case": case_id, "channel": "sms", "agent_id": "c1", "at": at})
    assert r.json()["reasons"][0]["rule"] == "agent_suspended"
    r = client.post("/compliance/audit?preset=cn", content=HEADER + "A,D,1,sms,2026-11-20T15:00:00Z,Asia/Shanghai,delivered\n")
    assert r.status_code == 200 and r.json()["summary"]["violations"] == 1
    decided = client.get("/compliance/decisions", params={"debtor_id": debtor_id}).json()
    assert len(decided) == 6  # the bad request was refused, not decided


def test_restrictions_can_be_recorded_listed_and_lifted(fresh_db: str) -> None:
    with session_factory(engine_for(fresh_db))() as session:
        case = make_case(session)
        session.commit()
        case_id, debtor_id = case.id, case.debtor_id
    at = "2026-11-20T10:00:00+08:00"
    result = runner.invoke(app, ["restrict", "--debtor", debtor_id, "--kind", "opt_out", "--channel", "call",
                                 "--reason", "asked on the phone"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, ["restrictions", "--debtor", debtor_id, "--json"]).stdout)
    assert [r["kind"] for r in listed] == ["opt_out"]
    denied = json.loads(runner.invoke(app, ["check", "--case", case_id, "--at", at, "--json"]).stdout)
    assert denied["reasons"][0]["rule"] == "opt_out"
    assert runner.invoke(app, ["unrestrict", listed[0]["id"]]).exit_code == 0
    assert json.loads(runner.invoke(app, ["check", "--case", case_id, "--at", at, "--json"]).stdout)["allowed"]
    assert runner.invoke(app, ["restrict", "--debtor", debtor_id, "--kind", "nonsense", "--reason", "x"]).exit_code == 2
    assert runner.invoke(app, ["presets", "--json"]).exit_code == 0
