"""Tables of collection conversations: bot conversations and their turns, encrypted recordings
and transcripts, and conduct incidents of human collectors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, created_at_column, id_column
from qingzhai.db.types import JSONType, UTCDateTime


class BotConversation(Base):
    """One bot conversation with a debtor on one channel (message, sms, bot_call)."""

    __tablename__ = "conversation_bot_conversations"
    __table_args__ = (Index("ix_conversation_bot_conversations_case_started", "case_id", "started_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    channel: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str] = mapped_column(String(64))
    attempt_id: Mapped[str | None] = mapped_column(String(26))
    status: Mapped[str] = mapped_column(String(16))  # open, closed, denied
    outcome: Mapped[str | None] = mapped_column(String(16), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)
    denial: Mapped[list[Any] | None] = mapped_column(JSONType())
    offer: Mapped[dict[str, Any] | None] = mapped_column(JSONType())  # the plan proposed, fixed at the start
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BotTurn(Base):
    """One utterance. The words are stored encrypted (`text_sealed`); labels and reasons are plain."""

    __tablename__ = "conversation_bot_turns"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[str] = id_column()
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation_bot_conversations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))  # bot, debtor
    text_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    emotion: Mapped[str | None] = mapped_column(String(16))
    emotion_confidence: Mapped[float | None] = mapped_column(Float)
    intent: Mapped[str | None] = mapped_column(String(24), index=True)
    intent_confidence: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[Any]] = mapped_column(JSONType(), default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Recording(Base):
    """An encrypted call recording (audio) or transcript, kept for the retention period."""

    __tablename__ = "conversation_recordings"
    __table_args__ = (Index("ix_conversation_recordings_recorded_at", "recorded_at"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(26), index=True)
    agent_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # audio, transcript
    media_type: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    retention_preset: Mapped[str] = mapped_column(String(16))
    has_agreement: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()


class ConductIncident(Base):
    """A human collector's prohibited conduct: opened at once, the collector suspended; a
    compliance officer closes it with an outcome."""

    __tablename__ = "conversation_conduct_incidents"
    __table_args__ = (
        Index("ix_conversation_conduct_incidents_status_opened", "status", "opened_at"),
        UniqueConstraint("agent_id", "source_key"),
    )

    id: Mapped[str] = id_column()
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), index=True)
    source_key: Mapped[str] = mapped_column(String(64))  # sha256 of the transcript: reviewing it again opens nothing new
    violations: Mapped[list[Any]] = mapped_column(JSONType(), default=list)
    rules: Mapped[str] = mapped_column(String(200))  # comma-separated rule ids, for reports
    transcript_id: Mapped[str | None] = mapped_column(String(26))
    recording_id: Mapped[str | None] = mapped_column(String(26))
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    outcome: Mapped[str | None] = mapped_column(String(16))  # retraining, warning, dismissal
    retraining_completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(64))
