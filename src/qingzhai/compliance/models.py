"""Tables of the compliance engine: attempts (reservations), decisions, the per-debtor lock row,
agent suspensions and contact restrictions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, id_column
from qingzhai.db.types import JSONType, UTCDateTime


class ContactLock(Base):
    """One row per debtor. Every reservation first updates it (row lock on PostgreSQL, the write
    lock on SQLite), so deciding and reserving for one debtor is serialised."""

    __tablename__ = "compliance_debtor_locks"

    debtor_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ContactAttempt(Base):
    """A reserved contact attempt. `outcome` None = placed or about to be, not yet resolved."""

    __tablename__ = "compliance_attempts"
    __table_args__ = (
        Index("ix_compliance_attempts_debtor_at", "debtor_id", "at"),
        Index("ix_compliance_attempts_agent_at", "agent_id", "at"),
    )

    id: Mapped[str] = id_column()
    debtor_id: Mapped[str] = mapped_column(String(26))
    case_id: Mapped[str | None] = mapped_column(String(26), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    phone_key: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    party: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str] = mapped_column(String(64))
    agent_kind: Mapped[str] = mapped_column(String(8))
    preset: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    local_day: Mapped[date] = mapped_column(Date)
    zones: Mapped[str] = mapped_column(String(400))
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ContactDecisionRecord(Base):
    """Every decision, allowed or not, with its reasons in English and Chinese."""

    __tablename__ = "compliance_decisions"
    __table_args__ = (Index("ix_compliance_decisions_debtor_at", "debtor_id", "at"),)

    id: Mapped[str] = id_column()
    debtor_id: Mapped[str] = mapped_column(String(26))
    case_id: Mapped[str | None] = mapped_column(String(26), index=True)
    attempt_id: Mapped[str | None] = mapped_column(String(26))
    channel: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str] = mapped_column(String(64))
    agent_kind: Mapped[str] = mapped_column(String(8))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    preset: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    allowed: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    obligations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentSuspension(Base):
    __tablename__ = "compliance_agent_suspensions"

    id: Mapped[str] = id_column()
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    suspended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reinstated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reinstate_reason: Mapped[str | None] = mapped_column(Text)


class ContactRestrictionRecord(Base):
    """A debtor's opt-out, cease-communication, attorney, workplace ban, or a third party's refusal."""

    __tablename__ = "compliance_restrictions"

    id: Mapped[str] = id_column()
    debtor_id: Mapped[str] = mapped_column(String(26), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str | None] = mapped_column(String(16))
    phone_key: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
