"""What every capability's Typer sub-app shares: the console, a transaction per command, the
acting operator, JSON output, and one mapping of domain errors to exit codes and one-line messages.

Exit codes: 0 ok, 1 other domain error, 2 bad input (a rule or file refused), 3 not found,
4 not permitted, 5 conflict.
"""

from __future__ import annotations

import functools
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor, Role
from qingzhai.core.errors import Conflict, DomainError, NotFound, NotPermitted, RuleViolation
from qingzhai.db.session import unit_of_work
from qingzhai.i18n import _, gettext

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

EXIT_CODES: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 3),
    (NotPermitted, 4),
    (Conflict, 5),
    (RuleViolation, 2),
)


def exit_code_for(error: DomainError) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a DomainError into one line on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            err_console.print(Text.assemble((_("Error") + ": ", "red"), exc.localized(gettext)), highlight=False)
            raise typer.Exit(exit_code_for(exc)) from None

    return wrapper


def operator() -> Actor:
    """The person at the terminal. The CLI is an operator's tool, run where the database is."""
    try:
        user = getpass.getuser()
    except Exception:  # pragma: no cover - no user database in some containers
        user = "operator"
    return Actor(id=f"cli:{user}", name=user, role=Role.admin, source="cli")


@contextmanager
def transaction() -> Iterator[Session]:
    with unit_of_work() as session:
        yield session


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n")
    sys.stdout.flush()


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RuleViolation(f"'{value}' is not an ISO date (YYYY-MM-DD)", field=field) from None


def parse_datetime(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RuleViolation(f"'{value}' is not an ISO 8601 time", field=field) from None
    if moment.tzinfo is None:
        raise RuleViolation("must carry a time zone offset, e.g. +08:00", field=field)
    return moment
