"""API shapes of collection conversations."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UtterancesIn(_In):
    texts: list[str] = Field(min_length=1, max_length=500, description="Utterances, at most 2,000 characters each.")


class PromiseRead(BaseModel):
    amount: str | None
    currency: str | None
    date: str | None
    date_text: str | None


class AnalysisRead(BaseModel):
    text: str
    emotion: str = Field(description="anger, anxiety, sadness, neutral or positive")
    emotion_confidence: float
    intent: str = Field(
        description="promise_to_pay, hardship, dispute, cease_request, callback_request, third_party, complaint, abuse or other"
    )
    intent_confidence: float
    promise: PromiseRead | None


class ViolationRead(BaseModel):
    rule: str
    span: list[int]
    severity: str
    matched: str


class ConductRead(BaseModel):
    text: str
    violations: list[ViolationRead]


class ConversationCreate(_In):
    case: str = Field(max_length=64, description="Case number or id.")
    channel: str = Field("message", description="message (chat/WeChat), sms or bot_call.", max_length=16)


class TurnCreate(_In):
    text: str = Field(min_length=1, max_length=2000, description="What the debtor said or wrote.")


class ConversationRead(BaseModel):
    id: str
    case_id: str
    channel: str
    status: str
    outcome: str | None
    attempt_id: str | None
    denial: list[dict[str, Any]] | None
    started_at: str
    ended_at: str | None


class BotReplyRead(BaseModel):
    conversation: ConversationRead
    reply: str | None = Field(description="What the bot says next; null when the contact was refused.")
    reason: str | None = Field(description="Why the bot chose this reply.")
    ended: bool
    analysis: AnalysisRead | None = None


class VoiceReplyRead(BotReplyRead):
    heard: str = Field(description="What speech recognition heard the debtor say (the text the bot answered).")
    reply_audio_wav: str | None = Field(
        description="The bot's reply spoken by text-to-speech, a WAV file in base64; null when the bot said nothing."
    )


class TranscriptLineIn(_In):
    speaker: str = Field(max_length=16, description="collector or debtor")
    text: str = Field(min_length=1, max_length=2000)


class ReviewCreate(_In):
    agent_id: str = Field(min_length=1, max_length=64, description="The collector's agent id.")
    case: str | None = Field(None, max_length=64, description="Case number or id the call was about.")
    lines: list[TranscriptLineIn] = Field(min_length=1, max_length=2000)


class IncidentRead(BaseModel):
    id: str
    agent_id: str
    case_id: str | None
    status: str
    rules: list[str]
    violations: list[dict[str, Any]]
    transcript_id: str | None
    recording_id: str | None
    outcome: str | None
    retraining_completed_on: str | None
    note: str | None
    opened_at: str
    closed_at: str | None
    closed_by: str | None


class ReviewRead(BaseModel):
    agent_id: str
    clean: bool
    violations: list[dict[str, Any]] = Field(description="Rule findings: these open the incident and suspend the collector.")
    flagged_for_review: list[dict[str, Any]] = Field(
        default_factory=list, description="Found by the semantic guard alone: for an officer to read; no suspension."
    )
    incident: IncidentRead | None


class IncidentClose(_In):
    outcome: str = Field(description="retraining, warning or dismissal")
    retraining_completed_on: date | None = Field(None, description="Required when the outcome is retraining.")
    note: str | None = Field(None, max_length=2000)


class ConductReportRead(BaseModel):
    incidents_by_month: dict[str, int]
    incidents_by_rule: dict[str, int]
    incidents_by_outcome: dict[str, int]
    open_incidents: int
    complaints_by_month: dict[str, int]
    bot_outcomes: dict[str, int]
