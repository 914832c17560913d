"""API shapes of scoring."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CaseScoreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_type: str = Field(min_length=1, max_length=32, description="Plan type, e.g. installments, settlement, moratorium.")
    monthly_amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2,
                                           description="Monthly payment of the plan, in the case's currency.")
    term_months: int | None = Field(None, ge=1, le=360, description="Number of monthly installments.")


class ReasonRead(BaseModel):
    feature: str
    impact: float = Field(description="Change in log-odds of keeping the plan (negative lowers it), or points lost.")
    text_en: str
    text_zh: str


class CaseScoreRead(BaseModel):
    case_id: str
    plan_type: str
    monthly_amount: float | None
    term_months: int | None
    probability: float = Field(description="Calibrated probability that the debtor keeps the plan.")
    score: int = Field(description="Points on the 600-at-50:1, 20-points-to-double-the-odds scale.")
    band: str = Field(description="A (best) to E.")
    reasons: list[ReasonRead] = Field(description="Up to three reasons that lower the probability, most important first.")
    model_id: str
    history: str = Field(description="real or simulated: what the portfolio model was trained on.")


class ModelCardRead(BaseModel):
    id: str
    kind: str
    path: str
    version: str
    trained_at: str
    card: dict[str, Any]
