"""`qingzhai generate portfolio`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from qingzhai.cli_support import console, handle_errors, parse_date
from qingzhai.i18n import _
from qingzhai.sim.portfolio import DEFAULT_AS_OF, write_portfolio

generate_app = typer.Typer(help="Synthetic data for demos, tests and benchmarks.", no_args_is_help=True)


@generate_app.command("portfolio")
@handle_errors
def portfolio(
    debtors: Annotated[int, typer.Option(min=1, max=10_000_000, help="Number of debtors.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same file.")] = 7,
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("placements.csv"),
    as_of: Annotated[str | None, typer.Option(help="Reference date (YYYY-MM-DD); no date lies after it.")] = None,
    ref_prefix: Annotated[str, typer.Option(help="Prefix of the debt references.")] = "QZ",
) -> None:
    """Write a synthetic placement file in the import format."""
    when: date = parse_date(as_of, "as_of") if as_of else DEFAULT_AS_OF
    rows = write_portfolio(out, debtors, seed=seed, as_of=when, ref_prefix=ref_prefix)
    console.print(_("Wrote {rows} placements for {debtors} debtors to {path}.", rows=rows, debtors=debtors, path=str(out)))


@generate_app.command("evidence")
@handle_errors
def evidence(
    out: Annotated[Path, typer.Option(help="Folder to write one file per source into.")] = Path("evidence"),
    seed: Annotated[int, typer.Option(help="Random seed: same seed and portfolio, same files.")] = 7,
    as_of: Annotated[str | None, typer.Option(help="Reference date (YYYY-MM-DD); no record lies after it.")] = None,
    stage: Annotated[str | None, typer.Option(help="Only debtors with a case in this stage.")] = None,
) -> None:
    """Write synthetic assessment evidence for the debtors in the database (bank statements, registry graph…)."""
    from qingzhai import clock
    from qingzhai.cli_support import transaction
    from qingzhai.sim.evidence import build_evidence, profiles_from_db, write_evidence

    when: date = parse_date(as_of, "as_of") if as_of else clock.now().date()
    with transaction() as session:
        profiles = profiles_from_db(session, stage=stage)
    built = build_evidence(profiles, seed=seed, as_of=when)
    files = write_evidence(out, built)
    console.print(_("Wrote evidence for {debtors} debtors ({files} files, {planted} planted transfers) to {path}.",
                    debtors=len(profiles), files=len(files), planted=len(built.planted), path=str(out)))
    console.print(_("Load each with: qingzhai assess import SOURCE FILE"))
