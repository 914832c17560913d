"""`qingzhai import placements FILE --creditor NAME`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qingzhai import clock
from qingzhai.cli_support import console, handle_errors, operator, print_json, transaction
from qingzhai.i18n import _, gettext
from qingzhai.registry.intake.files import file_sha256, open_placements
from qingzhai.registry.intake.rules import ALL_COLUMNS, neutralise
from qingzhai.registry.intake.service import ImportReport, Reject, import_placements
from qingzhai.registry.service import ensure_creditor

import_app = typer.Typer(help="Import files from creditors.", no_args_is_help=True)


class RejectsWriter:
    """Writes each rejected row with its line, field and reason; cells are formula-neutralised."""

    COLUMNS = ["line", "field", "reason", "all_problems", *ALL_COLUMNS]

    def __init__(self, fh: TextIO) -> None:
        self.writer = csv.writer(fh, lineterminator="\n")
        self.writer.writerow(self.COLUMNS)

    def __call__(self, reject: Reject) -> None:
        problems = "; ".join(f"{p.field}: {p.localized(gettext)}" for p in reject.problems)
        self.writer.writerow(
            [reject.line, reject.field, neutralise(reject.problems[0].localized(gettext)), neutralise(problems)]
            + [neutralise(str(reject.raw.get(c, "") or "")) for c in ALL_COLUMNS]
        )


@import_app.command("placements")
@handle_errors
def placements(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 unless --encoding) or XLSX placement file.")],
    creditor: Annotated[str, typer.Option(help="Creditor name (registered on first use).")],
    rejects: Annotated[Path | None, typer.Option(help="Write rejected rows with line, field and reason here.")] = None,
    encoding: Annotated[str, typer.Option(help="Encoding of a CSV file, e.g. gbk.")] = "utf-8",
    allow_extra_columns: Annotated[bool, typer.Option(help="Ignore columns outside the import format.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import a creditor's placements. Re-importing the same file changes nothing."""
    source = open_placements(file, encoding=encoding, allow_extra=allow_extra_columns)
    digest = file_sha256(file)
    rejects_fh = rejects.open("w", encoding="utf-8-sig", newline="") if rejects else None
    try:
        on_reject = RejectsWriter(rejects_fh) if rejects_fh else None
        with Progress(
            TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=console, transient=True, disable=as_json,
        ) as progress:
            task = progress.add_task(_("Importing"), total=source.size)
            with transaction() as session:
                owner = ensure_creditor(session, name=creditor, now=clock.now())
                report = import_placements(
                    session, creditor=owner, rows=source.rows(), filename=file.name, sha256=digest,
                    actor=operator(), now=clock.now(), on_reject=on_reject,
                    on_progress=lambda _n: progress.update(task, completed=source.position()),
                )
            progress.update(task, completed=source.size)
    finally:
        if rejects_fh:
            rejects_fh.close()
    if as_json:
        print_json(report.to_dict())
    else:
        render_report(report, rejects)


def render_report(report: ImportReport, rejects: Path | None) -> None:
    table = Table(_("Rows read"), _("Imported"), _("Already present"), _("Rejected"), _("New debtors"), _("New cases"),
                  title=_("Placement import"))
    table.add_row(str(report.read), str(report.imported), str(report.already_present), str(report.rejected),
                  str(report.debtors_created), str(report.cases_created))
    console.print(table)
    if report.rejected:
        sample = Table(_("Line"), _("Field"), _("Reason"), title=_("First rejected rows"))
        for r in report.sample_rejects[:10]:
            sample.add_row(str(r.line), r.field, r.problems[0].localized(gettext))
        console.print(sample)
        if rejects:
            console.print(_("All rejected rows with their reasons: {path}", path=str(rejects)))
