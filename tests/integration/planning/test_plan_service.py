from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.builders import NOW, make_case, make_debtor

from qingzhai.assessment.rules import AssessmentSummary
from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import Conflict, NotPermitted, RuleViolation
from qingzhai.core.money import Money
from qingzhai.planning import jobs, rules, service
from qingzhai.planning.service import Ports
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage


def summary(**kw: Any) -> AssessmentSummary:
    base: dict[str, Any] = dict(
        grade="B", completeness=0.9, disposable_income=Money.of("6000.00"), disposable_income_low=None,
        disposable_income_high=None, liquid_assets=Money.of("10000.00"), total_assets=None,
        concealment_flagged=False, fake_debt_risk="low", cooperative=True, hardship=None, evidence_strength=0.8,
        limitation_date=date(2028, 3, 1), enterprise_size=None, annual_revenue=None, receivables=None,
        valuation=None, assessed_at=NOW,
    )
    base.update(kw)
    return AssessmentSummary(**base)


@dataclass
class FakeAssessment:
    result: AssessmentSummary | None

    def latest_summary(self, session, case):
        return self.result


@dataclass
class FakeScoring:
    value: float | None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def repayment_probability(self, session, case, *, plan_type, monthly_amount=None, term_months=None):
        self.calls.append({"plan_type": plan_type, "monthly_amount": monthly_amount, "term_months": term_months})
        return self.value


@dataclass
class Recorded:
    id: str


@dataclass
class FakeContracts:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def create_contract(self, session, *, case, schedule, source, actor, now, terms=None, plan_type="installments"):
        self.calls.append({"case": case.id, "schedule": schedule, "source": source, "plan_type": plan_type})
        return Recorded(id=f"contract-{len(self.calls)}")


@dataclass
class FakeMediation:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def refer(self, session, *, case, kind, actor, now, mediator_id=None, reason):
        self.calls.append({"case": case.id, "kind": kind, "reason": reason})
        return Recorded(id="referral-1")


def number_of(plan: service.CasePlan, kind: str) -> int:
    return next(n for n, o in enumerate(plan.options, 1) if o.type == kind)


def test_without_assessment_options_come_from_declared_income_and_say_so(session):
    case = make_case(session, stage=Stage.planning, amount="80000.00")
    plan = service.plan_case(session, case, now=NOW, ports=Ports())
    assert plan.inputs.source == "declared"
    assert plan.inputs.disposable_income == Money.of("6000.00")  # half of 12,000 declared
    values = [o.expected_recovery.amount for o in plan.options]
    assert values == sorted(values, reverse=True)
    assert all("declared" in o.explanation for o in plan.options)
    assert all(o.probability_source == "heuristic" for o in plan.options)


def test_assessment_summary_is_used_when_present_and_verifies_hardship(session):
    case = make_case(session, stage=Stage.planning)
    ports = Ports(assessment=FakeAssessment(summary(hardship="unemployment")))
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    assert plan.inputs.source == "assessment"
    assert "moratorium" in {o.type for o in plan.options}
    assert all("latest assessment" in o.explanation for o in plan.options)


def test_scoring_probability_replaces_the_heuristic_when_it_returns_a_number(session):
    case = make_case(session, stage=Stage.planning)
    scoring = FakeScoring(0.9)
    plan = service.plan_case(session, case, now=NOW, ports=Ports(scoring=scoring))
    assert all(o.probability == 0.9 and o.probability_source == "scoring" for o in plan.options)
    installment_call = next(c for c in scoring.calls if c["plan_type"] == "installments")
    assert installment_call["monthly_amount"] is not None and installment_call["term_months"] >= 1
    untrained = FakeScoring(None)
    none = service.plan_case(session, case, now=NOW, ports=Ports(scoring=untrained))
    assert all(o.probability_source == "heuristic" for o in none.options)
    assert len(untrained.calls) == 1  # None means no model: not asked again for each option


def test_accepted_installments_become_a_contract(session):
    case = make_case(session, stage=Stage.planning)
    contracts = FakeContracts()
    ports = Ports(contracts=contracts)
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    n = number_of(plan, "installments")
    decision = service.accept_option(session, case, number=n, actor=SYSTEM, now=NOW, ports=ports)
    assert decision.status == "contracted" and decision.contract_id == "contract-1"
    call = contracts.calls[0]
    assert call["source"] == f"plan:{decision.id}" and call["plan_type"] == "installments"
    assert sum(a.amount for _d, a in call["schedule"]) == Decimal("80000.00")
    assert sum(Decimal(r["amount"]) for r in decision.schedule) == Decimal("80000.00")
    assert case.target_close_date == date(2026, 12, 18)  # 28 days for debts up to 500,000
    assert [e.kind for e in registry.case_events(session, case)][-1] == "plan_accepted"


def test_accepted_plan_waits_for_execution_then_the_job_issues_the_contract_once(session):
    case = make_case(session, stage=Stage.planning)
    plan = service.plan_case(session, case, now=NOW, ports=Ports())
    decision = service.accept_option(session, case, number=number_of(plan, "settlement"), actor=SYSTEM, now=NOW,
                                     ports=Ports())
    assert decision.status == "pending_contract"
    with pytest.raises(Conflict):
        service.accept_option(session, case, number=1, actor=SYSTEM, now=NOW, ports=Ports())
    contracts = FakeContracts()
    assert service.complete_pending(session, now=NOW, actor=SYSTEM, ports=Ports(contracts=contracts)) == 1
    assert service.complete_pending(session, now=NOW, actor=SYSTEM, ports=Ports(contracts=contracts)) == 0
    assert decision.status == "contracted" and len(contracts.calls) == 1
    assert jobs.complete_pending_plans(session, now=NOW) == 0  # nothing left pending: re-running is harmless


def test_moratorium_places_a_hold_until_the_review_date(session):
    case = make_case(session, stage=Stage.planning)
    ports = Ports(assessment=FakeAssessment(summary(hardship="illness", disposable_income=Money.of("100.00"))))
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    decision = service.accept_option(session, case, number=number_of(plan, "moratorium"), actor=SYSTEM, now=NOW,
                                     ports=ports)
    holds = registry.active_holds(session, case, now=NOW)
    assert [h.kind for h in holds] == ["moratorium"]
    assert holds[0].until == decision.review_date == date(2027, 11, 20)
    assert case.stage == "planning"
    with pytest.raises(Conflict):
        service.accept_option(session, case, number=1, actor=SYSTEM, now=NOW, ports=ports)
    assert registry.active_holds(session, case, now=NOW + timedelta(days=366)) == []


def test_mediation_is_referred_with_the_districts_kind(session):
    debtor = make_debtor(session, district="崇明区")
    case = make_case(session, stage=Stage.planning, debtor=debtor)
    mediation = FakeMediation()
    ports = Ports(mediation=mediation)
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    decision = service.accept_option(session, case, number=number_of(plan, "mediation"), actor=SYSTEM, now=NOW,
                                     ports=ports)
    assert mediation.calls[0]["kind"] == "community"
    assert decision.status == "mediation" and decision.referral_id == "referral-1"


def test_litigation_closes_the_case_with_outcome_litigation(session):
    case = make_case(session, stage=Stage.planning)
    plan = service.plan_case(session, case, now=NOW, ports=Ports())
    decision = service.accept_option(session, case, number=number_of(plan, "litigation"), actor=SYSTEM, now=NOW,
                                     ports=Ports())
    assert decision.status == "litigation"
    assert case.stage == "closed" and case.outcome == "litigation"


def test_declined_option_is_recorded_and_the_case_stays_in_planning(session):
    case = make_case(session, stage=Stage.planning)
    decision = service.accept_option(session, case, number=1, debtor_accepts=False, actor=SYSTEM, now=NOW,
                                     ports=Ports())
    assert decision.status == "declined" and not decision.debtor_accepted
    assert case.stage == "planning"
    assert registry.case_events(session, case)[-1].kind == "plan_declined"
    assert [d.id for d in service.decisions(session, case)] == [decision.id]


def test_option_needing_approval_is_refused_without_it(session):
    case = make_case(session, stage=Stage.planning, amount="900000.00")
    plan = service.plan_case(session, case, now=NOW, ports=Ports())
    n = next(i for i, o in enumerate(plan.options, 1) if o.needs_approval)
    with pytest.raises(NotPermitted) as err:
        service.accept_option(session, case, number=n, actor=SYSTEM, now=NOW, ports=Ports())
    assert err.value.field == "option"
    assert service.decisions(session, case) == []
    decision = service.accept_option(session, case, number=n, approved=True, actor=SYSTEM, now=NOW, ports=Ports())
    assert decision.needs_approval


def test_accepting_outside_planning_or_a_missing_option_is_refused(session):
    case = make_case(session, stage=Stage.assessment)
    with pytest.raises(RuleViolation) as err:
        service.accept_option(session, case, number=1, actor=SYSTEM, now=NOW, ports=Ports())
    assert err.value.field == "stage"
    other = make_case(session, stage=Stage.planning)
    with pytest.raises(RuleViolation) as err:
        service.accept_option(session, other, number=99, actor=SYSTEM, now=NOW, ports=Ports())
    assert err.value.field == "option"


def test_best_affordable_option_is_affordable_without_approval(session):
    case = make_case(session, stage=Stage.planning)
    best = service.best_affordable_option(session, case, now=NOW)
    assert best is not None and best.affordable and not best.needs_approval
    assert service.options_for_case(session, case, now=NOW)[0].expected_recovery >= best.expected_recovery


def test_high_fake_debt_risk_puts_every_option_up_for_approval(session):
    case = make_case(session, stage=Stage.planning)
    ports = Ports(assessment=FakeAssessment(summary(fake_debt_risk="high")))
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    assert plan.options and all(o.needs_approval for o in plan.options)
    assert all("fake" in o.explanation for o in plan.options)
    assert rules.best_affordable(plan.options) is None


@pytest.mark.parametrize(("months", "ok"), [(24, True), (25, False)])
def test_moratorium_length_can_be_chosen_up_to_twenty_four_months(session, months, ok):
    case = make_case(session, stage=Stage.planning)
    ports = Ports(assessment=FakeAssessment(summary(hardship="disaster", disposable_income=Money.of("100.00"))))
    n = number_of(service.plan_case(session, case, now=NOW, ports=ports), "moratorium")
    if not ok:
        with pytest.raises(RuleViolation) as err:
            service.accept_option(session, case, number=n, months=months, actor=SYSTEM, now=NOW, ports=ports)
        assert err.value.field == "months" and registry.active_holds(session, case, now=NOW) == []
        return
    decision = service.accept_option(session, case, number=n, months=months, actor=SYSTEM, now=NOW, ports=ports)
    assert decision.review_date == date(2028, 11, 20) and decision.details["months"] == 24


def test_months_is_refused_for_other_plan_types(session):
    case = make_case(session, stage=Stage.planning)
    n = number_of(service.plan_case(session, case, now=NOW, ports=Ports()), "settlement")
    with pytest.raises(RuleViolation) as err:
        service.accept_option(session, case, number=n, months=6, actor=SYSTEM, now=NOW, ports=Ports())
    assert err.value.field == "months"


def test_a_negative_assessed_figure_counts_as_no_capacity(session):
    case = make_case(session, stage=Stage.planning)
    ports = Ports(assessment=FakeAssessment(summary(liquid_assets=Money.of("-500.00"),
                                                    disposable_income=Money.of("-1200.00"))))
    plan = service.plan_case(session, case, now=NOW, ports=ports)
    assert plan.inputs.liquid_assets == Money.zero() and plan.inputs.disposable_income == Money.zero()
    settlement = next(o for o in plan.options if o.type == "settlement")
    assert settlement.affordable is False
