"""The one place that reads the clock. Services take `now` from here and pass it to the rules."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
