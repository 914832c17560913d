"""Tables of planning: the planner's choice and the debtor's answer, with the exact plan accepted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, id_column
from qingzhai.db.types import Amount, JSONType, UTCDateTime


class PlanDecision(Base):
    """One option put to the debtor and the answer: accepted (and what it became) or declined."""

    __tablename__ = "plan_decisions"
    __table_args__ = (Index("ix_plan_decisions_case_decided", "case_id", "decided_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    option_number: Mapped[int] = mapped_column(Integer)
    plan_type: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    nominal: Mapped[Decimal] = mapped_column(Amount())
    expected_recovery: Mapped[Decimal] = mapped_column(Amount())
    probability: Mapped[float] = mapped_column(Float)
    probability_source: Mapped[str] = mapped_column(String(16))
    inputs_source: Mapped[str] = mapped_column(String(16))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    explanation: Mapped[str] = mapped_column(Text)
    debtor_accepted: Mapped[bool] = mapped_column(Boolean)
    # accepted: contracted | pending_contract | moratorium | mediation | pending_mediation | litigation;
    # not accepted: declined
    status: Mapped[str] = mapped_column(String(24), index=True)
    contract_id: Mapped[str | None] = mapped_column(String(64))
    hold_id: Mapped[str | None] = mapped_column(String(26))
    referral_id: Mapped[str | None] = mapped_column(String(64))
    review_date: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str] = mapped_column(String(200))
