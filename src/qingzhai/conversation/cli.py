"""Typer sub-apps: `qingzhai conversation` (analyze, train), `qingzhai conduct` (check, review,
incidents), `qingzhai bot` (chat, call, voice, transcript). Thin: parse, call the service, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, err_console, handle_errors, operator, parse_date, print_json, transaction
from qingzhai.conversation import bot as bot_service
from qingzhai.conversation import service
from qingzhai.conversation.ports import default_voice_engines, voice_status
from qingzhai.core.actor import Actor
from qingzhai.core.errors import RuleViolation
from qingzhai.i18n import _

conversation_app = typer.Typer(help="Debtor speech: emotion, intent and promises (analyze, train).", no_args_is_help=True)
conduct_app = typer.Typer(help="The conduct guard and conduct incidents of collectors.", no_args_is_help=True)
incidents_app = typer.Typer(help="Conduct incidents: list, show, close, report.", no_args_is_help=True)
bot_app = typer.Typer(help="The collection bot (text channel in the terminal; voice when installed).", no_args_is_help=True)
conduct_app.add_typer(incidents_app, name="incidents")
app = conversation_app

BATCH = 64


def _utterances(stream: Iterator[str]) -> Iterator[str]:
    """One utterance per line, or JSONL objects with a `text` field."""
    for number, line in enumerate(stream, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RuleViolation(_("line {n} is not valid JSON: {error}", n=number, error=exc.msg), field="stdin") from None
            text = row.get("text") if isinstance(row, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise RuleViolation(_("line {n} has no text field", n=number), field="text")
            yield text
        else:
            yield line


def _batches(items: Iterator[str], size: int = BATCH) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(row: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


@conversation_app.command("analyze")
@handle_errors
def analyze_cmd() -> None:
    """Read utterances on stdin (one per line, or JSONL with `text`); write JSONL analyses."""
    now = clock.now()
    for batch in _batches(_utterances(sys.stdin)):
        for analysis in service.analyze_many(batch, now=now):
            _write(analysis.to_dict())
    sys.stdout.flush()


@conversation_app.command("train")
@handle_errors
def train_cmd() -> None:
    """Retrain the emotion and intent heads and the semantic conduct head from the labelled data in
    the package (embeddings cached, so a retrain after a label fix takes seconds)."""
    from qingzhai.conversation import conduct_model
    from qingzhai.conversation.model import default_embedder, reset_default_classifier
    from qingzhai.conversation.train import EMOTION_TRAIN_SETS, load_sets, train, train_conduct

    total = len(load_sets(EMOTION_TRAIN_SETS))
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console
    ) as progress:
        task = progress.add_task(_("Embedding new utterances"), total=total)
        report = train(default_embedder(), progress=lambda n: progress.advance(task, n))
        progress.update(task, completed=total)
        conduct_task = progress.add_task(_("Conduct head"), total=None)
        conduct_report = train_conduct(default_embedder())
        progress.update(conduct_task, total=1, completed=1)
    reset_default_classifier()
    conduct_model.reset()
    table = Table(title=_("Trained heads"))
    table.add_column(_("Figure"))
    table.add_column(_("Value"), justify="right")
    table.add_row(_("Training utterances"), str(report.examples))
    table.add_row(_("Newly embedded"), str(report.embedded_now))
    table.add_row(_("Emotion accuracy (5-fold CV)"), f"{report.emotion_cv_accuracy:.3f}")
    table.add_row(_("Intent macro-F1 (5-fold CV)"), f"{report.intent_cv_macro_f1:.3f}")
    table.add_row(_("Regularisation C (emotion / intent)"), f"{report.emotion_c:g} / {report.intent_c:g}")
    table.add_row(
        _("Conduct guard: recall / false alarms (each data set left out, with rules)"),
        f"{conduct_report.cv_recall:.3f} / {conduct_report.cv_false_alarms:.3f}",
    )
    console.print(table)
    console.print(_("Written to {path}", path=str(report.path)))


@conduct_app.command("check")
@handle_errors
def check_cmd() -> None:
    """Read collector utterances on stdin (lines or JSONL with `text`); write JSONL with the violations found."""
    from qingzhai.conversation import conduct

    for batch in _batches(_utterances(sys.stdin)):
        for text, found in zip(batch, conduct.check_many(batch), strict=True):
            _write(
                {
                    "text": text,
                    "violations": [{"rule": v.rule, "span": list(v.span), "severity": v.severity.value} for v in found],
                }
            )
    sys.stdout.flush()


@conduct_app.command("review")
@handle_errors
def review_cmd(
    agent_id: Annotated[str, typer.Argument(help="The collector's agent id (as the compliance engine knows it).")],
    transcript: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Transcript: lines `collector: ...` / `debtor: ...`.")
    ],
    case: Annotated[str | None, typer.Option(help="Case number or id the call was about.")] = None,
    audio: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="The call recording (WAV), stored encrypted.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Screen a human collector's call transcript; a violation opens an incident and suspends the collector."""
    from qingzhai.registry.service import get_case

    lines = service.parse_transcript(transcript.read_text(encoding="utf-8"))
    actor = operator()
    with transaction() as session:
        case_row = get_case(session, case, actor=actor) if case else None
        review = service.review_transcript(
            session,
            agent_id=agent_id,
            lines=lines,
            now=clock.now(),
            actor=actor,
            case=case_row,
            audio=audio.read_bytes() if audio else None,
        )
        result = {
            "agent_id": agent_id,
            "clean": review.clean,
            "violations": [{"line": i, **v.to_dict()} for i, v in review.findings],
            "flagged_for_review": [{"line": i, **v.to_dict()} for i, v in review.flagged],
            "incident": service.incident_dict(review.incident) if review.incident else None,
        }
    if as_json:
        print_json(result)
        return
    if review.clean:
        console.print(_("No prohibited conduct found."))
        if review.flagged:
            console.print(_("{n} utterances flagged by the semantic guard for an officer to read.", n=len(review.flagged)))
        return
    _violations_table(result["violations"])  # type: ignore[arg-type]
    console.print(_("Incident {id} opened; collector {agent} suspended.", id=result["incident"]["id"], agent=agent_id))  # type: ignore[index]


def _violations_table(violations: list[dict[str, object]]) -> None:
    table = Table(title=_("Prohibited conduct"))
    for col in (_("Line"), _("Rule"), _("Severity"), _("Words")):
        table.add_column(col)
    for v in violations:
        table.add_row(str(v.get("line", "")), str(v["rule"]), str(v["severity"]), str(v.get("matched", "")))
    console.print(table)


@incidents_app.command("list")
@handle_errors
def incidents_list(
    status: Annotated[str | None, typer.Option(help="open or closed")] = None,
    agent: Annotated[str | None, typer.Option(help="Only this collector.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Conduct incidents, newest first."""
    with transaction() as session:
        rows, total = service.list_incidents(session, status=status, agent_id=agent, limit=limit)
        data = [service.incident_dict(r) for r in rows]
    if as_json:
        print_json({"total": total, "items": data})
        return
    table = Table(title=_("Conduct incidents ({n})", n=total))
    for col in (_("Id"), _("Collector"), _("Rules"), _("Status"), _("Outcome"), _("Opened")):
        table.add_column(col)
    for d in data:
        table.add_row(
            str(d["id"]),
            str(d["agent_id"]),
            ", ".join(d["rules"]),
            str(d["status"]),  # type: ignore[arg-type]
            str(d["outcome"] or ""),
            str(d["opened_at"])[:16],
        )
    console.print(table)


@incidents_app.command("show")
@handle_errors
def incidents_show(incident_id: str, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """One incident with its violations."""
    with transaction() as session:
        data = service.incident_dict(service.get_incident(session, incident_id))
    if as_json:
        print_json(data)
        return
    console.print(_("Incident {id}: collector {agent}, {status}", id=data["id"], agent=data["agent_id"], status=data["status"]))
    _violations_table(data["violations"])  # type: ignore[arg-type]


@incidents_app.command("close")
@handle_errors
def incidents_close(
    incident_id: str,
    outcome: Annotated[str, typer.Option(help="retraining, warning or dismissal")],
    retraining_completed: Annotated[str | None, typer.Option(help="YYYY-MM-DD, required for retraining")] = None,
    note: Annotated[str | None, typer.Option(help="The officer's note.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Close an incident (compliance officer). Retraining or a warning reinstates the collector."""
    completed: date | None = parse_date(retraining_completed, "retraining_completed") if retraining_completed else None
    with transaction() as session:
        incident = service.close_incident(
            session, incident_id, outcome=outcome, retraining_completed_on=completed, note=note, actor=operator(), now=clock.now()
        )
        data = service.incident_dict(incident)
    if as_json:
        print_json(data)
    else:
        console.print(_("Incident {id} closed: {outcome}", id=incident_id, outcome=outcome))


@incidents_app.command("report")
@handle_errors
def incidents_report(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Incidents and complaints with their monthly trends."""
    with transaction() as session:
        report = service.conduct_report(session)
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(title=_("Conduct incidents and complaints by month"))
    table.add_column(_("Month"))
    table.add_column(_("Incidents"), justify="right")
    table.add_column(_("Complaints"), justify="right")
    for month in sorted(set(report.incidents_by_month) | set(report.complaints_by_month)):
        table.add_row(month, str(report.incidents_by_month.get(month, 0)), str(report.complaints_by_month.get(month, 0)))
    console.print(table)
    rules = Table(title=_("Incidents by rule"))
    rules.add_column(_("Rule"))
    rules.add_column(_("Incidents"), justify="right")
    for rule, n in report.incidents_by_rule.items():
        rules.add_row(rule, str(n))
    console.print(rules)
    console.print(_("Open incidents: {n}", n=report.open_incidents))


def _open(case_id: str, channel: str, actor: Actor) -> tuple[str, str]:
    """Start a bot conversation; (conversation id, the bot's first words), or exit 4 when refused."""
    from qingzhai.registry.service import get_case

    with transaction() as session:
        case = get_case(session, case_id, actor=actor)
        started = bot_service.start_conversation(session, case, channel=channel, now=clock.now(), actor=actor)
        if started.reply is None:
            reasons = "; ".join(str(r.get("text_zh") or r.get("rule")) for r in started.denied_reasons or [])
            err_console.print(_("The compliance engine refused the contact: {reasons}", reasons=reasons))
            raise typer.Exit(4)
        console.print(f"[bold]bot[/bold]: {started.reply.text}")
        return started.conversation.id, started.reply.text


def _show(result: bot_service.TurnResult, *, show_analysis: bool) -> bool:
    """Print the bot's side of one turn; True when the conversation has ended."""
    reply, analysis = result.reply, result.analysis
    if show_analysis and analysis is not None and reply is not None:
        console.print(
            f"[dim]  {analysis.emotion.value} {analysis.emotion_confidence:.2f} · {analysis.intent.value} "
            f"{analysis.intent_confidence:.2f} · {reply.reason}[/dim]",
            highlight=False,
        )
    if reply is None:
        return False
    console.print(f"[bold]bot[/bold]: {reply.text}")
    if reply.ended:
        console.print(_("Conversation ended: {outcome}", outcome=result.conversation.outcome))
    return reply.ended


ShowAnalysis = Annotated[bool, typer.Option("--analysis/--no-analysis", help="Show emotion, intent and the bot's reason.")]


@bot_app.command("chat")
@handle_errors
def chat_cmd(
    case_id: Annotated[str, typer.Argument(help="Case number or id.")],
    channel: Annotated[str, typer.Option(help="message, sms or bot_call")] = "message",
    show_analysis: ShowAnalysis = True,
) -> None:
    """Talk to the collection bot as the debtor, in the terminal (one line per turn; empty line or EOF ends)."""
    actor = operator()
    conv_id, _first = _open(case_id, channel, actor)
    for line in sys.stdin:
        said = line.strip()
        if not said:
            break
        with transaction() as session:
            conv = bot_service.get_conversation(session, conv_id)
            result = bot_service.take_turn(session, conv, said, now=clock.now(), actor=actor)
        if _show(result, show_analysis=show_analysis):
            return


@bot_app.command("call")
@handle_errors
def call_cmd(
    case_id: Annotated[str, typer.Argument(help="Case number or id.")],
    audio: Annotated[list[Path], typer.Argument(help="The debtor's side of the call: one WAV file per utterance, in order.")],
    out: Annotated[Path, typer.Option(help="Folder for the bot's spoken replies (00-bot.wav, 01-bot.wav, ...).")] = Path(
        "bot-call"
    ),
    show_analysis: ShowAnalysis = True,
) -> None:
    """A voice call on recorded debtor speech: the compliance engine decides first, each clip is heard
    by speech recognition and answered by the bot, and every reply is spoken (text-to-speech) into
    OUT. The debtor's audio is stored encrypted with the conversation."""
    for path in audio:
        if not path.is_file():
            raise RuleViolation("no such file: {path}", field="audio", params={"path": str(path)})
    voice = default_voice_engines()
    actor = operator()
    out.mkdir(parents=True, exist_ok=True)
    conv_id, first = _open(case_id, "bot_call", actor)
    (out / "00-bot.wav").write_bytes(voice.synthesizer.synthesize(first))
    unheard = []
    for number, path in enumerate(audio, start=1):
        try:
            with console.status(_("Listening to {name}", name=path.name)), transaction() as session:
                conv = bot_service.get_conversation(session, conv_id)
                turn = bot_service.voice_turn(
                    session, conv, path.read_bytes(), now=clock.now(), actor=actor,
                    recognizer=voice.recognizer, synthesizer=voice.synthesizer,
                )  # fmt: skip
        except RuleViolation as exc:  # one unusable clip: say which, and go on with the call
            err_console.print(f"{path.name}: {exc.localized(_)}", highlight=False)
            unheard.append(path.name)
            continue
        console.print(f"[bold]{_('debtor')}[/bold] ({path.name}): {turn.heard}", highlight=False)
        if turn.reply_audio:
            (out / f"{number:02d}-bot.wav").write_bytes(turn.reply_audio)
        if _show(turn.result, show_analysis=show_analysis):
            break
    console.print(_("The bot's spoken replies are in {folder}", folder=str(out)))
    if unheard:
        raise typer.Exit(2)


@bot_app.command("transcript")
@handle_errors
def transcript_cmd(conversation_id: str, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """A conversation's turns (decrypted; the read is audited)."""
    with transaction() as session:
        conv = bot_service.get_conversation(session, conversation_id)
        turns = bot_service.read_transcript(session, conv, actor=operator(), now=clock.now())
    if as_json:
        print_json(turns)
        return
    table = Table(title=_("Conversation {id}", id=conversation_id))
    for col in (_("Speaker"), _("Words"), _("Emotion"), _("Intent"), _("Reason")):
        table.add_column(col)
    for t in turns:
        table.add_row(t["speaker"], t["text"], t["emotion"] or "", t["intent"] or "", t["reason"] or "")
    console.print(table)


@bot_app.command("voice")
@handle_errors
def voice_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Which speech engines the voice channel can use here (the text channel always works)."""
    status = voice_status()
    if as_json:
        print_json(status)
        return
    for key, value in status.items():
        console.print(f"{key}: {value}")
    if any(v.startswith("unavailable") for v in status.values()):
        console.print(_("The voice channel is degraded; the text channel works (qingzhai bot chat CASE_ID)."))
