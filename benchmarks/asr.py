"""Speech recognition benchmark for the voice channel: realistic Mandarin collection-call lines
(benchmarks/data/asr_mandarin.tsv: debtor and bot lines with amounts, dates, 还款, 分期, districts)
are spoken by the voice channel's synthesiser (espeak-ng, voice cmn-latn-pinyin), transcribed by
its recogniser (faster-whisper, Whisper base, int8 on the CPU), and compared with the text:
character error rate, exact matches, speed, and — the figure that matters for the bot — whether
the intent classifier and the promise parser read the transcript as they read the text.

The audio is robotic synthetic speech, not real callers: the figures say how the engines behave
on espeak-ng's voice, not how they would do on a real telephone line.

    .venv/bin/python benchmarks/asr.py              # all 60 lines (several minutes on 2 cores)
    .venv/bin/python benchmarks/asr.py --limit 12   # quick
    .venv/bin/python benchmarks/asr.py --show       # also every line with its transcript
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
import wave
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from qingzhai.conversation.model import default_classifier
from qingzhai.conversation.ports import (
    EspeakSynthesizer,
    VoiceUnavailable,
    WhisperOptions,
    WhisperRecognizer,
    character_errors,
    spoken_characters,
)
from qingzhai.conversation.rules import extract_promise

console = Console()
DATA = Path(__file__).parent / "data" / "asr_mandarin.tsv"
TODAY = date(2026, 3, 2)  # a Monday; only used to compare the parsed due dates of text and transcript
CAVEAT = (
    "Caveat: the clips are espeak-ng's robotic synthetic Mandarin (flat prosody, one syllable at a time), "
    "not real callers on a telephone line (8 kHz, noise, accents, interruptions). Real speech may do better "
    "or worse; these figures do not predict it."
)


@dataclass(frozen=True)
class Line:
    speaker: str
    intent: str
    text: str


@dataclass
class Clip:
    line: Line
    seconds: float
    heard: str = ""
    asr_seconds: float = 0.0

    @property
    def errors(self) -> int:
        return character_errors(self.line.text, self.heard)

    @property
    def length(self) -> int:
        return len(spoken_characters(self.line.text))

    @property
    def cer(self) -> float:
        return self.errors / self.length


def load(path: Path = DATA) -> list[Line]:
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            speaker, intent, text = raw.split("\t")
            rows.append(Line(speaker, intent, text))
    return rows


def wav_seconds(audio: bytes) -> float:
    with wave.open(io.BytesIO(audio)) as w:
        return w.getnframes() / w.getframerate()


def run(lines: list[Line], options: WhisperOptions) -> tuple[list[Clip], float, WhisperRecognizer]:
    mouth = EspeakSynthesizer()
    start = time.perf_counter()
    ears = WhisperRecognizer(options)
    load_seconds = time.perf_counter() - start
    clips = []
    for n, line in enumerate(lines, 1):
        audio = mouth.synthesize(line.text)
        clip = Clip(line, wav_seconds(audio))
        start = time.perf_counter()
        clip.heard = ears.transcribe(audio)
        clip.asr_seconds = time.perf_counter() - start
        clips.append(clip)
        console.print(f"[dim]{n}/{len(lines)} {clip.asr_seconds:.1f}s CER {clip.cer:.2f}  {line.text} → {clip.heard}[/dim]")
    return clips, load_seconds, ears


def accuracy_table(clips: list[Clip], ears: WhisperRecognizer) -> None:
    simplified = "OpenCC t2s in the recogniser" if ears.simplifies else "none (OpenCC not installed)"
    table = Table(title=f"Mandarin ASR on espeak-ng speech (Traditional→Simplified: {simplified})")
    columns = ("lines", "clips", "audio", "CER", "median CER", "exact match", "empty", "s per clip", "RTF")
    for col in columns:
        table.add_column(col, justify="left" if col == "lines" else "right")
    for label, group in (("debtor", "debtor"), ("bot", "bot"), ("all", None)):
        sub = [c for c in clips if group is None or c.line.speaker == group]
        if not sub:
            continue
        errors, length = sum(c.errors for c in sub), sum(c.length for c in sub)
        exact = sum(c.errors == 0 for c in sub)
        audio = sum(c.seconds for c in sub)
        table.add_row(
            label,
            str(len(sub)),
            f"{audio:.0f} s",
            f"{errors / length:.3f}",
            f"{statistics.median(c.cer for c in sub):.3f}",
            f"{exact}/{len(sub)} ({exact / len(sub):.0%})",
            str(sum(not spoken_characters(c.heard) for c in sub)),
            f"{statistics.median(c.asr_seconds for c in sub):.2f}",
            f"{sum(c.asr_seconds for c in sub) / audio:.2f}",
        )
    console.print(table)
    console.print(
        "CER: character edit distance / reference characters after removing punctuation and spaces, over all "
        "clips (it can pass 1.0 when Whisper hallucinates repeats); median CER: the median clip's. Empty: Whisper "
        "judged the clip not speech and returned nothing (voice_turn refuses it: ask the debtor to repeat). s per clip: "
        "median seconds of recognition; RTF: recognition seconds per second of audio (below 1 is faster than speech)."
    )


def downstream_table(clips: list[Clip]) -> None:
    debtor = [c for c in clips if c.line.speaker == "debtor"]
    if not debtor:
        return
    clf = default_classifier()
    on_text = clf.classify([c.line.text for c in debtor])
    on_heard = clf.classify([c.heard or "。" for c in debtor])
    n = len(debtor)
    same_intent = sum(a.intent == b.intent for a, b in zip(on_text, on_heard, strict=True))
    same_emotion = sum(a.emotion == b.emotion for a, b in zip(on_text, on_heard, strict=True))
    right_text = sum(p.intent == c.line.intent for p, c in zip(on_text, debtor, strict=True))
    right_heard = sum(p.intent == c.line.intent for p, c in zip(on_heard, debtor, strict=True))
    promises = [c for c in debtor if c.line.intent == "promise_to_pay"]
    same_promise = 0
    for c in promises:
        said, heard = extract_promise(c.line.text, TODAY), extract_promise(c.heard, TODAY)
        same_promise += (said.amount, said.due) == (heard.amount, heard.due)
    table = Table(title=f"What the bot understands: classifier and promise parser on the {n} debtor lines")
    for col in ("figure", "agreement"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    table.add_row("same intent on transcript as on the text", f"{same_intent}/{n} ({same_intent / n:.0%})")
    table.add_row("same emotion on transcript as on the text", f"{same_emotion}/{n} ({same_emotion / n:.0%})")
    table.add_row("intent right (vs the line's label), on the text", f"{right_text}/{n} ({right_text / n:.0%})")
    table.add_row("intent right (vs the line's label), on the transcript", f"{right_heard}/{n} ({right_heard / n:.0%})")
    if promises:
        k = len(promises)
        table.add_row("promise lines: same amount and due date parsed", f"{same_promise}/{k} ({same_promise / k:.0%})")
    console.print(table)


def clip_table(clips: list[Clip]) -> None:
    table = Table(title="Every clip")
    for col in ("speaker", "text", "transcript", "CER", "s"):
        table.add_column(col, justify="right" if col in ("CER", "s") else "left")
    for c in clips:
        table.add_row(c.line.speaker, c.line.text, c.heard or "[dim](empty)[/dim]", f"{c.cer:.2f}", f"{c.asr_seconds:.1f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="only every k-th line so that about N are used")
    parser.add_argument("--show", action="store_true", help="print every clip with its transcript")
    parser.add_argument("--prompt", default=None, help="Whisper's initial prompt instead of the recogniser's ('' for none)")
    parser.add_argument("--beam", type=int, default=None, help="beam size instead of the recogniser's (1: greedy)")
    args = parser.parse_args()
    options = WhisperOptions()
    if args.prompt is not None:
        options = replace(options, initial_prompt=args.prompt or None)
    if args.beam is not None:
        options = replace(options, beam_size=args.beam)
    lines = load()
    if args.limit:
        step = max(1, len(lines) // args.limit)
        lines = lines[::step][: args.limit]
    try:
        clips, load_seconds, ears = run(lines, options)
    except VoiceUnavailable as exc:
        console.print(f"ASR benchmark skipped: {exc}")
        return
    if args.show:
        clip_table(clips)
    accuracy_table(clips, ears)
    downstream_table(clips)
    o = ears.options
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    console.print(
        f"Engines: espeak-ng voice cmn-latn-pinyin (with ports.spoken_form respellings); faster-whisper, Whisper base, "
        f"int8, language={o.language}, beam {o.beam_size}, temperature 0, prompt {o.initial_prompt!r}, "
        f"repetition penalty {o.repetition_penalty}, no-repeat n-gram {o.no_repeat_ngram_size}. Model load {load_seconds:.1f} s. "
        f"This machine: {os.cpu_count()} cores, load average {busy:.1f} at the end."
    )
    console.print(CAVEAT)
    flags = (f" --limit {args.limit}" if args.limit else "") + (" --show" if args.show else "")
    flags += (f" --prompt '{args.prompt}'" if args.prompt is not None else "") + (f" --beam {args.beam}" if args.beam else "")
    console.print(f"rerun: .venv/bin/python benchmarks/asr.py{flags}")


if __name__ == "__main__":
    main()
