from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from tests.builders import make_case

from qingzhai import clock
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.demo import DemoContext
from qingzhai.execution import demo
from qingzhai.registry.rules import Stage


@pytest.mark.slow
def test_demo_step_simulates_payments_and_prints_the_rates(sqlite_db, tmp_path, monkeypatch):
    import qingzhai.compliance.models  # noqa: F401  (see the note in the service tests)
    from qingzhai.db.all_models import metadata

    metadata.create_all(engine_for(sqlite_db))
    monkeypatch.setattr(demo, "MONTHS", 2)
    with unit_of_work(engine_for(sqlite_db)) as session:
        for _ in range(6):
            make_case(session, stage=Stage.planning, amount="6000.00")
    console = Console(record=True, width=140)
    ctx = DemoContext(url=sqlite_db, now=clock.now(), seed=7, debtors=6, console=console, workdir=Path(tmp_path))
    demo.demo_step(ctx)
    text = console.export_text()
    for figure in ("Default-trigger rate", "Cure rate", "Promise-kept rate", "Recovery"):
        assert figure in text
    assert "intact: yes" in text
