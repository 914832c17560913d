"""The compliance demo step runs on a small database and shows allowed and denied contacts."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from tests.builders import NOW, make_case, make_debtor

from qingzhai.compliance.demo import demo_step
from qingzhai.db.session import engine_for, session_factory
from qingzhai.demo import DemoContext


def test_demo_step_shows_a_day_of_decisions_and_an_audit(sqlite_db: str, tmp_path: Path) -> None:
    with session_factory(engine_for(sqlite_db))() as session:
        make_case(session, debtor=make_debtor(session, timezone="America/Los_Angeles", phone="+13105550100"))
        make_case(session)
        session.commit()
    out = io.StringIO()
    ctx = DemoContext(url=sqlite_db, now=NOW, seed=7, debtors=2, console=Console(file=out, width=200), workdir=tmp_path)
    demo_step(ctx)
    text = out.getvalue()
    assert "America/Los_Angeles" in text and "quiet hours" in text
    assert "agent is suspended" in text
    assert "Audit of a dialer log" in text
