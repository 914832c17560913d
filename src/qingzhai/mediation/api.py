"""HTTP routes of mediation. The debtor acts with its party token in the `X-Party-Token` header."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, Response

from qingzhai import clock
from qingzhai.api.deps import ActorDep, PagingDep, SessionDep
from qingzhai.core.money import Money
from qingzhai.mediation import documents, service, views
from qingzhai.mediation.rules import Status
from qingzhai.mediation.schemas import (
    AgreementCreate,
    BidCreate,
    ConclusionCreate,
    ConfirmationCreate,
    ConfirmationDecision,
    MediationCreate,
    MetricRead,
    PaymentIn,
    PositionCreate,
    ResponseCreate,
    SessionCreate,
)
from qingzhai.registry import service as registry

router = APIRouter(tags=["mediation"])

TokenHeader = Annotated[str | None, Header(alias="X-Party-Token", description="The debtor's party token.")]


def _payments(items: list[PaymentIn], currency: str) -> list[tuple[Any, Money]]:
    return [(p.due, Money(Decimal(p.amount), currency)) for p in items]


def _view(session: Any, mediation: Any, actor: Any, token: str | None) -> dict[str, Any]:
    return views.describe(session, mediation, actor=actor, party_token=token, now=clock.now())


@router.post("/cases/{case_ref}/mediation", status_code=201)
def refer(case_ref: str, body: MediationCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    case = registry.get_case(session, case_ref, actor=actor)
    mediation = service.refer(session, case=case, kind=body.kind, actor=actor, now=clock.now(),
                              mediator_id=body.mediator_id, reason=body.reason, mode=body.mode)
    view = _view(session, mediation, actor, None)
    session.commit()
    return view


@router.get("/mediations")
def list_mediations(session: SessionDep, actor: ActorDep, paging: PagingDep,
                    status: Status | None = None) -> dict[str, Any]:
    rows, total = service.list_mediations(session, actor=actor, status=status, offset=paging.offset, limit=paging.size)
    items = [{"id": m.id, "case_id": m.case_id, "kind": m.kind, "mode": m.mode, "status": m.status,
              "mediator_id": m.mediator_id, "institution": m.institution, "district": m.district,
              "referred_at": m.referred_at, "deadline": m.deadline} for m in rows]
    return {"items": items, "total": total, "page": paging.page, "size": paging.size}


@router.get("/mediation-metrics", response_model=list[MetricRead])
def metrics(session: SessionDep, since: datetime | None = Query(None)) -> list[dict[str, Any]]:
    return [row.to_dict() for row in views.metrics(session, since=since)]


@router.get("/mediations/{mediation_id}")
def show(mediation_id: str, session: SessionDep, actor: ActorDep, x_party_token: TokenHeader = None) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor, party_token=x_party_token)
    return _view(session, mediation, actor, x_party_token)


@router.post("/mediations/{mediation_id}/accept")
def accept(mediation_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    service.accept(session, mediation, actor=actor, now=clock.now())
    view = _view(session, mediation, actor, None)
    session.commit()
    return view


@router.post("/mediations/{mediation_id}/sessions", status_code=201)
def record_session(mediation_id: str, body: SessionCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    row = service.record_session(session, mediation, actor=actor, now=clock.now(), kind=body.kind, party=body.party,
                                 attendees=body.attendees, notes=body.notes, statements=body.statements)
    session.commit()
    return {"id": row.id, "kind": row.kind, "party": row.party, "held_at": row.held_at}


@router.post("/mediations/{mediation_id}/positions", status_code=201)
def submit_position(mediation_id: str, body: PositionCreate, session: SessionDep, actor: ActorDep,
                    x_party_token: TokenHeader = None) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor, party_token=x_party_token)
    position = service.submit_position(session, mediation, actor=actor, now=clock.now(), party=body.party,
                                       party_token=x_party_token, payments=_payments(body.payments, mediation.currency))
    session.commit()
    return {"party": position.party.value, "round": mediation.round, "stored": True}


@router.get("/mediations/{mediation_id}/positions/{party}")
def read_position(mediation_id: str, party: str, session: SessionDep, actor: ActorDep,
                  x_party_token: TokenHeader = None) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor, party_token=x_party_token)
    position = service.read_position(session, mediation, actor=actor, party=party, party_token=x_party_token,
                                     now=clock.now())
    session.commit()  # the audit entry of the read
    return {"submitted": position is not None, **(position.to_dict() if position else {})}


@router.post("/mediations/{mediation_id}/bids", status_code=201)
def submit_bid(mediation_id: str, body: BidCreate, session: SessionDep, actor: ActorDep,
               x_party_token: TokenHeader = None) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor, party_token=x_party_token)
    seen = service.submit_bid(session, mediation, actor=actor, now=clock.now(), party=body.party,
                              party_token=x_party_token, amount=Money(Decimal(body.amount), mediation.currency))
    session.commit()
    return {"waiting_for_other_party": seen is None, "result": seen.to_dict() if seen else None}


@router.post("/mediations/{mediation_id}/proposals", status_code=201)
def propose(mediation_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    proposal, seen = service.propose(session, mediation, actor=actor, now=clock.now())
    session.commit()
    return {"id": proposal.id, "round": proposal.round, **seen.to_dict()}


@router.post("/mediations/{mediation_id}/rounds", status_code=201)
def next_round(mediation_id: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    service.next_round(session, mediation, actor=actor, now=clock.now())
    session.commit()
    return {"round": mediation.round}


@router.post("/mediations/{mediation_id}/responses")
def respond(mediation_id: str, body: ResponseCreate, session: SessionDep, actor: ActorDep,
            x_party_token: TokenHeader = None) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor, party_token=x_party_token)
    proposal = service.respond(session, mediation, actor=actor, now=clock.now(), accept=body.accept, party=body.party,
                               party_token=x_party_token, proposal_id=body.proposal_id)
    session.commit()
    return {"proposal_id": proposal.id, "creditor_response": proposal.creditor_response,
            "debtor_response": proposal.debtor_response}


@router.post("/mediations/{mediation_id}/agreement")
def agree(mediation_id: str, body: AgreementCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    schedule = _payments(body.schedule, mediation.currency) if body.schedule else None
    service.agree(session, mediation, actor=actor, now=clock.now(), proposal_id=body.proposal_id, schedule=schedule,
                  partial=body.partial)
    view = _view(session, mediation, actor, None)
    session.commit()
    return view


@router.post("/mediations/{mediation_id}/conclusion")
def conclude(mediation_id: str, body: ConclusionCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    service.conclude(session, mediation, outcome=body.outcome, reason=body.reason, actor=actor, now=clock.now())
    session.commit()
    return {"id": mediation.id, "status": mediation.status}


@router.post("/mediations/{mediation_id}/confirmation")
def apply_confirmation(mediation_id: str, body: ConfirmationCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    service.apply_for_confirmation(session, mediation, actor=actor, now=clock.now(), court=body.court)
    session.commit()
    return {"id": mediation.id, "confirmation": mediation.confirmation, "court": mediation.court}


@router.post("/mediations/{mediation_id}/confirmation/decision")
def decide_confirmation(mediation_id: str, body: ConfirmationDecision, session: SessionDep,
                        actor: ActorDep) -> dict[str, Any]:
    mediation = service.get_mediation(session, mediation_id, actor=actor)
    service.record_confirmation(session, mediation, confirmed=body.confirmed, actor=actor, now=clock.now())
    session.commit()
    return {"id": mediation.id, "confirmation": mediation.confirmation}


def _document(kind: str, mediation_id: str, session: Any, actor: Any, token: str | None) -> documents.Document:
    mediation = service.get_mediation(session, mediation_id, actor=actor, party_token=token)
    build = documents.agreement if kind == "agreement" else documents.confirmation_application
    return build(session, mediation, actor=actor, party_token=token, now=clock.now())


@router.get("/mediations/{mediation_id}/documents/{kind}.html", response_class=HTMLResponse)
def document_html(mediation_id: str, kind: str, session: SessionDep, actor: ActorDep,
                  x_party_token: TokenHeader = None) -> HTMLResponse:
    doc = _document(_kind(kind), mediation_id, session, actor, x_party_token)
    return HTMLResponse(documents.to_html(doc))


@router.get("/mediations/{mediation_id}/documents/{kind}.pdf")
def document_pdf(mediation_id: str, kind: str, session: SessionDep, actor: ActorDep,
                 x_party_token: TokenHeader = None) -> Response:
    doc = _document(_kind(kind), mediation_id, session, actor, x_party_token)
    return Response(documents.to_pdf(doc), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{kind}-{mediation_id}.pdf"'})


def _kind(kind: str) -> str:
    from qingzhai.core.errors import NotFound

    if kind not in ("agreement", "confirmation"):
        raise NotFound("documents are agreement and confirmation", field="kind")
    return kind
