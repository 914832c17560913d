"""`qingzhai creditors …`, `qingzhai cases …` and `qingzhai summary`."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, operator, parse_date, print_json, transaction
from qingzhai.core.errors import RuleViolation
from qingzhai.i18n import _
from qingzhai.registry import service
from qingzhai.registry.rules import CreditorPolicy, HoldKind, Outcome, Stage
from qingzhai.registry.schemas import CaseDetail, CaseEventRead, CaseRead, CreditorRead, DebtRead, HoldRead
from qingzhai.security.assignment import AssignmentRule, assign_by_rule, assign_case, parse_amount
from qingzhai.security.service import audit

creditors_app = typer.Typer(help="Creditors (委托方) and their policy.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases: list, show, change stage, holds.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@creditors_app.command("add")
@handle_errors
def creditors_add(
    name: str,
    policy: Annotated[str | None, typer.Option(help="Policy as JSON, e.g. '{\"longest_plan_months\": 36}'.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a creditor."""
    parsed = CreditorPolicy.from_dict(_json_arg(policy, "policy")) if policy else None
    with transaction() as session:
        creditor = service.create_creditor(session, name=name, policy=parsed, now=clock.now())
        view = CreditorRead.of(creditor)
        audit(session, actor=operator(), action="creditor.add", now=clock.now(), detail={"creditor_id": creditor.id})
    if as_json:
        print_json(view)
    else:
        console.print(_("Creditor {name} registered ({id}).", name=view.name, id=view.id))


@creditors_app.command("list")
@handle_errors
def creditors_list(as_json: JsonOpt = False) -> None:
    """List creditors."""
    with transaction() as session:
        views = [CreditorRead.of(c) for c in service.list_creditors(session)]
    if as_json:
        print_json(views)
        return
    table = Table(_("Creditor"), "ID", _("Max discount"), _("Longest plan (months)"))
    for v in views:
        table.add_row(v.name, v.id, str(v.policy.get("max_settlement_discount")), str(v.policy.get("longest_plan_months")))
    console.print(table)


@creditors_app.command("show")
@handle_errors
def creditors_show(ref: str, as_json: JsonOpt = False) -> None:
    """Show a creditor and its policy."""
    with transaction() as session:
        view = CreditorRead.of(service.get_creditor(session, ref))
    if as_json:
        print_json(view)
    else:
        console.print(f"[bold]{view.name}[/bold] ({view.id})")
        console.print_json(json.dumps(view.policy, ensure_ascii=False))


@creditors_app.command("set-policy")
@handle_errors
def creditors_set_policy(
    ref: str,
    changes: Annotated[str, typer.Argument(help="JSON object of the settings to change.")],
    as_json: JsonOpt = False,
) -> None:
    """Change a creditor's policy settings."""
    with transaction() as session:
        creditor = service.get_creditor(session, ref)
        service.update_creditor_policy(session, creditor, _json_arg(changes, "policy"))
        view = CreditorRead.of(creditor)
        audit(session, actor=operator(), action="creditor.policy", now=clock.now(),
              detail={"creditor_id": creditor.id, "changes": _json_arg(changes, "policy")})
    if as_json:
        print_json(view)
    else:
        console.print(_("Policy of {name} updated.", name=view.name))


def _json_arg(text: str, field: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleViolation(f"not valid JSON ({exc.msg})", field=field) from None
    if not isinstance(value, dict):
        raise RuleViolation("must be a JSON object", field=field)
    return value


@cases_app.command("list")
@handle_errors
def cases_list(
    stage: Annotated[Stage | None, typer.Option(help="Only cases in this stage.")] = None,
    creditor: Annotated[str | None, typer.Option(help="Only this creditor's cases (name or id).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List cases (personal identifiers masked)."""
    with transaction() as session:
        creditor_id = service.get_creditor(session, creditor).id if creditor else None
        rows, total = service.list_cases(session, stage=stage, creditor_id=creditor_id, offset=offset, limit=limit)
        views = [CaseRead.of(c, service.get_debtor(session, c.debtor_id)) for c in rows]
        audit(session, actor=operator(), action="case.list", now=clock.now(),
              detail={"cases": [c.number for c in rows][:1000], "stage": stage, "creditor_id": creditor_id})
    if as_json:
        print_json({"total": total, "items": views})
        return
    table = Table(_("Case"), _("Debtor"), _("ID number"), _("Stage"), _("Placed"), _("Recovered"), _("Outstanding"),
                  title=_("{shown} of {total} cases", shown=len(views), total=total))
    for v in views:
        table.add_row(
            str(v.number), v.debtor.name, v.debtor.id_number,
            _(v.stage.value) + (f" ({_(v.outcome.value)})" if v.outcome else ""),
            f"{v.placed:,.2f} {v.currency}", f"{v.recovered:,.2f}", f"{v.outstanding:,.2f}",
        )
    console.print(table)


@cases_app.command("show")
@handle_errors
def cases_show(case_ref: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False) -> None:
    """Show one case: debtor (masked), debts, holds and history."""
    with transaction() as session:
        case = service.get_case(session, case_ref)
        view = CaseDetail(
            **CaseRead.of(case, service.get_debtor(session, case.debtor_id)).model_dump(),
            debts=[DebtRead.of(d) for d in service.case_debts(session, case)],
            holds=[HoldRead.of(h) for h in case.holds],
            events=[CaseEventRead.of(e) for e in service.case_events(session, case)],
        )
        audit(session, actor=operator(), action="case.read", now=clock.now(), case_id=case.id, debtor_id=case.debtor_id)
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{_('Case')} {view.number}[/bold]  {view.id}")
    where = view.debtor.district or view.debtor.timezone
    console.print(f"{_('Debtor')}: {view.debtor.name}  {view.debtor.id_number}  {view.debtor.phone or ''}  {where}")
    console.print(f"{_('Stage')}: {_(view.stage.value)}" + (f"  {_('Outcome')}: {_(view.outcome.value)}" if view.outcome else ""))
    console.print(
        f"{_('Placed')}: {view.placed:,.2f} {view.currency}   {_('Recovered')}: {view.recovered:,.2f}   "
        f"{_('Outstanding')}: {view.outstanding:,.2f}"
    )
    debts = Table("debt_ref", _("Principal"), _("Interest"), _("Fees"), _("Default date"), title=_("Debts"))
    for d in view.debts:
        debts.add_row(d.debt_ref, f"{d.principal:,.2f}", f"{d.interest:,.2f}", f"{d.fees:,.2f}", d.default_date.isoformat())
    console.print(debts)
    if view.holds:
        holds = Table("ID", _("Hold"), _("Until"), _("Reason"), _("Lifted"), title=_("Holds"))
        for h in view.holds:
            holds.add_row(h.id, _(h.kind), str(h.until or "-"), h.reason, str(h.lifted_at or ""))
        console.print(holds)
    events = Table(_("When"), _("Event"), _("Who"), _("Why"), title=_("History"))
    for e in view.events:
        events.add_row(e.at.isoformat(timespec="seconds"), e.kind, e.actor, e.reason or "")
    console.print(events)


@cases_app.command("advance")
@handle_errors
def cases_advance(
    case_ref: Annotated[str, typer.Argument(metavar="ID")],
    to: Annotated[Stage, typer.Option(help="Target stage.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the history).")],
    outcome: Annotated[Outcome | None, typer.Option(help="Required when closing.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a case to another stage (checked against the transition table)."""
    with transaction() as session:
        case = service.get_case(session, case_ref)
        before = case.stage
        service.advance_case(session, case, to=to, reason=reason, outcome=outcome, actor=operator(), now=clock.now())
        audit(session, actor=operator(), action="case.stage", now=clock.now(), case_id=case.id, debtor_id=case.debtor_id,
              detail={"from": before, "to": case.stage})
        number, stage = case.number, case.stage
    if as_json:
        print_json({"case": number, "from": before, "to": stage, "outcome": outcome})
    else:
        console.print(_("Case {number}: {before} → {after}.", number=number, before=_(before), after=_(stage)))


@cases_app.command("hold")
@handle_errors
def cases_hold(
    case_ref: Annotated[str, typer.Argument(metavar="ID")],
    kind: Annotated[HoldKind, typer.Option(help="Kind of hold.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    until: Annotated[str | None, typer.Option(help="Last day of the hold (YYYY-MM-DD).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a hold on a case (dispute, moratorium, mediation, cease_contact, …)."""
    end = parse_date(until, "until") if until else None
    with transaction() as session:
        case = service.get_case(session, case_ref)
        hold = service.place_hold(session, case, kind=kind, until=end, reason=reason, actor=operator(), now=clock.now())
        audit(session, actor=operator(), action="case.hold", now=clock.now(), case_id=case.id, debtor_id=case.debtor_id,
              detail={"hold_id": hold.id, "kind": kind.value})
        view = HoldRead.of(hold)
        number = case.number
    if as_json:
        print_json(view)
    else:
        console.print(_("Case {number}: {kind} hold until {until} ({id}).", number=number, kind=_(kind.value),
                        until=end.isoformat() if end else "-", id=view.id))


@cases_app.command("lift")
@handle_errors
def cases_lift(
    case_ref: Annotated[str, typer.Argument(metavar="ID")],
    hold_id: str,
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
) -> None:
    """Lift a hold."""
    with transaction() as session:
        case = service.get_case(session, case_ref)
        service.lift_hold(session, case, hold_id, reason=reason, actor=operator(), now=clock.now())
        audit(session, actor=operator(), action="case.hold_lifted", now=clock.now(), case_id=case.id,
              debtor_id=case.debtor_id, detail={"hold_id": hold_id})
    console.print(_("Hold lifted."))


@cases_app.command("assign")
@handle_errors
def cases_assign(
    case_ref: Annotated[str, typer.Argument(metavar="ID")],
    to: Annotated[str, typer.Option("--to", help="The collector or mediator (user name or id).")],
    reason: Annotated[str | None, typer.Option(help="Why (kept in the history).")] = None,
) -> None:
    """Assign a case to a collector or mediator (reassignment is recorded and audited)."""
    with transaction() as session:
        case = service.get_case(session, case_ref)
        assign_case(session, case, to=to, reason=reason, actor=operator(), now=clock.now())
        number = case.number
    console.print(_("Case {number} assigned to {user}.", number=number, user=to))


@cases_app.command("assign-bulk")
@handle_errors
def cases_assign_bulk(
    to: Annotated[str, typer.Option("--to", help="The collector or mediator (user name or id).")],
    district: Annotated[str | None, typer.Option(help="Only debtors in this district, e.g. 浦东新区.")] = None,
    min_amount: Annotated[str | None, typer.Option(help="Placed amount at least (inclusive).")] = None,
    max_amount: Annotated[str | None, typer.Option(help="Placed amount at most (inclusive).")] = None,
    currency: Annotated[str | None, typer.Option(help="Only cases in this currency.")] = None,
    stage: Annotated[Stage | None, typer.Option(help="Only cases in this stage.")] = None,
    creditor: Annotated[str | None, typer.Option(help="Only this creditor's cases (name or id).")] = None,
    include_assigned: Annotated[bool, typer.Option("--include-assigned", help="Also reassign assigned cases.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many cases.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept in each case's history).")] = None,
) -> None:
    """Assign every open case matching a rule (district, amount tier, …) to one user."""
    with transaction() as session:
        rule = AssignmentRule(
            district=district, min_amount=parse_amount(min_amount, "min_amount"),
            max_amount=parse_amount(max_amount, "max_amount"), currency=currency, stage=stage,
            creditor_id=service.get_creditor(session, creditor).id if creditor else None,
            unassigned_only=not include_assigned, limit=limit,
        )
        count = assign_by_rule(session, to=to, rule=rule, reason=reason, actor=operator(), now=clock.now())
    console.print(_("{n} cases assigned to {user}.", n=count, user=to))


def summary(as_json: JsonOpt = False) -> None:
    """Cases by stage and outcome; amounts placed, recovered, outstanding."""
    with transaction() as session:
        data = service.portfolio_summary(session, now=clock.now())
    if as_json:
        print_json(data.to_dict())
    else:
        render_summary(data)


def render_summary(data: service.PortfolioSummary) -> None:
    stages = Table(_("Stage"), _("Cases"), title=_("Cases by stage"))
    for stage, count in data.by_stage.items():
        stages.add_row(_(stage), str(count))
    console.print(stages)
    if data.by_outcome:
        outcomes = Table(_("Outcome"), _("Cases"), title=_("Closed cases by outcome"))
        for outcome, count in sorted(data.by_outcome.items()):
            outcomes.add_row(_(outcome), str(count))
        console.print(outcomes)
    money = Table(_("Currency"), _("Cases"), _("Placed"), _("Recovered"), _("Outstanding"), _("Recovery rate"),
                  title=_("Amounts"))
    for t in data.totals:
        rate = (t.recovered / t.placed * 100) if t.placed else 0
        money.add_row(t.currency, str(t.cases), f"{t.placed:,.2f}", f"{t.recovered:,.2f}", f"{t.outstanding:,.2f}",
                      f"{rate:.1f}%")
    console.print(money)
    console.print(_("{debtors} debtors, {debts} debts; {overdue} open cases past their target date.",
                    debtors=data.debtors, debts=data.debts, overdue=data.overdue_targets))
