"""HTTP routes of the case registry: creditors, debtors, debts, cases, stages, holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from qingzhai import clock
from qingzhai.api.deps import ActorDep, PagingDep, SessionDep
from qingzhai.core.errors import NotPermitted
from qingzhai.registry import service
from qingzhai.registry.models import Debt, Debtor
from qingzhai.registry.rules import Stage
from qingzhai.registry.schemas import (
    CaseDetail,
    CaseEventRead,
    CaseRead,
    CreditorCreate,
    CreditorRead,
    DebtorRead,
    DebtRead,
    HoldCreate,
    HoldLift,
    HoldRead,
    Page,
    StageChange,
)
from qingzhai.security.assignment import AssignmentRule, assign_by_rule, assign_case
from qingzhai.security.rules import Permission, Scope, case_scope, require
from qingzhai.security.schemas import AssignmentCreate, BulkAssignmentCreate, BulkAssignmentRead

router = APIRouter()


@router.post("/creditors", response_model=CreditorRead, status_code=201, tags=["creditors"])
def create_creditor(body: CreditorCreate, session: SessionDep, actor: ActorDep) -> CreditorRead:
    require(actor, Permission.creditor_manage)
    policy = service.CreditorPolicy.from_dict(body.policy) if body.policy else None
    creditor = service.create_creditor(session, name=body.name, policy=policy, now=clock.now())
    session.commit()
    return CreditorRead.of(creditor)


@router.get("/creditors", response_model=list[CreditorRead], tags=["creditors"])
def list_creditors(session: SessionDep, actor: ActorDep) -> list[CreditorRead]:
    own = actor.creditor_id if case_scope(actor) is Scope.own_placements else None
    return [CreditorRead.of(c) for c in service.list_creditors(session) if own is None or c.id == own]


@router.get("/creditors/{creditor_id}", response_model=CreditorRead, tags=["creditors"])
def get_creditor(creditor_id: str, session: SessionDep, actor: ActorDep) -> CreditorRead:
    creditor = service.get_creditor(session, creditor_id)
    if case_scope(actor) is Scope.own_placements and creditor.id != actor.creditor_id:
        raise service.NotFound(f"no creditor '{creditor_id}'", field="creditor")
    return CreditorRead.of(creditor)


@router.patch("/creditors/{creditor_id}/policy", response_model=CreditorRead, tags=["creditors"])
def update_policy(creditor_id: str, changes: dict[str, Any], session: SessionDep, actor: ActorDep) -> CreditorRead:
    require(actor, Permission.creditor_manage)
    creditor = service.get_creditor(session, creditor_id)
    service.update_creditor_policy(session, creditor, changes)
    session.commit()
    return CreditorRead.of(creditor)


@router.get("/debtors", response_model=Page[DebtorRead], tags=["debtors"])
def list_debtors(session: SessionDep, actor: ActorDep, paging: PagingDep) -> Page[DebtorRead]:
    require(actor, Permission.debtor_read)
    rows, total = service.list_debtors(session, offset=paging.offset, limit=paging.size, actor=actor)
    return Page(items=[DebtorRead.of(d) for d in rows], total=total, page=paging.page, size=paging.size)


@router.get("/debtors/{debtor_id}", response_model=DebtorRead, tags=["debtors"])
def get_debtor(debtor_id: str, session: SessionDep, actor: ActorDep) -> DebtorRead:
    require(actor, Permission.debtor_read)
    return DebtorRead.of(service.get_debtor(session, debtor_id, actor=actor))


@router.get("/cases", response_model=Page[CaseRead], tags=["cases"])
def list_cases(
    session: SessionDep,
    actor: ActorDep,
    paging: PagingDep,
    stage: Stage | None = None,
    creditor_id: str | None = Query(None, max_length=64),
) -> Page[CaseRead]:
    rows, total = service.list_cases(
        session, actor=actor, stage=stage, creditor_id=creditor_id, offset=paging.offset, limit=paging.size
    )
    debtors = {d.id: d for d in session.scalars(select(Debtor).where(Debtor.id.in_({c.debtor_id for c in rows})))}
    return Page(
        items=[CaseRead.of(c, debtors[c.debtor_id]) for c in rows],
        total=total, page=paging.page, size=paging.size,
    )


def _detail(session: SessionDep, case: service.Case) -> CaseDetail:
    debtor = service.get_debtor(session, case.debtor_id)
    base = CaseRead.of(case, debtor).model_dump()
    return CaseDetail(
        **base,
        debts=[DebtRead.of(d) for d in service.case_debts(session, case)],
        holds=[HoldRead.of(h) for h in case.holds],
        events=[CaseEventRead.of(e) for e in service.case_events(session, case)],
    )


@router.get("/cases/{case_id}", response_model=CaseDetail, tags=["cases"])
def get_case(case_id: str, session: SessionDep, actor: ActorDep) -> CaseDetail:
    return _detail(session, service.get_case(session, case_id, actor=actor))


@router.get("/cases/{case_id}/debts", response_model=list[DebtRead], tags=["debts"])
def case_debts(case_id: str, session: SessionDep, actor: ActorDep) -> list[DebtRead]:
    case = service.get_case(session, case_id, actor=actor)
    return [DebtRead.of(d) for d in service.case_debts(session, case)]


@router.get("/debts/{debt_id}", response_model=DebtRead, tags=["debts"])
def get_debt(debt_id: str, session: SessionDep, actor: ActorDep) -> DebtRead:
    debt = session.get(Debt, debt_id)
    if debt is None:
        raise service.NotFound(f"no debt '{debt_id}'", field="debt_id")
    service.get_case(session, debt.case_id, actor=actor)
    return DebtRead.of(debt)


@router.post("/cases/{case_id}/stage", response_model=CaseDetail, tags=["cases"])
def change_stage(case_id: str, body: StageChange, session: SessionDep, actor: ActorDep) -> CaseDetail:
    require(actor, Permission.case_work)
    case = service.get_case(session, case_id, actor=actor)
    service.advance_case(session, case, to=body.to, reason=body.reason, outcome=body.outcome,
                         actor=actor, now=clock.now())
    session.commit()
    return _detail(session, case)


@router.post("/cases/{case_id}/holds", response_model=HoldRead, status_code=201, tags=["cases"])
def place_hold(case_id: str, body: HoldCreate, session: SessionDep, actor: ActorDep) -> HoldRead:
    require(actor, Permission.case_work)
    case = service.get_case(session, case_id, actor=actor)
    hold = service.place_hold(session, case, kind=body.kind, until=body.until, reason=body.reason,
                              actor=actor, now=clock.now())
    session.commit()
    return HoldRead.of(hold)


@router.post("/cases/{case_id}/holds/{hold_id}/lift", response_model=HoldRead, tags=["cases"])
def lift_hold(case_id: str, hold_id: str, body: HoldLift, session: SessionDep, actor: ActorDep) -> HoldRead:
    require(actor, Permission.case_work)
    case = service.get_case(session, case_id, actor=actor)
    hold = service.lift_hold(session, case, hold_id, reason=body.reason, actor=actor, now=clock.now())
    session.commit()
    return HoldRead.of(hold)


@router.get("/cases/{case_id}/events", response_model=list[CaseEventRead], tags=["cases"])
def case_events(case_id: str, session: SessionDep, actor: ActorDep) -> list[CaseEventRead]:
    case = service.get_case(session, case_id, actor=actor)
    return [CaseEventRead.of(e) for e in service.case_events(session, case)]


@router.get("/summary", tags=["cases"])
def summary(session: SessionDep, actor: ActorDep, creditor_id: str | None = Query(None, max_length=64)) -> dict[str, Any]:
    if case_scope(actor) is Scope.own_placements:
        creditor_id = actor.creditor_id
    elif case_scope(actor) is not Scope.all:
        raise NotPermitted("the portfolio summary is for managers and compliance", field="role", rule="permission")
    return service.portfolio_summary(session, now=clock.now(), creditor_id=creditor_id).to_dict()


@router.post("/cases/{case_id}/assignment", response_model=CaseRead, tags=["cases"])
def assign(case_id: str, body: AssignmentCreate, session: SessionDep, actor: ActorDep) -> CaseRead:
    """Assign the case to a collector or mediator (reassignment is recorded and audited)."""
    require(actor, Permission.case_assign)
    case = service.get_case(session, case_id, actor=actor)
    assign_case(session, case, to=body.to, reason=body.reason, actor=actor, now=clock.now())
    session.commit()
    return CaseRead.of(case, service.get_debtor(session, case.debtor_id))


@router.post("/cases/assignments", response_model=BulkAssignmentRead, tags=["cases"])
def assign_bulk(body: BulkAssignmentCreate, session: SessionDep, actor: ActorDep) -> BulkAssignmentRead:
    """Assign every open case matching a rule (district, amount tier, stage, creditor) to one user."""
    require(actor, Permission.case_assign)
    rule = AssignmentRule(
        district=body.district, min_amount=body.min_amount, max_amount=body.max_amount, currency=body.currency,
        stage=body.stage, creditor_id=body.creditor_id, unassigned_only=body.unassigned_only, limit=body.limit,
    )
    count = assign_by_rule(session, to=body.to, rule=rule, reason=body.reason, actor=actor, now=clock.now())
    session.commit()
    return BulkAssignmentRead(assigned=count)
