"""The `qingzhai` command: mounts each capability's Typer sub-app."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from qingzhai.cli_support import console, handle_errors
from qingzhai.i18n import _
from qingzhai.intake.cli import import_app
from qingzhai.registry.cli import cases_app, creditors_app
from qingzhai.registry.cli import summary as summary_command
from qingzhai.sim.cli import generate_app

app = typer.Typer(
    name="qingzhai",
    help="qingzhai (清债): lawful, compliance-first debt recovery and resolution.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)

app.add_typer(generate_app, name="generate")
app.add_typer(import_app, name="import")
app.add_typer(creditors_app, name="creditors")
app.add_typer(cases_app, name="cases")
app.add_typer(db_app, name="db")
app.command("summary")(handle_errors(summary_command))


@app.command()
@handle_errors
def demo(
    debtors: Annotated[int, typer.Option(min=3, max=100_000, help="Debtors in the synthetic portfolio.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    database: Annotated[str | None, typer.Option(help="Database URL (default: a fresh ./qingzhai-demo.db).")] = None,
) -> None:
    """Generate a synthetic portfolio and take it through the process, then summarise."""
    from qingzhai.demo import run_demo

    run_demo(debtors=debtors, seed=seed, database_url=database, console=console)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Start the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    from qingzhai.api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Create or upgrade the schema to the latest migration."""
    from qingzhai.config import get_settings
    from qingzhai.db import migrate

    url = get_settings().database_url
    migrate.upgrade(url, revision)
    console.print(_("Database at revision {rev}.", rev=migrate.current(url)))


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database."""
    from qingzhai.config import get_settings
    from qingzhai.db import migrate

    url = get_settings().database_url
    console.print(f"{migrate.current(url) or '-'} (head {migrate.head(url)})")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    app()


if __name__ == "__main__":
    main()
