"""Chinese identifiers: resident ID numbers (GB 11643-1999), unified social credit codes
(GB 32100-2015), and mainland mobile numbers. Pure checks and check-character computation."""

from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

# GB 32100-2015: the code alphabet omits I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# Mainland mobile: 11 digits starting 13-19, optionally prefixed +86 / 86.
_MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
# International numbers in E.164 form for debtors abroad.
_E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident ID number, or None if it is."""
    v = value.strip().upper()
    if not _ID_RE.match(v):
        return "must be 17 digits followed by a digit or X"
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "contains an impossible date of birth"
    if resident_id_check_char(v[:17]) != v[17]:
        return "check character does not match"
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-character unified social credit code, or None if it is."""
    v = value.strip().upper()
    if not _USCC_RE.match(v):
        return "must be 18 characters of the credit-code alphabet"
    if uscc_check_char(v[:17]) != v[17]:
        return "check character does not match"
    return None


def normalize_phone(value: str) -> str | None:
    """A mainland mobile as 11 digits, or an international number in E.164; None if neither."""
    v = re.sub(r"[\s\-()]", "", value)
    m = _MOBILE_RE.match(v)
    if m:
        return m.group(1)
    if _E164_RE.match(v):
        return v
    return None
