"""Money: a Decimal amount with an ISO 4217 currency. Never float.

Amounts are kept exact; rounding half-up to the minor unit (fen for CNY) happens only at the
edges (`Money.rounded`, `split_evenly`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from qingzhai.core.errors import RuleViolation
from qingzhai.core.text import N_

# ISO 4217 active codes with their minor units (exponent). Covers every currency a creditor
# in scope is likely to place; unknown codes are refused rather than guessed.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2, "HKD": 2, "MOP": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0,
    "KRW": 0, "SGD": 2, "AUD": 2, "CAD": 2, "NZD": 2, "CHF": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "THB": 2, "MYR": 2, "IDR": 2, "PHP": 2, "VND": 0, "INR": 2, "RUB": 2,
    "AED": 2, "SAR": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "TRY": 2, "PLN": 2, "CZK": 2,
    "HUF": 2, "ILS": 2, "KZT": 2, "MNT": 2, "LAK": 2, "KHR": 2, "MMK": 2, "PKR": 2,
    "BDT": 2, "LKR": 2, "NPR": 2, "EGP": 2, "NGN": 2, "KES": 2, "CLP": 0, "COP": 2,
    "ARS": 2, "PEN": 2, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


_PLAIN = re.compile(r"\d{1,16}(?:\.\d{1,2})?")


def parse_decimal(text: str | Decimal | int, *, field: str, max_places: int = 2) -> Decimal:
    """Parse an exact decimal amount from text; refuse floats' artefacts, NaN, and excess places."""
    if isinstance(text, float):  # pragma: no cover - defensive, callers pass text
        raise RuleViolation("must be given as text or Decimal, not float", field=field)
    if max_places >= 2 and type(text) is str and _PLAIN.fullmatch(text):
        return Decimal(text)  # plain digits with at most two decimals: nothing else to check
    raw = str(text).strip().replace(",", "") if not isinstance(text, Decimal) else text
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        raise RuleViolation(N_("'{value}' is not a number"), field=field, params={"value": str(text)[:30]}) from None
    if not value.is_finite():
        raise RuleViolation(N_("must be a finite number"), field=field)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_places:
        raise RuleViolation(N_("has more than {places} decimal places"), field=field, params={"places": max_places})
    return value


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if self.currency not in MINOR_UNITS:
            raise RuleViolation(f"unknown currency '{self.currency}'", field="currency")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str = "CNY") -> Money:
        return cls(Decimal(str(amount)) if not isinstance(amount, Decimal) else amount, currency)

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise RuleViolation(
                f"cannot combine {self.currency} with {other.currency}", field="currency"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by Decimal or int, not float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def rounded(self) -> Money:
        """Round half-up to the currency's minor unit (the fen for CNY)."""
        return Money(self.amount.quantize(quantum(self.currency), ROUND_HALF_UP), self.currency)

    def __str__(self) -> str:
        return f"{self.rounded().amount:,.{MINOR_UNITS[self.currency]}f} {self.currency}"


def total(items: Iterable[Money], currency: str = "CNY") -> Money:
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result


def split_evenly(amount: Money, parts: int) -> list[Money]:
    """Split into `parts` equal minor-unit amounts; the last absorbs the remainder so the sum is exact.

    The equal part is rounded down, so the last part is never smaller than the others and never
    negative.
    """
    if parts < 1:
        raise RuleViolation("must be at least 1", field="parts")
    amount = amount.rounded()
    q = quantum(amount.currency)
    each = (amount.amount / parts).quantize(q, ROUND_DOWN)
    head = [Money(each, amount.currency)] * (parts - 1)
    last = Money(amount.amount - each * (parts - 1), amount.currency)
    return [*head, last]
