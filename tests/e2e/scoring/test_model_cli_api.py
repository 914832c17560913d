from __future__ import annotations

import contextlib
import json
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.builders import NOW, make_case, make_creditor
from typer.testing import CliRunner

import qingzhai.api.errors
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, session_factory, unit_of_work
from qingzhai.registry import service as registry
from qingzhai.registry.models import Debtor
from qingzhai.scoring import service
from qingzhai.scoring.api import router
from qingzhai.scoring.cli import app
from qingzhai.scoring.rules import PortfolioSettings, TrainSettings
from qingzhai.sim.identities import resident_id
from qingzhai.sim.repayment import credit_table

# execution's tables must be known before the test schemas are built (it is read for real history)
with contextlib.suppress(ModuleNotFoundError):
    import qingzhai.execution.service

runner = CliRunner()
FAST = TrainSettings(folds=3, repeats=1, inner_folds=2, max_rounds=40, early_stopping_rounds=10, learning_rate=0.1,
                     lgbm_candidates=((("num_leaves", 4), ("min_data_in_leaf", 10), ("feature_fraction", 0.8)),))


def _portfolio(url: str, n: int = 30) -> list[int]:
    with unit_of_work(engine_for(url)) as session:
        creditor = make_creditor(session)
        numbers = []
        for i in range(n):
            number = resident_id(np.random.default_rng(i), "310104", date(1960, 1, 1) + timedelta(days=97 * i), female=i % 2 == 0)
            debtor = Debtor(kind="individual", name=f"债务人{i}", id_number=number, id_key=registry.identity_key(number),
                            phone=f"1390000{i:04d}", phone_key=registry.identity_key(f"1390000{i:04d}"),
                            district="浦东新区", monthly_income=Decimal(f"{4000 + 900 * i}.00"), income_currency="CNY",
                            created_at=NOW)
            session.add(debtor)
            session.flush()
            numbers.append(make_case(session, creditor=creditor, debtor=debtor, amount=f"{20000 + 7000 * i}.00").number)
    return numbers


@pytest.fixture
def german_like_csv(tmp_path):
    path = tmp_path / "credit.csv"
    credit_table(300, seed=11).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_train_score_report_and_card_on_a_csv(tmp_path, german_like_csv):
    out = tmp_path / "model"
    result = runner.invoke(app, ["train", "--data", str(german_like_csv), "--target", "repaid", "--out", str(out),
                                 "--folds", "3", "--repeats", "1", "--protected", "gender", "--group", "region", "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["data"]["positive"] == "yes" and card["chosen_model"] in ("lightgbm", "scorecard", "blend")
    assert {"auc", "gini", "ks", "brier"} <= set(card["metrics"]["lightgbm"])
    assert "gender" not in [f["name"] for f in card["features"]]

    new = tmp_path / "new.csv"
    credit_table(20, seed=12).drop(columns=["repaid"]).to_csv(new, index=False)
    scores = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", "--model", str(out), "--data", str(new), "--out", str(scores), "--lang", "en"])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(scores)
    assert len(scored) == 20 and {"probability", "score", "band", "reason_1", "reason_2", "reason_3"} <= set(scored.columns)
    assert scored["probability"].between(0, 1).all()

    html_path = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--model", str(out), "--out", str(html_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {p["attribute"]: p["in_lightgbm"] or p["in_scorecard"] for p in summary["protected_absent"]} == {
        "gender": False, "region": False}
    assert summary["fairness"][0]["group"] == "region"
    page = html_path.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 5

    result = runner.invoke(app, ["card", "--model", str(out), "--json"])
    assert json.loads(result.stdout)["data"]["fingerprint"] == card["data"]["fingerprint"]


def test_training_refuses_a_leaked_target_with_exit_code_2(tmp_path):
    frame = credit_table(200, seed=13)
    frame["paid_flag"] = np.where(frame["repaid"] == "yes", 1, 0)
    path = tmp_path / "leak.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(app, ["train", "--data", str(path), "--target", "repaid", "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "paid_flag" in result.output


def test_scoring_with_a_missing_model_directory_is_not_found(tmp_path, german_like_csv):
    result = runner.invoke(app, ["score", "--model", str(tmp_path / "nothing"), "--data", str(german_like_csv),
                                 "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 3


@pytest.mark.slow
def test_train_portfolio_cli_says_when_history_is_simulated(fresh_db, tmp_path):
    _portfolio(fresh_db)
    result = runner.invoke(app, ["train-portfolio", "--min-examples", "30", "--folds", "3", "--model-dir",
                                 str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["history"] == "simulated" and data["real_examples"] == 0
    assert "financial_accounts" not in data["data_categories"]
    result = runner.invoke(app, ["card", "--json"])
    assert json.loads(result.stdout)["history"] == "simulated"


def _client(url: str, role: Role = Role.manager) -> TestClient:
    api = FastAPI()
    api.state.actor_resolver = lambda request: Actor(id="u1", name="analyst", role=role)
    qingzhai.api.errors.install(api)
    api.state.engine = engine_for(url)
    api.state.sessions = session_factory(api.state.engine)
    api.include_router(router)
    return TestClient(api)


@pytest.mark.slow
def test_api_scores_a_case_with_reasons_once_a_portfolio_model_exists(fresh_db, tmp_path):
    numbers = _portfolio(fresh_db)
    client = _client(fresh_db)
    body = {"plan_type": "installments", "monthly_amount": "1500.00", "term_months": 12}
    assert client.post(f"/cases/{numbers[3]}/score", json=body).status_code == 404
    assert client.get("/models/portfolio").status_code == 404
    with unit_of_work(engine_for(fresh_db)) as session:
        service.train_portfolio(session, now=NOW, settings=PortfolioSettings(min_examples=30, min_per_class=3),
                                train_settings=FAST, model_dir=tmp_path)
    response = client.post(f"/cases/{numbers[3]}/score", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert 0 < data["probability"] < 1 and data["band"] in "ABCDE" and data["history"] == "simulated"
    assert all(r["text_zh"] and r["text_en"] for r in data["reasons"])
    card = client.get("/models/portfolio").json()
    assert card["card"]["history"] == "simulated" and "data_categories" in card["card"]


def test_api_refuses_unknown_fields_and_a_non_positive_amount(fresh_db):
    numbers = _portfolio(fresh_db, 1)
    client = _client(fresh_db)
    assert client.post(f"/cases/{numbers[0]}/score", json={"plan_type": "x", "colour": "red"}).status_code == 422
    assert client.post(f"/cases/{numbers[0]}/score", json={"plan_type": "x", "monthly_amount": "-1"}).status_code == 422


def test_api_hides_cases_outside_a_collectors_scope_and_needs_a_login(fresh_db):
    numbers = _portfolio(fresh_db, 1)
    body = {"plan_type": "settlement"}
    assert _client(fresh_db, Role.collector).post(f"/cases/{numbers[0]}/score", json=body).status_code == 404
    client = _client(fresh_db)
    client.app.state.actor_resolver = None
    assert client.post(f"/cases/{numbers[0]}/score", json=body).status_code == 401
    assert client.get("/models/portfolio").status_code == 401
