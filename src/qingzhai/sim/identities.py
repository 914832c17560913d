"""Valid-looking synthetic identifiers: resident ID numbers and unified social credit codes
with correct check characters, and mobile numbers. Deterministic under a NumPy generator."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from qingzhai.core.identity import USCC_ALPHABET, resident_id_check_char, uscc_check_char

# Administrative division codes (GB/T 2260) of Shanghai's 16 districts.
SHANGHAI_DISTRICT_CODES: dict[str, str] = {
    "黄浦区": "310101", "徐汇区": "310104", "长宁区": "310105", "静安区": "310106",
    "普陀区": "310107", "虹口区": "310109", "杨浦区": "310110", "闵行区": "310112",
    "宝山区": "310113", "嘉定区": "310114", "浦东新区": "310115", "金山区": "310116",
    "松江区": "310117", "青浦区": "310118", "奉贤区": "310120", "崇明区": "310151",
}
# Birthplaces outside Shanghai (many Shanghai residents were born elsewhere).
OTHER_BIRTHPLACES = (
    "320102", "320505", "330106", "330203", "340104", "350102", "360102", "370102",
    "410105", "420106", "430104", "440106", "510104", "500103", "610113", "230102",
)

_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(rng: np.random.Generator, region: str, born: date, female: bool) -> str:
    seq = int(rng.integers(0, 500)) * 2 + (0 if female else 1)
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def organization_code(rng: np.random.Generator) -> str:
    """GB 11714 organisation code: 8 characters and a check character."""
    body = "".join(str(int(d)) for d in rng.integers(0, 10, size=8))
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc(rng: np.random.Generator, region: str) -> str:
    """A unified social credit code of an enterprise registered with market regulation (91…)."""
    first17 = "91" + region + organization_code(rng)
    assert all(c in USCC_ALPHABET for c in first17)
    return first17 + uscc_check_char(first17)


_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "158", "159", "166", "173", "176", "177", "180", "181", "182", "185",
    "186", "187", "188", "189", "191", "193", "195", "198", "199",
)


def mobile(rng: np.random.Generator) -> str:
    prefix = _MOBILE_PREFIXES[int(rng.integers(0, len(_MOBILE_PREFIXES)))]
    return prefix + f"{int(rng.integers(0, 100_000_000)):08d}"


def birth_date(rng: np.random.Generator, as_of: date) -> date:
    age_days = int(rng.integers(22 * 365, 65 * 365))
    return as_of - timedelta(days=age_days)
