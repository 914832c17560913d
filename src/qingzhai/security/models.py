"""Tables of security and privacy: keys, users, API keys, the audit chain, legal bases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, created_at_column, id_column
from qingzhai.db.types import JSONType, UTCDateTime


class DataKey(Base):
    """An AES-256 data key. Its bytes are stored only wrapped (see KeyWrap)."""

    __tablename__ = "security_data_keys"
    __table_args__ = (Index("ix_security_data_keys_active", "active", "created_at"),)

    id: Mapped[str] = id_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KeyWrap(Base):
    """A data key encrypted under one master key; during a rotation a key has two wraps."""

    __tablename__ = "security_key_wraps"
    __table_args__ = (UniqueConstraint("data_key_id", "master_key_id"),)

    id: Mapped[str] = id_column()
    data_key_id: Mapped[str] = mapped_column(ForeignKey("security_data_keys.id"), index=True)
    master_key_id: Mapped[str] = mapped_column(String(16), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    creditor_id: Mapped[str | None] = mapped_column(ForeignKey("creditors.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiKey(Base):
    """A long-lived key for a creditor's system. Only a keyed hash of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Append-only, hash-chained: each entry's hash covers its content and the previous hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_case", "case_id", "seq"),
        Index("ix_audit_entries_debtor", "debtor_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(String(26))
    debtor_id: Mapped[str | None] = mapped_column(String(26))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class LegalBasis(Base):
    """PIPL: why the platform may process one category of a debtor's data (art. 13, 28-29)."""

    __tablename__ = "legal_bases"
    __table_args__ = (Index("ix_legal_bases_debtor_category", "debtor_id", "category"),)

    id: Mapped[str] = id_column()
    debtor_id: Mapped[str] = mapped_column(ForeignKey("debtors.id"))
    category: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()


# The database itself refuses to change or remove an audit entry (the lead's migration repeats these).
APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
)
APPEND_ONLY_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$",
    "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
)
for _sql in APPEND_ONLY_SQLITE:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in APPEND_ONLY_POSTGRESQL:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
