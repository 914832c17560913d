"""HTTP routes of planning: ranked options, the debtor's answer, what-if."""

from __future__ import annotations

from fastapi import APIRouter

from qingzhai import clock
from qingzhai.api.deps import ActorDep, SessionDep
from qingzhai.planning import service
from qingzhai.planning.schemas import PlanAccept, PlanDecisionRead, PlanOptionsRead, WhatIfProfile, plan_read
from qingzhai.registry import service as registry

router = APIRouter(tags=["planning"])


@router.get("/cases/{case_id}/plan/options", response_model=PlanOptionsRead)
def options(case_id: str, session: SessionDep, actor: ActorDep) -> PlanOptionsRead:
    case = registry.get_case(session, case_id, actor=actor)
    plan = service.plan_case(session, case, now=clock.now())
    return plan_read(plan.options, plan.ineligible, plan.inputs, case_id=case.id, case_number=case.number,
                     target_close_date=plan.target_close_date)


@router.post("/cases/{case_id}/plan/accept", response_model=PlanDecisionRead, status_code=201)
def accept(case_id: str, body: PlanAccept, session: SessionDep, actor: ActorDep) -> PlanDecisionRead:
    case = registry.get_case(session, case_id, actor=actor)
    decision = service.accept_option(session, case, number=body.option, debtor_accepts=body.debtor_accepts,
                                     approved=body.approved, months=body.months, actor=actor, now=clock.now())
    session.commit()
    return PlanDecisionRead.model_validate(decision)


@router.get("/cases/{case_id}/plan/decisions", response_model=list[PlanDecisionRead])
def decisions(case_id: str, session: SessionDep, actor: ActorDep) -> list[PlanDecisionRead]:
    case = registry.get_case(session, case_id, actor=actor)
    return [PlanDecisionRead.model_validate(d) for d in service.decisions(session, case)]


@router.post("/plan/what-if", response_model=PlanOptionsRead)
def what_if(body: WhatIfProfile, actor: ActorDep) -> PlanOptionsRead:
    found = service.what_if(body.model_dump(), now=clock.now())
    return plan_read(found.options, found.ineligible, found.inputs)
