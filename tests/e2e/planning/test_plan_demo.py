from __future__ import annotations

import io
import tempfile
from pathlib import Path

from rich.console import Console
from tests.builders import NOW

import qingzhai.execution.models
import qingzhai.mediation.models  # noqa: F401
from qingzhai import demo
from qingzhai.core.actor import SYSTEM
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.planning import service
from qingzhai.planning.demo import demo_step
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage


def test_demo_step_plans_every_case_in_planning_and_prints_the_table(sqlite_db):
    out = io.StringIO()
    ctx = demo.DemoContext(url=sqlite_db, now=NOW, seed=3, debtors=12, console=Console(file=out, width=160),
                           workdir=Path(tempfile.mkdtemp()))
    demo.step_import(ctx)
    demo.step_walk(ctx)
    with unit_of_work(engine_for(sqlite_db)) as session:  # as the assessment step does once assessed
        cases, _total = registry.list_cases(session, stage=Stage.assessment, limit=1000)
        for case in cases[: len(cases) // 2]:
            registry.advance_case(session, case, to=Stage.planning, reason="assessed", actor=SYSTEM, now=NOW)
    demo_step(ctx)
    text = out.getvalue()
    assert "Best plan put to each debtor" in text
    with unit_of_work(engine_for(sqlite_db)) as session:
        cases, total = registry.list_cases(session, limit=1000)
        decided = [c for c in cases if service.decisions(session, c)]
        assert total > 1 and len(decided) == total // 2
        assert all(c.stage != Stage.assessment.value for c in decided)
        assert all(service.decisions(session, c)[0].debtor_accepted == (c.stage != Stage.planning.value)
                   or service.decisions(session, c)[0].plan_type == "moratorium" for c in decided)
