"""The auditor: checks a historical contact log from any dialer against a preset.

Columns: attempt_id, debtor_id, phone, channel (call|bot_call|sms|email|letter|visit|message),
started_at (ISO 8601 with offset or Z), debtor_timezone (IANA; empty = the zones the phone number
allows, most restrictive), outcome. Rows may come in any order.

Polars reads, validates, converts to each zone's local time and sorts by debtor and time in
columnar form; one pass over the sorted columns then keeps the per-debtor counters. A row is a
violation when it breaks a rule given every row before it:

- quiet_hours / holiday: the attempt started inside a quiet window (any candidate zone);
- connected_calls_per_day: a connected call (outcome conversation) when the debtor already had
  `max_connected_calls_per_day` connected calls that local day;
- attempts_per_number_per_day: a call when that debtor's number already had the maximum that day;
- call_attempts_per_period: a call when the debtor already had the maximum calls in the
  `period_days` local days ending that day;
- conversation_cooldown: a call within `conversation_cooldown_days` local days of an earlier
  conversation (that day being day 1).

The log has no party, case or agent: counts are per debtor, and days are local days of the first
candidate zone. Pure: no database, no clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import holidays as holidays_lib
import polars as pl

from qingzhai.compliance.rules import CALL_CHANNELS, CHANNELS, CONNECTED, OUTCOMES, ContactRules, Finding
from qingzhai.compliance.zones import candidate_zones, tzinfo, valid_zone
from qingzhai.core.errors import FileRefused

COLUMNS: Final = ("attempt_id", "debtor_id", "phone", "channel", "started_at", "debtor_timezone", "outcome")
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_FORMATS: Final = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z")


@dataclass(frozen=True, slots=True)
class Violation:
    attempt_id: str
    line: int
    debtor_id: str
    finding: Finding

    @property
    def rule(self) -> str:
        return self.finding.rule


@dataclass
class AuditReport:
    preset: str
    rows: int
    debtors: int
    violations: list[Violation] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None

    def by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in self.violations:
            counts[v.rule] = counts.get(v.rule, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def violating_attempts(self) -> int:
        return len({v.attempt_id for v in self.violations})


Progress = Callable[[str], None]


def _refuse(df: pl.DataFrame, mask: pl.Expr, field_name: str, reason: str) -> None:
    bad = df.filter(mask).select("line").head(1)
    if bad.height:
        raise FileRefused(reason, field=field_name, line=int(bad.item()))


def load(path: Path) -> pl.DataFrame:
    """Read and validate; a file that cannot be used raises FileRefused naming the line and field."""
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except FileNotFoundError:
        raise FileRefused("file not found", field="file") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise FileRefused(f"not a readable CSV file ({exc.__class__.__name__})", field="file") from None
    df = df.rename({c: c.strip().lstrip("\ufeff") for c in df.columns})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise FileRefused(f"missing column(s): {', '.join(missing)}", field=missing[0], line=1)
    df = df.select([pl.col(c).fill_null("").str.strip_chars() for c in COLUMNS]).with_row_index("line", offset=2)
    if df.height == 0:
        raise FileRefused("the log has no rows", field="file", line=2)
    _refuse(df, pl.col("attempt_id") == "", "attempt_id", "must not be empty")
    _refuse(df, pl.col("attempt_id").is_duplicated(), "attempt_id", "appears more than once")
    _refuse(df, pl.col("debtor_id") == "", "debtor_id", "must not be empty")
    _refuse(df, ~pl.col("channel").is_in(list(CHANNELS)), "channel", f"must be one of {', '.join(CHANNELS)}")
    _refuse(df, ~pl.col("outcome").is_in(list(OUTCOMES)), "outcome", f"must be one of {', '.join(OUTCOMES)}")
    text = pl.col("started_at").str.replace(r"[Zz]$", "+00:00")
    parsed = pl.coalesce([text.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False) for f in _FORMATS])
    df = df.with_columns(parsed.alias("utc"))
    _refuse(df, pl.col("utc").is_null(), "started_at", "must be an ISO 8601 time with an offset or Z")
    df = df.drop("started_at").with_columns(pl.col("channel", "outcome").cast(pl.Categorical))
    zones = df.get_column("debtor_timezone").unique().to_list()
    bad_zones = [z for z in zones if z and not valid_zone(z)]
    if bad_zones:
        _refuse(df, pl.col("debtor_timezone").is_in(bad_zones), "debtor_timezone", "is not an IANA time zone")
    return df


def _zone_keys(df: pl.DataFrame, default: str) -> pl.DataFrame:
    """`zkey`: the candidate zones of each row joined by '|'."""
    needs = df.filter(pl.col("debtor_timezone") == "").get_column("phone").unique().to_list()
    mapping = {p: "|".join(candidate_zones(None, p, None, default)) for p in needs}
    if not mapping:
        return df.with_columns(pl.col("debtor_timezone").alias("zkey"))
    return df.with_columns(
        pl.when(pl.col("debtor_timezone") == "")
        .then(pl.col("phone").replace_strict(mapping, default=default, return_dtype=pl.String))
        .otherwise(pl.col("debtor_timezone")).alias("zkey")
    )


def _localise(part: pl.DataFrame, zkey: str, rules: ContactRules) -> pl.DataFrame:
    names = zkey.split("|")
    quiet = pl.lit(False)
    holiday = pl.lit(False)
    for i, zname in enumerate(names):
        local = pl.col("utc").dt.convert_time_zone(zname)
        sod = local.dt.hour().cast(pl.Int32) * 3600 + local.dt.minute().cast(pl.Int32) * 60 + local.dt.second().cast(pl.Int32)
        for w in rules.quiet:
            a = w.start.hour * 3600 + w.start.minute * 60 + w.start.second
            b = w.end.hour * 3600 + w.end.minute * 60 + w.end.second
            quiet = quiet | (((sod >= a) | (sod < b)) if a > b else ((sod >= a) & (sod < b)))
        day = local.dt.date().cast(pl.Int32)
        if rules.holidays_quiet and rules.holidays_country:
            first, last = part.get_column("utc").min(), part.get_column("utc").max()
            years = range(first.year - 1, last.year + 2)  # type: ignore[union-attr]
            cal = holidays_lib.country_holidays(rules.holidays_country, years=years)
            holiday = holiday | day.is_in([d.toordinal() - _EPOCH_ORDINAL for d in cal])
        if i == 0:
            part = part.with_columns(day.alias("day"))
    return part.with_columns(quiet.alias("quiet"), holiday.alias("holiday"))


def _describe_quiet(utc: datetime, zkey: str, rules: ContactRules) -> Finding:
    for zname in zkey.split("|"):
        local = utc.astimezone(tzinfo(zname))
        s = local.hour * 3600 + local.minute * 60 + local.second
        for w in rules.quiet:
            if w.forbids_secs(s):
                return Finding("quiet_hours", "{local} is inside the quiet hours {start}-{end} in {zone}",
                               {"local": local.strftime("%Y-%m-%d %H:%M:%S"), "start": w.start.strftime("%H:%M"),
                                "end": w.end.strftime("%H:%M"), "zone": zname})
    return Finding("quiet_hours", "inside the quiet hours")  # pragma: no cover


def audit(path: Path, rules: ContactRules, *, default_zone: str = "Asia/Shanghai",
          progress: Progress | None = None) -> AuditReport:
    note = progress or (lambda _msg: None)
    note("read")
    df = load(path)
    note("zones")
    df = _zone_keys(df, default_zone)
    parts = [_localise(part, str(key[0]), rules) for key, part in df.partition_by("zkey", as_dict=True).items()]
    del df
    df = pl.concat(parts, rechunk=False).drop("debtor_timezone")
    del parts
    df = df.sort(["debtor_id", "utc", "line"])
    report = AuditReport(preset=rules.preset, rows=df.height, debtors=df.get_column("debtor_id").n_unique(),
                         first=df.get_column("utc").min(), last=df.get_column("utc").max())  # type: ignore[arg-type]
    note("scan")
    report.violations = list(_scan(df, rules))
    report.violations.sort(key=lambda v: (v.line, v.rule))
    return report


def _rows(df: pl.DataFrame, chunk: int = 100_000) -> Iterator[tuple[Any, ...]]:
    """Rows as tuples, converted a slice at a time to keep memory flat."""
    for part in df.iter_slices(chunk):
        yield from zip(*(part.get_column(c).to_list() for c in part.columns), strict=True)


def _scan(df: pl.DataFrame, rules: ContactRules) -> Iterator[Violation]:
    flagged = df.filter(pl.col("quiet") | pl.col("holiday"))
    for row in flagged.select("attempt_id", "line", "debtor_id", "utc", "zkey", "quiet", "holiday", "day").iter_rows():
        aid, line, debtor, utc, zkey, quiet, holiday, day = row
        if quiet:
            yield Violation(aid, line, debtor, _describe_quiet(utc.astimezone(UTC), zkey, rules))
        if holiday:
            d = date.fromordinal(day + _EPOCH_ORDINAL)
            yield Violation(aid, line, debtor, Finding("holiday", "{day} is a public holiday ({country}), a quiet day",
                                                       {"day": d.isoformat(), "country": rules.holidays_country}))
    calls = df.filter(pl.col("channel").is_in(list(CALL_CHANNELS)))
    cap_conn = rules.max_connected_calls_per_day
    cap_num = rules.max_attempts_per_number_per_day
    cap_per = rules.max_call_attempts_per_period
    period = rules.period_days
    cd = rules.conversation_cooldown_days
    cur_debtor: Any = None
    cur_day = -1
    connected = 0
    numbers: dict[str, int] = {}
    window: deque[int] = deque()
    last_conv = -(10**9)
    cols = calls.select("attempt_id", "line", "debtor_id", "phone", "day", "outcome")
    for aid, line, debtor, phone, day, outcome in _rows(cols):
        if debtor != cur_debtor:
            cur_debtor, cur_day, connected, numbers, last_conv = debtor, -1, 0, {}, -(10**9)
            window.clear()
        if day != cur_day:
            cur_day, connected, numbers = day, 0, {}
        conv = outcome == CONNECTED
        if cap_conn is not None and conv and connected >= cap_conn:
            yield Violation(aid, line, debtor, Finding(
                "connected_calls_per_day", "{n} connected calls that local day already (at most {cap} a day, local day {day})",
                {"n": connected, "cap": cap_conn, "day": date.fromordinal(day + _EPOCH_ORDINAL).isoformat()}))
        n = numbers.get(phone, 0)
        if cap_num is not None and n >= cap_num:
            yield Violation(aid, line, debtor, Finding(
                "attempts_per_number_per_day", "{n} dial attempts to this number that day already (at most {cap} a day)",
                {"n": n, "cap": cap_num}))
        if cap_per is not None:
            while window and window[0] <= day - period:
                window.popleft()
            if len(window) >= cap_per:
                yield Violation(aid, line, debtor, Finding(
                    "call_attempts_per_period", "{n} call attempts in {days} days already (at most {cap})",
                    {"n": len(window), "days": period, "cap": cap_per}))
            window.append(day)
        if cd is not None and day - last_conv < cd:
            yield Violation(aid, line, debtor, Finding(
                "conversation_cooldown",
                "A telephone conversation took place in the last {days} days (that day counts as day 1)", {"days": cd}))
        numbers[phone] = n + 1
        if conv:
            connected += 1
            last_conv = day
