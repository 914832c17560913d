from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from tests.builders import NOW, make_case, make_creditor, make_debtor

from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money
from qingzhai.registry import service as registry
from qingzhai.registry.models import Debtor
from qingzhai.registry.rules import Stage
from qingzhai.scoring import service
from qingzhai.scoring.rules import PortfolioSettings, TrainSettings
from qingzhai.sim.identities import resident_id

# execution's tables must be known before the test schemas are built (it is read for real history)
with contextlib.suppress(ModuleNotFoundError):
    import qingzhai.execution.service  # noqa: F401

FAST = TrainSettings(folds=3, repeats=1, inner_folds=2, max_rounds=40, early_stopping_rounds=10, learning_rate=0.1,
                     lgbm_candidates=((("num_leaves", 4), ("min_data_in_leaf", 10), ("feature_fraction", 0.8)),))
THIN = PortfolioSettings(min_examples=30, min_per_class=3, simulated_plans_per_case=3)


def _debtor(session, i: int) -> Debtor:
    """A debtor with a birth date of its own (tests.builders draws from 500 sequence numbers per date)."""
    number = resident_id(np.random.default_rng(i), "310104", date(1960, 1, 1) + timedelta(days=97 * i), female=i % 3 == 0)
    debtor = Debtor(kind="individual", name=f"债务人{i}", id_number=number, id_key=registry.identity_key(number),
                    phone=f"1390000{i:04d}", phone_key=registry.identity_key(f"1390000{i:04d}"),
                    district=["浦东新区", "闵行区"][i % 2], employer="某公司" if i % 4 else None,
                    monthly_income=Decimal(f"{4000 + 900 * i}.00"), income_currency="CNY", created_at=NOW)
    session.add(debtor)
    session.flush()
    return debtor


def _cases(session, n: int = 30):
    creditor = make_creditor(session)
    cases = []
    for i in range(n):
        debtor = _debtor(session, i)
        cases.append(make_case(session, creditor=creditor, debtor=debtor, amount=f"{20000 + 7000 * i}.00",
                               default_date=date(2025, 1, 1) + timedelta(days=11 * i)))
    return cases


def test_without_a_portfolio_model_there_is_no_probability(session):
    case = make_case(session)
    assert service.repayment_probability(session, case, plan_type="installments",
                                         monthly_amount=Money(Decimal("1000.00"), "CNY"), term_months=12) is None


@pytest.mark.slow
def test_thin_history_falls_back_to_simulated_outcomes_and_planning_gets_probabilities(session, tmp_path):
    cases = _cases(session)
    result = service.train_portfolio(session, now=NOW, settings=THIN, train_settings=FAST, model_dir=tmp_path)
    assert result.history == "simulated" and result.real_examples == 0
    assert len(result.notes) == 1 and "30" in result.notes[0]  # says how many labelled plans are needed (THIN)
    assert result.model.card["history"] == "simulated"
    assert "financial_accounts" not in result.model.card["data_categories"]
    assert {"district", "gender", "age_band"} <= set(result.model.card["protected_attributes"])
    assert (result.path / "model_card.json").is_file()
    p_small = service.repayment_probability(session, cases[5], plan_type="installments",
                                            monthly_amount=Money(Decimal("300.00"), "CNY"), term_months=12)
    p_none = service.repayment_probability(session, cases[5], plan_type="settlement")
    assert p_small is not None and 0.0 < p_small < 1.0
    assert p_none is not None and 0.0 < p_none < 1.0


@pytest.mark.slow
def test_retraining_replaces_the_active_model(session, tmp_path):
    _cases(session)
    first = service.train_portfolio(session, now=NOW, settings=THIN, train_settings=FAST, model_dir=tmp_path)
    second = service.train_portfolio(session, now=NOW + timedelta(days=1), settings=THIN, train_settings=FAST,
                                     model_dir=tmp_path)
    assert service.active_portfolio(session).id == second.record.id
    assert first.record.active is False


def test_thin_history_is_refused_when_simulation_is_not_allowed(session, tmp_path):
    _cases(session, 3)
    with pytest.raises(RuleViolation) as err:
        service.train_portfolio(session, now=NOW, settings=THIN, train_settings=FAST, model_dir=tmp_path,
                                allow_simulated=False)
    assert err.value.field == "history"


def test_sensitive_categories_enter_only_with_a_recorded_legal_basis(session):
    security = pytest.importorskip("qingzhai.security.service")
    debtor = make_debtor(session)
    assert "financial_accounts" not in service.allowed_categories(session, debtor_id=debtor.id, now=NOW)
    security.record_basis(session, debtor_id=debtor.id, category="financial_accounts", basis="separate_consent",
                          source="signed consent form", actor=SYSTEM, now=NOW)
    allowed = service.allowed_categories(session, debtor_id=debtor.id, now=NOW)
    assert "financial_accounts" in allowed and "location" not in allowed


def test_a_contract_that_defaulted_within_the_horizon_is_a_broken_plan_and_a_young_one_is_not_labelled(session):
    execution = pytest.importorskip("qingzhai.execution.service")
    creditor = make_creditor(session)
    old = make_case(session, creditor=creditor, stage=Stage.planning)
    start = NOW.date()
    execution.create_contract(session, case=old, source="manual", actor=SYSTEM, now=NOW, schedule=[
        (start + timedelta(days=30 * k), Money(Decimal("2000.00"), "CNY")) for k in range(1, 7)])
    young = make_case(session, creditor=creditor, stage=Stage.planning)
    later = NOW + timedelta(days=150)
    execution.create_contract(session, case=young, source="manual", actor=SYSTEM, now=later, schedule=[
        (later.date() + timedelta(days=30 * k), Money(Decimal("1000.00"), "CNY")) for k in range(1, 4)])
    examples = service.real_history(session, now=NOW + timedelta(days=160), settings=PortfolioSettings())
    assert len(examples) == 1
    assert examples[0].kept is False
    assert examples[0].row["plan_type"] == "installments" and examples[0].row["term_months"] == 6


@pytest.mark.slow
def test_planning_takes_each_options_probability_from_the_portfolio_model(session, tmp_path):
    planning = pytest.importorskip("qingzhai.planning.service")
    cases = _cases(session)
    case = cases[7]
    registry.advance_case(session, case, to=Stage.assessment, reason="placed", actor=SYSTEM, now=NOW)
    registry.advance_case(session, case, to=Stage.planning, reason="assessed", actor=SYSTEM, now=NOW)
    service.train_portfolio(session, now=NOW, settings=THIN, train_settings=FAST, model_dir=tmp_path)
    options = planning.options_for_case(session, case, now=NOW)
    scored = [o for o in options if getattr(o, "probability_source", "") == "scoring"]
    assert scored, [(o.type, getattr(o, "probability_source", None)) for o in options]
    assert all(0.0 <= o.probability <= 1.0 for o in scored)


@pytest.mark.slow
def test_daily_retrain_job_trains_once_and_then_waits_for_new_history(session, tmp_path):
    from qingzhai.scoring.jobs import retrain_portfolio

    _cases(session)
    first = retrain_portfolio(session, now=NOW, settings=THIN, train_settings=FAST, model_dir=tmp_path)
    again = retrain_portfolio(session, now=NOW, settings=THIN, train_settings=FAST, model_dir=tmp_path)
    assert first.retrained and first.history == "simulated"
    assert not again.retrained and again.model_id == first.model_id
