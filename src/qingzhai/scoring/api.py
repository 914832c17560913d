"""HTTP routes of scoring: score a case for a plan shape, and the portfolio model's card."""

from __future__ import annotations

from fastapi import APIRouter

from qingzhai import clock
from qingzhai.api.deps import ActorDep, SessionDep
from qingzhai.core.errors import NotFound
from qingzhai.core.money import Money
from qingzhai.registry.service import get_case
from qingzhai.scoring import service
from qingzhai.scoring.schemas import CaseScoreCreate, CaseScoreRead, ModelCardRead, ReasonRead

router = APIRouter()


@router.post("/cases/{ref}/score", response_model=CaseScoreRead, tags=["scoring"])
def score_case(ref: str, body: CaseScoreCreate, session: SessionDep, actor: ActorDep) -> CaseScoreRead:
    """Probability that the debtor keeps a plan of this shape, its band and the reasons against it."""
    case = get_case(session, ref, actor=actor)
    monthly = Money(body.monthly_amount, case.currency) if body.monthly_amount is not None else None
    now = clock.now()
    result = service.score_case(session, case, plan_type=body.plan_type, monthly_amount=monthly,
                                term_months=body.term_months, now=now)
    service.record_access(session, actor=actor, case=case, now=now,
                          detail={"model_id": result.model_id, "plan_type": result.plan.plan_type})
    session.commit()
    return CaseScoreRead(
        case_id=case.id, plan_type=result.plan.plan_type, monthly_amount=result.plan.monthly_amount,
        term_months=result.plan.term_months, probability=result.probability, score=result.score, band=result.band,
        reasons=[ReasonRead(**r) for r in result.reasons], model_id=result.model_id, history=result.history,
    )


@router.get("/models/portfolio", response_model=ModelCardRead, tags=["scoring"])
def portfolio_card(session: SessionDep, actor: ActorDep) -> ModelCardRead:
    """The active portfolio model's card: data, features, categories used, metrics."""
    del actor  # any authenticated user may read the card; it holds no personal data
    record = service.active_portfolio(session)
    if record is None:
        raise NotFound("no portfolio model has been trained", field="model")
    return ModelCardRead(id=record.id, kind=record.kind, path=record.path, version=record.version,
                         trained_at=record.trained_at.isoformat(), card=record.card)
