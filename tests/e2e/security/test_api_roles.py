from __future__ import annotations

import pytest
from fastapi import FastAPI
from tests.e2e.security.conftest import PASSWORD, make_app


def answered_without_credentials(client) -> list[str]:
    """Every operation in the OpenAPI description, asked without credentials: which do not say 401?"""
    import re

    open_ops = []
    for path, operations in client.app.openapi()["paths"].items():
        url = re.sub(r"\{[^}]+\}", "x", path)
        for method in operations:
            if client.request(method.upper(), url).status_code != 401:
                open_ops.append(f"{method.upper()} {path}")
    return sorted(open_ops)


def test_only_health_and_login_are_open(world):
    assert answered_without_credentials(world.client) == ["GET /health", "POST /auth/login"]
    response = world.client.get("/cases")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert world.client.get("/cases", headers={"Authorization": "Bearer not.a.token"}).status_code == 401
    assert world.client.get("/health").status_code == 200


def test_collector_asking_for_someone_elses_case_gets_404(world):
    zhang = world.login("zhang")
    assert world.client.get(f"/cases/{world.cases['zhang']}", headers=zhang).status_code == 200
    other = world.client.get(f"/cases/{world.cases['wang']}", headers=zhang)
    assert other.status_code == 404 and other.json()["title"] == "not_found"
    page = world.client.get("/cases", headers=zhang).json()
    assert [c["id"] for c in page["items"]] == [world.cases["zhang"]]
    assert world.client.get("/debtors", headers=zhang).json()["total"] == 1


def test_creditor_key_cannot_see_another_creditors_placements(world):
    key = {"X-API-Key": world.keys["c1"]}
    ids = {c["id"] for c in world.client.get("/cases", headers=key).json()["items"]}
    assert ids == {world.cases["zhang"], world.cases["free"]}
    assert world.client.get(f"/cases/{world.cases['wang']}", headers=key).status_code == 404
    assert world.client.get(f"/creditors/{world.creditors['c2']}", headers=key).status_code == 404
    assert [c["id"] for c in world.client.get("/creditors", headers=key).json()] == [world.creditors["c1"]]
    summary = world.client.get("/summary", params={"creditor_id": world.creditors["c2"]}, headers=key).json()
    assert sum(summary["by_stage"].values()) == 2  # its own two cases, whatever it asks for
    changed = world.client.post(f"/cases/{world.cases['zhang']}/stage", json={"to": "assessment", "reason": "x"},
                                headers=key)
    assert changed.status_code == 403


def test_revoked_or_forged_api_key_is_401(world):
    admin = world.login("admin")
    prefix = world.keys["c1"].split("_")[1]
    assert world.client.get("/cases", headers={"X-API-Key": world.keys["c1"][:-2] + "xx"}).status_code == 401
    keys = world.client.get("/api-keys", headers=admin).json()
    key_id = next(k["id"] for k in keys if k["prefix"] == prefix)
    assert world.client.post(f"/api-keys/{key_id}/revoke", headers=admin).status_code == 200
    assert world.client.get("/cases", headers={"X-API-Key": world.keys["c1"]}).status_code == 401


def test_issued_api_key_is_shown_once_and_works(world):
    admin = world.login("admin")
    created = world.client.post("/api-keys", json={"user": "api-c2", "label": "批量接口"}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    assert all("key" not in k for k in world.client.get("/api-keys", headers=admin).json())
    assert world.client.get("/auth/me", headers={"X-API-Key": key}).json()["name"] == "api-c2"


def test_wrong_password_is_401_and_sixth_failure_in_a_minute_is_429(world):
    for _ in range(5):
        bad = world.client.post("/auth/login", json={"username": "zhang", "password": "wrong password!"})
        assert bad.status_code == 401
    blocked = world.client.post("/auth/login", json={"username": "zhang", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert world.client.post("/auth/login", json={"username": "wang", "password": PASSWORD}).status_code == 429  # same address


def test_disabled_user_token_stops_working_at_once(world):
    zhang, admin = world.login("zhang"), world.login("admin")
    users = {u["name"]: u["id"] for u in world.client.get("/users", headers=admin).json()}
    assert world.client.post(f"/users/{users['zhang']}/disable", headers=admin).status_code == 200
    assert world.client.get("/cases", headers=zhang).status_code == 401


def test_only_admins_manage_users(world):
    manager = world.login("manager")
    response = world.client.post("/users", json={"name": "x", "role": "admin", "password": PASSWORD}, headers=manager)
    assert response.status_code == 403 and response.json()["field"] == "role"


def test_assignment_over_the_api_is_audited_with_who_and_where(world):
    manager, officer = world.login("manager"), world.login("officer")
    case = world.cases["free"]
    assert world.client.post(f"/cases/{case}/assignment", json={"to": "li"}, headers=manager).status_code == 200
    li = world.login("li")
    assert world.client.get(f"/cases/{case}", headers=li).status_code == 200
    zhang = world.login("zhang")
    assert world.client.post(f"/cases/{case}/assignment", json={"to": "zhang"}, headers=zhang).status_code == 403
    entries = world.client.get("/audit", params={"case_id": case}, headers=officer).json()["items"]
    actions = [(e["actor_name"], e["action"]) for e in entries]
    assert ("manager", "case.reassigned") not in actions and ("manager", "case.assigned") in actions
    assert ("li", "http.GET") in actions
    read = next(e for e in entries if e["actor_name"] == "li")
    assert read["detail"]["route"] == "/cases/{case_id}" and read["source"] == "testclient"
    assert world.client.get("/audit/verify", headers=officer).json()["intact"] is True


def test_bulk_assignment_by_rule_over_the_api(world):
    manager = world.login("manager")
    response = world.client.post("/cases/assignments", json={"to": "wang", "district": "浦东新区"}, headers=manager)
    assert response.status_code == 200 and response.json()["assigned"] == 1  # the one unassigned case


def test_legal_basis_and_privacy_requests_over_the_api(world):
    officer, zhang = world.login("officer"), world.login("zhang")
    case = world.client.get(f"/cases/{world.cases['zhang']}", headers=zhang).json()
    debtor_id = case["debtor"]["id"]
    made = world.client.post(f"/debtors/{debtor_id}/legal-bases", headers=zhang,
                             json={"category": "location", "basis": "consent", "source": "form"})
    assert made.status_code == 422 and made.json()["field"] == "basis"
    made = world.client.post(f"/debtors/{debtor_id}/legal-bases", headers=zhang,
                             json={"category": "location", "basis": "separate_consent", "source": "form 2"})
    assert made.status_code == 201
    other = world.client.get(f"/cases/{world.cases['wang']}", headers=officer).json()["debtor"]["id"]
    assert world.client.get(f"/debtors/{other}/legal-bases", headers=zhang).status_code == 404
    assert world.client.get(f"/privacy/debtors/{debtor_id}/export", headers=zhang).status_code == 403
    export = world.client.get(f"/privacy/debtors/{debtor_id}/export", headers=officer).json()
    assert export["tables"]["legal_bases"][0]["basis"] == "separate_consent"
    erased = world.client.post(f"/privacy/debtors/{debtor_id}/erase", json={"reason": "letter 2026-11-19"},
                               headers=officer).json()
    assert "debtors.phone" in erased["erased"] and erased["bases_withdrawn"] == 1


def test_security_headers_and_closed_cors(world):
    response = world.client.get("/health", headers={"Origin": "https://evil.example"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "access-control-allow-origin" not in response.headers
    preflight = world.client.options("/cases", headers={"Origin": "https://evil.example",
                                                        "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_oversized_body_is_refused_with_413(fresh_db, monkeypatch):
    from fastapi.testclient import TestClient

    from qingzhai.config import reset_settings

    monkeypatch.setenv("QINGZHAI_MAX_REQUEST_BYTES", "2048")
    reset_settings()
    with TestClient(make_app(fresh_db)) as client:
        response = client.post("/auth/login", content=b"{" + b" " * 5000 + b"}",
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["title"] == "too_large"

        def chunks():
            for _ in range(10):
                yield b" " * 1000

        streamed = client.post("/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413


def test_unexpected_error_reaches_the_client_without_a_stack_trace(fresh_db):
    from fastapi.testclient import TestClient

    app: FastAPI = make_app(fresh_db)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail: 310101199001011234")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Traceback" not in response.text and "310101199001011234" not in response.text
    assert "RuntimeError" not in response.text


@pytest.mark.parametrize("path", ["/users", "/audit", "/audit/verify"])
def test_collectors_do_not_reach_admin_routes(world, path):
    assert world.client.get(path, headers=world.login("zhang")).status_code == 403


def test_creditor_key_places_only_for_its_own_creditor(world, tmp_path):
    from qingzhai.sim.portfolio import write_portfolio

    path = tmp_path / "p.csv"
    write_portfolio(path, 3, seed=8)
    key = {"X-API-Key": world.keys["c1"]}

    def upload(creditor_id):
        with path.open("rb") as fh:
            return world.client.post(f"/creditors/{creditor_id}/placements", headers=key,
                                     files={"file": ("p.csv", fh, "text/csv")})

    assert upload(world.creditors["c2"]).status_code == 404
    assert upload(world.creditors["c1"]).status_code == 200
    zhang = world.login("zhang")
    with path.open("rb") as fh:
        refused = world.client.post(f"/creditors/{world.creditors['c1']}/placements", headers=zhang,
                                    files={"file": ("p.csv", fh, "text/csv")})
    assert refused.status_code == 403


def test_failed_login_is_audited_without_the_password(world):
    world.client.post("/auth/login", json={"username": "zhang", "password": "not-the-password"})
    officer = world.login("officer")
    entries = world.client.get("/audit", params={"action": "auth.login_failed"}, headers=officer).json()["items"]
    assert entries[0]["detail"] == {"username": "zhang"} and entries[0]["source"] == "testclient"
    assert "not-the-password" not in str(entries)
