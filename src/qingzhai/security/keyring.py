"""The process-wide keyring: data keys unwrapped on first use, per database, shared by all sessions.

The encrypted column type has no session, so the keyring learns which database a statement runs on
from a `before_execute` listener (a context variable holding the current connection) and runs its
own small queries on that same connection, inside the same transaction. That keeps it correct for
the tests' rolled-back transactions, for several databases in one process, and for SQLite's single
writer (no second connection waits on a lock).

- Unwrapped data keys are cached by id. Ids are ULIDs, unique across databases, and a data key
  never changes, so the cache needs no invalidation.
- The active data key of each database is re-checked once per transaction (a primary-key lookup):
  a key created in a transaction that rolled back, or a database file recreated under the same
  URL, is noticed before anything is encrypted with a key that is not stored.
"""

from __future__ import annotations

import logging
import threading
import warnings
from contextvars import ContextVar
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, inspect, select

from qingzhai.config import get_settings
from qingzhai.core.ids import new_id
from qingzhai.security import envelope
from qingzhai.security.models import DataKey, KeyWrap

log = logging.getLogger(__name__)

_current: ContextVar[Connection | None] = ContextVar("qingzhai_current_connection", default=None)
_CHECKED = "qingzhai_active_data_key"
_DEV_MASTER = sha256(b"qingzhai-development-only-master-key").digest()


class DevelopmentKeyWarning(UserWarning):
    """A development default stands in for a secret that production must set."""


@event.listens_for(Engine, "before_execute")
def _remember_connection(conn: Connection, *_args: Any, **_kw: Any) -> None:
    _current.set(conn)


@event.listens_for(Engine, "handle_error")
def _hide_parameters(context: Any) -> None:
    """Database errors must not carry bound values (ID numbers, phones) into logs and messages."""
    if context.sqlalchemy_exception is not None:
        context.sqlalchemy_exception.hide_parameters = True


def _forget_check(conn: Connection, *_args: Any, **_kw: Any) -> None:
    conn.info.pop(_CHECKED, None)


for _name in ("begin", "commit", "rollback", "rollback_savepoint"):
    event.listen(Engine, _name, _forget_check)


def current_connection() -> Connection:
    conn = _current.get()
    if conn is None or conn.closed:
        raise envelope.KeyUnavailable("encrypted values are read and written only through a database connection")
    return conn


def master_key_from_settings() -> bytes:
    settings = get_settings()
    if settings.master_key is not None:
        return envelope.parse_master_key(settings.master_key.get_secret_value())
    if settings.master_key_file is not None:
        return read_key_file(settings.master_key_file)
    warn_once("QINGZHAI_MASTER_KEY is not set: personal data is encrypted under the development master key")
    return _DEV_MASTER


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """A development default stands in for a production secret: say so once per process."""
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, DevelopmentKeyWarning, stacklevel=3)
        log.warning(message)


def read_key_file(path: Path) -> bytes:
    try:
        text = Path(path).read_text(encoding="ascii")
    except OSError as exc:
        raise envelope.KeyUnavailable(f"cannot read the master key file {path}: {exc.strerror}") from None
    return envelope.parse_master_key(text)


def _database(conn: Connection) -> str:
    return conn.engine.url.render_as_string(hide_password=True)


class Keyring:
    def __init__(self) -> None:
        self._keys: dict[str, bytes] = {}
        self._active: dict[str, str] = {}
        self._tables_seen: set[str] = set()
        self._lock = threading.Lock()

    def masters(self) -> dict[str, bytes]:
        master = master_key_from_settings()
        return {envelope.master_key_id(master): master}

    def active_key(self, conn: Connection, *, now: datetime | None = None) -> tuple[str, bytes]:
        """The data key new values are encrypted with in this database (created on first need)."""
        checked = conn.info.get(_CHECKED)
        if checked is not None and checked in self._keys:
            return checked, self._keys[checked]
        db = _database(conn)
        if db not in self._tables_seen:
            if not inspect(conn).has_table(DataKey.__tablename__):
                raise envelope.KeyUnavailable(
                    "the key tables (security_data_keys) are missing from this database: run `qingzhai db upgrade`"
                )
            self._tables_seen.add(db)
        kid = self._active.get(db)
        if kid is not None and conn.execute(
            select(DataKey.id).where(DataKey.id == kid, DataKey.active.is_(True))
        ).first() is None:
            kid = None
        if kid is None:
            kid = conn.execute(
                select(DataKey.id).where(DataKey.active.is_(True))
                .order_by(DataKey.created_at.desc(), DataKey.id.desc()).limit(1)
            ).scalar()
        if kid is None:
            kid = self._create(conn, now=now or datetime.now(UTC))
        key = self.key(conn, kid)
        with self._lock:
            self._active[db] = kid
        conn.info[_CHECKED] = kid
        return kid, key

    def key(self, conn: Connection, kid: str) -> bytes:
        found = self._keys.get(kid)
        if found is not None:
            return found
        wraps = conn.execute(select(KeyWrap.master_key_id, KeyWrap.wrapped).where(KeyWrap.data_key_id == kid)).all()
        if not wraps:
            raise envelope.KeyUnavailable(f"data key {kid} is not stored in this database")
        masters = self.masters()
        for master_id, wrapped in wraps:
            if master_id in masters:
                key = envelope.unwrap_key(masters[master_id], kid, bytes(wrapped))
                with self._lock:
                    self._keys[kid] = key
                return key
        raise envelope.KeyUnavailable(
            f"data key {kid} is wrapped under master key(s) {', '.join(w[0] for w in wraps)}, "
            f"not under the configured one(s) {', '.join(masters)}"
        )

    def _create(self, conn: Connection, *, now: datetime) -> str:
        master = master_key_from_settings()
        kid, key = new_id(), envelope.new_key()
        conn.execute(insert(DataKey).values(id=kid, active=True, created_at=now))
        conn.execute(insert(KeyWrap).values(
            id=new_id(), data_key_id=kid, master_key_id=envelope.master_key_id(master),
            wrapped=envelope.wrap_key(master, kid, key), created_at=now,
        ))
        with self._lock:
            self._keys[kid] = key
        log.info("data key created", extra={"data_key_id": kid})
        return kid

    def forget(self) -> None:
        """Drop every cached key (tests; after a master key is retired)."""
        with self._lock:
            self._keys.clear()
            self._active.clear()
            self._tables_seen.clear()


KEYRING = Keyring()


def seal(conn: Connection, data: bytes, *, context: str) -> bytes:
    kid, key = KEYRING.active_key(conn)
    return envelope.seal(data, key_id=kid, key=key, context=context)


def unseal(conn: Connection, blob: bytes, *, context: str) -> bytes:
    kid = envelope.key_id_of(blob)
    return envelope.open_sealed(blob, key=KEYRING.key(conn, kid), context=context)
