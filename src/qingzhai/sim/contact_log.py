"""Synthetic dialer logs for the compliance auditor: mostly lawful traffic with planted violations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

ZONES = ("Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "Asia/Hong_Kong", "America/Los_Angeles", "Europe/London")
OUTCOMES = ("no_answer", "busy", "voicemail", "conversation", "failed", "third_party")


def write_contact_log(path: Path, rows: int, *, seed: int = 7, start: datetime | None = None,
                      debtors: int | None = None) -> Path:
    """`rows` attempts over 30 days for `debtors` debtors (default rows // 20), written as CSV.
    Times are drawn in the debtor's local 08:00-22:00 mostly; about 1% fall in quiet hours and
    some debtors get bursts of calls (planted violations)."""
    rng = np.random.default_rng(seed)
    start = start or datetime(2026, 11, 1, tzinfo=UTC)
    n_debtors = debtors or max(rows // 20, 1)
    debtor = rng.integers(0, n_debtors, rows)
    zone_idx = debtor % len(ZONES)
    day = rng.integers(0, 30, rows)
    burst = rng.random(rows) < 0.005  # a few debtors called far too often on day 0
    debtor = np.where(burst, rng.integers(0, max(n_debtors // 200, 1), rows), debtor)
    zone_idx = debtor % len(ZONES)
    day = np.where(burst, 0, day)
    minute = rng.integers(8 * 60, 22 * 60, rows)
    quiet = rng.random(rows) < 0.01
    minute = np.where(quiet, rng.integers(0, 8 * 60, rows), minute)
    second = rng.integers(0, 60, rows)
    channel = rng.choice(np.array(["call", "call", "call", "sms", "email", "letter"]), rows)
    outcome = rng.choice(np.array(OUTCOMES), rows, p=[0.45, 0.15, 0.1, 0.2, 0.05, 0.05])
    outcome = np.where(np.isin(channel, ["sms", "email", "letter"]), "delivered", outcome)
    df = pl.DataFrame({
        "attempt_id": [f"A{i:08d}" for i in range(rows)],
        "debtor_id": [f"D{d:07d}" for d in debtor],
        "phone": [f"139{d:08d}" for d in debtor],
        "channel": channel,
        "day": day, "minute": minute, "second": second,
        "debtor_timezone": np.array(ZONES)[zone_idx],
        "outcome": outcome,
    })
    parts = []
    for (zname,), part in df.partition_by("debtor_timezone", as_dict=True).items():
        naive = pl.lit(start.replace(tzinfo=None)) + pl.duration(days=pl.col("day"), minutes=pl.col("minute"),
                                                                 seconds=pl.col("second"))
        parts.append(part.with_columns(naive.dt.replace_time_zone(str(zname), ambiguous="earliest",
                                                                  non_existent="null")
                                       .dt.convert_time_zone("UTC").alias("utc")))
    out = pl.concat(parts).drop_nulls("utc").sample(fraction=1.0, shuffle=True, seed=seed)
    out = out.with_columns(pl.col("utc").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("started_at"))
    out.select("attempt_id", "debtor_id", "phone", "channel", "started_at", "debtor_timezone", "outcome").write_csv(path)
    return path

