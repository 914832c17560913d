"""Edges of the pure contact rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from qingzhai.compliance.presets import CN, PRESETS, US_REGF, preset
from qingzhai.compliance.rules import (
    ContactRequest,
    PastContact,
    QuietWindow,
    Restriction,
    Standing,
    decide,
    tighten,
)
from qingzhai.compliance.zones import candidate_zones, zones_for_address, zones_for_phone
from qingzhai.core.errors import RuleViolation
from qingzhai.registry.rules import ContactTightening

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
LDN = ZoneInfo("Europe/London")


def req(at: datetime, zone: str = "Asia/Shanghai", **kw) -> ContactRequest:
    kw.setdefault("channel", "call")
    kw.setdefault("phone", "p1")
    return ContactRequest(at=at, zones=(zone,), **kw)


def rules_of(d) -> list[str]:
    return [f.rule for f in d.reasons]


@pytest.mark.parametrize(("hms", "allowed"), [
    ((21, 59, 59), True), ((22, 0, 0), False), ((7, 59, 59), False), ((8, 0, 0), True), ((0, 0, 0), False),
])
def test_cn_quiet_hours_edges(hms: tuple[int, int, int], allowed: bool) -> None:
    at = datetime(2026, 11, 20, *hms, tzinfo=SH)
    assert decide(CN, req(at)).allowed is allowed


@pytest.mark.parametrize("channel", ["call", "bot_call", "sms", "email", "letter", "visit", "message"])
def test_quiet_hours_apply_to_every_channel(channel: str) -> None:
    d = decide(CN, req(datetime(2026, 11, 20, 22, 30, tzinfo=SH), channel=channel, collectors=2))
    assert rules_of(d) == ["quiet_hours"]
    assert d.next_allowed_at == datetime(2026, 11, 21, 8, 0, tzinfo=SH)


def test_debtor_in_los_angeles_under_cn_is_protected_in_their_own_time() -> None:
    at = datetime(2026, 11, 20, 14, 0, tzinfo=SH)  # 22:00 in Los Angeles the day before
    d = decide(CN, req(at, "America/Los_Angeles"))
    assert rules_of(d) == ["quiet_hours"]
    assert d.next_allowed_at == datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert decide(CN, req(datetime(2026, 11, 20, 13, 59, 59, tzinfo=SH), "America/Los_Angeles")).allowed


def test_us_regf_window_is_eight_to_nine() -> None:
    assert decide(US_REGF, req(datetime(2026, 11, 20, 20, 59, 59, tzinfo=NY), "America/New_York")).allowed
    assert not decide(US_REGF, req(datetime(2026, 11, 20, 21, 0, tzinfo=NY), "America/New_York")).allowed


def _calls(times: list[datetime], outcome: str | None = "conversation", phone: str = "p1") -> tuple[PastContact, ...]:
    return tuple(PastContact(at=t.timestamp(), channel="call", outcome=outcome, phone=phone) for t in times)


def test_connected_cap_counts_the_debtors_local_day_not_utc() -> None:
    # Three conversations at 23:30 local the day before (New York) do not count today.
    day_before = [datetime(2026, 11, 19, 20, m, tzinfo=NY) for m in (0, 10, 20)]
    at = datetime(2026, 11, 20, 8, 0, tzinfo=NY)
    assert decide(CN, req(at, "America/New_York"), _calls(day_before)).allowed
    same_day = [datetime(2026, 11, 20, 0, 0, tzinfo=NY) + timedelta(minutes=m) for m in (0, 1, 2)]
    d = decide(CN, req(at, "America/New_York"), _calls(same_day))
    assert rules_of(d) == ["connected_calls_per_day"]
    assert d.next_allowed_at == datetime(2026, 11, 21, 8, 0, tzinfo=NY)


def test_local_midnight_resets_the_daily_caps() -> None:
    hist = _calls([datetime(2026, 11, 20, 21, m, tzinfo=SH) for m in range(3)])
    assert not decide(CN, req(datetime(2026, 11, 20, 21, 59, 59, tzinfo=SH)), hist).allowed
    assert decide(CN, req(datetime(2026, 11, 21, 8, 0, tzinfo=SH)), hist).allowed


def test_dst_start_new_york_day_is_23_hours() -> None:
    # 2026-03-08: clocks go 02:00 -> 03:00. 08:00 EDT = 12:00 UTC.
    d = decide(US_REGF, req(datetime(2026, 3, 8, 11, 59, 59, tzinfo=UTC), "America/New_York"))
    assert rules_of(d) == ["quiet_hours"] and d.next_allowed_at == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert decide(US_REGF, req(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), "America/New_York")).allowed


def test_dst_end_new_york_day_is_25_hours() -> None:
    # 2026-11-01: clocks go 02:00 -> 01:00. 08:00 EST = 13:00 UTC; 21:00 EST = 02:00 UTC next day.
    assert not decide(US_REGF, req(datetime(2026, 11, 1, 12, 59, tzinfo=UTC), "America/New_York")).allowed
    assert decide(US_REGF, req(datetime(2026, 11, 1, 13, 0, tzinfo=UTC), "America/New_York")).allowed
    early = [datetime(2026, 11, 1, 4, 30, tzinfo=UTC)]  # 00:30 EDT, same local day
    hist = _calls(early * 3)
    d = decide(CN, req(datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "America/New_York"), hist)  # 23:30 EST Nov 1
    assert "connected_calls_per_day" in rules_of(d)


def test_dst_europe_london_both_ways() -> None:
    # 2026-03-29 spring forward; 2026-10-25 fall back. 08:00 local either side.
    assert decide(US_REGF, req(datetime(2026, 3, 29, 7, 0, tzinfo=UTC), "Europe/London")).allowed  # 08:00 BST
    assert not decide(US_REGF, req(datetime(2026, 3, 29, 6, 59, tzinfo=UTC), "Europe/London")).allowed
    assert decide(US_REGF, req(datetime(2026, 10, 25, 8, 0, tzinfo=UTC), "Europe/London")).allowed  # 08:00 GMT
    assert not decide(US_REGF, req(datetime(2026, 10, 25, 7, 59, 59, tzinfo=UTC), "Europe/London")).allowed


def test_sixth_attempt_to_a_number_allowed_seventh_denied() -> None:
    at = datetime(2026, 11, 20, 15, 0, tzinfo=SH)
    five = _calls([datetime(2026, 11, 20, 9, m, tzinfo=SH) for m in range(5)], outcome="no_answer")
    assert decide(CN, req(at), five).allowed
    six = _calls([datetime(2026, 11, 20, 9, m, tzinfo=SH) for m in range(6)], outcome="no_answer")
    assert rules_of(decide(CN, req(at), six)) == ["attempts_per_number_per_day"]
    assert decide(CN, req(at, phone="p2"), six).allowed


def test_us_eighth_call_in_seven_days_is_denied() -> None:
    days = [datetime(2026, 11, 10 + i, 10, 0, tzinfo=NY) for i in range(7)]
    hist = _calls(days, outcome="no_answer")
    d = decide(US_REGF, req(datetime(2026, 11, 16, 15, 0, tzinfo=NY), "America/New_York"), hist)
    assert rules_of(d) == ["call_attempts_per_period"]
    assert d.next_allowed_at == datetime(2026, 11, 17, 8, 0, tzinfo=NY)
    assert decide(US_REGF, req(datetime(2026, 11, 17, 8, 0, tzinfo=NY), "America/New_York"), hist).allowed


def test_us_conversation_day_is_day_one_of_seven() -> None:
    hist = _calls([datetime(2026, 11, 10, 10, 0, tzinfo=NY)])
    d = decide(US_REGF, req(datetime(2026, 11, 16, 20, 0, tzinfo=NY), "America/New_York"), hist)
    assert rules_of(d) == ["conversation_cooldown"]
    assert d.next_allowed_at == datetime(2026, 11, 17, 8, 0, tzinfo=NY)


def test_holds_restrictions_and_suspension_are_not_cured_by_waiting() -> None:
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    for standing, rule in [
        (Standing(holds=(("cease_contact", None),)), "hold"),
        (Standing(agent_suspended=True), "agent_suspended"),
        (Standing(restrictions=(Restriction("cease_communication"),)), "cease_communication"),
        (Standing(restrictions=(Restriction("attorney"),)), "attorney_represented"),
    ]:
        d = decide(CN, req(at), (), standing)
        assert rules_of(d) == [rule] and d.next_allowed_at is None


def test_notice_by_letter_passes_a_cease_communication() -> None:
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    standing = Standing(restrictions=(Restriction("cease_communication"),))
    assert decide(CN, req(at, channel="letter", purpose="notice", phone=None), (), standing).allowed


def test_workplace_ban_only_at_work() -> None:
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    st = Standing(restrictions=(Restriction("workplace_ban"),))
    assert rules_of(decide(CN, req(at, at_workplace=True), (), st)) == ["workplace_contact"]
    assert decide(CN, req(at), (), st).allowed


def test_visit_needs_two_collectors_under_cn() -> None:
    at = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    assert rules_of(decide(CN, req(at, channel="visit", phone=None))) == ["visit_team"]
    assert decide(CN, req(at, channel="visit", phone=None, collectors=2)).allowed


def test_third_party_rules() -> None:
    at = datetime(2026, 11, 20, 15, 0, tzinfo=SH)
    failed = _calls([datetime(2026, 11, 20, 9, m, tzinfo=SH) for m in range(3)], outcome="no_answer")
    tp = {"party": "relative", "phone": "r1", "purpose": "locate"}
    assert rules_of(decide(CN, req(at, **tp))) == ["third_party_not_out_of_contact"]
    assert decide(CN, req(at, **tp), failed).allowed
    assert rules_of(decide(CN, req(at, **{**tp, "purpose": "collection"}), failed)) == ["third_party_purpose"]
    invalid = _calls([datetime(2026, 11, 20, 9, 0, tzinfo=SH)], outcome="invalid_number")
    assert decide(CN, req(at, **tp), invalid).allowed
    assert rules_of(decide(CN, req(at, phone_source="address_book"))) == ["address_book_source"]


def test_three_days_unreachable_is_out_of_contact() -> None:
    at = datetime(2026, 11, 20, 15, 0, tzinfo=SH)
    rules = replace(CN, out_of_contact_failed_calls=10)  # isolate the days condition
    tp = {"party": "employer", "phone": "e1", "purpose": "message"}
    two_days = _calls([datetime(2026, 11, d, 10, 0, tzinfo=SH) for d in (18, 19)], outcome="busy")
    assert not decide(rules, req(at, **tp), two_days).allowed
    conv = _calls([datetime(2026, 11, 17, 9, 0, tzinfo=SH)], outcome="conversation")
    three_days = _calls([datetime(2026, 11, d, 10, 0, tzinfo=SH) for d in (17, 18, 19)], outcome="busy")
    assert decide(rules, req(at, **tp), three_days).allowed
    assert not decide(rules, req(at, **tp), conv + three_days).allowed  # reached on day 17


def test_us_third_party_location_inquiry_once() -> None:
    at = datetime(2026, 11, 20, 10, 0, tzinfo=NY)
    tp = {"party": "relative", "phone": "r1", "purpose": "locate"}
    assert decide(US_REGF, req(at, "America/New_York", **tp)).allowed
    earlier = (PastContact(at=(at - timedelta(days=1)).timestamp(), channel="call", outcome="third_party",
                           phone="r1", party="relative"),)
    assert rules_of(decide(US_REGF, req(at, "America/New_York", **tp), earlier)) == ["third_party_once"]


def test_holidays_quiet_when_set() -> None:
    national_day = datetime(2026, 10, 1, 10, 0, tzinfo=SH)
    assert decide(CN, req(national_day)).allowed
    d = decide(replace(CN, holidays_quiet=True), req(national_day))
    assert rules_of(d) == ["holiday"] and d.next_allowed_at is not None and d.next_allowed_at.date() > date(2026, 10, 1)


def test_creditor_tightens_but_cannot_loosen() -> None:
    tight = tighten(CN, ContactTightening(max_connected_calls_per_day=1, max_dial_attempts_per_number_per_day=99,
                                          quiet_start="21:00", quiet_end="09:00", holidays_quiet=True))
    assert tight.max_connected_calls_per_day == 1 and tight.max_attempts_per_number_per_day == 6
    assert tight.holidays_quiet
    assert not decide(tight, req(datetime(2026, 11, 20, 21, 0, tzinfo=SH))).allowed
    assert not decide(tight, req(datetime(2026, 11, 20, 8, 30, tzinfo=SH))).allowed
    loose = tighten(CN, ContactTightening(quiet_start="23:00", quiet_end="07:00"))
    assert not decide(loose, req(datetime(2026, 11, 20, 22, 30, tzinfo=SH))).allowed
    with pytest.raises(RuleViolation):
        tighten(CN, ContactTightening(quiet_start="21:00"))


def test_quiet_window_edges() -> None:
    w = QuietWindow(time(22, 0), time(8, 0))
    assert w.forbids_secs(22 * 3600) and not w.forbids_secs(8 * 3600) and w.forbids_secs(8 * 3600 - 1)


def test_every_preset_rule_has_a_source() -> None:
    for rules in PRESETS.values():
        for rule in ("quiet_hours", "hold", "agent_suspended", "third_party_purpose", "identity_statement"):
            assert rules.sources.get(rule), (rules.preset, rule)
    with pytest.raises(RuleViolation):
        preset("mars")


def test_zones_from_phone_and_address() -> None:
    assert zones_for_phone("13812345678") == ("Asia/Shanghai",)
    assert "Pacific/Honolulu" in zones_for_phone("+1 212 555 0100")
    assert zones_for_phone("+852 9123 4567") == ("Asia/Hong_Kong",)
    assert zones_for_phone("12345") == ()
    assert zones_for_address("美国洛杉矶市") [0] == "America/Los_Angeles"
    assert candidate_zones("", "+44 20 7946 0000", "上海市浦东新区", "Asia/Shanghai") == ("Europe/London", "Asia/Shanghai")
    assert candidate_zones("Europe/Paris", "13812345678", None, "Asia/Shanghai") == ("Europe/Paris",)
    assert candidate_zones(None, None, None, "Asia/Shanghai") == ("Asia/Shanghai",)


def test_unknown_zone_uses_every_candidate() -> None:
    at = datetime(2026, 11, 20, 22, 30, tzinfo=LDN)  # 06:30 Shanghai next day
    zones = ("Europe/London", "Asia/Shanghai")
    d = decide(CN, ContactRequest(at=at, channel="sms", zones=zones))
    assert not d.allowed and d.next_allowed_at is not None
    assert d.next_allowed_at == datetime(2026, 11, 21, 8, 0, tzinfo=LDN)
