import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.builders import make_case
from typer.testing import CliRunner

import qingzhai.api.errors
from qingzhai.assessment.api import router
from qingzhai.assessment.cli import app
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory, unit_of_work
from qingzhai.registry.rules import Stage

runner = CliRunner()

REGISTRY = {
    "people": [{"id": "P1", "name": "张三", "phone": "13800000001"},
               {"id": "P2", "name": "李四", "relatives": [{"person": "P1", "relation": "spouse"}]}],
    "companies": [{"id": "C2", "name": "空壳公司", "registered_on": "2025-01-10", "registered_capital": "10000.00",
                   "deregistered_on": "2025-08-01"},
                  {"id": "C3", "name": "供应商", "registered_on": "2010-01-01", "registered_capital": "5000000.00"}],
    "roles": [{"holder": "P2", "company": "C2", "role": "shareholder", "share": "1"}],
    "transfers": [{"id": "T1", "from": "P1", "to": "C2", "kind": "real_estate", "asset": "沪房权证001",
                   "value": "3000000.00", "consideration": "1.00", "date": "2025-02-01"},
                  {"id": "T2", "from": "P1", "to": "C3", "kind": "payment", "value": "5000.00",
                   "consideration": "5000.00", "date": "2025-02-01"}],
    "debtors": [{"id": "D1", "person_or_company": "P1", "default_date": "2025-03-01"}],
}


@pytest.fixture
def case_ref(sqlite_db):
    with unit_of_work(engine_for(sqlite_db)) as session:
        case = make_case(session, stage=Stage.assessment)
        return case.number, case.debtor_id


def test_cli_import_run_show_history_and_report(case_ref, tmp_path):
    number, debtor_id = case_ref
    court = tmp_path / "court.json"
    court.write_text(json.dumps([{"debtor_id": debtor_id, "nothing_found": True, "checked_on": "2026-11-01"}]))
    first = runner.invoke(app, ["import", "court", str(court), "--json"])
    assert first.exit_code == 0 and json.loads(first.output)["added"] == 1
    assert json.loads(runner.invoke(app, ["import", "court", str(court), "--json"]).output)["unchanged"] == 1
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({**REGISTRY, "debtors": [{"id": debtor_id, "person_or_company": "P1",
                                                             "default_date": "2025-03-01"}]}, ensure_ascii=False))
    assert runner.invoke(app, ["import", "registry", str(registry)]).exit_code == 0

    ran = runner.invoke(app, ["run", str(number), "--json"])
    assert ran.exit_code == 0 and json.loads(ran.output)[0]["version"] == 1
    shown = json.loads(runner.invoke(app, ["show", f"QZ-{number}", "--json"]).output)
    assert shown["version"] == 1 and len(shown["indicators"]) == 12
    assert shown["summary"]["concealment_flagged"] is True
    assert runner.invoke(app, ["show", str(number)]).exit_code == 0
    assert json.loads(runner.invoke(app, ["history", str(number), "--json"]).output)[0]["version"] == 1

    out = tmp_path / "report.html"
    assert runner.invoke(app, ["report", str(number), "--out", str(out)]).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "沪房权证001" in html and "13800000001" not in html


def test_cli_run_all_assesses_every_case_in_assessment(case_ref):
    result = runner.invoke(app, ["run", "--all", "--json"])
    assert result.exit_code == 0 and len(json.loads(result.output)) == 1


def test_cli_run_needs_a_case_or_all(case_ref):
    assert runner.invoke(app, ["run"]).exit_code == 2


def test_cli_show_of_an_unassessed_case_is_not_found(case_ref):
    assert runner.invoke(app, ["show", str(case_ref[0])]).exit_code == 3


def test_cli_import_of_an_unknown_source_is_refused(case_ref, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]")
    assert runner.invoke(app, ["import", "horoscope", str(path)]).exit_code == 2


def test_cli_shells_ranks_the_planted_transfer_and_leaves_the_supplier(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(REGISTRY, ensure_ascii=False))
    result = runner.invoke(app, ["shells", "--registry", str(path), "--debtor", "D1", "--json"])
    assert result.exit_code == 0
    findings = json.loads(result.output)["findings"]
    assert [t["id"] for f in findings for t in f["transfers"]] == ["T1"]
    assert runner.invoke(app, ["shells", "--registry", str(path), "--debtor", "D1"]).exit_code == 0
    assert runner.invoke(app, ["shells", "--registry", str(path), "--debtor", "nobody"]).exit_code == 2


@pytest.fixture
def client(fresh_db):
    api = FastAPI()
    qingzhai.api.errors.install(api)
    engine = engine_for(fresh_db)
    api.state.engine = engine
    api.state.sessions = session_factory(engine)
    api.state.actor_resolver = lambda _request: Actor(id="mgr", name="manager", role=Role.manager, source="test")
    api.include_router(router)
    with unit_of_work(engine) as session:
        case = make_case(session, stage=Stage.assessment)
        ref = (case.number, case.debtor_id)
    with TestClient(api) as c:
        yield c, ref


def test_api_import_run_read_versions_and_report(client):
    c, (number, debtor_id) = client
    assert c.get(f"/cases/{number}/assessment").status_code == 404
    imported = c.post("/assessment/evidence/identity", json=[{"debtor_id": debtor_id, "checked_on": "2026-11-01",
                                                              "provider": "公安", "id_valid": True, "name_matches": True}])
    assert imported.status_code == 200 and imported.json()["added"] == 1
    ran = c.post(f"/cases/{number}/assessment", json={"move": False})
    assert ran.status_code == 200 and ran.json()["version"] == 1
    body = c.get(f"/cases/{number}/assessment").json()
    identity = next(i for i in body["indicators"] if i["key"] == "identity")
    assert identity["status"] == "known" and identity["score"] == 100
    assert [v["version"] for v in c.get(f"/cases/{number}/assessment/versions").json()] == [1]
    assert c.get(f"/cases/{number}/assessment/versions/1").json()["grade"] == body["grade"]
    assert c.get(f"/cases/{number}/assessment/versions/9").status_code == 404
    report = c.get(f"/cases/{number}/assessment/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")


def test_api_refuses_bad_settings_and_bad_records(client):
    c, (number, debtor_id) = client
    assert c.post(f"/cases/{number}/assessment", json={"settings": {"planning_completeness": 2}}).status_code in (400, 422)
    bad = c.post("/assessment/evidence/identity", json=[{"debtor_id": debtor_id, "checked_on": "yesterday"}]).json()
    assert bad["added"] == 0 and bad["rejected"][0]["field"] == "checked_on"


def test_api_shells(client):
    c, _ref = client
    found = c.post("/assessment/shells", json={"registry": REGISTRY, "debtor": "D1"})
    assert found.status_code == 200 and found.json()["findings"][0]["transfers"][0]["id"] == "T1"
    assert c.post("/assessment/shells", json={"registry": REGISTRY, "debtor": "nobody"}).status_code in (400, 422)
