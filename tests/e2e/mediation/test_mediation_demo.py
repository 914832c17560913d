"""The demo step mediates a share of the synthetic portfolio and prints metrics with their
numerators and denominators."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from qingzhai.demo import DemoContext, step_import, step_walk
from qingzhai.mediation.demo import demo_step

pytest.importorskip("qingzhai.execution.service")  # agreements become execution contracts


@pytest.mark.slow
def test_demo_step_settles_some_misses_some_and_prints_ratios(sqlite_db: str, tmp_path: Path) -> None:
    out = io.StringIO()
    ctx = DemoContext(url=sqlite_db, now=datetime(2026, 11, 20, 2, 0, tzinfo=UTC), seed=11, debtors=150,
                      console=Console(file=io.StringIO()), workdir=tmp_path)
    step_import(ctx)
    step_walk(ctx)
    ctx.console = Console(file=out, width=200)
    demo_step(ctx)
    text = out.getvalue()
    assert "Mediation metrics" in text
    ratios = re.findall(r"(\d+)/(\d+) \(", text)
    assert ratios and all(int(n) <= int(d) for n, d in ratios)
    assert (tmp_path / "mediation-agreement.html").exists()
