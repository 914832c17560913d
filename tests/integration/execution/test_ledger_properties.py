from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from qingzhai.execution import ledger
from qingzhai.execution.models import LedgerEntry

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)

payloads = st.dictionaries(st.sampled_from(["amount", "note", "n", "ok"]),
                           st.one_of(st.text(max_size=12), st.integers(-10**6, 10**6), st.booleans()), max_size=4)
batches = st.lists(st.lists(payloads, min_size=1, max_size=5), min_size=1, max_size=4)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches, seal_after=st.integers(0, 3), pick=st.integers(0, 10**6), flip=st.integers(0, 10**6))
def test_ledger_verifies_after_any_appends_and_fails_after_any_single_byte_change(
    session, batches, seal_after, pick, flip
):
    outer = session.begin_nested()
    try:
        n = 0
        for index, batch in enumerate(batches):
            entries = []
            for data in batch:
                n += 1
                entries.append(ledger.NewEntry(key=f"prop:{n}", kind="test", day=date(2026, 11, 20 + index),
                                               case_id=None, contract_id=None, data=data))
            ledger.append(session, entries, now=NOW)
            if index == seal_after:
                ledger.seal_day(session, day=date(2026, 11, 20 + index), now=NOW)
        session.flush()
        assert ledger.verify(session).ok
        rows = session.execute(select(LedgerEntry.seq, LedgerEntry.body).order_by(LedgerEntry.seq)).all()
        seq, body = rows[pick % len(rows)]
        raw = bytearray(body.encode())
        position = flip % len(raw)
        replacement = b"x" if raw[position:position + 1] != b"x" else b"y"
        raw[position:position + 1] = replacement
        changed = raw.decode("utf-8", errors="replace")
        session.execute(text("UPDATE ledger_entries SET body = :b WHERE seq = :s"), {"b": changed, "s": seq})
        report = ledger.verify(session)
        assert not report.ok
        assert report.broken_seq == seq
    finally:
        outer.rollback()
