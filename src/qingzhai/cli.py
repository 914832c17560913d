"""The `qingzhai` command: mounts each capability's Typer sub-app."""

from __future__ import annotations

import logging
import warnings
from typing import Annotated

import typer

from qingzhai.assessment.cli import app as assess_app
from qingzhai.cli_support import console, handle_errors
from qingzhai.compliance.cli import app as compliance_app
from qingzhai.conversation.cli import bot_app, conduct_app, conversation_app
from qingzhai.execution.cli import contracts_app, ledger_app, payments_app, promises_app, run_day
from qingzhai.i18n import _
from qingzhai.mediation.cli import app as mediation_app
from qingzhai.planning.cli import app as plan_app
from qingzhai.registry.cli import cases_app, creditors_app
from qingzhai.registry.cli import summary as summary_command
from qingzhai.registry.intake.cli import import_app
from qingzhai.scoring.cli import app as model_app
from qingzhai.security.cli import audit_app, keys_app, privacy_app, users_app
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
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(privacy_app, name="privacy")
app.add_typer(compliance_app, name="compliance")
app.add_typer(assess_app, name="assess")
app.add_typer(plan_app, name="plan")
app.add_typer(contracts_app, name="contracts")
app.add_typer(payments_app, name="payments")
app.add_typer(promises_app, name="promises")
app.add_typer(ledger_app, name="ledger")
app.command("run-day")(run_day)
app.add_typer(model_app, name="model")
app.add_typer(conversation_app, name="conversation")
app.add_typer(conduct_app, name="conduct")
app.add_typer(bot_app, name="bot")
app.add_typer(mediation_app, name="mediation")


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


def _show_warning(message: Warning | str, category: type[Warning], *_args: object, **_kw: object) -> None:
    """Warnings (a development key standing in for a production secret) as one plain line."""
    from qingzhai.cli_support import err_console

    err_console.print(f"[yellow]{_('Warning')}:[/yellow] {message}", highlight=False)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    warnings.showwarning = _show_warning
    app()


if __name__ == "__main__":
    main()
