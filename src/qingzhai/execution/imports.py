"""Payment files: a bank-statement CSV and a file of payment-gateway callbacks (JSON lines).

Every row has an idempotency key (`bank:<transaction_id>`, `gateway:<payment_id>`), so importing a
file again, or two imports of the same file at once, posts each payment exactly once. Reversals
(bounced, charged back, refunded) name the transaction they undo. Bad rows are reported with the
line and the field, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from qingzhai.core.actor import Actor
from qingzhai.core.errors import DomainError, FileRefused, RuleViolation
from qingzhai.core.money import Money, is_currency, parse_decimal
from qingzhai.execution import ledger, service
from qingzhai.registry import service as registry
from qingzhai.registry.service import Case

BANK_COLUMNS = ("transaction_id", "value_date", "amount", "currency", "case", "payer_account", "memo", "reverses")
REQUIRED_BANK = ("transaction_id", "value_date", "amount")
GATEWAY_EVENTS = {
    "payment.succeeded": "payment",
    "payment.refunded": "reversal",
    "payment.charged_back": "reversal",
    "payment.failed": "ignore",
}
CASE_IN_MEMO = re.compile(r"QZ-?(\d{1,10})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PaymentRow:
    line: int
    kind: str  # payment | reversal
    key: str
    case_ref: str | None
    amount: Money | None
    value_date: date
    channel: str
    reference: str | None = None
    payer_account: str | None = None
    reverses_key: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    reason: str


@dataclass
class PaymentImportReport:
    read: int = 0
    posted: int = 0
    reversed: int = 0
    duplicates: int = 0
    ignored: int = 0
    rejected: int = 0
    amount_posted: dict[str, str] = field(default_factory=dict)
    credit_held: dict[str, str] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        data["errors"] = [
            e.__dict__ if hasattr(e, "__dict__") else {"line": e.line, "field": e.field, "reason": e.reason} for e in self.errors
        ]
        return data


def _date(text: str, field_name: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise RuleViolation("'{text}' is not a date (YYYY-MM-DD)", field=field_name, params={"text": text}) from None


def _money(amount: str, currency: str) -> Money:
    currency = (currency or "CNY").strip().upper()
    if not is_currency(currency):
        raise RuleViolation("unknown currency '{currency}'", field="currency", params={"currency": currency})
    value = parse_decimal(amount, field="amount")
    return Money(value, currency)


def read_bank_csv(text: str) -> Iterator[PaymentRow | RowError]:
    """Bank statement: one credit per line; a line with `reverses` set undoes an earlier line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_BANK if c not in header]
    if missing:
        raise FileRefused("missing column(s): {names}", field=missing[0], line=1, params={"names": ", ".join(missing)})
    unknown = [h for h in header if h not in BANK_COLUMNS]
    if unknown:
        raise FileRefused("unknown column(s): {names}", field=unknown[0], line=1, params={"names": ", ".join(unknown)})
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            txn = row["transaction_id"]
            if not txn:
                raise RuleViolation("is empty", field="transaction_id")
            reverses = row.get("reverses") or None
            money = _money(row["amount"].lstrip("-"), row.get("currency", ""))
            case_ref = row.get("case") or None
            if case_ref is None and (m := CASE_IN_MEMO.search(row.get("memo", ""))):
                case_ref = m.group(1)
            yield PaymentRow(
                line=line,
                kind="reversal" if reverses else "payment",
                key=f"bank:{txn}",
                case_ref=case_ref,
                amount=money,
                value_date=_date(row["value_date"], "value_date"),
                channel="bank",
                reference=row.get("memo") or None,
                payer_account=row.get("payer_account") or None,
                reverses_key=f"bank:{reverses}" if reverses else None,
                reason=row.get("memo") or "bank reversal",
            )
        except DomainError as exc:
            yield RowError(line, exc.field or "row", exc.reason)


def read_gateway_callbacks(text: str) -> Iterator[PaymentRow | RowError]:
    """Gateway callbacks, one JSON object a line:
    {"event": "payment.succeeded", "payment_id": "...", "case": "1042", "amount": "500.00", "currency": "CNY",
     "paid_at": "2026-11-20T10:00:00+08:00"}; refunds and charge-backs name the `payment_id` they undo."""
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise RuleViolation("not valid JSON ({msg})", field="line", params={"msg": exc.msg}) from None
            if not isinstance(data, dict):
                raise RuleViolation("must be a JSON object", field="line")
            event = str(data.get("event", ""))
            if event not in GATEWAY_EVENTS:
                raise RuleViolation("unknown event '{event}'", field="event", params={"event": event})
            payment_id = str(data.get("payment_id") or "").strip()
            if not payment_id:
                raise RuleViolation("is missing", field="payment_id")
            kind = GATEWAY_EVENTS[event]
            paid_at = str(data.get("paid_at") or data.get("at") or "")
            try:
                moment = datetime.fromisoformat(paid_at.replace("Z", "+00:00"))
            except ValueError:
                raise RuleViolation("'{paid_at}' is not an ISO 8601 time", field="paid_at", params={"paid_at": paid_at}) from None
            if moment.tzinfo is None:
                raise RuleViolation("must carry a time zone offset", field="paid_at")
            if kind == "ignore":
                yield PaymentRow(
                    line=line,
                    kind="ignore",
                    key=f"gateway:{payment_id}",
                    case_ref=None,
                    amount=None,
                    value_date=moment.date(),
                    channel="gateway",
                )
                continue
            money = _money(str(data.get("amount", "")), str(data.get("currency", "CNY")))
            if kind == "payment":
                yield PaymentRow(
                    line=line,
                    kind="payment",
                    key=f"gateway:{payment_id}",
                    case_ref=str(data.get("case") or "") or None,
                    amount=money,
                    value_date=registry.local_today(moment),
                    channel="gateway",
                    reference=str(data.get("reference") or "") or None,
                )
            else:
                yield PaymentRow(
                    line=line,
                    kind="reversal",
                    key=f"gateway:{event}:{payment_id}",
                    case_ref=None,
                    amount=money,
                    value_date=registry.local_today(moment),
                    channel="gateway",
                    reverses_key=f"gateway:{payment_id}",
                    reason=event,
                )
        except DomainError as exc:
            yield RowError(line, exc.field or "line", exc.reason)


def read_payment_file(path: Path, kind: str | None = None) -> Iterator[PaymentRow | RowError]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FileRefused("is not UTF-8 text", field="file") from None
    except OSError as exc:
        raise FileRefused("cannot be read ({strerror})", field="file", params={"strerror": exc.strerror}) from None
    kind = kind or ("gateway" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "bank")
    if kind == "gateway":
        return read_gateway_callbacks(text)
    if kind == "bank":
        return read_bank_csv(text)
    raise RuleViolation("must be bank or gateway", field="format")


def import_payments(
    session: Session,
    rows: Iterable[PaymentRow | RowError],
    *,
    actor: Actor,
    now: datetime,
    on_row: Callable[[int], None] | None = None,
) -> PaymentImportReport:
    """Post every payment and reversal of a file. Holds the ledger lock for the whole file, so two
    imports of one file run one after the other and the second finds every key already posted."""
    report = PaymentImportReport()
    ledger.lock_head(session)
    cases: dict[str, Case] = {}
    totals: dict[str, Any] = {}
    credit: dict[str, Any] = {}
    for row in rows:
        report.read += 1
        if on_row:
            on_row(report.read)
        if isinstance(row, RowError):
            report.rejected += 1
            report.errors.append(row)
            continue
        if row.kind == "ignore":
            report.ignored += 1
            continue
        try:
            with session.begin_nested():
                if row.kind == "reversal":
                    payment = service.get_payment(session, row.reverses_key or "")
                    posting = service.reverse_payment(
                        session, payment=payment, reason=row.reason or "reversal", on=row.value_date, actor=actor, now=now
                    )
                    if posting.duplicate:
                        report.duplicates += 1
                    else:
                        report.reversed += 1
                    continue
                if not row.case_ref:
                    raise RuleViolation("no case number (column case, or QZ-<number> in the memo)", field="case")
                case = cases.get(row.case_ref)
                if case is None:
                    case = cases[row.case_ref] = registry.get_case(session, row.case_ref, actor=actor)
                assert row.amount is not None
                posting = service.record_payment(
                    session,
                    case=case,
                    amount=row.amount,
                    idempotency_key=row.key,
                    value_date=row.value_date,
                    channel=row.channel,
                    actor=actor,
                    now=now,
                    reference=row.reference,
                    payer_account=row.payer_account,
                )
        except DomainError as exc:
            report.rejected += 1
            report.errors.append(RowError(row.line, exc.field or "row", exc.reason))
            continue
        if posting.duplicate:
            report.duplicates += 1
            continue
        report.posted += 1
        cur = posting.payment.currency
        totals[cur] = totals.get(cur, 0) + posting.payment.amount
        if posting.payment.credit:
            credit[cur] = credit.get(cur, 0) + posting.payment.credit
    report.amount_posted = {k: str(v) for k, v in totals.items()}
    report.credit_held = {k: str(v) for k, v in credit.items()}
    return report
