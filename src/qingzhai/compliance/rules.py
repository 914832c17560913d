"""Pure contact rules: a request and the debtor's contact history in, a decision with reasons out.

Nothing here reads the clock, the database or the environment. The service passes `at`, the
history (sorted by time, all contacts with the debtor in the last weeks, reserved-but-unresolved
attempts with `outcome=None`) and the standing facts (holds, restrictions, agent suspension).

Every number is a field of `ContactRules`; the presets in `presets.py` give the defaults and the
source of each (`ContactRules.sources`, docs/compliance.md). The rules and their sources:

- `quiet_hours` (22:00-08:00 debtor's local time in `cn`): CBA 《金融机构个人消费类贷款催收工作指引
  (试行)》 2026-01-30 (sec.), GB/T 45251-2025 (sec.); 08:00-21:00 in `us-regf`: 15 USC 1692c(a)(1),
  12 CFR 1006.6(b)(1)(i); `uk-fca`/`hk`/`sg` give no hours: 08:00-21:00 chosen.
- `connected_calls_per_day` (3): GB/T 45251-2025 (number from a sec. page); other presets: chosen.
- `attempts_per_number_per_day` (6): CBA 2026 guideline (sec.); other presets: chosen.
- `call_attempts_per_period` (7 in 7 days) and `conversation_cooldown` (7 days, day 1 = the
  conversation day): 12 CFR 1006.14(b)(2).
- third parties (`third_party_*`): CBA 2026, GB/T 45251, credit-card measures (2011) art. 68;
  15 USC 1692c(b) and 12 CFR 1006.10(c) (once per person); out of contact = number invalid, 3
  consecutive failed calls or 3 days unreachable (CBA 2026; "3 days" read as calls on each of the
  3 previous local days, none reaching the debtor — qingzhai's reading).
- `address_book_source`: CBA 2026 (sec.), PIPL arts. 13, 29. `visit_team` (2): CBA 2026 art. 22.
- `identity_statement`: CBA 2026 (sec.); 15 USC 1692e(11).
- `opt_out`, `cease_communication`, `attorney_represented`, `workplace_contact`: 12 CFR 1006.14(h),
  15 USC 1692c(c), 1692c(a)(2), 1692c(a)(3); honoured in every preset.
- `hold`: issue 4 (dispute, moratorium/breathing space SI 2020/1311, mediation, cease_contact,
  bankruptcy, deceased); `holiday`: a qingzhai setting (off by default), `holidays` package.

Speed: a decision does one time-zone conversion per candidate zone, looks up cached day
boundaries (epoch seconds) and walks the history once comparing floats, so one core makes well
over 100,000 decisions a second (benchmarks/compliance.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final

import holidays as holidays_lib

from qingzhai.compliance.zones import tzinfo
from qingzhai.core.errors import RuleViolation

CHANNELS: Final = ("call", "bot_call", "sms", "email", "letter", "visit", "message")
CALL_CHANNELS: Final = frozenset({"call", "bot_call"})
WRITTEN_CHANNELS: Final = frozenset({"letter", "email"})
OUTCOMES: Final = (
    "no_answer", "busy", "voicemail", "third_party", "conversation", "failed", "delivered",
    "invalid_number", "cancelled",
)
# The call reached nobody: counts toward "out of contact" (CBA 2026: 3 consecutive failed calls).
UNREACHED: Final = frozenset({"no_answer", "busy", "voicemail", "failed", "invalid_number"})
CONNECTED: Final = "conversation"
VOID: Final = "cancelled"  # reserved but never placed: counts for nothing
DEBTOR_PARTIES: Final = frozenset({"debtor", "guarantor"})
THIRD_PARTIES: Final = frozenset({"relative", "employer", "contact", "third_party"})
PARTIES: Final = ("debtor", "guarantor", "attorney", "relative", "employer", "contact", "third_party")
PURPOSES: Final = ("collection", "locate", "message", "notice")
THIRD_PARTY_PURPOSES: Final = frozenset({"locate", "message"})
AGENT_KINDS: Final = ("human", "bot")
DAY: Final = 86400.0


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """No contact from `start` (inclusive) until `end` (exclusive), debtor's local time.
    22:00-08:00 forbids 22:00:00 and allows 08:00:00 (STYLE.md)."""

    start: time
    end: time
    a: int = field(init=False, repr=False, compare=False)
    b: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "a", _secs(self.start))
        object.__setattr__(self, "b", _secs(self.end))

    def forbids_secs(self, s: int) -> bool:
        a, b = self.a, self.b
        return (s >= a or s < b) if a > b else (a <= s < b)

    def opening(self, local: datetime) -> datetime:
        """The first moment after `local` (which it forbids) when this window allows contact."""
        s = local.hour * 3600 + local.minute * 60 + local.second
        day = local.date()
        if _secs(self.start) > _secs(self.end) and s >= _secs(self.start):
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=local.tzinfo)


@dataclass(frozen=True, slots=True)
class ContactRules:
    """The settings of one jurisdiction preset, possibly tightened by a creditor.

    None disables a cap. `sources` maps each rule id to where it comes from.
    """

    preset: str
    quiet: tuple[QuietWindow, ...] = (QuietWindow(time(22, 0), time(8, 0)),)
    max_connected_calls_per_day: int | None = 3
    max_attempts_per_number_per_day: int | None = 6
    max_call_attempts_per_period: int | None = None
    period_days: int = 7
    conversation_cooldown_days: int | None = None
    third_party_mode: str = "out_of_contact"  # or "locate_once" (Regulation F) or "never"
    out_of_contact_failed_calls: int = 3
    out_of_contact_days: int = 3
    visit_min_collectors: int | None = 2
    identity_statement: bool = True
    holidays_quiet: bool = False
    holidays_country: str | None = "CN"
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("max_connected_calls_per_day", "max_attempts_per_number_per_day", "max_call_attempts_per_period",
                     "conversation_cooldown_days", "visit_min_collectors"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise RuleViolation("must not be negative", field=name)
        if self.period_days < 1:
            raise RuleViolation("must be at least 1", field="period_days")
        if self.third_party_mode not in ("out_of_contact", "locate_once", "never"):
            raise RuleViolation("must be out_of_contact, locate_once or never", field="third_party_mode")

    @property
    def lookback_days(self) -> int:
        """How many days of history a decision needs."""
        return max(self.period_days, self.conversation_cooldown_days or 0, self.out_of_contact_days, 1) + 1


def _stricter(preset: int | None, creditor: int | None) -> int | None:
    if creditor is None:
        return preset
    return creditor if preset is None else min(preset, creditor)


def _parse_hhmm(value: str, field_name: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleViolation(f"'{value}' is not a time HH:MM", field=field_name) from None


def tighten(rules: ContactRules, contact: Any) -> ContactRules:
    """Apply a creditor's `ContactTightening`: the stricter of each number wins, its quiet window
    is added to the preset's, and it can switch holidays quiet on but never off. A creditor can
    never loosen a preset (issue 4)."""
    if contact is None:
        return rules
    quiet = rules.quiet
    qs, qe = getattr(contact, "quiet_start", None), getattr(contact, "quiet_end", None)
    if (qs is None) != (qe is None):
        raise RuleViolation("quiet_start and quiet_end go together", field="quiet_start" if qs is None else "quiet_end")
    if qs is not None and qe is not None:
        window = QuietWindow(_parse_hhmm(qs, "quiet_start"), _parse_hhmm(qe, "quiet_end"))
        if window.start != window.end and window not in quiet:
            quiet = (*quiet, window)
    return replace(
        rules,
        quiet=quiet,
        max_connected_calls_per_day=_stricter(rules.max_connected_calls_per_day,
                                              getattr(contact, "max_connected_calls_per_day", None)),
        max_attempts_per_number_per_day=_stricter(rules.max_attempts_per_number_per_day,
                                                  getattr(contact, "max_attempts_per_number_per_day", None)),
        holidays_quiet=rules.holidays_quiet or bool(getattr(contact, "holidays_quiet", None)),
    )


# --- inputs --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PastContact:
    """One earlier attempt. `at` is epoch seconds (UTC); `outcome` None = reserved, unresolved
    (counted as possibly connected); `phone` is any stable key of the number."""

    at: float
    channel: str
    outcome: str | None = None
    phone: str | None = None
    party: str = "debtor"
    case_id: str | None = None


@dataclass(frozen=True, slots=True)
class Restriction:
    """Something the debtor (or a third party) asked for, or a fact that limits contact.

    kinds: `opt_out` (a channel and/or a number), `cease_communication`, `attorney`,
    `workplace_ban`, `third_party_refused` (a number: a third party asked not to be called again).
    """

    kind: str
    channel: str | None = None
    phone: str | None = None


RESTRICTION_KINDS: Final = ("opt_out", "cease_communication", "attorney", "workplace_ban", "third_party_refused")


@dataclass(frozen=True, slots=True)
class Standing:
    holds: tuple[tuple[str, date | None], ...] = ()
    agent_suspended: bool = False
    restrictions: tuple[Restriction, ...] = ()
    case_closed: bool = False


NO_STANDING: Final = Standing()


@dataclass(frozen=True, slots=True)
class ContactRequest:
    at: datetime
    channel: str
    zones: tuple[str, ...] = ("Asia/Shanghai",)
    phone: str | None = None
    party: str = "debtor"
    purpose: str = "collection"
    case_id: str | None = None
    agent_kind: str = "human"
    collectors: int = 1
    at_workplace: bool = False
    phone_source: str | None = None


def check_request(req: ContactRequest) -> None:
    """Bad input is refused with the field named (not a compliance denial)."""
    if req.at.tzinfo is None or req.at.utcoffset() is None:
        raise RuleViolation("must carry a time zone offset", field="at")
    if req.channel not in CHANNELS:
        raise RuleViolation(f"must be one of {', '.join(CHANNELS)}", field="channel")
    if req.party not in PARTIES:
        raise RuleViolation(f"must be one of {', '.join(PARTIES)}", field="party")
    if req.purpose not in PURPOSES:
        raise RuleViolation(f"must be one of {', '.join(PURPOSES)}", field="purpose")
    if req.agent_kind not in AGENT_KINDS:
        raise RuleViolation("must be human or bot", field="agent_kind")
    if not req.zones:
        raise RuleViolation("at least one time zone is needed", field="zones")
    if req.collectors < 1:
        raise RuleViolation("must be at least 1", field="collectors")


# --- outputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that denies (or an obligation that comes with) a contact. `msgid` is the English
    text with `{named}` parameters; the service renders it in English and Chinese."""

    rule: str
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return self.msgid.format(**self.params) if self.params else self.msgid


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reasons: tuple[Finding, ...]
    next_allowed_at: datetime | None
    obligations: tuple[Finding, ...] = ()


# --- time helpers (cached; the hot path) ---------------------------------------------------------


@lru_cache(maxsize=65536)
def day_bounds(zone_name: str, ordinal: int) -> tuple[float, float]:
    """Epoch seconds of the local day's start and the next day's start (23 or 25 hours long on
    daylight-saving days)."""
    z = tzinfo(zone_name)
    d = date.fromordinal(ordinal)
    start = datetime.combine(d, time(0), tzinfo=z).timestamp()
    end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=z).timestamp()
    return start, end


@lru_cache(maxsize=64)
def holiday_calendar(country: str) -> Any:
    return holidays_lib.country_holidays(country)


def is_holiday(country: str | None, day: date) -> bool:
    return bool(country) and day in holiday_calendar(country)  # type: ignore[arg-type]


# --- the decision --------------------------------------------------------------------------------

_INF: Final = float("inf")


def _evaluate(rules: ContactRules, req: ContactRequest, at: datetime, history: Sequence[PastContact],
              standing: Standing) -> tuple[list[Finding], float | None]:
    """Findings against one moment, with the earliest epoch worth retrying (None: not by waiting)."""
    reasons: list[Finding] = []
    retry = 0.0
    t = at.timestamp()
    channel = req.channel
    is_call = channel in CALL_CHANNELS
    to_debtor = req.party in DEBTOR_PARTIES
    to_third = req.party in THIRD_PARTIES

    forever = False  # a finding that waiting does not cure
    # 1. agent, holds, restrictions: not cured by waiting (holds with an end date excepted)
    if standing.agent_suspended:
        reasons.append(Finding("agent_suspended", "The agent is suspended after a conduct incident"))
        forever = True
    if standing.case_closed and req.purpose != "notice":
        reasons.append(Finding("case_closed", "The case is closed: no collection contact"))
        forever = True
    if standing.holds and req.purpose != "notice":
        for kind, until in standing.holds:
            if until is not None and t >= day_bounds(req.zones[0], until.toordinal() + 1)[0]:
                continue  # the hold has ended by this moment
            if until is None:
                reasons.append(Finding("hold", "The case is on hold ({kind})", {"kind": kind}))
            else:
                reasons.append(Finding("hold", "The case is on hold ({kind}) until {until}",
                                       {"kind": kind, "until": until.isoformat()}))
            if until is None:
                forever = True
            else:
                retry = max(retry, day_bounds(req.zones[0], until.toordinal() + 1)[0])
    for r in standing.restrictions:
        if r.kind == "cease_communication" and (req.purpose != "notice" or channel not in WRITTEN_CHANNELS):
            reasons.append(Finding("cease_communication", "The debtor asked in writing to stop all communication"))
            forever = True
        elif r.kind == "attorney" and req.party != "attorney" and to_debtor:
            reasons.append(Finding("attorney_represented", "The debtor is represented by an attorney: contact the attorney"))
            forever = True
        elif r.kind == "workplace_ban" and req.at_workplace:
            reasons.append(Finding("workplace_contact", "Contact at the debtor's workplace is not allowed"))
            forever = True
        elif r.kind == "opt_out" and (r.channel is None or r.channel == channel) and (r.phone is None or r.phone == req.phone):
            reasons.append(Finding("opt_out", "The debtor asked not to be contacted this way ({what})",
                                   {"what": r.channel or "this number"}))
            forever = True
        elif r.kind == "third_party_refused" and to_third and r.phone is not None and r.phone == req.phone:
            reasons.append(Finding("third_party_refused", "This third party asked not to be contacted again"))
            forever = True

    # 2. third parties (CN-05 / 1692c(b), 1006.10(c)) and the address book (CN-05, CN-13)
    if req.phone_source == "address_book":
        reasons.append(Finding("address_book_source", "A number taken from the debtor's address book may not be used"))
        forever = True
    if to_third:
        if rules.third_party_mode == "never":
            reasons.append(Finding("third_party_contact", "Third parties may not be contacted under this preset"))
            forever = True
        elif req.purpose not in THIRD_PARTY_PURPOSES or (rules.third_party_mode == "locate_once" and req.purpose != "locate"):
            reasons.append(Finding("third_party_purpose",
                                   "A third party may be contacted only to locate the debtor or pass on a message"))
            forever = True
        elif rules.third_party_mode == "out_of_contact" and not out_of_contact(rules, history, t, req.zones[0]):
            reasons.append(Finding("third_party_not_out_of_contact",
                                   "Third parties only when the debtor is out of contact ({calls} failed calls in a row, "
                                   "{days} days unreachable or the number is invalid)",
                                   {"calls": rules.out_of_contact_failed_calls, "days": rules.out_of_contact_days}))
            forever = True
        elif rules.third_party_mode == "locate_once" and req.phone is not None and any(
                p.phone == req.phone and p.party in THIRD_PARTIES and p.outcome != VOID for p in history):
            reasons.append(Finding("third_party_once", "A third party may be asked about the debtor's location only once"))
            forever = True

    # 3. visits (CN-09)
    if channel == "visit" and rules.visit_min_collectors and req.collectors < rules.visit_min_collectors:
        reasons.append(Finding("visit_team", "A visit needs at least {n} collectors", {"n": rules.visit_min_collectors}))
        forever = True

    # 4. per zone: quiet hours, holidays, daily caps, rolling caps, cooldown
    for zname in req.zones:
        local = at.astimezone(tzinfo(zname))
        s = local.hour * 3600 + local.minute * 60 + local.second
        for w in rules.quiet:
            if w.forbids_secs(s):
                reasons.append(Finding("quiet_hours", "{local} is inside the quiet hours {start}-{end} in {zone}",
                                       {"local": local.strftime("%H:%M:%S"), "start": w.start.strftime("%H:%M"),
                                        "end": w.end.strftime("%H:%M"), "zone": zname}))
                retry = max(retry, w.opening(local).timestamp())
        ordinal = local.toordinal()
        start, end = day_bounds(zname, ordinal)
        if rules.holidays_quiet and is_holiday(rules.holidays_country, local.date()):
            reasons.append(Finding("holiday", "{day} is a public holiday ({country}), a quiet day",
                                   {"day": local.date().isoformat(), "country": rules.holidays_country}))
            retry = max(retry, end)
        if not is_call:
            continue
        connected = number = period_calls = 0
        cooldown_until = 0.0
        p_start = day_bounds(zname, ordinal - rules.period_days + 1)[0] if rules.max_call_attempts_per_period else _INF
        cd = rules.conversation_cooldown_days
        c_start = day_bounds(zname, ordinal - cd + 1)[0] if cd else _INF
        same_case = req.case_id
        my_phone = req.phone
        for p in history:
            pat = p.at
            if pat >= end or p.channel not in CALL_CHANNELS:
                continue
            oc = p.outcome
            if oc == VOID:
                continue
            maybe_connected = (oc is None or oc == CONNECTED) and p.party in DEBTOR_PARTIES
            if pat >= start:
                if maybe_connected:
                    connected += 1
                if my_phone is not None and p.phone == my_phone:
                    number += 1
            if pat < p_start and pat < c_start:
                continue
            if same_case is not None and p.case_id is not None and p.case_id != same_case:
                continue
            if pat >= p_start:
                period_calls += 1
            if maybe_connected and pat >= c_start:
                cooldown_until = max(cooldown_until, day_bounds(zname, _local_ordinal(pat, zname) + cd)[0])  # type: ignore[operator]
        cap = rules.max_connected_calls_per_day
        if cap is not None and to_debtor and connected >= cap:
            reasons.append(Finding("connected_calls_per_day",
                                   "{n} connected or pending calls today already (at most {cap} a day, local day {day})",
                                   {"n": connected, "cap": cap, "day": local.date().isoformat()}))
            retry = max(retry, end)
        cap = rules.max_attempts_per_number_per_day
        if cap is not None and req.phone is not None and number >= cap:
            reasons.append(Finding("attempts_per_number_per_day",
                                   "{n} dial attempts to this number today already (at most {cap} a day)",
                                   {"n": number, "cap": cap}))
            retry = max(retry, end)
        cap = rules.max_call_attempts_per_period
        if cap is not None and period_calls >= cap:
            reasons.append(Finding("call_attempts_per_period",
                                   "{n} call attempts in {days} days already (at most {cap})",
                                   {"n": period_calls, "days": rules.period_days, "cap": cap}))
            retry = max(retry, end)
        if cooldown_until > t and to_debtor:
            reasons.append(Finding("conversation_cooldown",
                                   "A telephone conversation took place in the last {days} days (that day counts as day 1)",
                                   {"days": cd}))
            retry = max(retry, cooldown_until)
    return reasons, None if forever else retry


def _local_ordinal(epoch: float, zname: str) -> int:
    return datetime.fromtimestamp(epoch, tzinfo(zname)).toordinal()


def out_of_contact(rules: ContactRules, history: Sequence[PastContact], t: float, zname: str) -> bool:
    """CBA 2026 guideline / GB/T 45251-2025: the debtor is out of contact when the number is
    invalid, the last `out_of_contact_failed_calls` calls all failed, or calls on each of the last
    `out_of_contact_days` local days reached nobody."""
    calls = [p for p in history if p.at <= t and p.channel in CALL_CHANNELS and p.party in DEBTOR_PARTIES
             and p.outcome != VOID]
    if not calls:
        return False
    if calls[-1].outcome == "invalid_number":
        return True
    n = rules.out_of_contact_failed_calls
    if n and len(calls) >= n and all(p.outcome in UNREACHED for p in calls[-n:]):
        return True
    days = rules.out_of_contact_days
    if days:
        today = datetime.fromtimestamp(t, tzinfo(zname)).toordinal()
        by_day: dict[int, bool] = {}
        for p in calls:
            d = _local_ordinal(p.at, zname)
            if today - days <= d < today:
                by_day[d] = by_day.get(d, True) and p.outcome in UNREACHED
        if len(by_day) == days and all(by_day.values()):
            return True
    return False


IDENTITY_STATEMENT: Final = Finding("identity_statement",
                                    "First contact: state the firm's name and that this is about a debt")
NO_DISCLOSURE: Final = Finding("no_disclosure", "Do not disclose the debt to the third party; stop if they ask")


def obligations(rules: ContactRules, req: ContactRequest, history: Sequence[PastContact]) -> tuple[Finding, ...]:
    """What the agent must do on this contact. "First contact" looks at the history the service
    passes (the lookback window), so after a long silence the statement is asked for again."""
    if req.party in THIRD_PARTIES:
        return (NO_DISCLOSURE,)
    if rules.identity_statement and req.party in DEBTOR_PARTIES:
        for p in history:
            if p.outcome == CONNECTED and p.party in DEBTOR_PARTIES:
                return ()
        return (IDENTITY_STATEMENT,)
    return ()


def decide(rules: ContactRules, req: ContactRequest, history: Sequence[PastContact] = (),
           standing: Standing = NO_STANDING, *, horizon_days: int = 60) -> Decision:
    """May this contact be made at `req.at`? When not, the reasons and the next moment it would be
    allowed if nothing else changed (None when waiting does not help)."""
    reasons, retry = _evaluate(rules, req, req.at, history, standing)
    if not reasons:
        return Decision(True, (), None, obligations(rules, req, history))
    nxt: datetime | None = None
    limit = req.at.timestamp() + horizon_days * DAY
    probe = retry
    for _ in range(64):
        if probe is None or probe > limit:
            break
        moment = datetime.fromtimestamp(probe, UTC)
        again, probe2 = _evaluate(rules, req, moment, history, standing)
        if not again:
            nxt = moment
            break
        probe = probe2 if probe2 is None or probe2 > probe else probe + 1.0
    return Decision(False, tuple(reasons), nxt, ())
