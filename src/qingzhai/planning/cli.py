"""`qingzhai plan`: ranked resolution options for a case, the debtor's answer, what-if profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, operator, print_json, transaction
from qingzhai.core.errors import RuleViolation
from qingzhai.i18n import _
from qingzhai.planning import service
from qingzhai.planning.schemas import PlanDecisionRead, PlanOptionsRead, plan_read
from qingzhai.registry import service as registry

app = typer.Typer(help="Resolution plans (方案设计): ranked options, acceptance, what-if.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def render_options(view: PlanOptionsRead) -> None:
    title = _("Options for case {number}", number=view.case_number) if view.case_number else _("What-if options")
    table = Table("#", _("Plan"), _("Expected recovery"), _("Probability"), _("Collects"), _("Days"),
                  _("Approval"), title=title, show_lines=True)
    for o in view.options:
        table.add_row(str(o.number), _(o.type), f"{o.expected_recovery:,.2f}", f"{o.probability:.0%}",
                      f"{o.nominal:,.2f}", str(o.expected_days_to_close), _("needed") if o.needs_approval else "-")
    console.print(table)
    console.print(_("Outstanding {amount} {currency}; figures from: {source}.",
                    amount=f"{view.outstanding:,.2f}", currency=view.currency, source=_(view.inputs_source)))
    if view.target_close_date:
        console.print(_("Target close date: {date}.", date=view.target_close_date.isoformat()))
    for o in view.options:
        console.print(f"[bold]{o.number}. {_(o.type)}[/bold] {o.explanation}")
    for i in view.ineligible:
        console.print(f"[dim]{_('Not offered')}: {_(i.type)} — {i.reasons}[/dim]")


@app.command("options")
@handle_errors
def options(case_ref: Annotated[str, typer.Argument(metavar="CASE_ID")], as_json: JsonOpt = False) -> None:
    """Ranked resolution options for a case (best expected recovery first)."""
    with transaction() as session:
        case = registry.get_case(session, case_ref)
        plan = service.plan_case(session, case, now=clock.now())
        view = plan_read(plan.options, plan.ineligible, plan.inputs, case_id=case.id, case_number=case.number,
                         target_close_date=plan.target_close_date)
    if as_json:
        print_json(view)
    else:
        render_options(view)


@app.command("accept")
@handle_errors
def accept(
    case_ref: Annotated[str, typer.Argument(metavar="CASE_ID")],
    option: Annotated[int, typer.Option("--option", min=1, help="Option number from `plan options`.")],
    declined: Annotated[bool, typer.Option("--declined", help="Record that the debtor declined it.")] = False,
    approved: Annotated[bool, typer.Option("--approved", help="The creditor approved an option that needs it.")] = False,
    months: Annotated[int | None, typer.Option("--months", help="Moratorium only: its length in months.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the debtor's acceptance of an option; it becomes a contract, hold, referral or lawsuit."""
    with transaction() as session:
        case = registry.get_case(session, case_ref)
        decision = service.accept_option(session, case, number=option, debtor_accepts=not declined,
                                         approved=approved, months=months, actor=operator(), now=clock.now())
        view = PlanDecisionRead.model_validate(decision)
        number, stage = case.number, case.stage
    if as_json:
        print_json(view)
    else:
        console.print(_("Case {number}: option {option} ({type}) {status}; the case is in {stage}.",
                        number=number, option=option, type=_(view.plan_type), status=_(view.status), stage=_(stage)))


@app.command("what-if")
@handle_errors
def what_if(
    profile: Annotated[Path, typer.Option("--profile", help="JSON file describing a hypothetical debtor.")],
    as_json: JsonOpt = False,
) -> None:
    """Options for a hypothetical debtor described in a JSON profile (see docs/planning.md)."""
    try:
        data = json.loads(profile.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleViolation(f"cannot read {profile}: {exc.strerror}", field="profile") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RuleViolation(f"not valid JSON: {exc}", field="profile") from None
    if not isinstance(data, dict):
        raise RuleViolation("must be a JSON object", field="profile")
    try:
        found = service.what_if(data, now=clock.now())
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "profile"
        raise RuleViolation(first["msg"], field=field) from None
    view = plan_read(found.options, found.ineligible, found.inputs)
    if as_json:
        print_json(view)
    else:
        render_options(view)
