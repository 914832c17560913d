"""Which time zones a debtor may be in, when `Debtor.timezone` is not known.

Pure. The compliance engine then applies every rule in every candidate zone (the most
restrictive wins): US industry practice under Regulation F is to call only at hours that are
convenient in every zone the consumer might be in; the `cn` preset protects a debtor abroad the
same way (CBA 2026 guideline: quiet hours are the debtor's local time).

The tables are deliberately small: calling codes and address keywords of the places qingzhai's
users meet most. An unknown number or address adds no zone; with no zone at all the firm's own
zone is used.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

US_ZONES: Final = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
)
CANADA_ZONES: Final = (
    "America/St_Johns", "America/Halifax", "America/Toronto", "America/Winnipeg",
    "America/Edmonton", "America/Vancouver",
)
AUSTRALIA_ZONES: Final = ("Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney")

# Longest prefix first when matching. "+1" covers the US and Canada (NANP).
CALLING_CODES: Final[dict[str, tuple[str, ...]]] = {
    "1": US_ZONES + CANADA_ZONES,
    "7": ("Europe/Moscow",),
    "33": ("Europe/Paris",),
    "44": ("Europe/London",),
    "49": ("Europe/Berlin",),
    "60": ("Asia/Kuala_Lumpur",),
    "61": AUSTRALIA_ZONES,
    "64": ("Pacific/Auckland",),
    "65": ("Asia/Singapore",),
    "66": ("Asia/Bangkok",),
    "81": ("Asia/Tokyo",),
    "82": ("Asia/Seoul",),
    "86": ("Asia/Shanghai",),
    "852": ("Asia/Hong_Kong",),
    "853": ("Asia/Macau",),
    "886": ("Asia/Taipei",),
    "971": ("Asia/Dubai",),
}

# (keyword, zones): checked in order, every match adds its zones.
ADDRESS_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("香港", ("Asia/Hong_Kong",)), ("hong kong", ("Asia/Hong_Kong",)),
    ("澳门", ("Asia/Macau",)), ("macau", ("Asia/Macau",)),
    ("台湾", ("Asia/Taipei",)), ("taiwan", ("Asia/Taipei",)),
    ("新加坡", ("Asia/Singapore",)), ("singapore", ("Asia/Singapore",)),
    ("纽约", ("America/New_York",)), ("new york", ("America/New_York",)),
    ("洛杉矶", ("America/Los_Angeles",)), ("los angeles", ("America/Los_Angeles",)),
    ("旧金山", ("America/Los_Angeles",)), ("san francisco", ("America/Los_Angeles",)),
    ("芝加哥", ("America/Chicago",)), ("chicago", ("America/Chicago",)),
    ("美国", US_ZONES), ("united states", US_ZONES), ("usa", US_ZONES),
    ("加拿大", CANADA_ZONES), ("canada", CANADA_ZONES),
    ("伦敦", ("Europe/London",)), ("london", ("Europe/London",)),
    ("英国", ("Europe/London",)), ("united kingdom", ("Europe/London",)),
    ("东京", ("Asia/Tokyo",)), ("日本", ("Asia/Tokyo",)), ("japan", ("Asia/Tokyo",)),
    ("悉尼", ("Australia/Sydney",)), ("澳大利亚", AUSTRALIA_ZONES), ("australia", AUSTRALIA_ZONES),
    ("上海", ("Asia/Shanghai",)), ("北京", ("Asia/Shanghai",)), ("中国", ("Asia/Shanghai",)),
)


@lru_cache(maxsize=512)
def tzinfo(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def valid_zone(name: str | None) -> bool:
    if not name or name != name.strip() or name.lower() == "unknown":
        return False
    try:
        tzinfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zones_for_phone(phone: str | None) -> tuple[str, ...]:
    """Zones a number's country calling code allows. A bare 11-digit number starting with 1 is a
    mainland mobile (the plan of MIIT); other numbers need a `+` or `00` prefix to be placed."""
    if not phone:
        return ()
    raw = phone.strip().replace(" ", "").replace("-", "")
    if raw.startswith("+"):
        digits = raw[1:]
    elif raw.startswith("00"):
        digits = raw[2:]
    elif len(raw) == 11 and raw.startswith("1") and raw.isdigit():
        return ("Asia/Shanghai",)
    elif raw.startswith("0") and raw[1:].isdigit():
        return ("Asia/Shanghai",)  # mainland landline with trunk prefix
    else:
        return ()
    for size in (3, 2, 1):
        zones = CALLING_CODES.get(digits[:size])
        if zones:
            return zones
    return ()


def zones_for_address(address: str | None) -> tuple[str, ...]:
    if not address:
        return ()
    text = address.lower()
    found: list[str] = []
    for keyword, zones in ADDRESS_KEYWORDS:
        if keyword in text:
            found.extend(z for z in zones if z not in found)
    return tuple(found)


def candidate_zones(timezone: str | None, phone: str | None, address: str | None, default: str) -> tuple[str, ...]:
    """The debtor's zone when known; otherwise every zone the phone number and address allow
    (the rules then hold in all of them); otherwise the firm's zone."""
    if valid_zone(timezone):
        return (timezone,)  # type: ignore[return-value]
    found: list[str] = []
    for z in zones_for_phone(phone) + zones_for_address(address):
        if z not in found:
            found.append(z)
    return tuple(found) or (default,)
