"""Tables of the case registry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qingzhai.db.base import Base, created_at_column, id_column
from qingzhai.db.types import Amount, JSONType, UTCDateTime
from qingzhai.security.types import EncryptedText


class Creditor(Base):
    __tablename__ = "creditors"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = created_at_column()


class Debtor(Base):
    """One person or enterprise, matched across placements by the keyed hash of its ID number."""

    __tablename__ = "debtors"

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    id_number: Mapped[str] = mapped_column(EncryptedText("debtors.id_number"))
    id_key: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText("debtors.phone"))
    phone_key: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(EncryptedText("debtors.email"))
    address: Mapped[str | None] = mapped_column(EncryptedText("debtors.address"))
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    employer: Mapped[str | None] = mapped_column(String(200))
    monthly_income: Mapped[Decimal | None] = mapped_column(Amount())
    income_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = created_at_column()


class Case(Base):
    """One debtor's debts with one creditor, worked through the stages together."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_creditor_debtor", "creditor_id", "debtor_id", "currency"),
        Index("ix_cases_stage", "stage"),
    )

    id: Mapped[str] = id_column()
    number: Mapped[int] = mapped_column(Integer, unique=True)
    creditor_id: Mapped[str] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    stage: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    placed_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    recovered_amount: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    assignee_id: Mapped[str | None] = mapped_column(String(26), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    target_close_date: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    debts: Mapped[list[Debt]] = relationship(back_populates="case", order_by="Debt.debt_ref")
    holds: Mapped[list[Hold]] = relationship(back_populates="case", order_by="Hold.placed_at")


class Debt(Base):
    __tablename__ = "debts"
    __table_args__ = (UniqueConstraint("creditor_id", "debt_ref"),)

    id: Mapped[str] = id_column()
    creditor_id: Mapped[str] = mapped_column(ForeignKey("creditors.id"))
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    debt_ref: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    principal: Mapped[Decimal] = mapped_column(Amount())
    interest: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    fees: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    origination_date: Mapped[date | None] = mapped_column(Date)
    default_date: Mapped[date] = mapped_column(Date)
    import_batch_id: Mapped[str | None] = mapped_column(ForeignKey("import_batches.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="debts")


class Hold(Base):
    __tablename__ = "holds"

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date | None] = mapped_column(Date)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[str] = mapped_column(String(200))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(200))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="holds")


class CaseEvent(Base):
    """Append-only history of a case: who, when, what and why."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ImportBatch(Base):
    """One placement file loaded for a creditor (re-importing it records a batch that adds nothing)."""

    __tablename__ = "import_batches"

    id: Mapped[str] = id_column()
    creditor_id: Mapped[str] = mapped_column(ForeignKey("creditors.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    already_present: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    actor_name: Mapped[str] = mapped_column(String(200))
