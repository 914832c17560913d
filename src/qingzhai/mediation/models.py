"""Tables of mediation. Confidential positions and bids live sealed in `mediation_vault`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, id_column
from qingzhai.db.types import Amount, JSONType, UTCDateTime


class Mediation(Base):
    __tablename__ = "mediations"
    __table_args__ = (
        Index("ix_mediations_case_status", "case_id", "status"),
        Index("ix_mediations_mediator_status", "mediator_id", "status"),
    )

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    mode: Mapped[str] = mapped_column(String(16), default="positions")
    mediator_id: Mapped[str] = mapped_column(String(64))
    institution: Mapped[str] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    referred_by: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[date] = mapped_column(Date)
    hold_id: Mapped[str | None] = mapped_column(String(26))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    conclusion_reason: Mapped[str | None] = mapped_column(Text)
    round: Mapped[int] = mapped_column(Integer, default=1)
    # The agreement (调解协议), once reached.
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreed_amount: Mapped[Decimal | None] = mapped_column(Amount())
    currency: Mapped[str] = mapped_column(String(3))
    schedule: Mapped[list[Any] | None] = mapped_column(JSONType)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    proposal_id: Mapped[str | None] = mapped_column(String(26))
    contract_id: Mapped[str | None] = mapped_column(String(26))
    # Judicial confirmation (司法确认).
    court: Mapped[str | None] = mapped_column(String(200))
    confirmation_deadline: Mapped[date | None] = mapped_column(Date)
    confirmation: Mapped[str] = mapped_column(String(16), default="none")
    confirmation_applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmation_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MediationSession(Base):
    """A joint session or a caucus (背靠背) with one party. Caucus notes are that party's secret."""

    __tablename__ = "mediation_sessions"
    __table_args__ = (Index("ix_mediation_sessions_mediation_at", "mediation_id", "held_at"),)

    id: Mapped[str] = id_column()
    mediation_id: Mapped[str] = mapped_column(ForeignKey("mediations.id"))
    kind: Mapped[str] = mapped_column(String(16))  # joint | caucus
    party: Mapped[str | None] = mapped_column(String(16))  # caucus: whose
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attendees: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    statements: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(200))


class VaultEntry(Base):
    """A sealed confidential position or blind bid of one party in one round."""

    __tablename__ = "mediation_vault"
    __table_args__ = (UniqueConstraint("mediation_id", "party", "kind", "round"),)

    id: Mapped[str] = id_column()
    mediation_id: Mapped[str] = mapped_column(ForeignKey("mediations.id"), index=True)
    party: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # position | bid
    round: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_with: Mapped[str] = mapped_column(String(16))  # security (AES-256-GCM) | none
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str] = mapped_column(String(200))


class Proposal(Base):
    """The engine's result for one round: the terms both parties see, or "no zone"."""

    __tablename__ = "mediation_proposals"
    __table_args__ = (UniqueConstraint("mediation_id", "round", "mode"),)

    id: Mapped[str] = id_column()
    mediation_id: Mapped[str] = mapped_column(ForeignKey("mediations.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(32))
    zone_exists: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal | None] = mapped_column(Amount())  # present value of the terms
    currency: Mapped[str] = mapped_column(String(3))
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    creditor_response: Mapped[str | None] = mapped_column(String(16))
    debtor_response: Mapped[str | None] = mapped_column(String(16))


class MediationEvent(Base):
    """Append-only facts for metrics (no confidential amounts, ever)."""

    __tablename__ = "mediation_events"
    __table_args__ = (Index("ix_mediation_events_mediation_at", "mediation_id", "at"),)

    id: Mapped[str] = id_column()
    mediation_id: Mapped[str] = mapped_column(ForeignKey("mediations.id"))
    case_id: Mapped[str] = mapped_column(String(26), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    mediator_id: Mapped[str] = mapped_column(String(64))
    institution: Mapped[str] = mapped_column(String(200))
    district: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
