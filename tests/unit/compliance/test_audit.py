"""The auditor on small logs: zones from the phone number, cooldown, holidays, bad files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from qingzhai.compliance.audit import audit
from qingzhai.compliance.presets import CN, US_REGF
from qingzhai.core.errors import FileRefused

HEADER = "attempt_id,debtor_id,phone,channel,started_at,debtor_timezone,outcome\n"


def log(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def found(report) -> list[tuple[str, str]]:
    return [(v.attempt_id, v.rule) for v in report.violations]


def test_empty_zone_uses_every_zone_of_the_phone_number(tmp_path: Path) -> None:
    # 16:00 UTC: 11:00 New York but 06:00 Honolulu -> quiet somewhere the +1 number may be.
    report = audit(log(tmp_path, "A1,D1,+12125550100,call,2026-11-20T16:00:00Z,,no_answer",
                       "A2,D1,+12125550100,call,2026-11-20T19:00:00Z,,no_answer"), CN)
    assert found(report) == [("A1", "quiet_hours")]
    assert "America/New_York" not in report.violations[0].finding.text()


def test_us_call_within_seven_days_of_a_conversation(tmp_path: Path) -> None:
    report = audit(log(tmp_path,
                       "A1,D1,+12125550100,call,2026-11-10T15:00:00Z,America/New_York,conversation",
                       "A2,D1,+12125550100,call,2026-11-16T23:00:00Z,America/New_York,no_answer",  # day 7: 18:00
                       "A3,D1,+12125550100,call,2026-11-17T13:00:00Z,America/New_York,no_answer"), US_REGF)  # day 8
    assert found(report) == [("A2", "conversation_cooldown")]


def test_local_day_not_utc_day_counts(tmp_path: Path) -> None:
    # Four conversations on the same Los Angeles day, split over two UTC days.
    rows = [f"C{i},D1,+13105550100,call,2026-11-19T{t}Z,America/Los_Angeles,conversation"
            for i, t in enumerate(("17:00:00", "20:00:00", "23:00:00"))]
    rows.append("C3,D1,+13105550100,call,2026-11-20T02:00:00Z,America/Los_Angeles,conversation")
    rows.append("C4,D1,+13105550100,call,2026-11-20T17:00:00Z,America/Los_Angeles,conversation")  # next LA day
    assert found(audit(log(tmp_path, *rows), CN)) == [("C3", "connected_calls_per_day")]


def test_holidays_flagged_only_when_quiet(tmp_path: Path) -> None:
    path = log(tmp_path, "H1,D1,13800000001,sms,2026-10-01T02:00:00Z,Asia/Shanghai,delivered")
    assert found(audit(path, CN)) == []
    assert found(audit(path, replace(CN, holidays_quiet=True))) == [("H1", "holiday")]


@pytest.mark.parametrize(("row", "field", "line"), [
    ("A1,D1,1,fax,2026-11-20T02:00:00Z,Asia/Shanghai,no_answer", "channel", 2),
    ("A1,D1,1,call,2026-11-20T02:00:00Z,Asia/Shanghai,answered", "outcome", 2),
    (",D1,1,call,2026-11-20T02:00:00Z,Asia/Shanghai,busy", "attempt_id", 2),
    ("A1,,1,call,2026-11-20T02:00:00Z,Asia/Shanghai,busy", "debtor_id", 2),
])
def test_unusable_rows_name_line_and_field(tmp_path: Path, row: str, field: str, line: int) -> None:
    with pytest.raises(FileRefused) as e:
        audit(log(tmp_path, row), CN)
    assert e.value.field == field and e.value.line == line


def test_duplicate_attempt_ids_and_empty_logs_are_refused(tmp_path: Path) -> None:
    row = "A1,D1,1,call,2026-11-20T02:00:00Z,Asia/Shanghai,busy"
    with pytest.raises(FileRefused) as e:
        audit(log(tmp_path, row, row), CN)
    assert e.value.field == "attempt_id"
    with pytest.raises(FileRefused):
        audit(log(tmp_path), CN)
    with pytest.raises(FileRefused) as e:
        audit(tmp_path / "missing.csv", CN)
    assert e.value.field == "file"
