"""End to end: a party's confidential number never reaches the other party — not in API responses,
CLI output, generated documents, case events shown to them, or error messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import qingzhai.api.errors
from qingzhai.api.deps import get_actor
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory, unit_of_work
from qingzhai.mediation import vault
from qingzhai.mediation.api import router
from qingzhai.mediation.cli import app as cli
from qingzhai.mediation.models import Mediation
from qingzhai.registry.api import router as registry_router
from qingzhai.registry.rules import Stage

# Execution's tables join the test schema (its contracts are where agreements go).
execution = pytest.importorskip("qingzhai.execution.service")

from tests.builders import make_case  # noqa: E402

CREDITOR_MIN = "71234.56"
DEBTOR_MAX = "41234.56"
GAP = "30000.00"

runner = CliRunner()


def secrets_of(*values: str) -> list[str]:
    out: list[str] = []
    for v in values:
        whole = v.split(".")[0]
        out += [v, f"{int(whole):,}", whole]
    return out


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"leaked {secret}"


@pytest.fixture
def mediation(fresh_db: str) -> Iterator[dict[str, str]]:
    with unit_of_work(engine_for(fresh_db)) as session:
        case = make_case(session, stage=Stage.planning, amount="90000.00")
        ids = {"case": str(case.number), "creditor_id": case.creditor_id}
    result = runner.invoke(cli, ["refer", ids["case"], "--reason", "双方同意调解", "--kind", "court", "--json"])
    assert result.exit_code == 0, result.output
    ids["mediation"] = json.loads(result.stdout)["id"]
    ids["token"] = json.loads(result.stdout)["debtor_party_token"]
    assert runner.invoke(cli, ["accept", ids["mediation"]]).exit_code == 0
    r1 = runner.invoke(cli, ["position", ids["mediation"], "--as", "creditor", "--payment", CREDITOR_MIN])
    r2 = runner.invoke(cli, ["position", ids["mediation"], "--as", "debtor", "--payment", DEBTOR_MAX])
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    assert_clean(r1.output + r2.output, secrets_of(CREDITOR_MIN, DEBTOR_MAX))
    propose = runner.invoke(cli, ["propose", ids["mediation"], "--json"])
    assert propose.exit_code == 0, propose.output
    mediator_view = json.loads(propose.stdout)
    assert mediator_view["zone_exists"] is False and mediator_view["shortfall"] == GAP
    yield ids


def test_debtor_cli_views_never_show_the_creditors_minimum(mediation: dict[str, str]) -> None:
    mid = mediation["mediation"]
    outputs = [
        runner.invoke(cli, ["show", mid, "--as", "debtor", "--json"]),
        runner.invoke(cli, ["show", mid, "--as", "debtor"]),
        runner.invoke(cli, ["position", mid, "--as", "debtor", "--json"]),
        runner.invoke(cli, ["position", mid, "--as", "debtor", "--party", "creditor"]),
        runner.invoke(cli, ["bid", mid, "1.00", "--as", "debtor"]),
        runner.invoke(cli, ["propose", mid]),  # the round is closed; the error must not echo numbers
    ]
    text = "\n".join(r.output for r in outputs)
    assert DEBTOR_MAX in outputs[2].stdout  # the debtor does see its own number
    assert outputs[3].exit_code == 4  # not permitted
    assert_clean(text, secrets_of(CREDITOR_MIN, GAP))


def test_creditor_cli_views_never_show_the_debtors_maximum(mediation: dict[str, str]) -> None:
    mid = mediation["mediation"]
    outputs = [
        runner.invoke(cli, ["show", mid, "--as", "creditor", "--json"]),
        runner.invoke(cli, ["show", mid, "--as", "creditor"]),
        runner.invoke(cli, ["position", mid, "--as", "creditor", "--party", "debtor"]),
        runner.invoke(cli, ["list", "--json"]),
        runner.invoke(cli, ["metrics", "--json"]),
    ]
    assert CREDITOR_MIN in outputs[0].stdout
    assert_clean("\n".join(r.output for r in outputs), secrets_of(DEBTOR_MAX, GAP))


def test_staff_cli_view_shows_neither_number(mediation: dict[str, str]) -> None:
    result = runner.invoke(cli, ["show", mediation["mediation"], "--json"])
    assert result.exit_code == 0
    assert_clean(result.stdout, secrets_of(CREDITOR_MIN, DEBTOR_MAX, GAP))


@pytest.fixture
def client(fresh_db: str) -> Iterator[tuple[TestClient, FastAPI]]:
    api = FastAPI()
    qingzhai.api.errors.install(api)
    api.state.engine = engine_for(fresh_db)
    api.state.sessions = session_factory(api.state.engine)
    api.include_router(router)
    api.include_router(registry_router)
    with TestClient(api) as c:
        yield c, api


def _as(api: FastAPI, actor: Actor) -> None:
    api.dependency_overrides[get_actor] = lambda: actor


def test_api_debtor_and_creditor_responses_and_events_do_not_leak(mediation: dict[str, str],
                                                                    client: tuple[TestClient, FastAPI]) -> None:
    c, api = client
    mid, token = mediation["mediation"], mediation["token"]
    debtor_headers = {"X-Party-Token": token}
    _as(api, Actor(id="anyone", name="debtor-portal", role=Role.collector))
    debtor_texts = [
        c.get(f"/mediations/{mid}", headers=debtor_headers).text,
        c.get(f"/mediations/{mid}/positions/creditor", headers=debtor_headers).text,
        c.get(f"/mediations/{mid}/positions/debtor", headers=debtor_headers).text,
        c.post(f"/mediations/{mid}/responses", json={"accept": True}, headers=debtor_headers).text,
        c.get(f"/mediations/{mid}/documents/agreement.html", headers=debtor_headers).text,
        c.post(f"/mediations/{mid}/positions", json={"payments": [{"due": "2026-12-01", "amount": "1.999"}]},
               headers=debtor_headers).text,
    ]
    assert DEBTOR_MAX in debtor_texts[2]
    assert_clean("\n".join(debtor_texts), secrets_of(CREDITOR_MIN, GAP))

    _as(api, Actor(id="c1", name="委托方", role=Role.creditor, creditor_id=mediation["creditor_id"]))
    creditor_texts = [
        c.get(f"/mediations/{mid}").text,
        c.get(f"/mediations/{mid}/positions/debtor").text,
        c.get("/mediations").text,
        c.get("/mediation-metrics").text,
        c.get(f"/cases/{mediation['case']}/events").text,
        c.post(f"/mediations/{mid}/proposals").text,
    ]
    assert CREDITOR_MIN in creditor_texts[0]
    assert_clean("\n".join(creditor_texts), secrets_of(DEBTOR_MAX, GAP))


def test_api_rejects_a_wrong_token_without_saying_anything_secret(mediation: dict[str, str],
                                                                  client: tuple[TestClient, FastAPI]) -> None:
    c, api = client
    _as(api, Actor(id="anyone", name="debtor-portal", role=Role.collector))
    response = c.get(f"/mediations/{mediation['mediation']}", headers={"X-Party-Token": "f" * 32})
    assert response.status_code == 403
    assert_clean(response.text, secrets_of(CREDITOR_MIN, DEBTOR_MAX, GAP))


def test_positions_are_sealed_with_the_platform_envelope(mediation: dict[str, str], fresh_db: str) -> None:
    with unit_of_work(engine_for(fresh_db)) as session:
        from qingzhai.mediation.models import VaultEntry

        entries = session.query(VaultEntry).all()
        assert entries and all(e.sealed_with == "security" for e in entries)
        assert all(CREDITOR_MIN.encode() not in e.sealed and DEBTOR_MAX.encode() not in e.sealed for e in entries)
        m = session.get(Mediation, mediation["mediation"])
        assert m is not None and vault.debtor_token(m) == mediation["token"]


def test_agreement_documents_render_the_terms_and_no_secret(fresh_db: str, tmp_path: Path) -> None:
    with unit_of_work(engine_for(fresh_db)) as session:
        case = make_case(session, stage=Stage.planning, amount="90000.00")
        number = str(case.number)
    mid = json.loads(runner.invoke(cli, ["refer", number, "--reason", "x", "--json"]).stdout)["id"]
    runner.invoke(cli, ["accept", mid])
    assert runner.invoke(cli, ["position", mid, "--as", "creditor", "--payment", "50000.01"]).exit_code == 0
    assert runner.invoke(cli, ["position", mid, "--as", "debtor", "--payment", "70000.03"]).exit_code == 0
    proposed = json.loads(runner.invoke(cli, ["propose", mid, "--json"]).stdout)
    assert proposed["terms"]["total"] == "60000.02"
    assert runner.invoke(cli, ["respond", mid, "--accept", "--as", "creditor"]).exit_code == 0
    assert runner.invoke(cli, ["respond", mid, "--accept", "--as", "debtor"]).exit_code == 0
    html, pdf = tmp_path / "agreement.html", tmp_path / "agreement.pdf"
    result = runner.invoke(cli, ["agree", mid, "--html", str(html), "--pdf", str(pdf), "--json"])
    assert result.exit_code == 0, result.output
    text = html.read_text(encoding="utf-8")
    assert "调解协议书" in text and "60,000.02" in text and "陆万元零贰分" in text
    assert "司法确认" in text and "违约责任" in text
    assert_clean(text, secrets_of("50000.01", "70000.03"))
    assert pdf.read_bytes().startswith(b"%PDF")
    application = tmp_path / "confirmation.html"
    assert runner.invoke(cli, ["document", mid, str(application), "--kind", "confirmation", "--as", "debtor"]).exit_code == 0
    app_text = application.read_text(encoding="utf-8")
    assert "司法确认申请书" in app_text and "人民法院" in app_text and "附件" in app_text
    assert_clean(app_text, secrets_of("50000.01", "70000.03"))


def test_audit_entries_record_vault_access_without_amounts(mediation: dict[str, str], fresh_db: str) -> None:
    security = pytest.importorskip("qingzhai.security.service")
    runner.invoke(cli, ["position", mediation["mediation"], "--as", "mediator", "--party", "creditor", "--json"])
    with unit_of_work(engine_for(fresh_db)) as session:
        from qingzhai.registry import service as registry

        case = registry.get_case(session, mediation["case"])
        entries, _total = security.audit_entries(session, case_id=case.id, limit=1000)
        actions = [e.action for e in entries]
        assert "mediation.position.submit" in actions and "mediation.position.read" in actions
        text = repr([(e.action, e.detail) for e in entries])
    assert_clean(text, secrets_of(CREDITOR_MIN, DEBTOR_MAX, GAP))


def test_after_a_miss_the_mediator_opens_a_new_round_and_the_parties_revise(mediation: dict[str, str]) -> None:
    mid = mediation["mediation"]
    assert runner.invoke(cli, ["round", mid]).exit_code == 0
    assert runner.invoke(cli, ["position", mid, "--as", "creditor", "--payment", "45000.00"]).exit_code == 0
    assert runner.invoke(cli, ["position", mid, "--as", "debtor", "--payment", "47000.00"]).exit_code == 0
    proposed = json.loads(runner.invoke(cli, ["propose", mid, "--json"]).stdout)
    assert proposed["round"] == 2 and proposed["terms"]["total"] == "46000.00"
    shown = json.loads(runner.invoke(cli, ["show", mid, "--as", "debtor", "--json"]).stdout)
    assert [p["zone_exists"] for p in shown["proposals"]] == [False, True]
    assert shown["proposals"][1]["timing_options"][0]["label"] == "lump_sum"
    assert_clean(json.dumps(shown), secrets_of(CREDITOR_MIN, "45000.00", GAP))


def test_metrics_since_without_offset_is_a_clear_422(client: tuple[TestClient, FastAPI]) -> None:
    c, api = client
    _as(api, Actor(id="m", name="经理", role=Role.manager))
    response = c.get("/mediation-metrics", params={"since": "2026-11-01T00:00:00"})
    assert response.status_code == 422 and response.json()["field"] == "since"
    assert c.get("/mediation-metrics", params={"since": "2026-11-01T00:00:00+08:00"}).status_code == 200


def test_api_serves_the_documents_to_the_debtor(mediation: dict[str, str], client: tuple[TestClient, FastAPI]) -> None:
    c, api = client
    mid, headers = mediation["mediation"], {"X-Party-Token": mediation["token"]}
    _as(api, Actor(id="anyone", name="debtor-portal", role=Role.collector))
    assert c.get(f"/mediations/{mid}/documents/agreement.html", headers=headers).status_code == 422  # no agreement yet
    _as(api, Actor(id="x", name="调解员", role=Role.mediator))
    assert c.post(f"/mediations/{mid}/agreement", json={}).status_code == 403  # not this mediation's mediator
    _as(api, Actor(id="m", name="经理", role=Role.manager))
    mediator_id = next(i["mediator_id"] for i in c.get("/mediations").json()["items"] if i["id"] == mid)
    _as(api, Actor(id=mediator_id, name="调解员", role=Role.mediator))
    body = {"schedule": [{"due": "2026-12-31", "amount": "20000.00"}, {"due": "2027-01-31", "amount": "20000.00"}]}
    agreed = c.post(f"/mediations/{mid}/agreement", json=body)
    assert agreed.status_code == 200, agreed.text
    _as(api, Actor(id="anyone", name="debtor-portal", role=Role.collector))
    html = c.get(f"/mediations/{mid}/documents/agreement.html", headers=headers)
    assert html.status_code == 200 and "调解协议书" in html.text and "40,000.00" in html.text
    pdf = c.get(f"/mediations/{mid}/documents/confirmation.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert_clean(html.text, secrets_of(CREDITOR_MIN, GAP))
