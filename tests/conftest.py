"""Shared fixtures. Database tests run against SQLite and the real PostgreSQL (127.0.0.1:5432,
user postgres, trust auth): each run creates throwaway databases and drops them at the end;
each test runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from qingzhai.config import reset_settings
from qingzhai.db.all_models import metadata
from qingzhai.db.session import engine_for, make_engine

PG_ADMIN_URL = os.environ.get(
    "QINGZHAI_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


class PostgresDatabases:
    """Creates throwaway databases on the real server and drops them all at the end of the run."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with self.admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:  # pragma: no cover - CI starts the server
            pytest.fail(
                "PostgreSQL is not reachable at 127.0.0.1:5432; start it with "
                "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' "
                f"({exc.__class__.__name__})"
            )
        self.prefix = f"qz_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.created: list[str] = []
        self.template: str | None = None

    def create(self, *, schema: bool = True) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        with self.admin.connect() as conn:
            if schema and self.template:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            else:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        if schema and not self.template:
            engine = make_engine(_pg_url(name))
            metadata.create_all(engine)
            engine.dispose()
        return _pg_url(name)

    def make_template(self) -> None:
        url = self.create()
        self.template = url.rsplit("/", 1)[1]

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = :n AND pid <> pg_backend_pid()"),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases()
    try:
        yield dbs
    finally:
        dbs.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A schema-loaded engine per backend, shared by the run (tests roll back)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "qingzhai-test.db"
        eng = make_engine(f"sqlite:///{path}")
        metadata.create_all(eng)
    else:
        dbs: PostgresDatabases = request.getfixturevalue("postgres")
        eng = make_engine(dbs.create())
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture(params=BACKENDS)
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, schema-loaded database of its own, made the default for the CLI and the API.

    For tests whose code commits (CLI commands, HTTP requests, concurrent writers).
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'qingzhai.db'}"
        eng = make_engine(url)
        metadata.create_all(eng)
        eng.dispose()
    else:
        dbs: PostgresDatabases = request.getfixturevalue("postgres")
        if dbs.template is None:
            dbs.make_template()
        url = dbs.create()
    monkeypatch.setenv("QINGZHAI_DATABASE_URL", url)
    reset_settings()
    engine_for.cache_clear()
    try:
        yield url
    finally:
        engine_for(url).dispose()
        engine_for.cache_clear()
        reset_settings()


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty SQLite database made the default, for e2e tests that need only one backend."""
    url = f"sqlite:///{tmp_path / 'qingzhai.db'}"
    eng = make_engine(url)
    metadata.create_all(eng)
    eng.dispose()
    monkeypatch.setenv("QINGZHAI_DATABASE_URL", url)
    reset_settings()
    engine_for.cache_clear()
    yield url
    engine_for(url).dispose()
    engine_for.cache_clear()
    reset_settings()


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests read English messages unless they choose a language."""
    monkeypatch.setenv("QINGZHAI_LANG", "en")
    reset_settings()
    yield
    reset_settings()
