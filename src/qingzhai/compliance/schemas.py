"""API shapes of the compliance engine."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ContactRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case: str = Field(description="Case id or number.")
    channel: str = Field(description="call, bot_call, sms, email, letter, visit or message.")
    agent_id: str = Field(min_length=1, max_length=64, description="The collector or bot asking.")
    agent_kind: str = Field("human", description="human or bot.")
    at: datetime | None = Field(None, description="When (ISO 8601 with offset); default now.")
    phone: str | None = Field(None, description="Number to dial; default the debtor's.")
    party: str = Field("debtor", description="debtor, guarantor, attorney, relative, employer, contact.")
    purpose: str = Field("collection", description="collection, locate, message or notice.")
    reserve: bool = Field(True, description="Reserve the attempt when allowed.")
    collectors: int = Field(1, ge=1, le=20, description="Collectors on a visit.")
    at_workplace: bool = False
    phone_source: str | None = Field(None, description="Where the number came from, e.g. contract, debtor, address_book.")


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(description="no_answer, busy, voicemail, third_party, conversation, failed, delivered, "
                                     "invalid_number or cancelled.")


class SuspensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1)
    reference: str | None = Field(None, description="Conduct incident reference.")


class RestrictionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="opt_out, cease_communication, attorney, workplace_ban, third_party_refused.")
    reason: str = Field(min_length=1)
    channel: str | None = None
    phone: str | None = None
    reference: str | None = None
