"""HTTP routes of the compliance engine."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request

from qingzhai import clock
from qingzhai.api.deps import ActorDep, SessionDep
from qingzhai.compliance import service
from qingzhai.compliance.audit import audit
from qingzhai.compliance.presets import preset
from qingzhai.compliance.report import audit_json
from qingzhai.compliance.schemas import ContactRequestCreate, OutcomeCreate, RestrictionCreate, SuspensionCreate
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import NotPermitted
from qingzhai.registry import service as registry

router = APIRouter(prefix="/compliance", tags=["compliance"])

OFFICERS = frozenset({Role.admin, Role.compliance_officer, Role.manager})


def _officer(actor: Actor) -> None:
    if actor.role not in OFFICERS:
        raise NotPermitted("only a compliance officer, manager or admin may do this", field="role")


@router.post("/contact-requests")
def request_contact(body: ContactRequestCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """May this contact be made? Allowed attempts are reserved; the decision is stored with its reasons."""
    case = registry.get_case(session, body.case, actor=actor)
    decision = service.request_contact(
        session, case=case, channel=body.channel, at=body.at or clock.now(), agent_id=body.agent_id,
        agent_kind=body.agent_kind, phone=body.phone, party=body.party, purpose=body.purpose, reserve=body.reserve,
        collectors=body.collectors, at_workplace=body.at_workplace, phone_source=body.phone_source,
    )
    session.commit()
    return decision.to_dict()


@router.post("/attempts/{attempt_id}/outcome", status_code=204)
def record_outcome(attempt_id: str, body: OutcomeCreate, session: SessionDep, actor: ActorDep) -> None:
    attempt = service.get_attempt(session, attempt_id)
    if attempt.case_id:
        registry.get_case(session, attempt.case_id, actor=actor)
    service.record_outcome(session, attempt_id=attempt_id, outcome=body.outcome, now=clock.now())
    session.commit()


@router.get("/debtors/{debtor_id}/explain")
def explain(debtor_id: str, session: SessionDep, actor: ActorDep,
            at: datetime | None = Query(None, description="ISO 8601 with offset; default now.")) -> dict[str, Any]:
    registry.get_debtor(session, debtor_id, actor=actor)
    return service.explain(session, debtor_id=debtor_id, at=at or clock.now()).to_dict()


@router.get("/decisions")
def decisions(session: SessionDep, actor: ActorDep, debtor_id: str | None = None,
              limit: int = Query(100, ge=1, le=500)) -> list[dict[str, Any]]:
    _officer(actor)
    return [
        {"id": d.id, "at": d.at.isoformat(), "debtor_id": d.debtor_id, "case_id": d.case_id, "channel": d.channel,
         "agent_id": d.agent_id, "allowed": d.allowed, "reasons": d.reasons, "attempt_id": d.attempt_id,
         "next_allowed_at": d.next_allowed_at.isoformat() if d.next_allowed_at else None}
        for d in service.decisions(session, debtor_id=debtor_id, limit=limit)
    ]


@router.post("/agents/{agent_id}/suspend", status_code=204)
def suspend(agent_id: str, body: SuspensionCreate, session: SessionDep, actor: ActorDep) -> None:
    _officer(actor)
    service.suspend_agent(session, agent_id=agent_id, reason=body.reason, now=clock.now(), reference=body.reference)
    session.commit()


@router.post("/agents/{agent_id}/reinstate", status_code=204)
def reinstate(agent_id: str, body: SuspensionCreate, session: SessionDep, actor: ActorDep) -> None:
    _officer(actor)
    service.reinstate_agent(session, agent_id=agent_id, reason=body.reason, now=clock.now())
    session.commit()


@router.post("/debtors/{debtor_id}/restrictions", status_code=201)
def add_restriction(debtor_id: str, body: RestrictionCreate, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    registry.get_debtor(session, debtor_id, actor=actor)
    r = service.add_restriction(session, debtor_id=debtor_id, kind=body.kind, reason=body.reason, now=clock.now(),
                                channel=body.channel, phone=body.phone, reference=body.reference)
    session.commit()
    return {"id": r.id, "kind": r.kind, "channel": r.channel, "phone": r.phone_masked}


@router.post("/audit")
async def audit_log(request: Request, actor: ActorDep, preset_name: str = Query("cn", alias="preset")) -> dict[str, Any]:
    """Audit a contact log sent as the CSV request body (text/csv)."""
    _officer(actor)
    rules = preset(preset_name)
    body = await request.body()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        path.write_bytes(body)
        report = audit(path, rules)
    return audit_json(report)
