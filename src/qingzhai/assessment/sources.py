"""The documented source formats (docs/assessment.md), their parsers, and the provider port.

Every source is a JSON list of records (bank statements: CSV), each naming its debtor by
`debtor_id` (qingzhai's id) or `id_number`. A record is parsed into a normalised payload (amounts
as integer fen, dates ISO) under a business key, so importing the same file twice changes nothing.
Pure: no database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import MISSING, dataclass
from dataclasses import fields as dataclass_fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Protocol

from qingzhai.assessment import evidence as ev
from qingzhai.assessment.bank import CATEGORIES
from qingzhai.core.errors import FileRefused, RuleViolation


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text | date | money | signed_money | bool | int | share | texts | dates
    required: bool = False
    choices: tuple[str, ...] | None = None
    description: str = ""


def _f(name: str, kind: str, required: bool = False, choices: tuple[str, ...] | None = None, description: str = "") -> FieldSpec:
    return FieldSpec(name, kind, required, choices, description)


ACCOUNT_FIELDS: Final = (
    _f("lender", "text", True), _f("kind", "text", True, ("credit_card", "consumer_loan", "mortgage", "car_loan",
                                                            "business_loan", "guarantee", "other")),
    _f("balance", "money", True), _f("monthly_payment", "money"), _f("overdue_months", "int"),
    _f("status", "text", True, ("normal", "overdue", "written_off", "closed")),
)

# source -> (dataclass, fields, business key fields, observed-on field)
SOURCES: Final[dict[str, tuple[type, tuple[FieldSpec, ...], tuple[str, ...], str | None]]] = {
    "identity": (ev.IdentityCheck, (
        _f("checked_on", "date", True), _f("provider", "text", True), _f("id_valid", "bool", True),
        _f("name_matches", "bool", True), _f("photo_match", "share")), ("checked_on", "provider"), "checked_on"),
    "bank": (ev.BankTxn, (
        _f("account", "text", True), _f("date", "date", True), _f("amount", "signed_money", True),
        _f("counterparty", "text"), _f("category", "text", True, tuple(sorted(CATEGORIES))),
        _f("balance", "signed_money")), ("account",), None),
    "employment": (ev.Employment, (
        _f("verified_on", "date", True), _f("status", "text", True, ("employed", "self_employed", "unemployed", "retired")),
        _f("employer", "text"), _f("since", "date"), _f("monthly_salary", "money"), _f("social_insurance_months", "int")),
        ("verified_on", "employer"), "verified_on"),
    "property": (ev.Property, (
        _f("certificate", "text", True), _f("checked_on", "date", True), _f("address", "text", True),
        _f("value", "money", True), _f("acquired_on", "date"), _f("share", "share"), _f("encumbrance", "money"),
        _f("seized", "bool"), _f("disposed_on", "date")), ("certificate",), "checked_on"),
    "vehicles": (ev.Vehicle, (
        _f("plate", "text", True), _f("checked_on", "date", True), _f("description", "text"), _f("value", "money", True),
        _f("registered_on", "date"), _f("pledged", "bool"), _f("disposed_on", "date")), ("plate",), "checked_on"),
    "financials": (ev.Financials, (
        _f("year", "int", True), _f("reported_on", "date", True), _f("revenue", "money", True),
        _f("receivables", "money", True), _f("total_assets", "money", True), _f("net_assets", "signed_money", True),
        _f("employees", "int", True)), ("year",), "reported_on"),
    "court": (ev.CourtRecord, (
        _f("case_no", "text", True), _f("court", "text", True),
        _f("kind", "text", True, ("litigation", "enforcement", "dishonest", "consumption_ban")),
        _f("role", "text", True, ("plaintiff", "defendant")), _f("amount", "money", True), _f("filed_on", "date", True),
        _f("status", "text", True, ("open", "closed", "terminated_no_assets"))), ("case_no", "role"), "filed_on"),
    "credit": (ev.CreditReport, (
        _f("reported_on", "date", True), _f("bureau", "text", True), _f("accounts", "accounts", True),
        _f("queries_6m", "int")), ("reported_on", "bureau"), "reported_on"),
    "interviews": (ev.Interview, (
        _f("interviewed_on", "date", True),
        _f("interviewee_role", "text", True, ("partner", "supplier", "customer", "employer", "reference", "neighbour",
                                              "debtor")),
        _f("reliability", "share", True), _f("cooperative", "bool"), _f("business_active", "bool"),
        _f("hardship", "text", False, ("unemployment", "illness", "disaster")), _f("assets_mentioned", "texts"),
        _f("notes", "text")), ("interviewed_on", "interviewee_role", "notes"), "interviewed_on"),
    "contact": (ev.ContactCheck, (
        _f("checked_on", "date", True), _f("method", "text", True, ("phone", "visit", "letter", "location_track")),
        _f("phone_reachable", "bool"), _f("address_verified", "bool")), ("checked_on", "method"), "checked_on"),
    "debt_documents": (ev.DebtDocument, (
        _f("debt_ref", "text", True), _f("checked_on", "date", True), _f("contract", "bool", True),
        _f("signed_on", "date"), _f("disbursement", "money"), _f("disbursed_on", "date"), _f("acknowledgements", "dates"),
        _f("last_payment_on", "date")), ("debt_ref",), "checked_on"),
}
SOURCE_NAMES: Final = (*SOURCES, "registry")

# Input name -> dataclass field name where they differ.
RENAMES: Final = {"date": "on", "amount": "amount_fen", "balance": "balance_fen", "monthly_salary": "monthly_salary_fen",
                  "value": "value_fen", "encumbrance": "encumbrance_fen", "revenue": "revenue_fen",
                  "receivables": "receivables_fen", "total_assets": "total_assets_fen", "net_assets": "net_assets_fen",
                  "disbursement": "disbursement_fen", "monthly_payment": "monthly_payment_fen"}


def _amount(value: Any, field: str, *, signed: bool) -> int:
    if isinstance(value, float):
        raise RuleViolation("amounts are given as text, e.g. \"1234.50\"", field=field)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise RuleViolation(f"'{value}' is not an amount", field=field) from None
    fen = amount * 100
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise RuleViolation(f"'{value}' has more than 2 decimal places", field=field)
    if not signed and fen < 0:
        raise RuleViolation("must not be negative", field=field)
    return int(fen)


def _value(spec: FieldSpec, value: Any, field: str) -> Any:
    if spec.kind == "text":
        text = str(value).strip()
        if spec.choices and text not in spec.choices:
            raise RuleViolation(f"'{text}' is not one of " + ", ".join(spec.choices), field=field)
        return text
    if spec.kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise RuleViolation(f"'{value}' is not an ISO date (YYYY-MM-DD)", field=field) from None
    if spec.kind in ("money", "signed_money"):
        return _amount(value, field, signed=spec.kind == "signed_money")
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise RuleViolation(f"'{value}' is not true or false", field=field)
    if spec.kind == "int":
        if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
            raise RuleViolation(f"'{value}' is not a whole number", field=field)
        return int(str(value).strip())
    if spec.kind == "share":
        try:
            share = float(Decimal(str(value)))
        except InvalidOperation:
            raise RuleViolation(f"'{value}' is not a number", field=field) from None
        if not 0 <= share <= 1:
            raise RuleViolation("must lie between 0 and 1", field=field)
        return share
    if spec.kind == "texts":
        if not isinstance(value, list):
            raise RuleViolation("must be a list of texts", field=field)
        return [str(v) for v in value]
    if spec.kind == "dates":
        if not isinstance(value, list):
            raise RuleViolation("must be a list of ISO dates", field=field)
        return [_value(FieldSpec(spec.name, "date"), v, f"{field}[{i}]") for i, v in enumerate(value)]
    if spec.kind == "accounts":
        if not isinstance(value, list):
            raise RuleViolation("must be a list of accounts", field=field)
        return [_parse_fields(ACCOUNT_FIELDS, a, f"{field}[{i}]") for i, a in enumerate(value)]
    raise AssertionError(spec.kind)  # pragma: no cover


def _parse_fields(specs: tuple[FieldSpec, ...], record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise RuleViolation("must be an object", field=where)
    out: dict[str, Any] = {}
    known = {s.name for s in specs} | {"debtor_id", "id_number"}
    extra = set(record) - known
    if extra:
        raise RuleViolation("unknown field " + ", ".join(sorted(extra)), field=where)
    for spec in specs:
        raw = record.get(spec.name)
        if raw is None or raw == "":
            if spec.required:
                raise RuleViolation("is required", field=f"{where}.{spec.name}" if where else spec.name)
            continue
        out[spec.name] = _value(spec, raw, f"{where}.{spec.name}" if where else spec.name)
    return out


@dataclass(frozen=True)
class ParsedRecord:
    debtor_id: str | None
    id_number: str | None
    key: str
    observed_on: date | None
    payload: dict[str, Any]


def parse_record(source: str, record: Mapping[str, Any], where: str = "") -> ParsedRecord:
    """One record of `source` checked and normalised; RuleViolation names the bad field."""
    if source not in SOURCES:
        raise RuleViolation("unknown source; one of " + ", ".join(SOURCE_NAMES), field="source")
    _cls, specs, key_fields, observed = SOURCES[source]
    debtor_id = str(record.get("debtor_id") or "").strip() or None
    id_number = str(record.get("id_number") or "").strip() or None
    if not debtor_id and not id_number:
        raise RuleViolation("needs debtor_id or id_number", field=f"{where}.debtor_id" if where else "debtor_id")
    if record.get("nothing_found") is True:
        extra = set(record) - {"debtor_id", "id_number", "nothing_found", "checked_on"}
        if extra:
            raise RuleViolation("a nothing_found record has only debtor_id/id_number and checked_on",
                                field=f"{where}.{sorted(extra)[0]}" if where else sorted(extra)[0])
        checked = _value(FieldSpec("checked_on", "date", True), record.get("checked_on"), "checked_on")
        return ParsedRecord(debtor_id, id_number, "nothing_found", date.fromisoformat(checked),
                            {"nothing_found": True, "checked_on": checked})
    payload = _parse_fields(specs, record, where)
    key = "|".join(str(payload.get(k, "")) for k in key_fields)
    if len(key) > 180:
        key = hashlib.sha256(key.encode()).hexdigest()
    seen = date.fromisoformat(payload[observed]) if observed and observed in payload else None
    return ParsedRecord(debtor_id, id_number, key, seen, payload)


def to_evidence(source: str, payload: Mapping[str, Any]) -> Any:
    """A stored payload back into its evidence dataclass."""
    cls, specs, _key, _obs = SOURCES[source]
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in payload:
            continue
        raw = payload[spec.name]
        if spec.kind == "date":
            raw = date.fromisoformat(raw)
        elif spec.kind == "dates":
            raw = tuple(date.fromisoformat(d) for d in raw)
        elif spec.kind == "texts":
            raw = tuple(raw)
        elif spec.kind == "accounts":
            raw = tuple(ev.CreditAccount(**{RENAMES.get(k, k): v for k, v in a.items()} | {
                "monthly_payment_fen": a.get("monthly_payment", 0), "overdue_months": a.get("overdue_months", 0)})
                for a in raw)
        values[RENAMES.get(spec.name, spec.name)] = raw
    if source == "bank":
        values.setdefault("counterparty", "")
    if source == "vehicles":
        values.setdefault("description", "")
    for f in dataclass_fields(cls):
        if f.name not in values and f.default is MISSING:
            values[f.name] = None
    return cls(**values)


def bank_payload_rows(payload: Mapping[str, Any]) -> Iterator[ev.BankTxn]:
    """A stored bank account (one evidence record per account) back into transactions."""
    account = payload["account"]
    for on, amount, counterparty, category, balance in payload["transactions"]:
        yield ev.BankTxn(account, date.fromordinal(on), amount, counterparty, category, balance)


def read_records(source: str, data: bytes) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(line or position, record) pairs of a source file: CSV for `bank`, a JSON list otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused("the file is not UTF-8 text", field="file") from None
    if source == "bank":
        reader = csv.DictReader(io.StringIO(text))
        needed = {"account", "date", "amount", "category"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            raise FileRefused("missing column " + ", ".join(sorted(missing)), field="file", line=1)
        if not ({"debtor_id", "id_number"} & set(reader.fieldnames or ())):
            raise FileRefused("needs a debtor_id or id_number column", field="file", line=1)
        for number, row in enumerate(reader, start=2):
            yield number, {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRefused(f"not valid JSON: {exc.msg}", field="file", line=exc.lineno) from None
    if not isinstance(doc, list):
        raise FileRefused("the file must hold a JSON list of records", field="file")
    yield from enumerate(doc)


class EvidenceProvider(Protocol):
    """A data provider (business registry, court records, credit bureau, bank) behind one port.

    A live adapter returns records in the documented format of its `source`; the importer stores
    them exactly as if they came from a file.
    """

    source: str

    def fetch(self, *, debtor_id: str, id_number: str, name: str) -> Iterable[Mapping[str, Any]]: ...


ProgressCallback = Callable[[int], None]
