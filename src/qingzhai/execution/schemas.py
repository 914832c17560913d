"""API shapes of execution."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from qingzhai.execution.models import Contract, Payment, PaymentAllocation, Promise
from qingzhai.execution.rules import decode_schedule


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstallmentIn(_In):
    due: date
    amount: Decimal = Field(description="Decimal string, e.g. \"1000.00\".")


class ContractCreate(_In):
    case: str = Field(description="Case number or id.", max_length=64)
    schedule: list[InstallmentIn] = Field(min_length=1, max_length=360)
    source: str = Field("manual", max_length=80, description="Where the plan came from: plan:<id>, mediation:<id>, manual.")
    plan_type: str = Field("installments", max_length=32)
    terms: dict[str, Any] | None = Field(None, description="Contract terms; omitted ones take their defaults.")


class InstallmentRead(BaseModel):
    due: date
    amount: Decimal


class ContractRead(BaseModel):
    id: str
    case_id: str
    source: str
    plan_type: str
    currency: str
    status: str
    total: Decimal
    paid: Decimal
    arrears: Decimal
    misses_total: int
    consecutive_misses: int
    defaults: int
    cures: int
    next_due: date | None
    next_amount: Decimal | None
    starts_on: date
    closed_on: date | None
    terms: dict[str, Any]
    schedule: list[InstallmentRead]

    @classmethod
    def of(cls, c: Contract) -> ContractRead:
        return cls(
            id=c.id, case_id=c.case_id, source=c.source, plan_type=c.plan_type, currency=c.currency, status=c.status,
            total=c.total, paid=c.paid, arrears=c.arrears, misses_total=c.misses_total,
            consecutive_misses=c.consecutive_misses, defaults=c.defaults, cures=c.cures, next_due=c.next_due,
            next_amount=c.next_amount, starts_on=c.starts_on, closed_on=c.closed_on, terms=json.loads(c.terms),
            schedule=[InstallmentRead(due=i.due, amount=i.amount) for i in decode_schedule(c.schedule)],
        )


class PaymentCreate(_In):
    case: str = Field(max_length=64, description="Case number or id.")
    amount: Decimal
    currency: str = Field("CNY", min_length=3, max_length=3)
    idempotency_key: str = Field(min_length=1, max_length=200, description="A repeat with the same key is ignored.")
    value_date: date
    reference: str | None = Field(None, max_length=200)


class PaymentReverse(_In):
    reason: str = Field(min_length=1, max_length=500)
    reversed_on: date


class AllocationRead(BaseModel):
    debt_id: str | None
    component: str
    amount: Decimal

    @classmethod
    def of(cls, a: PaymentAllocation) -> AllocationRead:
        return cls(debt_id=a.debt_id, component=a.component, amount=a.amount)


class PaymentRead(BaseModel):
    id: str
    idempotency_key: str
    case_id: str
    contract_id: str | None
    channel: str
    amount: Decimal
    currency: str
    applied: Decimal
    credit: Decimal
    value_date: date
    received_at: datetime
    status: str
    reversed_on: date | None
    duplicate: bool = False
    allocations: list[AllocationRead] = []

    @classmethod
    def of(cls, p: Payment, *, duplicate: bool = False,
           allocations: list[PaymentAllocation] | None = None) -> PaymentRead:
        return cls(
            id=p.id, idempotency_key=p.idempotency_key, case_id=p.case_id, contract_id=p.contract_id,
            channel=p.channel, amount=p.amount, currency=p.currency, applied=p.applied, credit=p.credit,
            value_date=p.value_date, received_at=p.received_at, status=p.status, reversed_on=p.reversed_on,
            duplicate=duplicate, allocations=[AllocationRead.of(a) for a in allocations or []],
        )


class PromiseCreate(_In):
    case: str = Field(max_length=64)
    amount: Decimal
    currency: str = Field("CNY", min_length=3, max_length=3)
    due: date
    channel: str = Field(max_length=16)
    taken_by: str = Field(min_length=1, max_length=200)


class PromiseRead(BaseModel):
    id: str
    case_id: str
    amount: Decimal
    currency: str
    due: date
    channel: str
    taken_by: str
    made_on: date
    status: str
    paid: Decimal
    resolved_on: date | None
    queued: bool

    @classmethod
    def of(cls, p: Promise) -> PromiseRead:
        return cls(id=p.id, case_id=p.case_id, amount=p.amount, currency=p.currency, due=p.due, channel=p.channel,
                   taken_by=p.taken_by, made_on=p.made_on, status=p.status, paid=p.paid, resolved_on=p.resolved_on,
                   queued=p.queued)


class RunDayRequest(_In):
    day: date
