"""Tables of the assessment: evidence per debtor and source, import batches, versioned assessments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, id_column
from qingzhai.db.types import JSONType, UTCDateTime


class EvidenceRecord(Base):
    """One record from a data source about one debtor, under its business key (idempotent import)."""

    __tablename__ = "assessment_evidence"
    __table_args__ = (
        UniqueConstraint("debtor_id", "source", "record_key"),
        Index("ix_assessment_evidence_debtor_source", "debtor_id", "source"),
    )

    id: Mapped[str] = id_column()
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"))
    source: Mapped[str] = mapped_column(String(24))
    record_key: Mapped[str] = mapped_column(String(200))
    observed_on: Mapped[date | None] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    digest: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("assessment_imports.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EvidenceImport(Base):
    """One source file (or provider fetch) loaded; re-importing it records a batch that changes nothing."""

    __tablename__ = "assessment_imports"

    id: Mapped[str] = id_column()
    source: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    records: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    actor_name: Mapped[str] = mapped_column(String(200))


class Assessment(Base):
    """One version of a case's assessment. Re-running adds a version; earlier ones stay."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("case_id", "version"),
        Index("ix_assessments_case_assessed", "case_id", "assessed_at"),
    )

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    version: Mapped[int] = mapped_column(Integer)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    grade: Mapped[str] = mapped_column(String(1))
    completeness: Mapped[float] = mapped_column(Float)
    fake_debt_risk: Mapped[str] = mapped_column(String(8))
    concealment_flagged: Mapped[bool] = mapped_column(Boolean)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    actor_name: Mapped[str] = mapped_column(String(200))
