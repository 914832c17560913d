"""`qingzhai users …`, `qingzhai audit …`, `qingzhai keys …`, `qingzhai privacy …`.

The CLI is the operator's tool, run where the database is: it acts as `operator()` (admin) and
every read of personal data and every change it makes is audited like an API request.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, operator, parse_datetime, print_json, transaction
from qingzhai.core.errors import RuleViolation
from qingzhai.core.masking import mask_name
from qingzhai.i18n import _
from qingzhai.security import auth, keys, privacy, service
from qingzhai.security.keyring import read_key_file
from qingzhai.security.schemas import ApiKeyRead, AuditEntryRead, LegalBasisRead, UserRead

users_app = typer.Typer(help="Users, roles and API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
keys_app = typer.Typer(help="Master and data keys of the encryption at rest.", no_args_is_help=True)
privacy_app = typer.Typer(help="PIPL legal bases and data-subject requests.", no_args_is_help=True)
basis_app = typer.Typer(help="Legal bases (consent, contract, …) per debtor and data category.", no_args_is_help=True)
privacy_app.add_typer(basis_app, name="basis")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True))


# --- users ------------------------------------------------------------------------------------


@users_app.command("add")
@handle_errors
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="admin, manager, compliance_officer, collector, mediator or creditor.")],
    creditor: Annotated[str | None, typer.Option(help="The creditor (name or id) of a creditor user.")] = None,
    no_password: Annotated[bool, typer.Option("--no-password", help="An API client that logs in only by key.")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a user (asks for the password unless --no-password)."""
    password = None if no_password else _read_password(password_stdin)
    with transaction() as session:
        user = auth.create_user(session, name=name, role=role, password=password, creditor=creditor,
                                actor=operator(), now=clock.now())
        view = UserRead.of(user)
    if as_json:
        print_json(view)
    else:
        console.print(_("User {name} added as {role} ({id}).", name=view.name, role=_(view.role), id=view.id))


@users_app.command("list")
@handle_errors
def users_list(as_json: JsonOpt = False) -> None:
    """List users."""
    with transaction() as session:
        views = [UserRead.of(u) for u in auth.list_users(session)]
        service.audit(session, actor=operator(), action="user.list", now=clock.now())
    if as_json:
        print_json(views)
        return
    table = Table(_("User"), _("Role"), "ID", _("Creditor"), _("Active"))
    for v in views:
        table.add_row(v.name, _(v.role), v.id, v.creditor_id or "", _("yes") if v.active else _("no"))
    console.print(table)


@users_app.command("set-role")
@handle_errors
def users_set_role(user: str, role: str) -> None:
    """Change a user's role."""
    with transaction() as session:
        auth.set_role(session, auth.get_user(session, user), role, actor=operator(), now=clock.now())
    console.print(_("Role changed."))


@users_app.command("set-password")
@handle_errors
def users_set_password(
    user: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set a user's password."""
    password = _read_password(password_stdin)
    with transaction() as session:
        auth.set_password(session, auth.get_user(session, user), password, actor=operator(), now=clock.now())
    console.print(_("Password changed."))


@users_app.command("disable")
@handle_errors
def users_disable(user: str) -> None:
    """Disable a user and revoke their API keys; tokens stop working at once."""
    with transaction() as session:
        auth.disable_user(session, auth.get_user(session, user), actor=operator(), now=clock.now())
    console.print(_("User disabled; API keys revoked."))


@users_app.command("key-add")
@handle_errors
def users_key_add(
    user: str,
    label: Annotated[str, typer.Option(help="What the key is for, e.g. 'core banking'.")],
    as_json: JsonOpt = False,
) -> None:
    """Issue an API key for a user (printed once; store it in the client system now)."""
    with transaction() as session:
        issued = auth.create_api_key(session, user=auth.get_user(session, user), label=label, actor=operator(),
                                     now=clock.now())
        view = ApiKeyRead.of(issued.key)
    if as_json:
        print_json({**view.model_dump(mode="json"), "key": issued.secret})
    else:
        console.print(_("API key {prefix} issued. It is shown only this once:", prefix=view.prefix))
        console.print(issued.secret, highlight=False, markup=False)


@users_app.command("key-revoke")
@handle_errors
def users_key_revoke(key: Annotated[str, typer.Argument(help="The key's id or prefix.")]) -> None:
    """Revoke an API key."""
    with transaction() as session:
        auth.revoke_api_key(session, key, actor=operator(), now=clock.now())
    console.print(_("API key revoked."))


@users_app.command("keys")
@handle_errors
def users_keys(user: Annotated[str | None, typer.Argument()] = None, as_json: JsonOpt = False) -> None:
    """List API keys (never the secrets)."""
    with transaction() as session:
        user_id = auth.get_user(session, user).id if user else None
        views = [ApiKeyRead.of(k) for k in auth.list_api_keys(session, user_id=user_id)]
    if as_json:
        print_json(views)
        return
    table = Table(_("Prefix"), _("Label"), _("User"), _("Created"), _("Revoked"))
    for v in views:
        table.add_row(v.prefix, v.label, v.user_id, v.created_at.isoformat(timespec="seconds"),
                      v.revoked_at.isoformat(timespec="seconds") if v.revoked_at else "")
    console.print(table)


# --- audit ------------------------------------------------------------------------------------


@audit_app.command("verify")
@handle_errors
def audit_verify(as_json: JsonOpt = False) -> None:
    """Recompute the hash chain; names the first broken entry (exit code 6 when broken)."""
    with transaction() as session:
        report = service.verify_audit(session)
    broken = report.broken
    if as_json:
        print_json({"entries": report.entries, "intact": broken is None,
                    "first_broken": broken.seq if broken else None, "reason": broken.reason if broken else None})
    elif broken is None:
        console.print(_("Audit chain intact: {n} entries.", n=report.entries))
    else:
        console.print(_("[red]Audit chain broken at entry {seq}[/red]: {reason}.", seq=broken.seq, reason=broken.reason))
    if broken is not None:
        raise typer.Exit(6)


@audit_app.command("show")
@handle_errors
def audit_show(
    case: Annotated[str | None, typer.Option("--case", help="Case number or id.")] = None,
    debtor: Annotated[str | None, typer.Option("--debtor", help="Debtor id.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="User id.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. case.assigned.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Who touched a case (or a debtor): every read and change, oldest first."""
    from qingzhai.registry.service import get_case

    with transaction() as session:
        case_id = get_case(session, case).id if case else None
        rows, total = service.audit_entries(session, case_id=case_id, debtor_id=debtor, actor_id=actor,
                                            action=action, limit=limit)
        views = [AuditEntryRead.of(e) for e in rows]
        service.audit(session, actor=operator(), action="audit.read", now=clock.now(), case_id=case_id,
                      debtor_id=debtor, detail={"entries": len(views)})
    if as_json:
        print_json({"total": total, "items": views})
        return
    table = Table("#", _("When"), _("Who"), _("Role"), _("Action"), _("From"), _("Detail"),
                  title=_("{shown} of {total} audit entries", shown=len(views), total=total))
    for v in views:
        detail = {k: val for k, val in v.detail.items() if k not in ("params",)}
        table.add_row(str(v.seq), v.at.isoformat(timespec="seconds"), v.actor_name, _(v.actor_role), v.action,
                      v.source or "", json.dumps(detail, ensure_ascii=False)[:80])
    console.print(table)


# --- keys -------------------------------------------------------------------------------------


@keys_app.command("generate")
@handle_errors
def keys_generate(
    out: Annotated[Path, typer.Option(help="Write the new master key to this file (mode 600).")],
) -> None:
    """Make a new random master key in a file (for QINGZHAI_MASTER_KEY_FILE or `keys rotate`)."""
    if out.exists():
        raise RuleViolation("the file exists; choose a new path", field="out")
    out.write_text(keys.generate_master_key() + "\n", encoding="ascii")
    out.chmod(0o600)
    console.print(_("Master key written to {path}.", path=str(out)))


@keys_app.command("status")
@handle_errors
def keys_status(as_json: JsonOpt = False) -> None:
    """Show the configured master key's fingerprint and every data key with its wraps."""
    with transaction() as session:
        report = keys.status(session)
    if as_json:
        print_json({"configured_master": report.configured_master, "data_keys": report.data_keys})
        return
    console.print(_("Configured master key: {fp}", fp=report.configured_master))
    table = Table(_("Data key"), _("Active"), _("Created"), _("Wrapped under"))
    for k in report.data_keys:
        created = k["created_at"]
        table.add_row(str(k["id"]), _("yes") if k["active"] else _("no"),
                      created.isoformat(timespec="seconds") if isinstance(created, datetime) else str(created),
                      ", ".join(map(str, k["wrapped_under"])))  # type: ignore[call-overload]
    console.print(table)


@keys_app.command("rotate")
@handle_errors
def keys_rotate(
    new_key_file: Annotated[Path, typer.Option(help="File with the new master key (see `keys generate`).")],
    new_data_key: Annotated[bool, typer.Option(help="Also start a fresh data key for new writes.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Re-wrap every data key under a new master key. No row is re-encrypted; nothing stops.

    Then set QINGZHAI_MASTER_KEY_FILE to the new file and restart the servers one by one; when
    all run with it, `qingzhai keys retire OLD_FINGERPRINT`.
    """
    new_master = read_key_file(new_key_file)
    with transaction() as session, Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                            console=console, transient=True) as progress:
        task = progress.add_task(_("Re-wrapping data keys"), total=None)
        report = keys.rotate(session, new_master=new_master, new_data_key=new_data_key, actor=operator(),
                             now=clock.now(), on_progress=lambda n: progress.update(task, completed=n))
    if as_json:
        print_json(report.__dict__)
    else:
        console.print(_("{n} data keys re-wrapped from master {old} to {new}.", n=report.rewrapped,
                        old=report.old_master, new=report.new_master))
        console.print(_("Now configure the new master key, restart, then run `qingzhai keys retire {old}`.",
                        old=report.old_master))


@keys_app.command("retire")
@handle_errors
def keys_retire(master: Annotated[str, typer.Argument(help="Fingerprint of the old master key.")]) -> None:
    """Remove the wraps under an old master key (refused if a data key would become unreadable)."""
    with transaction() as session:
        count = keys.retire_master(session, master_id=master, actor=operator(), now=clock.now())
    console.print(_("{n} wraps under {fp} removed.", n=count, fp=master))


# --- privacy ----------------------------------------------------------------------------------


@privacy_app.command("export")
@handle_errors
def privacy_export(
    debtor: Annotated[str, typer.Argument(metavar="DEBTOR", help="Debtor id.")],
    out: Annotated[Path | None, typer.Option(help="Write the JSON here instead of to stdout.")] = None,
) -> None:
    """Export everything held about a debtor (data-subject access request). Unmasked: handle with care."""
    with transaction() as session:
        data = privacy.export_debtor(session, debtor, actor=operator(), now=clock.now())
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text, encoding="utf-8")
        out.chmod(0o600)
        console.print(_("Export of {n} tables written to {path}.", n=len(data["tables"]), path=str(out)))


@privacy_app.command("erase")
@handle_errors
def privacy_erase(
    debtor: Annotated[str, typer.Argument(metavar="DEBTOR", help="Debtor id.")],
    reason: Annotated[str, typer.Option(help="The request: date, channel, reference.")],
    as_json: JsonOpt = False,
) -> None:
    """Erase a debtor's data that the law does not require to keep; an audit entry remains."""
    with transaction() as session:
        report = privacy.erase_debtor(session, debtor, actor=operator(), now=clock.now(), reason=reason)
    if as_json:
        print_json(report.to_dict())
        return
    console.print(_("Erased: {what}.", what=", ".join(report.erased) or "-"))
    console.print(_("Kept: {what}.", what="; ".join(report.kept)))
    console.print(_("Legal bases withdrawn: {n}.", n=report.bases_withdrawn))


@basis_app.command("add")
@handle_errors
def basis_add(
    debtor: Annotated[str, typer.Argument(metavar="DEBTOR", help="Debtor id.")],
    category: Annotated[str, typer.Option(help="identity, contact, financial_accounts, location, credit, …")],
    basis: Annotated[str, typer.Option(help="contract, consent, separate_consent, legal_obligation, public_disclosure.")],
    source: Annotated[str, typer.Option(help="Contract number, consent form id or statute.")],
    granted: Annotated[str | None, typer.Option(help="When it was given (ISO 8601 with offset); default now.")] = None,
    expires: Annotated[str | None, typer.Option(help="When it ends (ISO 8601 with offset).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a legal basis for one data category of a debtor."""
    granted_at = parse_datetime(granted, "granted") if granted else None
    expires_at = parse_datetime(expires, "expires") if expires else None
    with transaction() as session:
        row = service.record_basis(session, debtor_id=debtor, category=category, basis=basis, source=source,
                                   granted_at=granted_at, expires_at=expires_at, actor=operator(), now=clock.now())
        view = LegalBasisRead.of(row)
    if as_json:
        print_json(view)
    else:
        console.print(_("Legal basis {id} recorded.", id=view.id))


@basis_app.command("list")
@handle_errors
def basis_list(debtor: Annotated[str, typer.Argument(metavar="DEBTOR")], as_json: JsonOpt = False) -> None:
    """List a debtor's legal bases."""
    from qingzhai.registry.service import get_debtor

    with transaction() as session:
        d = get_debtor(session, debtor)
        views = [LegalBasisRead.of(b) for b in service.legal_bases(session, d.id)]
        name = mask_name(d.name)
        service.audit(session, actor=operator(), action="legal_basis.list", now=clock.now(), debtor_id=d.id)
    if as_json:
        print_json(views)
        return
    table = Table(_("Category"), _("Basis"), _("Source"), _("Granted"), _("Expires"), _("Withdrawn"), "ID",
                  title=name)
    for v in views:
        table.add_row(v.category, v.basis, v.source, v.granted_at.date().isoformat(),
                      v.expires_at.date().isoformat() if v.expires_at else "",
                      v.withdrawn_at.date().isoformat() if v.withdrawn_at else "", v.id)
    console.print(table)


@basis_app.command("withdraw")
@handle_errors
def basis_withdraw(basis_id: str) -> None:
    """Record that a legal basis (e.g. consent) was withdrawn."""
    with transaction() as session:
        service.withdraw_basis(session, basis_id=basis_id, actor=operator(), now=clock.now())
    console.print(_("Legal basis withdrawn."))
