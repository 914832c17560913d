"""API shapes of the case registry. Personal identifiers leave the platform masked."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from qingzhai.core.masking import mask_email, mask_id_number, mask_phone
from qingzhai.registry.models import Case, CaseEvent, Creditor, Debt, Debtor, Hold
from qingzhai.registry.rules import HoldKind, Outcome, Stage

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Number of items matching the query, over all pages.")
    page: int
    size: int


class CreditorCreate(Strict):
    name: str = Field(min_length=1, max_length=200, description="The creditor's (委托方) name, unique.")
    policy: dict[str, Any] | None = Field(
        None,
        description="Policy settings: max_settlement_discount, longest_plan_months, "
        "allocation_order, plan_interest_rate, contact, target_days. Omitted = defaults.",
    )


class CreditorRead(BaseModel):
    id: str
    name: str
    policy: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, c: Creditor) -> CreditorRead:
        return cls(id=c.id, name=c.name, policy=c.policy, created_at=c.created_at)


class DebtorRead(BaseModel):
    id: str
    kind: str
    name: str
    id_number: str = Field(description="Masked: first four and last four characters.")
    phone: str | None = Field(description="Masked.")
    email: str | None = Field(description="Masked.")
    district: str | None
    timezone: str
    created_at: datetime

    @classmethod
    def of(cls, d: Debtor) -> DebtorRead:
        return cls(
            id=d.id, kind=d.kind, name=d.name, id_number=mask_id_number(d.id_number),
            phone=mask_phone(d.phone) or None, email=mask_email(d.email) or None,
            district=d.district, timezone=d.timezone, created_at=d.created_at,
        )


class DebtRead(BaseModel):
    id: str
    case_id: str
    debt_ref: str
    currency: str
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal
    origination_date: date | None
    default_date: date

    @classmethod
    def of(cls, d: Debt) -> DebtRead:
        return cls(
            id=d.id, case_id=d.case_id, debt_ref=d.debt_ref, currency=d.currency,
            principal=d.principal, interest=d.interest, fees=d.fees,
            total=d.principal + d.interest + d.fees, origination_date=d.origination_date,
            default_date=d.default_date,
        )


class HoldRead(BaseModel):
    id: str
    kind: str
    reason: str
    until: date | None
    placed_at: datetime
    placed_by: str
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None

    @classmethod
    def of(cls, h: Hold) -> HoldRead:
        return cls(
            id=h.id, kind=h.kind, reason=h.reason, until=h.until, placed_at=h.placed_at,
            placed_by=h.placed_by, lifted_at=h.lifted_at, lifted_by=h.lifted_by,
            lift_reason=h.lift_reason,
        )


class CaseRead(BaseModel):
    id: str
    number: int
    creditor_id: str
    debtor: DebtorRead
    stage: Stage
    outcome: Outcome | None
    currency: str
    placed: Decimal
    recovered: Decimal
    outstanding: Decimal
    assignee_id: str | None
    opened_at: datetime
    stage_changed_at: datetime
    target_close_date: date | None
    closed_at: datetime | None

    @classmethod
    def of(cls, c: Case, debtor: Debtor) -> CaseRead:
        return cls(
            id=c.id, number=c.number, creditor_id=c.creditor_id, debtor=DebtorRead.of(debtor),
            stage=Stage(c.stage), outcome=Outcome(c.outcome) if c.outcome else None,
            currency=c.currency, placed=c.placed_amount, recovered=c.recovered_amount,
            outstanding=c.placed_amount - c.recovered_amount, assignee_id=c.assignee_id,
            opened_at=c.opened_at, stage_changed_at=c.stage_changed_at,
            target_close_date=c.target_close_date, closed_at=c.closed_at,
        )


class CaseEventRead(BaseModel):
    id: str
    at: datetime
    kind: str
    actor: str
    reason: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, e: CaseEvent) -> CaseEventRead:
        return cls(id=e.id, at=e.at, kind=e.kind, actor=e.actor_name, reason=e.reason, data=e.data)


class CaseDetail(CaseRead):
    debts: list[DebtRead]
    holds: list[HoldRead]
    events: list[CaseEventRead]


class StageChange(Strict):
    to: Stage = Field(description="Target stage; must be allowed by the transition table.")
    reason: str = Field(min_length=1, max_length=2000, description="Why; kept in the case history.")
    outcome: Outcome | None = Field(None, description="Required when closing, refused otherwise.")


class HoldCreate(Strict):
    kind: HoldKind
    until: date | None = Field(
        None, description="Last day of the hold; required except for cease_contact, bankruptcy, deceased."
    )
    reason: str = Field(min_length=1, max_length=2000)


class HoldLift(Strict):
    reason: str = Field(min_length=1, max_length=2000)
