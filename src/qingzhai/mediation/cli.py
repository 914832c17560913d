"""`qingzhai mediation …`: refer, sessions, confidential positions and bids, proposals, the
agreement and its documents, judicial confirmation, metrics.

`--as` says whose eyes the command uses: `staff` (the default: the process, never a secret
number), `mediator` (the assigned mediator: both positions), `creditor` or `debtor` (that party:
its own position only).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, operator, parse_date, parse_datetime, print_json, transaction
from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money, parse_decimal
from qingzhai.i18n import _
from qingzhai.mediation import documents, service, vault, views
from qingzhai.mediation.models import Mediation
from qingzhai.mediation.rules import MetricRow, Status
from qingzhai.registry import service as registry

app = typer.Typer(help="Back-to-back mediation (背靠背调解): positions, settlement, agreement.", no_args_is_help=True)


class As(StrEnum):
    staff = "staff"
    mediator = "mediator"
    creditor = "creditor"
    debtor = "debtor"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOpt = Annotated[As, typer.Option("--as", help="Act as staff, the mediator, the creditor or the debtor.")]


def acting(session: Any, mediation: Mediation, who: As) -> tuple[Actor, str | None]:
    """The actor (and debtor party token) for `--as`, from the operator at the terminal."""
    me = operator()
    if who is As.mediator:
        return Actor(id=mediation.mediator_id, name=me.name, role=Role.mediator, source="cli"), None
    if who is As.creditor:
        case = service.case_of(session, mediation)
        return Actor(id=me.id, name=me.name, role=Role.creditor, creditor_id=case.creditor_id, source="cli"), None
    if who is As.debtor:
        return me, vault.debtor_token(mediation)
    return me, None


def _load(session: Any, ref: str, who: As) -> tuple[Mediation, Actor, str | None]:
    mediation = service.get_mediation(session, ref, actor=operator())
    actor, token = acting(session, mediation, who)
    return mediation, actor, token


def _payments(items: list[str], currency: str) -> list[tuple[date, Money]]:
    """`2026-12-01=5000.00` items; a bare amount is due today (a lump sum now)."""
    out: list[tuple[date, Money]] = []
    for item in items:
        day_text, sep, amount_text = item.partition("=")
        if not sep:
            day_text, amount_text = registry.local_today(clock.now()).isoformat(), item
        out.append((parse_date(day_text.strip(), "payments"),
                    Money(parse_decimal(amount_text, field="payments"), currency)))
    if not out:
        raise RuleViolation("give at least one payment", field="payments")
    return out


@app.command("refer")
@handle_errors
def refer(
    case_ref: Annotated[str, typer.Argument(help="Case number or id.")],
    reason: Annotated[str, typer.Option(help="Why the case goes to mediation.")],
    kind: Annotated[str, typer.Option(help="court, institutional, community, or default (district custom).")] = "default",
    mediator: Annotated[str | None, typer.Option(help="Assign this mediator (else the least busy).")] = None,
    mode: Annotated[str, typer.Option(help="positions or blind_bid.")] = "positions",
    as_json: JsonOpt = False,
) -> None:
    """Refer a case to mediation (places a mediation hold)."""
    with transaction() as session:
        case = registry.get_case(session, case_ref)
        mediation = service.refer(session, case=case, kind=kind, actor=operator(), now=clock.now(),
                                  mediator_id=mediator, reason=reason, mode=mode)
        view = {"id": mediation.id, "kind": mediation.kind, "mode": mediation.mode, "mediator_id": mediation.mediator_id,
                "institution": mediation.institution, "deadline": mediation.deadline,
                "debtor_party_token": vault.debtor_token(mediation)}
    if as_json:
        print_json(view)
        return
    console.print(_("Case {case} referred to mediation {id} ({kind}, {institution}); mediator {mediator}, deadline {deadline}.",
                    case=case_ref, id=view["id"], kind=view["kind"], institution=view["institution"],
                    mediator=view["mediator_id"], deadline=view["deadline"]))
    console.print(_("Debtor party token (give it to the debtor only): {token}", token=view["debtor_party_token"]))


@app.command("accept")
@handle_errors
def accept(ref: str, who: AsOpt = As.mediator) -> None:
    """Record that both parties accepted mediation."""
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, who)
        service.accept(session, mediation, actor=actor, now=clock.now())
    console.print(_("Mediation {id} is active.", id=ref))


@app.command("session")
@handle_errors
def record_session(
    ref: str,
    kind: Annotated[str, typer.Option(help="joint or caucus.")] = "caucus",
    party: Annotated[str | None, typer.Option(help="Caucus with: creditor or debtor.")] = None,
    attendee: Annotated[list[str] | None, typer.Option(help="Who attended (repeat).")] = None,
    notes: Annotated[str, typer.Option(help="The mediator's notes.")] = "",
    said: Annotated[list[str] | None, typer.Option(help="party=what they said (repeat).")] = None,
) -> None:
    """Record a joint session or a caucus (as the mediator)."""
    statements = {}
    for item in said or []:
        who_said, sep, text = item.partition("=")
        if not sep:
            raise RuleViolation("write party=text", field="said")
        statements[who_said.strip()] = text.strip()
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, As.mediator)
        row = service.record_session(session, mediation, actor=actor, now=clock.now(), kind=kind, party=party,
                                     attendees=attendee or [], notes=notes, statements=statements)
        row_id = row.id
    console.print(_("Session {id} recorded.", id=row_id))


@app.command("position")
@handle_errors
def position(
    ref: str,
    payment: Annotated[list[str] | None, typer.Option("--payment", help="YYYY-MM-DD=amount, or an amount (repeat).")] = None,
    party: Annotated[str | None, typer.Option(help="Whose position (the mediator entering it in caucus).")] = None,
    who: AsOpt = As.mediator,
    as_json: JsonOpt = False,
) -> None:
    """Submit a confidential position, or (without --payment) read one you may read."""
    with transaction() as session:
        mediation, actor, token = _load(session, ref, who)
        if payment:
            result = service.submit_position(session, mediation, actor=actor, now=clock.now(), party=party,
                                             party_token=token, payments=_payments(payment, mediation.currency))
            view: dict[str, Any] = {"stored": True, "party": result.party.value, "round": mediation.round}
        else:
            found = service.read_position(session, mediation, actor=actor, party=party, party_token=token, now=clock.now())
            view = {"submitted": found is not None, **(found.to_dict() if found else {})}
    if as_json:
        print_json(view)
    elif payment:
        console.print(_("Position of the {party} stored in its vault (round {round}).", party=view["party"],
                        round=view["round"]))
    elif not view["submitted"]:
        console.print(_("No position yet."))
    else:
        table = Table(_("Due"), _("Amount"), title=_("Confidential position of the {party}", party=view["party"]))
        for day, amount in view["payments"]:
            table.add_row(day, f"{Decimal(amount):,.2f} {view['currency']}")
        console.print(table)


@app.command("bid")
@handle_errors
def bid(
    ref: str,
    amount: Annotated[str, typer.Argument(help="Your secret bid (demand or offer).")],
    party: Annotated[str | None, typer.Option(help="Whose bid (the mediator entering it).")] = None,
    who: AsOpt = As.mediator,
    as_json: JsonOpt = False,
) -> None:
    """Submit a blind bid for the current round."""
    with transaction() as session:
        mediation, actor, token = _load(session, ref, who)
        seen = service.submit_bid(session, mediation, actor=actor, now=clock.now(), party=party, party_token=token,
                                  amount=Money(parse_decimal(amount, field="amount"), mediation.currency))
        view = {"waiting_for_other_party": seen is None, "result": seen.to_dict() if seen else None}
    if as_json:
        print_json(view)
    elif seen is None:
        console.print(_("Bid sealed; waiting for the other party."))
    else:
        _print_outcome(view["result"])


def _print_outcome(result: dict[str, Any]) -> None:
    if result["zone_exists"]:
        terms = result["terms"]
        console.print(_("Settlement proposed: {total} {currency} ({form}).", total=terms["total"],
                        currency=terms["currency"], form=terms["form"]))
    else:
        console.print(_("No zone of agreement in this round."))
    if result.get("shortfall"):
        console.print(_("Mediator only: the positions miss by {amount}.", amount=result["shortfall"]))


@app.command("propose")
@handle_errors
def propose(ref: str, as_json: JsonOpt = False) -> None:
    """Run the settlement engine on this round's positions (the mediator)."""
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, As.mediator)
        proposal, seen = service.propose(session, mediation, actor=actor, now=clock.now())
        view = {"id": proposal.id, "round": proposal.round, **seen.to_dict()}
        options = []
        if seen.terms is not None:
            from qingzhai.mediation.rules import timing_options

            options = [o.to_dict() for o in timing_options(seen.terms.present_value,
                                                            as_of=registry.local_today(clock.now()),
                                                            settings=service.default_settings())]
        view["timing_options"] = options
    if as_json:
        print_json(view)
        return
    _print_outcome(view)
    if options:
        table = Table(_("Option"), _("Payments"), _("Nominal total"), _("Present value"), title=_("Same value, different timing"))
        for o in options:
            table.add_row(o["label"], str(o["payments"]), o["nominal"], o["present_value"])
        console.print(table)


@app.command("round")
@handle_errors
def next_round(ref: str) -> None:
    """Open the next round after one without agreement (the mediator; at most max_rounds)."""
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, As.mediator)
        service.next_round(session, mediation, actor=actor, now=clock.now())
        number = mediation.round
    console.print(_("Round {round} is open; the parties may revise their positions.", round=number))


@app.command("respond")
@handle_errors
def respond(ref: str, accept: Annotated[bool, typer.Option("--accept/--reject")], who: AsOpt = As.debtor,
            party: Annotated[str | None, typer.Option()] = None) -> None:
    """A party accepts or rejects the current proposal."""
    with transaction() as session:
        mediation, actor, token = _load(session, ref, who)
        service.respond(session, mediation, actor=actor, now=clock.now(), accept=accept, party=party, party_token=token)
    console.print(_("Answer recorded."))


@app.command("agree")
@handle_errors
def agree(
    ref: str,
    payment: Annotated[list[str] | None, typer.Option("--payment", help="Agreed schedule: YYYY-MM-DD=amount (repeat).")] = None,
    proposal: Annotated[str | None, typer.Option(help="The accepted proposal (default: the latest).")] = None,
    partial: Annotated[bool, typer.Option(help="The agreement settles only part of the dispute.")] = False,
    html: Annotated[Path | None, typer.Option(help="Write the agreement (HTML) here.")] = None,
    pdf: Annotated[Path | None, typer.Option(help="Write the agreement (PDF) here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign the mediation agreement; it becomes a contract in execution."""
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, As.mediator)
        schedule = _payments(payment, mediation.currency) if payment else None
        service.agree(session, mediation, actor=actor, now=clock.now(), proposal_id=proposal, schedule=schedule,
                      partial=partial)
        doc = documents.agreement(session, mediation, actor=actor, now=clock.now())
        view = {"id": mediation.id, "status": mediation.status, "total": mediation.agreed_amount,
                "contract_id": mediation.contract_id, "confirmation_deadline": mediation.confirmation_deadline,
                "court": mediation.court}
    if html:
        html.write_text(documents.to_html(doc), encoding="utf-8")
    if pdf:
        pdf.write_bytes(documents.to_pdf(doc))
    if as_json:
        print_json(view)
        return
    console.print(_("Agreement signed: {total} {currency}; apply to {court} for judicial confirmation by {deadline}.",
                    total=view["total"], currency=mediation.currency, court=view["court"],
                    deadline=view["confirmation_deadline"]))


@app.command("document")
@handle_errors
def document(
    ref: str,
    out: Annotated[Path, typer.Argument(help="File to write (.html or .pdf).")],
    kind: Annotated[str, typer.Option(help="agreement or confirmation.")] = "agreement",
    who: AsOpt = As.staff,
) -> None:
    """Write the agreement or the judicial-confirmation application."""
    with transaction() as session:
        mediation, actor, token = _load(session, ref, who)
        build = documents.agreement if kind == "agreement" else documents.confirmation_application
        if kind not in ("agreement", "confirmation"):
            raise RuleViolation("must be agreement or confirmation", field="kind")
        doc = build(session, mediation, actor=actor, party_token=token, now=clock.now())
    if out.suffix.lower() == ".pdf":
        out.write_bytes(documents.to_pdf(doc))
    else:
        out.write_text(documents.to_html(doc), encoding="utf-8")
    console.print(_("Written: {path}", path=out))


@app.command("conclude")
@handle_errors
def conclude(ref: str, outcome: Annotated[str, typer.Option(help="failed or withdrawn.")],
             reason: Annotated[str, typer.Option()], who: AsOpt = As.mediator) -> None:
    """End a mediation without agreement (lifts the hold)."""
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, who)
        service.conclude(session, mediation, outcome=outcome, reason=reason, actor=actor, now=clock.now())
    console.print(_("Mediation {id} {outcome}.", id=ref, outcome=outcome))


@app.command("confirm")
@handle_errors
def confirm(
    ref: str,
    court: Annotated[str | None, typer.Option(help="Court applied to (default: the district's).")] = None,
    decided: Annotated[str | None, typer.Option(help="Record the court's decision: confirmed or rejected.")] = None,
    who: AsOpt = As.mediator,
) -> None:
    """File the judicial-confirmation application (within 30 days), or record the decision."""
    with transaction() as session:
        mediation, actor, _token = _load(session, ref, who)
        if decided:
            if decided not in ("confirmed", "rejected"):
                raise RuleViolation("must be confirmed or rejected", field="decided")
            service.record_confirmation(session, mediation, confirmed=decided == "confirmed", actor=actor, now=clock.now())
        else:
            service.apply_for_confirmation(session, mediation, actor=actor, now=clock.now(), court=court)
        state = mediation.confirmation
    console.print(_("Judicial confirmation: {state}.", state=state))


@app.command("list")
@handle_errors
def list_mediations(status: Annotated[Status | None, typer.Option()] = None,
                    limit: Annotated[int, typer.Option(min=1, max=100000)] = 50, as_json: JsonOpt = False) -> None:
    """List mediations."""
    with transaction() as session:
        rows, total = service.list_mediations(session, actor=operator(), status=status, limit=limit)
        items = [{"id": m.id, "case_id": m.case_id, "kind": m.kind, "mode": m.mode, "status": m.status,
                  "mediator_id": m.mediator_id, "institution": m.institution, "deadline": m.deadline} for m in rows]
    if as_json:
        print_json({"total": total, "items": items})
        return
    table = Table(title=_("{shown} of {total} mediations", shown=len(items), total=total))
    for header in ("ID", _("Kind"), _("Mode"), _("Status"), _("Mediator"), _("Institution"), _("Deadline")):
        table.add_column(header, overflow="fold")
    for i in items:
        table.add_row(i["id"], i["kind"], i["mode"], i["status"], i["mediator_id"], i["institution"], str(i["deadline"]))
    console.print(table)


@app.command("show")
@handle_errors
def show(ref: str, who: AsOpt = As.staff, as_json: JsonOpt = False) -> None:
    """Show a mediation as the chosen viewer may see it."""
    with transaction() as session:
        mediation, actor, token = _load(session, ref, who)
        view = views.describe(session, mediation, actor=actor, party_token=token, now=clock.now())
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{view['id']}[/bold] QZ-{view['case_number']} · {view['kind']} · {view['mode']} · "
                  f"{view['status']} · {view['institution']} · {_('mediator')} {view['mediator_id']}")
    console.print(_("Deadline {deadline}; round {round} of {max}.", deadline=view["deadline"], round=view["round"],
                    max=view["max_rounds"]))
    for party, pos in view["positions"].items():
        if pos is None:
            continue
        if not pos.get("submitted"):
            console.print(_("{party}: no position yet", party=_(party)))
        else:
            total = sum(Decimal(a) for _d, a in pos["payments"])
            console.print(_("{party}: confidential position {total} {currency} in {n} payment(s)", party=_(party),
                            total=f"{total:,.2f}", currency=pos["currency"], n=len(pos["payments"])))
    table = Table(_("Round"), _("Mode"), _("Zone"), _("Proposal"), _("Creditor"), _("Debtor"), title=_("Proposals"))
    for p in view["proposals"]:
        table.add_row(str(p["round"]), p["mode"], "✓" if p["zone_exists"] else "✗",
                      p["terms"]["total"] if p["terms"] else "—", p["creditor_response"] or "—", p["debtor_response"] or "—")
    console.print(table)
    if view["agreement"]:
        a = view["agreement"]
        console.print(_("Agreement {total} ({n} payment(s)); confirmation {state}, deadline {deadline}.", total=a["total"],
                        n=len(a["schedule"] or []), state=a["confirmation"], deadline=a["confirmation_deadline"]))


@app.command("metrics")
@handle_errors
def metrics(since: Annotated[str | None, typer.Option(help="Only mediations referred from this time (ISO 8601).")] = None,
            as_json: JsonOpt = False) -> None:
    """Settlement, time-to-agreement and confirmation rates (numerator/denominator)."""
    with transaction() as session:
        rows = views.metrics(session, since=parse_datetime(since, "since") if since else None)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    render_metrics(rows)


def _ratio(tally: Any) -> str:
    rate = f"{tally.rate:.0%}" if tally.rate is not None else "—"
    return f"{tally.numerator}/{tally.denominator} ({rate})"


def render_metrics(rows: list[MetricRow], *, to: Console | None = None) -> None:
    table = Table(title=_("Mediation metrics"))
    for header in (_("By"), _("Group"), _("Referred"), _("Settled / accepted"), _("Settled / concluded"),
                   _("Median days"), _("Mean days"), _("Confirmed / agreed")):
        table.add_column(header, overflow="fold")
    for r in rows:
        key = _(r.key) if r.group == "all" else r.key
        table.add_row(_(r.group), key, str(r.referred), _ratio(r.settled_of_accepted), _ratio(r.settled_of_concluded),
                      "—" if r.median_days is None else f"{r.median_days:.1f}",
                      "—" if r.mean_days is None else f"{r.mean_days:.1f}", _ratio(r.confirmed_of_agreed))
    (to or console).print(table)
