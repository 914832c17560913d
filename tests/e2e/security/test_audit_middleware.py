from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.e2e.security.conftest import make_app

from qingzhai import clock
from qingzhai.api.deps import ActorDep, SessionDep
from qingzhai.core.errors import RuleViolation
from qingzhai.security import service


def test_failed_request_after_an_audited_step_still_answers_and_leaves_a_clean_chain(world, fresh_db):
    app: FastAPI = make_app(fresh_db)

    @app.post("/half-done")
    def half_done(session: SessionDep, actor: ActorDep) -> None:
        service.audit(session, actor=actor, action="step.one", now=clock.now())
        raise RuleViolation("second step refused", field="x")

    with TestClient(app) as client:
        headers = {"Authorization": world.login("officer")["Authorization"]}
        response = client.post("/half-done", headers=headers)
        assert response.status_code == 422
        entries = client.get("/audit", params={"action": "http.POST"}, headers=headers).json()["items"]
        assert entries[-1]["detail"]["status"] == 422 and entries[-1]["detail"]["route"] == "/half-done"
        assert client.get("/audit", params={"action": "step.one"}, headers=headers).json()["total"] == 0
        assert client.get("/audit/verify", headers=headers).json()["intact"] is True
