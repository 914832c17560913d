"""Reservations are atomic: many dialers asking at once for one debtor never exceed a cap,
on SQLite and on the real PostgreSQL (threads; processes on PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from tests.builders import make_case

from qingzhai.compliance import service
from qingzhai.db.session import engine_for, session_factory
from qingzhai.registry import service as registry

TEN_AM = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


def _setup(url: str) -> str:
    with session_factory(engine_for(url))() as session:
        case = make_case(session)
        session.commit()
        return case.id


def _ask(url: str, case_id: str, agent: str) -> bool:
    engine = engine_for(url)
    with session_factory(engine)() as session:
        case = registry.get_case(session, case_id)
        decision = service.request_contact(session, case=case, channel="call", at=TEN_AM, agent_id=agent,
                                           agent_kind="bot" if agent.startswith("bot") else "human")
        session.commit()
        return decision.allowed


@pytest.mark.slow
def test_twenty_concurrent_requests_yield_exactly_three_reservations(fresh_db: str) -> None:
    case_id = _setup(fresh_db)
    barrier = threading.Barrier(20)
    results: list[bool] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results.append(_ask(fresh_db, case_id, f"bot-{i}" if i % 2 else f"collector-{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(results) == 3 and len(results) == 20
    with session_factory(engine_for(fresh_db))() as session:
        ex = service.explain(session, debtor_id=registry.get_case(session, case_id).debtor_id, at=TEN_AM)
        assert ex.pending_today == 3
        denied = [d for d in service.decisions(session, case_id=case_id, limit=100) if not d.allowed]
        assert len(denied) == 17 and all(d.reasons[0]["rule"] == "connected_calls_per_day" for d in denied)


CHILD = """
import sys, time, pathlib
from datetime import UTC, datetime
from qingzhai.compliance import service
from qingzhai.db.session import engine_for, session_factory
from qingzhai.registry import service as registry
url, case_id, agent, go = sys.argv[1:5]
engine = engine_for(url)
with session_factory(engine)() as session:
    case = registry.get_case(session, case_id)
    while not pathlib.Path(go).exists():
        time.sleep(0.005)
    d = service.request_contact(session, case=case, channel="call", at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
                                agent_id=agent)
    session.commit()
print("ALLOWED" if d.allowed else "DENIED")
"""


@pytest.mark.slow
def test_concurrent_processes_cannot_exceed_the_cap_on_postgresql(fresh_db: str, tmp_path) -> None:
    if not fresh_db.startswith("postgresql"):
        pytest.skip("the thread race covers SQLite's write lock")
    case_id = _setup(fresh_db)
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, fresh_db, case_id, f"dialer-{i}", str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(5)]
    time.sleep(1.0)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _out, err in outputs]
    assert sum(out.strip() == "ALLOWED" for out, _err in outputs) == 3
