"""Validation of one placement row. Pure: text in, a clean `PlacementRow` or the problems out.

The documented import format (README, "Import format"):
required `debt_ref, debtor_type, debtor_name, id_number, phone, currency, principal, default_date`;
optional `interest, fees, origination_date, address, district, timezone, email, employer,
monthly_income`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from qingzhai.core.errors import RuleViolation
from qingzhai.core.identity import normalize_phone, resident_id_problem, uscc_problem
from qingzhai.core.money import is_currency, parse_decimal
from qingzhai.core.text import N_
from qingzhai.core.timeutil import DEFAULT_TZ, is_timezone
from qingzhai.registry.rules import DebtorType

REQUIRED_COLUMNS: tuple[str, ...] = (
    "debt_ref", "debtor_type", "debtor_name", "id_number", "phone", "currency", "principal",
    "default_date",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "interest", "fees", "origination_date", "address", "district", "timezone", "email",
    "employer", "monthly_income",
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

MAX_AMOUNT = Decimal("9999999999999999.99")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./:#]{0,63}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

SHANGHAI_DISTRICTS: tuple[str, ...] = (
    "黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "闵行区",
    "宝山区", "嘉定区", "浦东新区", "金山区", "松江区", "青浦区", "奉贤区", "崇明区",
)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One field's problem: an English template (marked for translation) and its parameters."""

    field: str
    template: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def reason(self) -> str:
        return self.template.format(**dict(self.params)) if self.params else self.template

    def localized(self, translate: Callable[[str], str]) -> str:
        return translate(self.template).format(**dict(self.params)) if self.params else translate(self.template)


def _p(field: str, template: str, **params: object) -> RowProblem:
    return RowProblem(field, template, tuple((k, str(v)) for k, v in params.items()))


@dataclass(frozen=True, slots=True)
class PlacementRow:
    line: int
    debt_ref: str
    debtor_type: DebtorType
    debtor_name: str
    id_number: str
    phone: str
    currency: str
    principal: Decimal
    interest: Decimal
    fees: Decimal
    default_date: date
    origination_date: date | None
    address: str | None
    district: str | None
    timezone: str
    email: str | None
    employer: str | None
    monthly_income: Decimal | None

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees

    def fingerprint(self) -> tuple[object, ...]:
        """What makes two placements of the same debt_ref the same debt."""
        return (self.id_number, self.currency, self.principal, self.interest, self.fees,
                self.default_date)


def missing_columns(header: list[str]) -> list[str]:
    present = {h.strip().lower() for h in header if h}
    return [c for c in REQUIRED_COLUMNS if c not in present]


def looks_like_formula(text: str) -> bool:
    return text.startswith(_FORMULA_START)


def neutralise(text: str) -> str:
    """Make a cell safe to open in a spreadsheet (OWASP CSV injection advice)."""
    return "'" + text if text and looks_like_formula(text) else text


def _text(raw: Mapping[str, str | None], name: str, problems: list[RowProblem], *,
          required: bool, max_len: int) -> str | None:
    value = (raw.get(name) or "").strip()
    if not value:
        if required:
            problems.append(_p(name, N_("is required")))
        return None
    if looks_like_formula(value):
        problems.append(_p(name, N_("starts with '{char}' and could run as a spreadsheet formula"), char=value[0]))
        return None
    if _CONTROL_RE.search(value):
        problems.append(_p(name, N_("contains control characters")))
        return None
    if len(value) > max_len:
        problems.append(_p(name, N_("is longer than {max_len} characters"), max_len=max_len))
        return None
    return value


def _amount(raw: Mapping[str, str | None], name: str, problems: list[RowProblem], *,
            required: bool, positive: bool) -> Decimal | None:
    text = (raw.get(name) or "").strip()
    if not text:
        if required:
            problems.append(_p(name, N_("is required")))
        return None
    try:
        value = parse_decimal(text, field=name, max_places=2)
    except RuleViolation as exc:
        problems.append(RowProblem(name, exc.template, tuple((k, str(v)) for k, v in exc.params.items())))
        return None
    if positive and value <= 0:
        problems.append(_p(name, N_("must be greater than zero")))
        return None
    if value < 0:
        problems.append(_p(name, N_("must not be negative")))
        return None
    if value > MAX_AMOUNT:
        problems.append(_p(name, N_("is too large")))
        return None
    return value.quantize(Decimal("0.01"))


def _date(raw: Mapping[str, str | None], name: str, problems: list[RowProblem], *,
          required: bool, today: date) -> date | None:
    text = (raw.get(name) or "").strip()
    if not text:
        if required:
            problems.append(_p(name, N_("is required")))
        return None
    if not _DATE_RE.match(text):
        problems.append(_p(name, N_("'{value}' is not an ISO date (YYYY-MM-DD)"), value=text[:20]))
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        problems.append(_p(name, N_("'{value}' is not a real calendar date"), value=text))
        return None
    if value > today:
        problems.append(_p(name, N_("is in the future")))
        return None
    if value.year < 1950:
        problems.append(_p(name, N_("is before 1950")))
        return None
    return value


def validate_row(raw: Mapping[str, str | None], *, line: int, today: date) -> PlacementRow | list[RowProblem]:
    """Check every field of one row; return all problems at once so the creditor can fix them."""
    problems: list[RowProblem] = []
    debt_ref = _text(raw, "debt_ref", problems, required=True, max_len=64)
    if debt_ref is not None and not _REF_RE.match(debt_ref):
        problems.append(_p("debt_ref", N_("may contain only letters, digits and _-./:#")))
        debt_ref = None

    kind_text = (raw.get("debtor_type") or "").strip().lower()
    kind: DebtorType | None = None
    if not kind_text:
        problems.append(_p("debtor_type", N_("is required")))
    else:
        try:
            kind = DebtorType(kind_text)
        except ValueError:
            problems.append(_p("debtor_type", N_("must be individual or enterprise")))

    name = _text(raw, "debtor_name", problems, required=True, max_len=200)

    id_number = (raw.get("id_number") or "").strip().upper()
    if not id_number:
        problems.append(_p("id_number", N_("is required")))
    elif kind is DebtorType.individual:
        if (why := resident_id_problem(id_number)) is not None:
            problems.append(_p("id_number", N_("not a valid resident ID number: {why}"), why=why))
    elif kind is DebtorType.enterprise and (why := uscc_problem(id_number)) is not None:
        problems.append(_p("id_number", N_("not a valid unified social credit code: {why}"), why=why))

    phone_text = (raw.get("phone") or "").strip()
    phone = normalize_phone(phone_text) if phone_text else None
    if not phone_text:
        problems.append(_p("phone", N_("is required")))
    elif phone is None:
        problems.append(_p("phone", N_("is not a mainland mobile (11 digits) or an international number (+country…)")))

    currency = (raw.get("currency") or "").strip().upper()
    if not currency:
        problems.append(_p("currency", N_("is required")))
    elif not is_currency(currency):
        problems.append(_p("currency", N_("'{value}' is not an ISO 4217 currency code"), value=currency[:8]))

    principal = _amount(raw, "principal", problems, required=True, positive=True)
    interest = _amount(raw, "interest", problems, required=False, positive=False)
    fees = _amount(raw, "fees", problems, required=False, positive=False)
    income = _amount(raw, "monthly_income", problems, required=False, positive=False)

    default_date = _date(raw, "default_date", problems, required=True, today=today)
    origination = _date(raw, "origination_date", problems, required=False, today=today)
    if default_date and origination and default_date < origination:
        problems.append(_p("default_date", N_("is before the origination date")))

    address = _text(raw, "address", problems, required=False, max_len=300)
    district = _text(raw, "district", problems, required=False, max_len=64)
    employer = _text(raw, "employer", problems, required=False, max_len=200)

    # No zone given: a mainland mobile means China's one zone; an international number leaves it
    # unknown (""), and the compliance engine then protects the debtor in the most restrictive
    # zone the phone and address allow.
    tz = (raw.get("timezone") or "").strip() or (DEFAULT_TZ if phone is None or not phone.startswith("+") else "")
    if tz and not is_timezone(tz):
        problems.append(_p("timezone", N_("'{value}' is not an IANA time zone"), value=tz[:40]))

    email = (raw.get("email") or "").strip() or None
    if email is not None and (len(email) > 254 or not _EMAIL_RE.match(email) or looks_like_formula(email)):
        problems.append(_p("email", N_("is not an e-mail address")))

    if problems:
        return problems
    assert debt_ref and kind and name and phone and principal is not None and default_date
    return PlacementRow(
        line=line,
        debt_ref=debt_ref,
        debtor_type=kind,
        debtor_name=name,
        id_number=id_number,
        phone=phone,
        currency=currency,
        principal=principal,
        interest=interest or Decimal("0.00"),
        fees=fees or Decimal("0.00"),
        default_date=default_date,
        origination_date=origination,
        address=address,
        district=district,
        timezone=tz,
        email=email,
        employer=employer,
        monthly_income=income,
    )
