"""API shapes of mediation. Amounts travel as decimal strings; dates as ISO 8601."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MediationCreate(Strict):
    kind: str = Field("default", description="court, institutional, community, or default (the district's custom).")
    reason: str = Field(min_length=1, max_length=2000, description="Why the case goes to mediation.")
    mediator_id: str | None = Field(None, max_length=64, description="Assign this mediator (else the least busy).")
    mode: str = Field("positions", description="positions (confidential limits) or blind_bid (rounds of secret bids).")


class PaymentIn(Strict):
    due: date
    amount: str = Field(pattern=r"^\d{1,16}(\.\d{1,2})?$", description="Decimal amount, at most two places.")


class PositionCreate(Strict):
    party: str | None = Field(None, description="creditor or debtor; a party acting for itself may leave it out.")
    payments: list[PaymentIn] = Field(min_length=1, max_length=120, description="One payment = a lump sum.")


class BidCreate(Strict):
    party: str | None = None
    amount: str = Field(pattern=r"^\d{1,16}(\.\d{1,2})?$")


class SessionCreate(Strict):
    kind: str = Field(description="joint or caucus")
    party: str | None = Field(None, description="For a caucus: creditor or debtor.")
    attendees: list[str] = Field(default_factory=list, max_length=50)
    notes: str = Field("", max_length=20000)
    statements: dict[str, str] = Field(default_factory=dict, description="What each party said, by party.")


class ResponseCreate(Strict):
    accept: bool
    party: str | None = None
    proposal_id: str | None = None


class AgreementCreate(Strict):
    proposal_id: str | None = Field(None, description="A proposal both parties accepted; or give the schedule.")
    schedule: list[PaymentIn] | None = Field(None, max_length=120)
    partial: bool = False


class ConclusionCreate(Strict):
    outcome: str = Field(description="failed or withdrawn")
    reason: str = Field(min_length=1, max_length=2000)


class ConfirmationCreate(Strict):
    court: str | None = Field(None, max_length=200)


class ConfirmationDecision(Strict):
    confirmed: bool


class MediationRead(BaseModel):
    """What the caller may see of a mediation (positions only their own; the mediator both)."""

    model_config = ConfigDict(extra="allow")

    id: str
    case_number: int
    viewer: str
    kind: str
    mode: str
    status: str
    data: dict[str, Any] | None = None


class MetricRead(BaseModel):
    group: str
    key: str
    referred: int
    settled_of_accepted: dict[str, Any]
    settled_of_concluded: dict[str, Any]
    confirmed_of_agreed: dict[str, Any]
    days_to_agreement: dict[str, Any]
