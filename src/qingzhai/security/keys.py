"""Master-key rotation without downtime and without re-encrypting a single row.

Rows name their data key; only the data keys are wrapped by the master key. `rotate` adds a wrap
of every data key under the new master (the old wraps stay, so servers still running with the old
master keep reading and writing), and starts a fresh data key wrapped under both. Once every
process runs with the new master, `retire` removes the old master's wraps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import Conflict, RuleViolation
from qingzhai.core.ids import new_id
from qingzhai.security import envelope
from qingzhai.security.keyring import KEYRING, master_key_from_settings
from qingzhai.security.models import DataKey, KeyWrap
from qingzhai.security.rules import Permission, require
from qingzhai.security.service import audit


def generate_master_key() -> str:
    return envelope.format_master_key(envelope.new_key())


@dataclass
class KeyStatus:
    configured_master: str
    data_keys: list[dict[str, object]] = field(default_factory=list)


def status(session: Session) -> KeyStatus:
    report = KeyStatus(envelope.master_key_id(master_key_from_settings()))
    wraps: dict[str, list[str]] = {}
    for kid, mid in session.execute(select(KeyWrap.data_key_id, KeyWrap.master_key_id).order_by(KeyWrap.created_at)):
        wraps.setdefault(kid, []).append(mid)
    for key in session.scalars(select(DataKey).order_by(DataKey.created_at, DataKey.id)):
        report.data_keys.append({"id": key.id, "active": key.active, "created_at": key.created_at,
                                 "retired_at": key.retired_at, "wrapped_under": wraps.get(key.id, [])})
    return report


@dataclass(frozen=True)
class RotationReport:
    old_master: str
    new_master: str
    rewrapped: int
    new_data_key: str | None


def rotate(
    session: Session, *, new_master: bytes, actor: Actor, now: datetime, new_data_key: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> RotationReport:
    require(actor, Permission.keys_manage)
    old = master_key_from_settings()
    old_id, new_id_ = envelope.master_key_id(old), envelope.master_key_id(new_master)
    if old_id == new_id_:
        raise RuleViolation("the new master key is the one already configured", field="new_key")
    conn = session.connection()
    have = {kid for (kid,) in session.execute(select(KeyWrap.data_key_id).where(KeyWrap.master_key_id == new_id_))}
    rewrapped = 0
    for kid in session.scalars(select(DataKey.id).order_by(DataKey.created_at, DataKey.id)).all():
        if kid in have:
            continue
        key = KEYRING.key(conn, kid)
        wrapped = envelope.wrap_key(new_master, kid, key)
        if envelope.unwrap_key(new_master, kid, wrapped) != key:  # pragma: no cover - AES-GCM round trip
            raise RuntimeError(f"re-wrapping data key {kid} did not round-trip")
        session.add(KeyWrap(id=new_id(), data_key_id=kid, master_key_id=new_id_, wrapped=wrapped, created_at=now))
        rewrapped += 1
        if on_progress:
            on_progress(rewrapped)
    fresh = None
    if new_data_key:
        for key in session.scalars(select(DataKey).where(DataKey.active.is_(True))):
            key.active, key.retired_at = False, now
        fresh, raw = new_id(), envelope.new_key()
        session.add(DataKey(id=fresh, active=True, created_at=now))
        session.flush()
        for master in (old, new_master):
            session.add(KeyWrap(id=new_id(), data_key_id=fresh, master_key_id=envelope.master_key_id(master),
                                wrapped=envelope.wrap_key(master, fresh, raw), created_at=now))
    session.flush()
    audit(session, actor=actor, action="keys.rotate", now=now,
          detail={"old_master": old_id, "new_master": new_id_, "rewrapped": rewrapped, "new_data_key": fresh})
    return RotationReport(old_id, new_id_, rewrapped, fresh)


def retire_master(session: Session, *, master_id: str, actor: Actor, now: datetime) -> int:
    """Remove the wraps under `master_id`; refused while any data key would be left unopenable."""
    require(actor, Permission.keys_manage)
    if master_id == envelope.master_key_id(master_key_from_settings()):
        raise Conflict("this is the configured master key; configure the new one first", field="master_id")
    mine = set(session.scalars(select(KeyWrap.data_key_id).where(KeyWrap.master_key_id == master_id)))
    if not mine:
        raise Conflict(f"no data key is wrapped under {master_id}", field="master_id")
    others = set(session.scalars(select(KeyWrap.data_key_id).where(KeyWrap.master_key_id != master_id)))
    orphans = sorted(mine - others)
    if orphans:
        raise Conflict(f"{len(orphans)} data key(s) are wrapped only under {master_id} (e.g. {orphans[0]}); "
                       "run `qingzhai keys rotate` first", field="master_id")
    session.execute(delete(KeyWrap).where(KeyWrap.master_key_id == master_id))
    audit(session, actor=actor, action="keys.retire_master", now=now, detail={"master": master_id, "wraps": len(mine)})
    return len(mine)
