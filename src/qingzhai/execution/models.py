"""Tables of execution: contracts, payments and their allocations, promises, reminders, run days,
and the append-only ledger with its daily seals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qingzhai.db.base import Base, created_at_column, id_column
from qingzhai.db.types import Amount, JSONType, UTCDateTime


class Contract(Base):
    """A plan in force: its schedule and terms as data, plus the state of its last evaluation."""

    __tablename__ = "execution_contracts"
    __table_args__ = (
        UniqueConstraint("case_id", "source"),
        Index("ix_execution_contracts_status_check", "status", "next_check_on"),
    )

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    source: Mapped[str] = mapped_column(String(80))
    plan_type: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    terms: Mapped[str] = mapped_column(Text)  # canonical JSON of ContractTerms
    schedule: Mapped[str] = mapped_column(Text)  # "YYYY-MM-DD=amount;..." as agreed
    total: Mapped[Decimal] = mapped_column(Amount())
    case_outstanding: Mapped[Decimal] = mapped_column(Amount())  # what the case owed when agreed
    starts_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    paid: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    arrears: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    misses_total: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_misses: Mapped[int] = mapped_column(Integer, default=0)
    defaults: Mapped[int] = mapped_column(Integer, default=0)
    cures: Mapped[int] = mapped_column(Integer, default=0)
    next_due: Mapped[date | None] = mapped_column(Date)
    next_amount: Mapped[Decimal | None] = mapped_column(Amount())
    evaluated_on: Mapped[date | None] = mapped_column(Date)
    next_check_on: Mapped[date | None] = mapped_column(Date)  # run-day skips the contract until then
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()
    created_by: Mapped[str] = mapped_column(String(200))


class Payment(Base):
    """Money received for a case. The idempotency key makes a duplicate harmless."""

    __tablename__ = "execution_payments"
    __table_args__ = (Index("ix_execution_payments_contract_date", "contract_id", "value_date"),)

    id: Mapped[str] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("execution_contracts.id"))
    channel: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(200))
    payer_account: Mapped[str | None] = mapped_column(String(16))  # masked: last four only
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount())
    applied: Mapped[Decimal] = mapped_column(Amount())
    credit: Mapped[Decimal] = mapped_column(Amount())
    value_date: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when posted, or when reversed
    status: Mapped[str] = mapped_column(String(16), default="posted")
    reversed_on: Mapped[date | None] = mapped_column(Date)
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))


class PaymentAllocation(Base):
    __tablename__ = "execution_allocations"

    id: Mapped[str] = id_column()
    payment_id: Mapped[str] = mapped_column(ForeignKey("execution_payments.id"), index=True)
    debt_id: Mapped[str | None] = mapped_column(ForeignKey("debts.id"), index=True)
    component: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Amount())


class Promise(Base):
    __tablename__ = "execution_promises"
    __table_args__ = (Index("ix_execution_promises_status", "status"),)

    id: Mapped[str] = id_column()
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount())
    due: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    taken_by: Mapped[str] = mapped_column(String(200))
    made_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    paid: Mapped[Decimal] = mapped_column(Amount(), default=Decimal("0.00"))
    resolved_on: Mapped[date | None] = mapped_column(Date)
    queued: Mapped[bool] = mapped_column(Boolean, default=False)  # in the broken-promise queue
    created_at: Mapped[datetime] = created_at_column()


class Reminder(Base):
    """A reminder to send before a due date; it goes out only when the compliance engine allows."""

    __tablename__ = "execution_reminders"
    __table_args__ = (
        UniqueConstraint("contract_id", "installment", "offset_days"),
        Index("ix_execution_reminders_status_next", "status", "next_try_on"),
    )

    id: Mapped[str] = id_column()
    contract_id: Mapped[str] = mapped_column(ForeignKey("execution_contracts.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    installment: Mapped[int] = mapped_column(Integer)
    offset_days: Mapped[int] = mapped_column(Integer)
    due: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, sent, expired
    next_try_on: Mapped[date] = mapped_column(Date)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    attempt_id: Mapped[str | None] = mapped_column(String(64))
    last_reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RunDay(Base):
    __tablename__ = "execution_run_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    contracts: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    # The ledger's last seq when the run took the ledger lock: later payments are re-evaluated next run.
    ledger_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Base):
    """Append-only. No code path updates or deletes a row; corrections are new entries."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_contract", "contract_id"), Index("ix_ledger_entries_day", "day"))

    # INTEGER on SQLite makes seq the rowid, so the table is stored in chain order.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    id: Mapped[str] = mapped_column(String(26), unique=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # business key: one entry per fact
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[str | None] = mapped_column(String(26), index=True)
    contract_id: Mapped[str | None] = mapped_column(String(26))
    body: Mapped[str] = mapped_column(Text)  # canonical JSON; the hash covers exactly these bytes
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(Base):
    """The tip of the chain; its row lock serialises appends."""

    __tablename__ = "ledger_heads"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    locks: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerSeal(Base):
    __tablename__ = "ledger_seals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    public_key: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerKey(Base):
    """The platform's Ed25519 signing key when none is configured (development): generated once."""

    __tablename__ = "ledger_keys"

    public_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_seed: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
