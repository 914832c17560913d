"""API shapes of security and privacy. Secrets are accepted, never returned (an API key once)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from qingzhai.registry.rules import Stage
from qingzhai.security.models import ApiKey, AuditEntry, LegalBasis, User


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(description="admin, manager, compliance_officer, collector, mediator or creditor.")
    password: str | None = Field(None, min_length=1, max_length=256,
                                 description="At least 12 characters. Creditor API clients may have none.")
    creditor: str | None = Field(None, max_length=200, description="The creditor (name or id) of a creditor user.")


class UserRead(BaseModel):
    id: str
    name: str
    role: str
    creditor_id: str | None
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, u: User) -> UserRead:
        return cls(id=u.id, name=u.name, role=u.role, creditor_id=u.creditor_id, active=u.active, created_at=u.created_at)


class ApiKeyCreate(Strict):
    user: str | None = Field(None, max_length=100, description="User (name or id); default: yourself.")
    label: str = Field(min_length=1, max_length=100, description="What the key is for, e.g. 'core banking'.")


class ApiKeyRead(BaseModel):
    id: str
    user_id: str
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> ApiKeyRead:
        return cls(id=k.id, user_id=k.user_id, label=k.label, prefix=k.prefix, created_at=k.created_at,
                   revoked_at=k.revoked_at)


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The key itself, shown this once: send it as the X-API-Key header.")


class AuditEntryRead(BaseModel):
    seq: int
    at: datetime
    actor_id: str
    actor_name: str
    actor_role: str
    source: str | None
    action: str
    case_id: str | None
    debtor_id: str | None
    detail: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryRead:
        return cls(seq=e.seq, at=e.at, actor_id=e.actor_id, actor_name=e.actor_name, actor_role=e.actor_role,
                   source=e.source, action=e.action, case_id=e.case_id, debtor_id=e.debtor_id,
                   detail=e.detail or {}, hash=e.hash)


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int
    page: int
    size: int


class ChainRead(BaseModel):
    entries: int
    intact: bool
    first_broken: int | None
    reason: str | None


class LegalBasisCreate(Strict):
    category: str = Field(description="identity, contact, financial_accounts, location, credit, employment, "
                                      "court_records or recordings.")
    basis: str = Field(description="contract, consent, separate_consent, legal_obligation or public_disclosure.")
    source: str = Field(min_length=1, max_length=2000, description="Contract number, consent form id, statute.")
    granted_at: datetime | None = Field(None, description="Default: now. ISO 8601 with an offset.")
    expires_at: datetime | None = None


class LegalBasisRead(BaseModel):
    id: str
    debtor_id: str
    category: str
    basis: str
    source: str
    granted_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    recorded_by: str

    @classmethod
    def of(cls, b: LegalBasis) -> LegalBasisRead:
        return cls(id=b.id, debtor_id=b.debtor_id, category=b.category, basis=b.basis, source=b.source,
                   granted_at=b.granted_at, expires_at=b.expires_at, withdrawn_at=b.withdrawn_at,
                   recorded_by=b.recorded_by)


class ErasureRequest(Strict):
    reason: str = Field(min_length=1, max_length=500, description="The request: date, channel, reference.")


class ErasureRead(BaseModel):
    debtor_id: str
    erased: list[str]
    kept: list[str]
    bases_withdrawn: int


class AssignmentCreate(Strict):
    to: str = Field(min_length=1, max_length=100, description="The collector or mediator (user name or id).")
    reason: str | None = Field(None, max_length=500)


class BulkAssignmentCreate(Strict):
    to: str = Field(min_length=1, max_length=100, description="The collector or mediator (user name or id).")
    district: str | None = Field(None, max_length=64, description="Only debtors in this district.")
    min_amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2,
                                       description="Placed amount at least this (inclusive).")
    max_amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2,
                                       description="Placed amount at most this (inclusive).")
    currency: str | None = Field(None, min_length=3, max_length=3)
    stage: Stage | None = None
    creditor_id: str | None = Field(None, max_length=64)
    unassigned_only: bool = True
    limit: int | None = Field(None, ge=1, le=100_000)
    reason: str | None = Field(None, max_length=500)


class BulkAssignmentRead(BaseModel):
    assigned: int
