"""`qingzhai contracts|payments|promises|ledger …` and `qingzhai run-day`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, err_console, handle_errors, operator, parse_date, print_json, transaction
from qingzhai.core.errors import FileRefused, RuleViolation
from qingzhai.core.money import Money, parse_decimal
from qingzhai.db.session import session_factory
from qingzhai.execution import chain, imports, jobs, ledger, service
from qingzhai.execution.rules import ContractTerms
from qingzhai.execution.schemas import ContractRead, PaymentRead, PromiseRead
from qingzhai.i18n import _
from qingzhai.registry import service as registry

contracts_app = typer.Typer(help="Contracts (执行合约): schedules and terms in force.", no_args_is_help=True)
payments_app = typer.Typer(help="Payments: record, import bank statements and gateway callbacks, reverse.", no_args_is_help=True)
promises_app = typer.Typer(help="Promises to pay and the broken-promise queue.", no_args_is_help=True)
ledger_app = typer.Typer(help="The tamper-evident ledger: verify, proofs, public key.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _money(text: str, currency: str, field: str) -> Money:
    return Money(parse_decimal(text, field=field), currency.upper())


# --- contracts ---------------------------------------------------------------------------------


@contracts_app.command("create")
@handle_errors
def contracts_create(
    case: Annotated[str, typer.Argument(help="Case number or id.")],
    amount: Annotated[str, typer.Option(help="Total to pay, split evenly over the installments.")],
    installments: Annotated[int, typer.Option(min=1, max=360)] = 12,
    first_due: Annotated[str | None, typer.Option(help="First due date (default: 30 days from today).")] = None,
    every_days: Annotated[int, typer.Option(min=1, max=92, help="Days between due dates.")] = 30,
    source: Annotated[str, typer.Option(help="plan:<id>, mediation:<id> or manual.")] = "manual",
    terms: Annotated[str | None, typer.Option(help="Terms as JSON, e.g. '{\"grace_days\": 3}'.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a simple installment schedule in force for a case."""
    from qingzhai.core.money import split_evenly

    now = clock.now()
    parsed = ContractTerms.from_dict(_json_arg(terms, "terms")) if terms else None
    with transaction() as session:
        the_case = registry.get_case(session, case, actor=operator())
        start = parse_date(first_due, "first_due") if first_due else registry.local_today(now) + timedelta(days=30)
        parts = split_evenly(_money(amount, the_case.currency, "amount"), installments)
        schedule = [(start + timedelta(days=every_days * i), part) for i, part in enumerate(parts)]
        contract = service.create_contract(
            session, case=the_case, schedule=schedule, source=source, actor=operator(), now=now, terms=parsed
        )
        view = ContractRead.of(contract)
    if as_json:
        print_json(view)
    else:
        console.print(
            _(
                "Contract {id} in force: {n} installments, {total}.",
                id=view.id,
                n=len(view.schedule),
                total=str(Money(view.total, view.currency)),
            )
        )


@contracts_app.command("list")
@handle_errors
def contracts_list(
    status: Annotated[str | None, typer.Option(help="active, defaulted, completed, escalated.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List contracts with their state."""
    with transaction() as session:
        rows, total = service.list_contracts(session, status=status, offset=offset, limit=limit)
        views = [ContractRead.of(c) for c in rows]
    if as_json:
        print_json({"total": total, "items": views})
        return
    table = Table(
        _("Contract"),
        _("Case"),
        _("Status"),
        _("Total"),
        _("Paid"),
        _("Arrears"),
        _("Misses"),
        _("Next due"),
        title=_("{shown} of {total} contracts", shown=len(views), total=total),
    )
    for v in views:
        table.add_row(
            v.id,
            v.case_id,
            _(v.status),
            str(v.total),
            str(v.paid),
            str(v.arrears),
            str(v.misses_total),
            v.next_due.isoformat() if v.next_due else "-",
        )
    console.print(table)


@contracts_app.command("show")
@handle_errors
def contracts_show(contract_id: str, as_json: JsonOpt = False) -> None:
    """Show a contract, its schedule and its ledger history."""
    with transaction() as session:
        contract = service.get_contract(session, contract_id, actor=operator())
        view = ContractRead.of(contract)
        history = [json.loads(e.body) for e in ledger.entries_for(session, contract_id=contract.id)]
    if as_json:
        print_json({"contract": view, "ledger": history})
        return
    console.print(f"[bold]{view.id}[/bold] {_(view.status)} — {view.source}")
    table = Table(_("Due"), _("Amount"), title=_("Schedule"))
    for i in view.schedule:
        table.add_row(i.due.isoformat(), str(i.amount))
    console.print(table)
    events = Table("#", _("Day"), _("Event"), _("Detail"), title=_("Ledger"))
    for e in history:
        events.add_row(str(e["seq"]), e["day"], _(e["kind"]), json.dumps(e["data"], ensure_ascii=False)[:80])
    console.print(events)


# --- payments ----------------------------------------------------------------------------------


@payments_app.command("record")
@handle_errors
def payments_record(
    case: str,
    amount: str,
    key: Annotated[str, typer.Option("--key", help="Idempotency key: a repeat is ignored.")],
    value_date: Annotated[str | None, typer.Option(help="Value date (default today).")] = None,
    reference: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record one payment received for a case."""
    now = clock.now()
    with transaction() as session:
        the_case = registry.get_case(session, case, actor=operator())
        posting = service.record_payment(
            session,
            case=the_case,
            amount=_money(amount, the_case.currency, "amount"),
            idempotency_key=key,
            value_date=parse_date(value_date, "value_date") if value_date else registry.local_today(now),
            channel="manual",
            actor=operator(),
            now=now,
            reference=reference,
        )
        view = PaymentRead.of(
            posting.payment, duplicate=posting.duplicate, allocations=list(service.allocations_of(session, posting.payment))
        )
    if as_json:
        print_json(view)
    elif view.duplicate:
        console.print(_("Already recorded: payment {id} has this key; nothing changed.", id=view.id))
    else:
        console.print(
            _(
                "Payment {id}: {applied} applied, {credit} held as credit.",
                id=view.id,
                applied=str(view.applied),
                credit=str(view.credit),
            )
        )


@payments_app.command("import")
@handle_errors
def payments_import(
    file: Annotated[Path, typer.Argument(help="Bank statement CSV, or gateway callbacks (.jsonl).")],
    format: Annotated[str | None, typer.Option(help="bank or gateway (default: by file extension).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a payment file. Importing it again changes nothing."""
    if not file.is_file():
        raise FileRefused("does not exist", field="file")
    rows = list(imports.read_payment_file(file, format))
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(_("Posting payments"), total=len(rows))
        with transaction() as session:
            report = imports.import_payments(
                session, rows, actor=operator(), now=clock.now(), on_row=lambda n: progress.update(task, completed=n)
            )
    if as_json:
        print_json(report.to_dict())
        return
    table = Table(
        _("Rows read"),
        _("Posted"),
        _("Reversed"),
        _("Duplicates"),
        _("Ignored"),
        _("Rejected"),
        _("Amount posted"),
        _("Held as credit"),
    )
    table.add_row(
        str(report.read),
        str(report.posted),
        str(report.reversed),
        str(report.duplicates),
        str(report.ignored),
        str(report.rejected),
        ", ".join(f"{v} {k}" for k, v in report.amount_posted.items()) or "-",
        ", ".join(f"{v} {k}" for k, v in report.credit_held.items()) or "-",
    )
    console.print(table)
    for e in report.errors[:20]:
        err_console.print(_("line {line}: {field}: {reason}", line=e.line, field=e.field, reason=e.reason))


@payments_app.command("reverse")
@handle_errors
def payments_reverse(
    payment: Annotated[str, typer.Argument(help="Payment id or idempotency key.")],
    reason: Annotated[str, typer.Option(help="Why: bounced, charged back, ...")],
    on: Annotated[str | None, typer.Option(help="Date of the reversal (default today).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reverse a payment; its effect is undone from that date."""
    now = clock.now()
    with transaction() as session:
        found = service.get_payment(session, payment)
        registry.get_case(session, found.case_id, actor=operator())
        posting = service.reverse_payment(
            session,
            payment=found,
            reason=reason,
            actor=operator(),
            now=now,
            on=parse_date(on, "on") if on else registry.local_today(now),
        )
        view = PaymentRead.of(posting.payment, duplicate=posting.duplicate)
    if as_json:
        print_json(view)
    else:
        console.print(_("Payment {id} reversed.", id=view.id))


@payments_app.command("list")
@handle_errors
def payments_list(
    case: Annotated[str | None, typer.Option(help="Only this case.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List payments."""
    with transaction() as session:
        the_case = registry.get_case(session, case, actor=operator()) if case else None
        rows, total = service.list_payments(session, case=the_case, limit=limit)
        views = [PaymentRead.of(p) for p in rows]
    if as_json:
        print_json({"total": total, "items": views})
        return
    table = Table(
        _("Payment"),
        _("Case"),
        _("Value date"),
        _("Amount"),
        _("Applied"),
        _("Credit"),
        _("Status"),
        title=_("{shown} of {total} payments", shown=len(views), total=total),
    )
    for v in views:
        table.add_row(
            v.idempotency_key, v.case_id, v.value_date.isoformat(), str(v.amount), str(v.applied), str(v.credit), _(v.status)
        )
    console.print(table)


# --- promises ----------------------------------------------------------------------------------


@promises_app.command("record")
@handle_errors
def promises_record(
    case: str,
    amount: str,
    due: Annotated[str, typer.Option(help="Date promised (YYYY-MM-DD).")],
    channel: Annotated[str, typer.Option(help="call, sms, visit, message, ...")] = "call",
    taken_by: Annotated[str | None, typer.Option(help="Who took the promise (default: you).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a promise to pay."""
    now = clock.now()
    with transaction() as session:
        the_case = registry.get_case(session, case, actor=operator())
        promise = service.record_promise(
            session,
            case=the_case,
            amount=_money(amount, the_case.currency, "amount"),
            due=parse_date(due, "due"),
            channel=channel,
            taken_by=taken_by or operator().name,
            now=now,
        )
        view = PromiseRead.of(promise)
    if as_json:
        print_json(view)
    else:
        console.print(
            _("Promise {id} recorded: {amount} by {due}.", id=view.id, amount=str(view.amount), due=view.due.isoformat())
        )


@promises_app.command("list")
@handle_errors
def promises_list(
    status: Annotated[str | None, typer.Option(help="open, kept, partially_kept, broken.")] = None,
    queue: Annotated[bool, typer.Option("--queue", help="Only the broken-promise queue.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List promises, or the broken-promise queue."""
    with transaction() as session:
        rows, total = service.list_promises(session, status=status, queued=True if queue else None, limit=limit)
        views = [PromiseRead.of(p) for p in rows]
    if as_json:
        print_json({"total": total, "items": views})
        return
    table = Table(
        _("Promise"),
        _("Case"),
        _("Amount"),
        _("Due"),
        _("Status"),
        _("Paid"),
        _("Taken by"),
        title=_("{shown} of {total} promises", shown=len(views), total=total),
    )
    for v in views:
        table.add_row(v.id, v.case_id, str(v.amount), v.due.isoformat(), _(v.status), str(v.paid), v.taken_by)
    console.print(table)


@promises_app.command("worked")
@handle_errors
def promises_worked(promise_id: str) -> None:
    """Take a broken promise off the queue once a collector has followed it up."""
    with transaction() as session:
        service.take_from_queue(session, promise_id=promise_id, actor=operator(), now=clock.now())
    console.print(_("Promise {id} taken off the broken-promise queue.", id=promise_id))


# --- ledger ------------------------------------------------------------------------------------


@ledger_app.command("verify")
@handle_errors
def ledger_verify(as_json: JsonOpt = False) -> None:
    """Recompute every hash, link, Merkle root and seal signature; exit 1 naming the first broken entry."""
    with (
        transaction() as session,
        Progress(
            TextColumn("[progress.description]{task.description}"),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as progress,
    ):
        task = progress.add_task(_("Verifying"), total=None)
        report = ledger.verify(session, on_progress=lambda n: progress.update(task, completed=n))
    if as_json:
        print_json(report.to_dict())
    elif report.ok:
        console.print(
            _(
                "Ledger intact: {entries} entries, {seals} sealed days, {unsealed} not sealed yet.",
                entries=report.entries,
                seals=report.seals,
                unsealed=report.unsealed,
            )
        )
    else:
        err_console.print(_("Ledger broken at entry {seq}: {reason}", seq=report.broken_seq, reason=report.reason))
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("proof")
@handle_errors
def ledger_proof(
    entry_id: Annotated[str, typer.Argument(help="Entry id or sequence number.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the proof to this file.")] = None,
) -> None:
    """Print an inclusion proof for one entry (checkable without access to qingzhai)."""
    with transaction() as session:
        data = ledger.proof(session, entry_id)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(_("Proof written to {path}.", path=str(output)))
    else:
        typer.echo(text)


@ledger_app.command("check-proof")
@handle_errors
def ledger_check_proof(
    file: Annotated[Path, typer.Argument(help="A proof printed by `qingzhai ledger proof`.")],
    public_key: Annotated[str, typer.Option(help="The platform's Ed25519 public key (64 hex digits).")],
) -> None:
    """Check an inclusion proof against the platform's public key. Needs no database."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileRefused(
            "is not a readable JSON proof ({kind})", field="file", params={"kind": exc.__class__.__name__}
        ) from None
    result = chain.check_proof(data, public_key.strip())
    if result.ok:
        console.print(_("Proof valid: {reason}.", reason=_(result.reason)))
        return
    err_console.print(_("Proof invalid: {reason}.", reason=_(result.reason)))
    raise typer.Exit(1)


@ledger_app.command("public-key")
@handle_errors
def ledger_public_key() -> None:
    """Print the platform's Ed25519 public key (give it to anyone who checks proofs)."""
    with transaction() as session:
        key = ledger.public_key(session, now=clock.now())
    typer.echo(key)


# --- run-day -----------------------------------------------------------------------------------


@handle_errors
def run_day(
    day: Annotated[str | None, typer.Option("--date", help="The day to run (default: today).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Catch up from this day ...")] = None,
    end: Annotated[str | None, typer.Option("--to", help="... to this day (inclusive).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The nightly job: evaluate contracts and promises, send reminders, record misses, defaults and
    cures, escalate, close paid cases and seal the day on the ledger. Safe to run twice."""
    now = clock.now()
    if day and (start or end):
        raise RuleViolation("give either --date or --from/--to", field="date")
    if start or end:
        first = parse_date(start or end or "", "from")
        last = parse_date(end or start or "", "to")
    else:
        first = last = parse_date(day, "date") if day else registry.local_today(now)
    if last < first:
        raise RuleViolation("the end date is before the start date", field="to")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    reports = []
    factory = session_factory()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        for d in days:
            task = progress.add_task(_("Run-day {day}", day=d.isoformat()), total=None)
            with factory() as session:
                report = jobs.run_day(
                    session, day=d, now=now, on_progress=lambda n, t, task=task: progress.update(task, completed=n, total=t)
                )
                session.commit()
            progress.remove_task(task)
            reports.append(report)
    if as_json:
        print_json([r.to_dict() for r in reports])
        return
    table = Table(
        _("Day"),
        _("Contracts"),
        _("Events"),
        _("Misses"),
        _("Defaults"),
        _("Cures"),
        _("Closed"),
        _("Escalated"),
        _("Reminders sent"),
        _("Reminders deferred"),
        _("Promises broken"),
        title=_("Run-day"),
    )
    for r in reports:
        table.add_row(
            r.day.isoformat(),
            str(r.contracts),
            str(r.events),
            str(r.by_kind.get("missed", 0)),
            str(r.by_kind.get("defaulted", 0)),
            str(r.by_kind.get("cured", 0)),
            str(r.cases_closed),
            str(r.cases_escalated),
            str(r.reminders_sent),
            str(r.reminders_deferred),
            str(r.promises_broken + r.promises_partial),
        )
    console.print(table)


def _json_arg(text: str | None, field: str) -> dict[str, object]:
    try:
        value = json.loads(text or "")
    except json.JSONDecodeError as exc:
        raise RuleViolation("not valid JSON ({msg})", field=field, params={"msg": exc.msg}) from None
    if not isinstance(value, dict):
        raise RuleViolation("must be a JSON object", field=field)
    return value


app = typer.Typer(help="Execution: contracts, payments, promises, ledger and the nightly run.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")
app.add_typer(payments_app, name="payments")
app.add_typer(promises_app, name="promises")
app.add_typer(ledger_app, name="ledger")
app.command("run-day")(run_day)
