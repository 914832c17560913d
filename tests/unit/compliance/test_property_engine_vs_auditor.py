"""Property: a sequence of attempts the engine allowed never violates a rule when the log is
replayed through the auditor (two independent implementations of the same rules).

Hypothesis draws the preset, the zone, a window around a daylight-saving change, how busy the
dialers are and a seed; the seed drives a dense stream of requests so that every cap is reached.
"""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qingzhai.compliance.audit import audit
from qingzhai.compliance.presets import PRESETS
from qingzhai.compliance.rules import ContactRequest, PastContact, decide

AUDIT_RULES: dict = {}  # lets a mutation check swap the auditor's settings (see docs/compliance.md)
STARTS = (datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC),
          datetime(2026, 3, 27, tzinfo=UTC))
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "America/Los_Angeles")
PHONES = ("13800000001", "13800000002")
CHANNELS = ("call", "call", "call", "bot_call", "sms", "email")
OUTCOMES = ("no_answer", "busy", "voicemail", "conversation", "conversation", "failed")


def engine_log(rules, zone: str, start: datetime, requests: int, days: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    history: list[PastContact] = []
    rows: list[list[str]] = []
    for minutes in sorted(rng.randrange(days * 24 * 60) for _ in range(requests)):
        at = start + timedelta(minutes=minutes, seconds=rng.randrange(60))
        channel, phone = rng.choice(CHANNELS), rng.choice(PHONES)
        outcome = "delivered" if channel in ("sms", "email") else rng.choice(OUTCOMES)
        d = decide(rules, ContactRequest(at=at, channel=channel, zones=(zone,), phone=phone, case_id="c1"), history)
        if d.allowed:
            history.append(PastContact(at=at.timestamp(), channel=channel, outcome=outcome, phone=phone, case_id="c1"))
            rows.append([f"A{len(rows)}", "D1", phone, channel, at.isoformat(), zone, outcome])
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), preset=st.sampled_from(sorted(PRESETS)), start=st.sampled_from(STARTS),
       requests=st.integers(min_value=1, max_value=250), days=st.integers(min_value=1, max_value=12),
       seed=st.integers(min_value=0, max_value=2**32))
def test_engine_allowed_attempts_pass_the_auditor(zone: str, preset: str, start: datetime, requests: int, days: int,
                                                  seed: int) -> None:
    rules = PRESETS[preset]
    rows = engine_log(rules, zone, start, requests, days, seed)
    if not rows:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["attempt_id", "debtor_id", "phone", "channel", "started_at", "debtor_timezone", "outcome"])
            w.writerows(rows)
        report = audit(path, AUDIT_RULES.get(preset, rules))
    assert report.violations == [], [(v.rule, v.finding.text()) for v in report.violations[:3]]


def test_the_dense_stream_reaches_the_caps() -> None:
    """Guards the property test's power: a one-lower cap in the auditor must catch the engine's log."""
    from dataclasses import replace

    rows = engine_log(PRESETS["cn"], "Asia/Shanghai", STARTS[0], 200, 3, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["attempt_id", "debtor_id", "phone", "channel", "started_at", "debtor_timezone", "outcome"])
            w.writerows(rows)
        stricter = replace(PRESETS["cn"], max_connected_calls_per_day=2, max_attempts_per_number_per_day=5)
        rules = audit(path, stricter).by_rule()
    assert rules.get("connected_calls_per_day") and rules.get("attempts_per_number_per_day")
