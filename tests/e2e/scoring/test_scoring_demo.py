from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pytest
from rich.console import Console
from tests.builders import NOW

from qingzhai import demo
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.scoring import service
from qingzhai.scoring.demo import demo_step

with contextlib.suppress(ModuleNotFoundError):  # execution's tables, before the schema is built
    import qingzhai.execution.service  # noqa: F401


def _ctx(url: str, debtors: int) -> tuple[demo.DemoContext, io.StringIO]:
    out = io.StringIO()
    ctx = demo.DemoContext(url=url, now=NOW, seed=3, debtors=debtors, console=Console(file=out, width=160),
                           workdir=Path(tempfile.mkdtemp()))
    demo.step_import(ctx)
    return ctx, out


@pytest.mark.slow
def test_demo_says_history_is_simulated_trains_and_scores_examples(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("QINGZHAI_MODEL_DIR", str(tmp_path))
    ctx, out = _ctx(sqlite_db, 45)
    demo_step(ctx)
    text = out.getvalue()
    assert "SIMULATED" in text or "模拟" in text
    assert "AUC" in text
    with unit_of_work(engine_for(sqlite_db)) as session:
        record = service.active_portfolio(session)
        assert record is not None and record.card["history"] == "simulated"
        assert Path(record.path).parent == tmp_path


def test_demo_with_too_few_cases_says_so_and_trains_nothing(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setenv("QINGZHAI_MODEL_DIR", str(tmp_path))
    ctx, out = _ctx(sqlite_db, 6)
    demo_step(ctx)
    text = out.getvalue()
    assert "AUC" not in text  # no metrics: nothing was trained
    with unit_of_work(engine_for(sqlite_db)) as session:
        assert service.active_portfolio(session) is None
