"""Tables of scoring: a register of trained portfolio models (the model files live in a directory)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, id_column
from qingzhai.db.types import JSONType, UTCDateTime


class ScoringModel(Base):
    """One trained model registered for this database: where its files are and its model card.

    `repayment_probability` uses the newest active row of kind `portfolio`; a database without
    one has no portfolio model, so planning falls back to its own estimate.
    """

    __tablename__ = "scoring_models"
    __table_args__ = (Index("ix_scoring_models_kind_trained", "kind", "trained_at"),)

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(24))
    path: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    card: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
