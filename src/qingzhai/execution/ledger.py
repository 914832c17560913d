"""The tamper-evident ledger: append (never update or delete), seal each day under a signed Merkle
root, verify everything, and produce inclusion proofs an outsider can check."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qingzhai.core.errors import NotFound, RuleViolation
from qingzhai.core.ids import new_id
from qingzhai.execution import chain
from qingzhai.execution.models import LedgerEntry, LedgerHead, LedgerKey, LedgerSeal

log = logging.getLogger(__name__)
HEAD = "main"


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QINGZHAI_LEDGER_", extra="ignore")

    signing_key: SecretStr | None = None  # 64 hex digits: the Ed25519 private seed


@dataclass(frozen=True, slots=True)
class NewEntry:
    key: str
    kind: str
    day: date
    case_id: str | None
    contract_id: str | None
    data: Mapping[str, Any]


def lock_head(session: Session) -> tuple[int, str]:
    """Take the chain's write lock (held until commit) and return (last seq, last hash)."""
    for _ in range(2):
        locked = session.execute(
            update(LedgerHead)
            .where(LedgerHead.name == HEAD)
            .values(locks=LedgerHead.locks + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if locked:
            row = session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.name == HEAD)).one()
            return int(row.seq), str(row.hash)
        try:
            with session.begin_nested():
                session.execute(insert(LedgerHead).values(name=HEAD, seq=0, hash=chain.GENESIS, locks=0))
        except IntegrityError:
            pass
    raise RuntimeError("could not lock the ledger head")  # pragma: no cover


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 900):
        found.update(session.scalars(select(LedgerEntry.key).where(LedgerEntry.key.in_(keys[i : i + 900]))))
    return found


def append(
    session: Session, entries: Sequence[NewEntry], *, now: datetime, head: tuple[int, str] | None = None
) -> list[dict[str, Any]]:
    """Append entries whose key is not on the ledger yet; returns the rows written, in order.
    `head` is what `lock_head` returned when the caller took the lock itself in this transaction
    and has appended nothing since."""
    if not entries:
        return []
    seq, prev = head if head is not None else lock_head(session)
    seen = existing_keys(session, [e.key for e in entries])
    rows: list[dict[str, Any]] = []
    at = now.isoformat()
    for e in entries:
        if e.key in seen:
            continue
        seen.add(e.key)
        seq += 1
        entry_id = new_id()
        body = chain.canonical(
            {
                "seq": seq,
                "id": entry_id,
                "key": e.key,
                "kind": e.kind,
                "day": e.day.isoformat(),
                "at": at,
                "case_id": e.case_id,
                "contract_id": e.contract_id,
                "data": dict(e.data),
            }
        )
        digest = chain.entry_hash(prev, body)
        rows.append(
            {
                "seq": seq,
                "id": entry_id,
                "key": e.key,
                "day": e.day,
                "kind": e.kind,
                "case_id": e.case_id,
                "contract_id": e.contract_id,
                "body": body,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    for i in range(0, len(rows), 5000):
        session.execute(insert(LedgerEntry), rows[i : i + 5000])
    session.execute(
        update(LedgerHead).where(LedgerHead.name == HEAD).values(seq=seq, hash=prev).execution_options(synchronize_session=False)
    )
    return rows


# --- signing and seals -------------------------------------------------------------------------


def signing_seed(session: Session, *, now: datetime) -> bytes:
    """The platform's Ed25519 seed: `QINGZHAI_LEDGER_SIGNING_KEY` if set, otherwise one generated
    once and kept in the database (suitable for development only)."""
    configured = LedgerSettings().signing_key
    if configured is not None:
        try:
            seed = bytes.fromhex(configured.get_secret_value().strip())
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise RuleViolation("must be 64 hexadecimal digits", field="QINGZHAI_LEDGER_SIGNING_KEY")
        return seed
    stored = session.scalar(select(LedgerKey).order_by(LedgerKey.created_at).limit(1))
    if stored is not None:
        return bytes.fromhex(stored.private_seed)
    seed = secrets.token_bytes(32)
    session.add(LedgerKey(public_key=chain.public_key_hex(seed), private_seed=seed.hex(), created_at=now))
    session.flush()
    return seed


def public_key(session: Session, *, now: datetime) -> str:
    return chain.public_key_hex(signing_seed(session, now=now))


def seal_day(session: Session, *, day: date, now: datetime) -> LedgerSeal | None:
    """Seal every entry appended since the last seal under `day`'s signed Merkle root. Once per day."""
    existing = session.get(LedgerSeal, day)
    if existing is not None:
        return existing
    last_sealed = session.scalar(select(func.max(LedgerSeal.last_seq))) or 0
    seq, _prev = lock_head(session)
    if seq <= last_sealed:
        return None
    hashes = list(
        session.scalars(
            select(LedgerEntry.hash).where(LedgerEntry.seq > last_sealed, LedgerEntry.seq <= seq).order_by(LedgerEntry.seq)
        )
    )
    root = chain.merkle_root(hashes)
    seed = signing_seed(session, now=now)
    seal = LedgerSeal(
        day=day,
        first_seq=last_sealed + 1,
        last_seq=seq,
        root=root,
        signature=chain.sign(seed, chain.seal_message(day.isoformat(), last_sealed + 1, seq, root)),
        public_key=chain.public_key_hex(seed),
        sealed_at=now,
    )
    session.add(seal)
    session.flush()
    return seal


# --- verification ------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    entries: int = 0
    seals: int = 0
    unsealed: int = 0
    ok: bool = True
    broken_seq: int | None = None
    reason: str | None = None
    problems: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, reason: str) -> None:
        if self.ok:
            self.ok = False
            self.broken_seq = seq
            self.reason = reason
        self.problems.append(f"{seq}: {reason}" if seq is not None else reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "seals": self.seals,
            "unsealed": self.unsealed,
            "first_broken_seq": self.broken_seq,
            "reason": self.reason,
            "problems": self.problems[:20],
        }


def _raw_cursor(session: Session, sql: str) -> Any:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    if session.get_bind().dialect.name == "postgresql":
        cursor = dbapi.cursor(name=f"ledger_{secrets.token_hex(4)}")
        cursor.itersize = 20_000
    else:
        cursor = dbapi.cursor()
    cursor.execute(sql)
    return cursor


def verify(session: Session, *, on_progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Recompute every hash, link, sequence number, Merkle root and seal signature."""
    report = VerifyReport()
    seals = list(
        session.execute(
            select(
                LedgerSeal.day,
                LedgerSeal.first_seq,
                LedgerSeal.last_seq,
                LedgerSeal.root,
                LedgerSeal.signature,
                LedgerSeal.public_key,
            ).order_by(LedgerSeal.first_seq)
        )
    )
    known_keys = set(session.scalars(select(LedgerKey.public_key)))
    configured = LedgerSettings().signing_key
    if configured is not None:
        with contextlib.suppress(ValueError):
            known_keys.add(chain.public_key_hex(bytes.fromhex(configured.get_secret_value().strip())))
    seal_index = 0
    expected_first = 1
    for s in seals:
        if s.first_seq != expected_first:
            report.fail(s.first_seq, f"seal of {s.day} does not start right after the previous seal")
        expected_first = s.last_seq + 1
    head = session.execute(select(LedgerHead.seq, LedgerHead.hash).where(LedgerHead.name == HEAD)).one_or_none()
    postgres = session.get_bind().dialect.name == "postgresql"
    body_sql = "convert_to(body, 'UTF8')" if postgres else "CAST(body AS BLOB)"
    cursor = _raw_cursor(session, f"SELECT seq, hash, {body_sql} FROM ledger_entries ORDER BY seq")
    sha256 = hashlib.sha256
    prev = chain.GENESIS.encode()
    expected = 1
    bucket: list[bytes] = []
    next_seal_end = seals[0].last_seq if seals else -1
    try:
        while True:
            rows = cursor.fetchmany(20_000)
            if not rows:
                break
            for seq, stored, body in rows:
                digest = sha256(prev + b"\n" + body).digest()
                if digest.hex() != stored or seq != expected or not bytes(body).endswith(b'"seq":%d}' % seq):
                    if seq != expected:
                        report.fail(expected, "entry missing or out of order")
                        expected = seq
                    elif session.scalar(select(LedgerEntry.prev_hash).where(LedgerEntry.seq == seq)) != prev.decode():
                        report.fail(seq, "does not link to the entry before it")
                    else:
                        report.fail(seq, "its content does not match its hash")
                    digest = bytes.fromhex(stored)
                prev = stored.encode()
                expected += 1
                if next_seal_end >= 0:
                    bucket.append(digest)
                    if seq >= next_seal_end:
                        _check_seal(report, seals[seal_index], bucket, known_keys)
                        bucket = []
                        seal_index += 1
                        next_seal_end = seals[seal_index].last_seq if seal_index < len(seals) else -1
            report.entries += len(rows)
            if on_progress:
                on_progress(report.entries)
            if not report.ok and len(report.problems) >= 20:
                break
    finally:
        cursor.close()
    if report.ok:
        for seal in seals[seal_index:]:
            report.fail(seal.first_seq, f"entries sealed on {seal.day} are missing")
        last_seq = expected - 1
        if head is not None and (head.seq != last_seq or head.hash.encode() != prev):
            report.fail(
                last_seq + 1 if head.seq > last_seq else head.seq,
                "the chain's head does not match its last entry (entries removed at the end?)",
            )
    report.seals = len(seals)
    report.unsealed = max(expected - 1 - (seals[-1].last_seq if seals else 0), 0)
    return report


def _check_seal(report: VerifyReport, seal: Any, digests: list[bytes], known_keys: set[str]) -> None:
    if len(digests) != seal.last_seq - seal.first_seq + 1 or chain.merkle_root_of_digests(digests).hex() != seal.root:
        report.fail(seal.first_seq, f"the entries sealed on {seal.day} do not give the sealed Merkle root")
        return
    message = chain.seal_message(seal.day.isoformat(), seal.first_seq, seal.last_seq, seal.root)
    if not chain.signature_valid(seal.public_key, message, seal.signature):
        report.fail(seal.first_seq, f"the seal of {seal.day} has an invalid signature")
    elif known_keys and seal.public_key not in known_keys:
        report.fail(seal.first_seq, f"the seal of {seal.day} is signed by an unknown key")


# --- proofs ------------------------------------------------------------------------------------


def get_entry(session: Session, ref: str) -> LedgerEntry:
    text = ref.strip()
    stmt = (
        select(LedgerEntry).where(LedgerEntry.seq == int(text))
        if text.isdigit()
        else select(LedgerEntry).where(LedgerEntry.id == text)
    )
    entry = session.scalar(stmt)
    if entry is None:
        raise NotFound("no ledger entry '{ref}'", field="entry_id", params={"ref": ref})
    return entry


def proof(session: Session, ref: str) -> dict[str, Any]:
    """An inclusion proof: the entry, its hash, the Merkle path to its day's root and the signed seal."""
    import json

    entry = get_entry(session, ref)
    seal = session.scalar(select(LedgerSeal).where(LedgerSeal.first_seq <= entry.seq, LedgerSeal.last_seq >= entry.seq))
    if seal is None:
        raise RuleViolation("this entry is not sealed yet; it is sealed by the next run-day", field="entry_id")
    hashes = list(
        session.scalars(
            select(LedgerEntry.hash)
            .where(LedgerEntry.seq >= seal.first_seq, LedgerEntry.seq <= seal.last_seq)
            .order_by(LedgerEntry.seq)
        )
    )
    return {
        "format": chain.PROOF_FORMAT,
        "entry": json.loads(entry.body),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "path": chain.merkle_path(hashes, entry.seq - seal.first_seq),
        "seal": {
            "day": seal.day.isoformat(),
            "first_seq": seal.first_seq,
            "last_seq": seal.last_seq,
            "root": seal.root,
            "signature": seal.signature,
            "public_key": seal.public_key,
        },
    }


def entries_for(
    session: Session, *, contract_id: str | None = None, case_id: str | None = None, limit: int = 200
) -> Sequence[LedgerEntry]:
    stmt = select(LedgerEntry)
    if contract_id:
        stmt = stmt.where(LedgerEntry.contract_id == contract_id)
    if case_id:
        stmt = stmt.where(LedgerEntry.case_id == case_id)
    return session.scalars(stmt.order_by(LedgerEntry.seq).limit(limit)).all()
