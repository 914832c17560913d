"""Planning with the real assessment, scoring, execution and mediation services (the default ports)."""

from __future__ import annotations

from decimal import Decimal

from tests.builders import NOW, make_case, make_debtor
from tests.integration.planning.test_plan_service import FakeAssessment, number_of, summary

from qingzhai.core.actor import SYSTEM
from qingzhai.core.money import Money
from qingzhai.execution import service as execution
from qingzhai.planning import service
from qingzhai.planning.service import Ports
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage


def test_default_ports_are_the_installed_capabilities():
    ports = service.default_ports()
    assert ports.assessment is not None and ports.scoring is not None
    assert ports.contracts is not None and ports.mediation is not None


def test_unassessed_case_without_a_trained_model_uses_declared_figures_and_the_heuristic(session):
    case = make_case(session, stage=Stage.planning)
    plan = service.plan_case(session, case, now=NOW)
    assert plan.inputs.source == "declared"
    assert all(o.probability_source == "heuristic" for o in plan.options)


def test_accepted_installments_become_an_execution_contract_and_the_case_moves_to_execution(session):
    case = make_case(session, stage=Stage.planning)
    plan = service.plan_case(session, case, now=NOW)
    decision = service.accept_option(session, case, number=number_of(plan, "installments"), actor=SYSTEM, now=NOW)
    contract = execution.open_contract(session, case)
    assert decision.status == "contracted" and contract is not None and decision.contract_id == contract.id
    assert contract.source == f"plan:{decision.id}" and contract.plan_type == "installments"
    assert contract.total == Decimal("80000.00")
    assert case.stage == "execution"


def test_debt_to_equity_runs_as_its_base_scenario_buy_back(session):
    debtor = make_debtor(session, kind="enterprise", name="上海某某制造有限公司", monthly_income=None)
    case = make_case(session, stage=Stage.planning, amount="5000000.00", debtor=debtor)
    ports = service.default_ports()
    ports = Ports(assessment=FakeAssessment(summary(
        enterprise_size="large", valuation=Money.of("20000000.00"), annual_revenue=Money.of("30000000.00"),
        disposable_income=None, liquid_assets=None)), scoring=ports.scoring, contracts=ports.contracts)
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    n = number_of(plan, "debt_to_equity")
    decision = service.accept_option(session, case, number=n, actor=SYSTEM, now=NOW, ports=ports)
    contract = execution.open_contract(session, case)
    base = next(s for s in plan.options[n - 1].details["scenarios"] if s["scenario"] == "base")
    assert decision.status == "contracted" and contract.plan_type == "debt_to_equity"
    assert contract.total == Decimal(base["recovery"])


def test_mediation_referral_places_the_mediation_hold_with_the_districts_kind(session):
    debtor = make_debtor(session, district="崇明区")
    case = make_case(session, stage=Stage.planning, debtor=debtor)
    plan = service.plan_case(session, case, now=NOW)
    decision = service.accept_option(session, case, number=number_of(plan, "mediation"), actor=SYSTEM, now=NOW)
    assert decision.status == "mediation" and decision.referral_id
    assert [h.kind for h in registry.active_holds(session, case, now=NOW)] == ["mediation"]
    from qingzhai.mediation import service as mediation

    assert mediation.open_mediation(session, case).kind == "community"


def test_pending_plan_is_contracted_by_the_job_once_execution_is_there(session):
    case = make_case(session, stage=Stage.planning)
    plan = service.plan_case(session, case, now=NOW, ports=Ports())
    decision = service.accept_option(session, case, number=number_of(plan, "settlement"), actor=SYSTEM, now=NOW,
                                     ports=Ports())
    assert decision.status == "pending_contract" and case.stage == "planning"
    assert service.complete_pending(session, now=NOW, actor=SYSTEM) == 1
    assert service.complete_pending(session, now=NOW, actor=SYSTEM) == 0
    assert decision.status == "contracted" and case.stage == "execution"
    assert execution.open_contract(session, case).id == decision.contract_id
