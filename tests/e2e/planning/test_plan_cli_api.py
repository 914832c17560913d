from __future__ import annotations

import json
from decimal import Decimal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.builders import make_case, make_debtor
from typer.testing import CliRunner

import qingzhai.api.errors
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory, unit_of_work
from qingzhai.planning.api import router
from qingzhai.planning.cli import app
from qingzhai.registry.rules import Stage

runner = CliRunner()

PROFILE = {
    "debtor_type": "enterprise", "enterprise_size": "small", "outstanding": "5000000.00", "currency": "CNY",
    "monthly_disposable_income": None, "liquid_assets": "200000.00", "district": "崇明区", "hardship": None,
    "cooperative": True, "concealment_flag": False, "annual_revenue": "24000000.00", "receivables": "3000000.00",
    "valuation": "20000000.00",
}


def _case(url: str, **kw) -> int:
    with unit_of_work(engine_for(url)) as session:
        debtor = make_debtor(session, district=kw.pop("district", "浦东新区"))
        return make_case(session, stage=Stage.planning, debtor=debtor, **kw).number


def test_cli_options_json_lists_ranked_options_with_schedules(fresh_db):
    number = _case(fresh_db)
    result = runner.invoke(app, ["options", str(number), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["case_number"] == number and data["inputs_source"] == "declared"
    kinds = [o["type"] for o in data["options"]]
    assert {"settlement", "installments", "mediation", "litigation"} <= set(kinds)
    values = [Decimal(o["expected_recovery"]) for o in data["options"]]
    assert values == sorted(values, reverse=True)
    inst = next(o for o in data["options"] if o["type"] == "installments")
    assert sum(Decimal(i["amount"]) for i in inst["schedule"]) == Decimal("80000.00")
    assert inst["explanation_zh"] and inst["explanation_en"]


def test_cli_accept_records_the_choice_and_rejects_a_bad_number(fresh_db):
    number = _case(fresh_db)
    data = json.loads(runner.invoke(app, ["options", str(number), "--json"]).stdout)
    n = next(o["number"] for o in data["options"] if o["type"] == "litigation")
    bad = runner.invoke(app, ["accept", str(number), "--option", "42"])
    assert bad.exit_code == 2 and "option" in bad.output
    result = runner.invoke(app, ["accept", str(number), "--option", str(n), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "litigation"
    again = runner.invoke(app, ["accept", str(number), "--option", "1"])
    assert again.exit_code == 2 and "stage" in again.output


def test_cli_what_if_profile_gives_every_applicable_type(tmp_path, sqlite_db):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(PROFILE), encoding="utf-8")
    result = runner.invoke(app, ["what-if", "--profile", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    kinds = {o["type"] for o in data["options"]}
    assert {"restructuring_scf", "debt_to_equity", "mediation", "settlement"} <= kinds
    assert next(o for o in data["options"] if o["type"] == "mediation")["details"]["kind"] == "community"
    table = runner.invoke(app, ["what-if", "--profile", str(path)])
    assert table.exit_code == 0 and "debt_to_equity" in table.stdout


def test_cli_what_if_refuses_unknown_fields_naming_them(tmp_path, sqlite_db):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({**PROFILE, "shoe_size": 42}), encoding="utf-8")
    result = runner.invoke(app, ["what-if", "--profile", str(path)])
    assert result.exit_code == 2 and "shoe_size" in result.output
    path.write_text("{not json", encoding="utf-8")
    assert runner.invoke(app, ["what-if", "--profile", str(path)]).exit_code == 2


def _client(url: str) -> TestClient:
    api = FastAPI()
    qingzhai.api.errors.install(api)
    api.state.engine = engine_for(url)
    api.state.sessions = session_factory(api.state.engine)
    api.state.actor_resolver = lambda request: Actor(id="u1", name="planner", role=Role.manager)
    api.include_router(router)
    return TestClient(api)


def test_api_options_accept_and_decisions(fresh_db):
    number = _case(fresh_db)
    client = _client(fresh_db)
    options = client.get(f"/cases/{number}/plan/options")
    assert options.status_code == 200
    n = next(o["number"] for o in options.json()["options"] if o["type"] == "settlement")
    declined = client.post(f"/cases/{number}/plan/accept", json={"option": n, "debtor_accepts": False})
    assert declined.status_code == 201 and declined.json()["status"] == "declined"
    accepted = client.post(f"/cases/{number}/plan/accept", json={"option": n})
    assert accepted.status_code == 201 and accepted.json()["status"] in ("pending_contract", "contracted")
    assert [d["status"] for d in client.get(f"/cases/{number}/plan/decisions").json()] == [
        "declined", accepted.json()["status"]]
    assert client.get("/cases/999999/plan/options").status_code == 404


def test_api_what_if_refuses_unknown_fields(sqlite_db):
    client = _client(sqlite_db)
    ok = client.post("/plan/what-if", json=PROFILE)
    assert ok.status_code == 200 and ok.json()["options"]
    bad = client.post("/plan/what-if", json={**PROFILE, "extra": 1})
    assert bad.status_code == 422 and bad.json()["field"] == "extra"
    neg = client.post("/plan/what-if", json={**PROFILE, "outstanding": "-5"})
    assert neg.status_code == 422


def test_api_needs_an_authenticated_user(sqlite_db):
    client = _client(sqlite_db)
    client.app.state.actor_resolver = None
    assert client.post("/plan/what-if", json=PROFILE).status_code == 401
