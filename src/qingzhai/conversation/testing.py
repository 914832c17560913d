"""Recording fakes for the conversation ports (compliance, planning, promises, holds, crypto), for tests
and for trying the bot without the other capabilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qingzhai.conversation.ports import Ports
from qingzhai.core.money import Money


@dataclass
class FakeDecision:
    allowed: bool
    attempt_id: str | None
    reasons: list[Any] = field(default_factory=list)
    next_allowed_at: datetime | None = None


@dataclass
class FakeReason:
    rule: str
    text_en: str
    text_zh: str


@dataclass
class FakeCompliance:
    allow: bool = True
    requests: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=list)
    suspended: dict[str, str] = field(default_factory=dict)
    reinstated: list[str] = field(default_factory=list)

    def request_contact(self, session: Any, **kw: Any) -> FakeDecision:
        self.requests.append(kw)
        if kw["agent_id"] in self.suspended:
            return FakeDecision(False, None, [FakeReason("agent_suspended", "agent is suspended", "坐席已停职")])
        if not self.allow:
            return FakeDecision(False, None, [FakeReason("quiet_hours", "quiet hours", "休息时间")])
        return FakeDecision(True, f"att-{len(self.requests)}")

    def record_outcome(self, session: Any, *, attempt_id: str, outcome: str, now: datetime) -> None:
        self.outcomes.append((attempt_id, outcome))

    def suspend_agent(self, session: Any, *, agent_id: str, reason: str, now: datetime, reference: str | None = None) -> None:
        self.suspended[agent_id] = reason

    def reinstate_agent(self, session: Any, *, agent_id: str, reason: str, now: datetime) -> None:
        self.suspended.pop(agent_id, None)
        self.reinstated.append(agent_id)


@dataclass
class FakeOption:
    type: str
    schedule: list[tuple[date, Money]]


@dataclass
class FakePlanning:
    option: FakeOption | None = None

    def best_affordable_option(self, session: Any, case: Any, *, now: datetime) -> FakeOption | None:
        return self.option


@dataclass
class FakePromises:
    promises: list[dict[str, Any]] = field(default_factory=list)

    def record_promise(self, session: Any, **kw: Any) -> dict[str, Any]:
        self.promises.append(kw)
        return kw


@dataclass
class FakeHolds:
    holds: list[dict[str, Any]] = field(default_factory=list)

    def place_hold(self, session: Any, case: Any, **kw: Any) -> dict[str, Any]:
        self.holds.append(kw)
        return kw


@dataclass
class FakeCrypto:
    """Reversible but not plaintext (so tests can see the column is not the words), with an audit log."""

    audits: list[dict[str, Any]] = field(default_factory=list)

    def encrypt_bytes(self, session: Any, data: bytes, *, context: str) -> bytes:
        return b"SEALED:" + context.encode() + b":" + bytes(b ^ 0x5A for b in data)

    def decrypt_bytes(self, session: Any, blob: bytes, *, context: str) -> bytes:
        prefix = b"SEALED:" + context.encode() + b":"
        if not blob.startswith(prefix):
            raise ValueError("wrong context or tampered blob")
        return bytes(b ^ 0x5A for b in blob[len(prefix) :])

    def audit(self, session: Any, **kw: Any) -> None:
        self.audits.append(kw)


def fake_ports(*, allow: bool = True, option: FakeOption | None = None) -> tuple[Ports, dict[str, Any]]:
    parts = {
        "compliance": FakeCompliance(allow=allow),
        "planning": FakePlanning(option),
        "promises": FakePromises(),
        "holds": FakeHolds(),
        "crypto": FakeCrypto(),
    }
    return Ports(**parts), parts  # type: ignore[arg-type]


class ScriptedRecognizer:
    """A speech-recognition port that "hears" the given lines in order and keeps the clips it got."""

    def __init__(self, heard: list[str]) -> None:
        self.heard = list(heard)
        self.clips: list[bytes] = []

    def transcribe(self, audio: bytes) -> str:
        self.clips.append(audio)
        return self.heard.pop(0)


class RecordingSynthesizer:
    """A text-to-speech port that keeps what it was asked to say and returns a tagged stand-in WAV."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str) -> bytes:
        self.said.append(text)
        return b"RIFF" + text.encode()
