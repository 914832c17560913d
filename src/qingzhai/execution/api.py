"""HTTP routes of execution: contracts, payments (and gateway callbacks), promises, ledger, run-day."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Body, Query

from qingzhai import clock
from qingzhai.api.deps import ActorDep, PagingDep, SessionDep
from qingzhai.core.errors import NotFound
from qingzhai.core.money import Money, parse_decimal
from qingzhai.execution import chain, imports, jobs, ledger, service
from qingzhai.execution.rules import ContractTerms
from qingzhai.execution.schemas import (
    ContractCreate,
    ContractRead,
    PaymentCreate,
    PaymentRead,
    PaymentReverse,
    PromiseCreate,
    PromiseRead,
    RunDayRequest,
)
from qingzhai.registry import service as registry
from qingzhai.registry.schemas import Page
from qingzhai.security.rules import Permission, require

router = APIRouter()


@router.post("/contracts", response_model=ContractRead, status_code=201, tags=["execution"])
def create_contract(body: ContractCreate, session: SessionDep, actor: ActorDep) -> ContractRead:
    case = registry.get_case(session, body.case, actor=actor)
    schedule = [(i.due, Money(parse_decimal(i.amount, field="schedule"), case.currency)) for i in body.schedule]
    contract = service.create_contract(
        session, case=case, schedule=schedule, source=body.source, actor=actor, now=clock.now(),
        terms=ContractTerms.from_dict(body.terms) if body.terms else None, plan_type=body.plan_type,
    )
    session.commit()
    return ContractRead.of(contract)


@router.get("/contracts", response_model=Page[ContractRead], tags=["execution"])
def list_contracts(session: SessionDep, actor: ActorDep, paging: PagingDep,
                   status: str | None = Query(None, max_length=16),
                   case: str | None = Query(None, max_length=64)) -> Page[ContractRead]:
    the_case = registry.get_case(session, case, actor=actor) if case else None
    rows, total = service.list_contracts(session, status=status, case=the_case, offset=paging.offset,
                                         limit=paging.size)
    visible = []
    for c in rows:
        try:
            registry.get_case(session, c.case_id, actor=actor)
        except NotFound:
            continue
        visible.append(ContractRead.of(c))
    return Page(items=visible, total=total, page=paging.page, size=paging.size)


@router.get("/contracts/{contract_id}", response_model=ContractRead, tags=["execution"])
def get_contract(contract_id: str, session: SessionDep, actor: ActorDep) -> ContractRead:
    return ContractRead.of(service.get_contract(session, contract_id, actor=actor))


@router.get("/contracts/{contract_id}/ledger", tags=["execution"])
def contract_ledger(contract_id: str, session: SessionDep, actor: ActorDep) -> list[dict[str, Any]]:
    contract = service.get_contract(session, contract_id, actor=actor)
    return [json.loads(e.body) | {"hash": e.hash} for e in ledger.entries_for(session, contract_id=contract.id)]


@router.post("/payments", response_model=PaymentRead, tags=["execution"])
def record_payment(body: PaymentCreate, session: SessionDep, actor: ActorDep) -> PaymentRead:
    case = registry.get_case(session, body.case, actor=actor)
    posting = service.record_payment(
        session, case=case, amount=Money(parse_decimal(body.amount, field="amount"), body.currency.upper()),
        idempotency_key=body.idempotency_key, value_date=body.value_date, channel="api", actor=actor,
        now=clock.now(), reference=body.reference,
    )
    session.commit()
    return PaymentRead.of(posting.payment, duplicate=posting.duplicate,
                          allocations=list(service.allocations_of(session, posting.payment)))


@router.post("/payments/{payment_id}/reverse", response_model=PaymentRead, tags=["execution"])
def reverse_payment(payment_id: str, body: PaymentReverse, session: SessionDep, actor: ActorDep) -> PaymentRead:
    payment = service.get_payment(session, payment_id)
    registry.get_case(session, payment.case_id, actor=actor)
    posting = service.reverse_payment(session, payment=payment, reason=body.reason, on=body.reversed_on,
                                      actor=actor, now=clock.now())
    session.commit()
    return PaymentRead.of(posting.payment, duplicate=posting.duplicate)


@router.post("/payments/gateway-callbacks", tags=["execution"])
def gateway_callbacks(session: SessionDep, actor: ActorDep,
                      body: str = Body(..., media_type="application/x-ndjson",
                                       description="Gateway callbacks, one JSON object a line.")) -> dict[str, Any]:
    report = imports.import_payments(session, imports.read_gateway_callbacks(body), actor=actor, now=clock.now())
    session.commit()
    return report.to_dict()


@router.get("/payments", response_model=Page[PaymentRead], tags=["execution"])
def list_payments(session: SessionDep, actor: ActorDep, paging: PagingDep,
                  case: str = Query(..., max_length=64)) -> Page[PaymentRead]:
    the_case = registry.get_case(session, case, actor=actor)
    rows, total = service.list_payments(session, case=the_case, offset=paging.offset, limit=paging.size)
    return Page(items=[PaymentRead.of(p) for p in rows], total=total, page=paging.page, size=paging.size)


@router.post("/promises", response_model=PromiseRead, status_code=201, tags=["execution"])
def record_promise(body: PromiseCreate, session: SessionDep, actor: ActorDep) -> PromiseRead:
    case = registry.get_case(session, body.case, actor=actor)
    promise = service.record_promise(
        session, case=case, amount=Money(parse_decimal(body.amount, field="amount"), body.currency.upper()),
        due=body.due, channel=body.channel, taken_by=body.taken_by, now=clock.now(),
    )
    session.commit()
    return PromiseRead.of(promise)


@router.get("/promises", response_model=Page[PromiseRead], tags=["execution"])
def list_promises(session: SessionDep, actor: ActorDep, paging: PagingDep,
                  status: str | None = Query(None, max_length=16), queued: bool | None = None) -> Page[PromiseRead]:
    rows, total = service.list_promises(session, status=status, queued=queued, offset=paging.offset,
                                        limit=paging.size, visible_to=actor)
    return Page(items=[PromiseRead.of(p) for p in rows], total=total, page=paging.page, size=paging.size)


@router.post("/run-day", tags=["execution"])
def run_day(body: RunDayRequest, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    require(actor, Permission.jobs_run)
    report = jobs.run_day(session, day=body.day, now=clock.now())
    session.commit()
    return report.to_dict()


@router.get("/ledger/verify", tags=["ledger"])
def verify_ledger(session: SessionDep) -> dict[str, Any]:
    return ledger.verify(session).to_dict()


@router.get("/ledger/public-key", tags=["ledger"])
def ledger_public_key(session: SessionDep) -> dict[str, str]:
    key = ledger.public_key(session, now=clock.now())
    session.commit()
    return {"algorithm": "Ed25519", "public_key": key}


@router.get("/ledger/entries/{entry_id}/proof", tags=["ledger"])
def ledger_proof(entry_id: str, session: SessionDep) -> dict[str, Any]:
    return ledger.proof(session, entry_id)


@router.post("/ledger/check-proof", tags=["ledger"])
def check_proof(proof: dict[str, Any], public_key: str = Query(..., min_length=64, max_length=64)) -> dict[str, Any]:
    result = chain.check_proof(proof, public_key)
    return {"ok": result.ok, "reason": result.reason}
