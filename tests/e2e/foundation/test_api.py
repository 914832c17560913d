from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from qingzhai.api.app import create_app
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for
from qingzhai.sim.portfolio import write_portfolio


@pytest.fixture
def client(fresh_db):
    """A manager's client; authentication itself is tested with the security capability."""
    app = create_app(engine_for(fresh_db))
    app.state.actor_resolver = lambda _request: Actor(id="mgr", name="manager", role=Role.manager, source="test")
    with TestClient(app) as c:
        yield c


def upload(client, creditor_id, path):
    with path.open("rb") as fh:
        return client.post(f"/creditors/{creditor_id}/placements", files={"file": (path.name, fh, "text/csv")})


def test_placement_upload_then_paged_masked_case_list(client, tmp_path):
    creditor = client.post("/creditors", json={"name": "申城消费金融"}).json()
    path = tmp_path / "p.csv"
    write_portfolio(path, 30, seed=2)
    report = upload(client, creditor["id"], path).json()
    assert report["imported"] >= 30 and report["rejected"] == 0
    assert upload(client, creditor["id"], path).json()["already_present"] == report["imported"]

    page = client.get("/cases", params={"size": 10, "page": 2}).json()
    assert page["total"] == 30 and len(page["items"]) == 10 and page["page"] == 2
    masked = page["items"][0]["debtor"]["id_number"]
    assert masked[4:-4] == "*" * 10


def test_invalid_transition_is_problem_json_naming_the_field(client, tmp_path):
    creditor = client.post("/creditors", json={"name": "C"}).json()
    path = tmp_path / "p.csv"
    write_portfolio(path, 1, seed=2)
    upload(client, creditor["id"], path)
    case_id = client.get("/cases").json()["items"][0]["id"]
    response = client.post(f"/cases/{case_id}/stage", json={"to": "closed", "reason": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "outcome"
    ok = client.post(f"/cases/{case_id}/stage", json={"to": "assessment", "reason": "accepted"})
    assert ok.status_code == 200 and ok.json()["events"][-1]["kind"] == "stage_changed"


def test_request_validation_errors_name_the_field(client):
    response = client.post("/creditors", json={"name": "C", "colour": "red"})
    assert response.status_code == 422 and response.json()["field"] == "colour"
    assert client.get("/cases", params={"size": 9999}).json()["field"] == "size"


def test_unknown_case_is_404_problem(client):
    response = client.get("/cases/NOPE")
    assert response.status_code == 404 and response.json()["title"] == "not_found"


def test_upload_of_a_file_without_required_columns_is_refused(client):
    creditor = client.post("/creditors", json={"name": "C"}).json()
    response = client.post(
        f"/creditors/{creditor['id']}/placements",
        files={"file": ("p.csv", io.BytesIO(b"debt_ref\nX\n"), "text/csv")},
    )
    assert response.status_code == 422 and response.json()["field"] == "debtor_type"
    assert client.get("/cases").json()["total"] == 0


def test_duplicate_creditor_name_is_a_conflict(client):
    client.post("/creditors", json={"name": "C"})
    assert client.post("/creditors", json={"name": "C"}).status_code == 409
