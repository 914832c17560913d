"""Demo step: bot conversations against scripted debtor personas, and one human collector's call
with prohibited conduct that opens an incident and suspends the collector."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from rich.table import Table

from qingzhai.conversation import bot, service
from qingzhai.conversation.ports import VoiceUnavailable, default_ports, default_voice_engines
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import DomainError
from qingzhai.core.masking import mask_name
from qingzhai.core.timeutil import zone
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage
from qingzhai.sim.personas import PERSONAS, VIOLATING_CALL, persona

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qingzhai.demo import DemoContext

BOT_OPERATOR = Actor(id="demo-bot", name="demo bot", role=Role.system, source="demo")
OFFICER = Actor(id="demo-compliance", name="demo compliance officer", role=Role.compliance_officer, source="demo")
DEMO_COLLECTOR = "collector:demo-wang"


def contact_time(now: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """Inside the calling window: now if between 09:00 and 20:00 local, else 10:00 local the next day."""
    local = now.astimezone(zone(tz))
    if time(9) <= local.time() <= time(20):
        return now
    day = local.date() + timedelta(days=1) if local.time() > time(20) else local.date()
    return datetime.combine(day, time(10), tzinfo=zone(tz))


def _contactable_cases(session: Session, at: datetime) -> list[registry.Case]:
    """Open cases with no hold (dispute, moratorium, cease) at `at`, among the first 200."""
    cases, _total = registry.list_cases(session, limit=200)
    return [c for c in cases if c.stage != Stage.closed.value and not registry.active_holds(session, c, now=at)]


def demo_step(ctx: DemoContext) -> None:
    ports = default_ports()
    at = contact_time(ctx.now)
    table = Table(
        _("Case"),
        _("Debtor"),
        _("Persona"),
        _("Turns"),
        _("Outcome"),
        _("Last emotion / intent"),
        _("Bot's reason"),
        title=_("Bot conversations with simulated debtors"),
    )
    with unit_of_work(engine_for(ctx.url)) as session:
        open_cases = _contactable_cases(session, at)
        ctx.rng.shuffle(open_cases)
        for index, (case, persona) in enumerate(zip(open_cases, PERSONAS, strict=False)):
            when = at + timedelta(minutes=5 * index)
            debtor = registry.get_debtor(session, case.debtor_id)
            try:
                with session.begin_nested():
                    result = bot.start_conversation(session, case, channel="message", now=when, actor=BOT_OPERATOR, ports=ports)
                    if result.reply is None:
                        reasons = ", ".join(str(r.get("rule")) for r in result.denied_reasons or [])
                        table.add_row(
                            str(case.number),
                            mask_name(debtor.name if debtor else ""),
                            persona.key,
                            "0",
                            _("refused: {reasons}", reasons=reasons),
                            "",
                            "",
                        )
                        continue
                    turns = 0
                    for line in persona.replies((debtor.id_number if debtor else "")[-4:]):
                        turns += 1
                        result = bot.take_turn(
                            session,
                            result.conversation,
                            line,
                            now=when + timedelta(seconds=20 * turns),
                            actor=BOT_OPERATOR,
                            ports=ports,
                        )
                        if result.reply is None or result.reply.ended:
                            break
            except DomainError as exc:
                table.add_row(str(case.number), "", persona.key, "", _("error: {reason}", reason=str(exc)), "", "")
                continue
            a = result.analysis
            table.add_row(
                str(case.number),
                mask_name(debtor.name if debtor else ""),
                persona.key,
                str(turns),
                str(result.conversation.outcome or result.conversation.status),
                f"{a.emotion.value} / {a.intent.value}" if a else "",
                result.reply.reason if result.reply else "",
            )
    ctx.console.print(table)
    voice_call(ctx, at=at + timedelta(hours=2), ports=ports)

    # A human collector's call with prohibited conduct: incident opened, collector suspended at once.
    with unit_of_work(engine_for(ctx.url)) as session:
        cases, _total = registry.list_cases(session, limit=1)
        case = cases[0] if cases else None
        lines = [service.TranscriptLine(s, t) for s, t in VIOLATING_CALL]
        review = service.review_transcript(
            session, agent_id=DEMO_COLLECTOR, lines=lines, now=at, actor=OFFICER, case=case, ports=ports
        )
        found = Table(_("Line"), _("Rule"), _("Severity"), _("Words"), title=_("Conduct guard on a collector's call"))
        for line, v in review.findings:
            found.add_row(str(line + 1), v.rule, v.severity.value, v.matched)
        ctx.console.print(found)
        if review.incident is not None and case is not None:
            decision = ports.compliance.request_contact(
                session,
                case=case,
                channel="call",
                at=at + timedelta(hours=1),
                agent_id=DEMO_COLLECTOR,
                agent_kind="human",
                reserve=False,
            )
            rules = ", ".join(getattr(r, "rule", "") for r in decision.reasons)
            ctx.console.print(
                _(
                    "Incident {id} opened; the collector's next call request: {verdict} ({rules})",
                    id=review.incident.id,
                    verdict=_("allowed") if decision.allowed else _("refused"),
                    rules=rules,
                )
            )
        report = service.conduct_report(session)
    summary = Table(_("Figure"), _("Value"), title=_("Conduct and complaints"))
    summary.add_row(_("Open incidents"), str(report.open_incidents))
    summary.add_row(_("Incidents by rule"), ", ".join(f"{k} {v}" for k, v in report.incidents_by_rule.items()))
    summary.add_row(_("Bot outcomes"), ", ".join(f"{k} {v}" for k, v in sorted(report.bot_outcomes.items())))
    summary.add_row(_("Complaints by month"), ", ".join(f"{k} {v}" for k, v in report.complaints_by_month.items()) or "0")
    ctx.console.print(summary)


def voice_call(ctx: DemoContext, *, at: datetime, ports: bot.Ports) -> None:
    """One bot call on the voice channel: the persona's words are spoken by text-to-speech, heard by
    speech recognition, and the bot's replies are spoken back. Shown only where the engines are installed."""
    try:
        voice = default_voice_engines()
    except VoiceUnavailable as exc:
        ctx.console.print(_("Voice channel not shown: {reason}", reason=exc.reason))
        return
    table = Table(
        _("Debtor said"), _("Speech recognition heard"), _("Intent"), _("Bot replied"), title=_("A bot call on the voice channel")
    )
    with unit_of_work(engine_for(ctx.url)) as session:
        cases = _contactable_cases(session, at)
        if not cases:
            return
        case = cases[0]
        outcome = ""
        try:
            with session.begin_nested():
                result = bot.start_conversation(session, case, channel="bot_call", now=at, actor=BOT_OPERATOR, ports=ports)
                conv = result.conversation
                for line in persona("wrong_number").replies("") if result.reply else ():
                    turn = bot.voice_turn(
                        session, conv, voice.synthesizer.synthesize(line), now=at + timedelta(seconds=30),
                        actor=BOT_OPERATOR, recognizer=voice.recognizer, synthesizer=voice.synthesizer, ports=ports,
                    )  # fmt: skip
                    a, reply = turn.result.analysis, turn.result.reply
                    table.add_row(line, turn.heard, a.intent.value if a else "", reply.text if reply else "")
                    if reply is None or reply.ended:
                        break
                outcome = str(conv.outcome or conv.status)
        except DomainError as exc:
            outcome = _("error: {reason}", reason=str(exc))
    ctx.console.print(table)
    ctx.console.print(_("Voice call outcome: {outcome}; the debtor's audio is stored encrypted", outcome=outcome))
