"""`qingzhai compliance …`: audit a dialer's log, explain a debtor's counters, ask before a contact,
record outcomes, suspend and reinstate agents, keep restrictions, list presets and decisions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, parse_datetime, print_json, transaction
from qingzhai.compliance import service
from qingzhai.compliance.audit import audit
from qingzhai.compliance.presets import PRESETS, preset
from qingzhai.compliance.report import audit_json
from qingzhai.i18n import _
from qingzhai.registry import service as registry

app = typer.Typer(help="Compliance engine (合规): contact rules, audits of contact logs, agent suspension.",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("audit")
@handle_errors
def audit_cmd(
    log: Annotated[Path, typer.Argument(help="Contact log CSV: attempt_id, debtor_id, phone, channel, started_at, "
                                             "debtor_timezone, outcome.")],
    preset_name: Annotated[str, typer.Option("--preset", help="cn, us-regf, uk-fca, hk or sg.")] = "cn",
    holidays_quiet: Annotated[bool, typer.Option("--holidays-quiet", help="Public holidays are quiet days.")] = False,
    show: Annotated[int, typer.Option(help="Violations to list in the table (all in --json).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Check a historical contact log. Exit 0: no violations; 1: violations; 2: the file cannot be used."""
    rules = preset(preset_name)
    if holidays_quiet:
        from dataclasses import replace

        rules = replace(rules, holidays_quiet=True)
    started = time.perf_counter()
    if as_json:
        report = audit(log, rules)
    else:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=True) as progress:
            task = progress.add_task(_("Reading the log"), total=None)
            labels = {"read": _("Reading the log"), "zones": _("Local times"), "scan": _("Checking the rules")}
            report = audit(log, rules, progress=lambda step: progress.update(task, description=labels[step]))
    elapsed = time.perf_counter() - started
    if as_json:
        print_json(audit_json(report))
    else:
        data = audit_json(report, limit=show)
        table = Table(_("Line"), _("Attempt"), _("Debtor"), _("Rule"), _("Reason"),
                      title=_("Violations ({n})", n=len(report.violations)))
        for v in data["violations"]:
            table.add_row(str(v["line"]), v["attempt_id"], v["debtor_id"], v["rule"], v["reason"])
        if report.violations:
            console.print(table)
        summary = Table(_("Rule"), _("Violations"), title=_("Audit of {rows} rows ({preset})", rows=report.rows,
                                                             preset=report.preset))
        for rule, count in report.by_rule().items():
            summary.add_row(rule, str(count))
        console.print(summary)
        console.print(_("{rows} rows, {debtors} debtors, {n} violating attempts, {seconds:.1f} s.", rows=report.rows,
                        debtors=report.debtors, n=report.violating_attempts, seconds=elapsed))
    raise typer.Exit(1 if report.violations else 0)


@app.command("explain")
@handle_errors
def explain_cmd(
    debtor: Annotated[str, typer.Option("--debtor", help="Debtor id.")],
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 time with offset (default: now).")] = None,
    preset_name: Annotated[str | None, typer.Option("--preset", help="Preset (default: the setting).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the debtor's counters and what each channel may do, and when."""
    moment = parse_datetime(at, "at") if at else clock.now()
    with transaction() as session:
        ex = service.explain(session, debtor_id=debtor, at=moment, preset=preset_name)
    if as_json:
        print_json(ex.to_dict())
        return
    console.print(_("Debtor {id} — preset {preset} — zones {zones}", id=ex.debtor_id, preset=ex.preset,
                    zones=", ".join(ex.zones)))
    console.print(_("Local time: {times}", times=", ".join(ex.local_times)))
    counters = Table(_("Counter"), _("Value"), title=_("Today (debtor's local day)"))
    counters.add_row(_("Connected calls"), str(ex.connected_today))
    counters.add_row(_("Reserved, outcome pending"), str(ex.pending_today))
    counters.add_row(_("Call attempts"), str(ex.attempts_today))
    for number, n in ex.attempts_by_number.items():
        counters.add_row(_("Attempts to {number}", number=number), str(n))
    counters.add_row(_("Calls in the last {days} days", days=ex.period_days), str(ex.calls_in_period))
    counters.add_row(_("Holds"), ", ".join(ex.holds) or "-")
    counters.add_row(_("Restrictions"), ", ".join(ex.restrictions) or "-")
    console.print(counters)
    table = Table(_("Channel"), _("Allowed now"), _("Next allowed"), _("Reasons"), title=_("What is allowed when"))
    for c in ex.channels:
        table.add_row(c.channel, _("yes") if c.allowed else _("no"),
                      c.next_allowed_at.astimezone(ZoneInfo(ex.zones[0])).isoformat() if c.next_allowed_at
                      else ("-" if c.allowed else _("not by waiting")),
                      "; ".join(r.text for r in c.reasons))
    console.print(table)


@app.command("check")
@handle_errors
def check_cmd(
    case: Annotated[str, typer.Option("--case", help="Case id or number.")],
    channel: Annotated[str, typer.Option(help="call, bot_call, sms, email, letter, visit or message.")] = "call",
    agent: Annotated[str, typer.Option("--agent", help="Agent id (collector or bot).")] = "cli",
    at: Annotated[str | None, typer.Option("--at", help="ISO 8601 time with offset (default: now).")] = None,
    party: Annotated[str, typer.Option(help="debtor, guarantor, attorney, relative, employer, contact.")] = "debtor",
    purpose: Annotated[str, typer.Option(help="collection, locate, message or notice.")] = "collection",
    phone: Annotated[str | None, typer.Option(help="Number to dial (default: the debtor's).")] = None,
    reserve: Annotated[bool, typer.Option("--reserve/--no-reserve", help="Reserve the attempt when allowed.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ask whether a contact may be made now (or at --at); with --reserve, reserve it."""
    moment = parse_datetime(at, "at") if at else clock.now()
    with transaction() as session:
        c = registry.get_case(session, case)
        d = service.request_contact(session, case=c, channel=channel, at=moment, agent_id=agent, phone=phone,
                                    party=party, purpose=purpose, reserve=reserve)
    if as_json:
        print_json(d.to_dict())
        return
    verdict = _("ALLOWED") if d.allowed else _("DENIED")
    console.print(f"[bold]{verdict}[/bold]" + (f" — {_('attempt')} {d.attempt_id}" if d.attempt_id else ""))
    for r in d.reasons:
        console.print(f"  [red]{r.rule}[/red]: {r.text}")
    for r in d.obligations:
        console.print(f"  [yellow]{r.rule}[/yellow]: {r.text}")
    if d.next_allowed_at:
        console.print(_("Next allowed at {at}", at=d.next_allowed_at.isoformat()))


@app.command("outcome")
@handle_errors
def outcome_cmd(attempt_id: str, outcome: str) -> None:
    """Record the outcome of a reserved attempt."""
    with transaction() as session:
        service.record_outcome(session, attempt_id=attempt_id, outcome=outcome, now=clock.now())
    console.print(_("Outcome recorded."))


@app.command("suspend")
@handle_errors
def suspend_cmd(agent_id: str, reason_text: Annotated[str, typer.Option("--reason")],
                reference: Annotated[str | None, typer.Option(help="Conduct incident reference.")] = None) -> None:
    """Suspend an agent: all their contact requests are denied."""
    with transaction() as session:
        service.suspend_agent(session, agent_id=agent_id, reason=reason_text, now=clock.now(), reference=reference)
    console.print(_("Agent {agent} suspended.", agent=agent_id))


@app.command("reinstate")
@handle_errors
def reinstate_cmd(agent_id: str, reason_text: Annotated[str, typer.Option("--reason")]) -> None:
    """Reinstate a suspended agent."""
    with transaction() as session:
        service.reinstate_agent(session, agent_id=agent_id, reason=reason_text, now=clock.now())
    console.print(_("Agent {agent} reinstated.", agent=agent_id))


@app.command("suspensions")
@handle_errors
def suspensions_cmd(as_json: JsonOpt = False) -> None:
    """List suspended agents."""
    with transaction() as session:
        rows = [{"agent_id": s.agent_id, "reason": s.reason, "reference": s.reference,
                 "suspended_at": s.suspended_at} for s in service.suspensions(session)]
    if as_json:
        print_json(rows)
        return
    table = Table(_("Agent"), _("Reason"), _("Reference"), _("Since"), title=_("Suspended agents"))
    for r in rows:
        table.add_row(r["agent_id"], r["reason"], r["reference"] or "-", r["suspended_at"].isoformat())
    console.print(table)


@app.command("restrict")
@handle_errors
def restrict_cmd(
    debtor: Annotated[str, typer.Option("--debtor")],
    kind: Annotated[str, typer.Option(help="opt_out, cease_communication, attorney, workplace_ban, third_party_refused")],
    reason_text: Annotated[str, typer.Option("--reason")],
    channel: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Record a debtor's opt-out, cease-communication, attorney, workplace ban or a third party's refusal."""
    with transaction() as session:
        r = service.add_restriction(session, debtor_id=debtor, kind=kind, reason=reason_text, now=clock.now(),
                                    channel=channel, phone=phone)
        rid = r.id
    console.print(_("Restriction {id} recorded.", id=rid))


@app.command("restrictions")
@handle_errors
def restrictions_cmd(debtor: Annotated[str, typer.Option("--debtor")], as_json: JsonOpt = False) -> None:
    """The debtor's active restrictions (numbers masked)."""
    with transaction() as session:
        rows = [{"id": r.id, "kind": r.kind, "channel": r.channel, "phone": r.phone_masked, "reason": r.reason,
                 "reference": r.reference, "created_at": r.created_at} for r in service.restrictions(session, debtor)]
    if as_json:
        print_json(rows)
        return
    table = Table("ID", _("Kind"), _("Channel"), _("Number"), _("Reason"), _("Since"), title=_("Restrictions"))
    for r in rows:
        table.add_row(r["id"], r["kind"], r["channel"] or "-", r["phone"] or "-", r["reason"], r["created_at"].isoformat())
    console.print(table)


@app.command("unrestrict")
@handle_errors
def unrestrict_cmd(restriction_id: str) -> None:
    """Lift a restriction (e.g. the debtor withdrew an opt-out)."""
    with transaction() as session:
        service.lift_restriction(session, restriction_id=restriction_id, now=clock.now())
    console.print(_("Restriction {id} lifted.", id=restriction_id))


@app.command("decisions")
@handle_errors
def decisions_cmd(debtor: Annotated[str | None, typer.Option("--debtor")] = None,
                  limit: Annotated[int, typer.Option()] = 50, as_json: JsonOpt = False) -> None:
    """The latest stored decisions with their reasons."""
    with transaction() as session:
        rows = [{"id": d.id, "at": d.at, "debtor_id": d.debtor_id, "channel": d.channel, "agent_id": d.agent_id,
                 "allowed": d.allowed, "reasons": d.reasons, "attempt_id": d.attempt_id}
                for d in service.decisions(session, debtor_id=debtor, limit=limit)]
    if as_json:
        print_json(rows)
        return
    table = Table(_("Time"), _("Debtor"), _("Channel"), _("Agent"), _("Allowed"), _("Reasons"), title=_("Decisions"))
    key = "text_zh" if _("yes") != "yes" else "text_en"
    for r in rows:
        table.add_row(r["at"].isoformat(), r["debtor_id"], r["channel"], r["agent_id"], _("yes") if r["allowed"] else _("no"),
                      "; ".join(x[key] for x in r["reasons"]))
    console.print(table)


@app.command("presets")
@handle_errors
def presets_cmd(as_json: JsonOpt = False) -> None:
    """The jurisdiction presets, their numbers and sources."""
    data = {
        name: {
            "quiet": [f"{w.start:%H:%M}-{w.end:%H:%M}" for w in r.quiet],
            "max_connected_calls_per_day": r.max_connected_calls_per_day,
            "max_attempts_per_number_per_day": r.max_attempts_per_number_per_day,
            "max_call_attempts_per_period": r.max_call_attempts_per_period, "period_days": r.period_days,
            "conversation_cooldown_days": r.conversation_cooldown_days, "third_party_mode": r.third_party_mode,
            "visit_min_collectors": r.visit_min_collectors, "sources": dict(r.sources),
        }
        for name, r in PRESETS.items()
    }
    if as_json:
        print_json(data)
        return
    table = Table(_("Preset"), _("Quiet hours"), _("Connected/day"), _("Attempts/number/day"), _("Calls/period"),
                  _("Cooldown days"), title=_("Presets"))
    for name, d in data.items():
        table.add_row(name, ", ".join(d["quiet"]), str(d["max_connected_calls_per_day"] or "-"),
                      str(d["max_attempts_per_number_per_day"] or "-"),
                      f"{d['max_call_attempts_per_period']}/{d['period_days']}d" if d["max_call_attempts_per_period"] else "-",
                      str(d["conversation_cooldown_days"] or "-"))
    console.print(table)
    sources = Table(_("Preset"), _("Rule"), _("Source"), title=_("Sources"))
    for name, d in data.items():
        for rule, source in d["sources"].items():
            sources.add_row(name, rule, source)
    console.print(sources)
