from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from tests.builders import NOW, make_case, make_creditor

from qingzhai.api.app import create_app
from qingzhai.core.actor import SYSTEM
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.security import auth
from qingzhai.security.assignment import assign_case
from qingzhai.security.http import install

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    client: TestClient
    cases: dict[str, str] = field(default_factory=dict)      # label -> case id
    creditors: dict[str, str] = field(default_factory=dict)  # label -> creditor id
    keys: dict[str, str] = field(default_factory=dict)       # creditor label -> API key

    def login(self, name: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/auth/login", json={"username": name, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def make_app(url: str):
    app = create_app(engine_for(url))
    install(app)
    return app


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2id at its lowest cost: these tests are about access, not about hash strength."""
    from qingzhai.config import reset_settings

    monkeypatch.setenv("QINGZHAI_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("QINGZHAI_PASSWORD_MEMORY_KIB", "1024")
    reset_settings()


@pytest.fixture
def world(fresh_db) -> World:
    with unit_of_work(engine_for(fresh_db)) as s:
        for name, role in (("admin", "admin"), ("manager", "manager"), ("officer", "compliance_officer"),
                           ("zhang", "collector"), ("wang", "collector"), ("li", "mediator")):
            auth.create_user(s, name=name, role=role, password=PASSWORD, actor=SYSTEM, now=NOW)
        c1, c2 = make_creditor(s, name="申城银行"), make_creditor(s, name="浦江消费金融")
        cases = {"zhang": make_case(s, creditor=c1), "wang": make_case(s, creditor=c2), "free": make_case(s, creditor=c1)}
        manager = auth.actor_of(auth.get_user(s, "manager"), source="test")
        assign_case(s, cases["zhang"], to="zhang", actor=manager, now=NOW)
        assign_case(s, cases["wang"], to="wang", actor=manager, now=NOW)
        keys = {}
        for label, creditor in (("c1", c1), ("c2", c2)):
            client_user = auth.create_user(s, name=f"api-{label}", role="creditor", creditor=creditor.id,
                                           actor=SYSTEM, now=NOW)
            keys[label] = auth.create_api_key(s, user=client_user, label="core", actor=SYSTEM, now=NOW).secret
        ids = {k: v.id for k, v in cases.items()}
        creditors = {"c1": c1.id, "c2": c2.id}
    with TestClient(make_app(fresh_db)) as client:
        yield World(client, ids, creditors, keys)
