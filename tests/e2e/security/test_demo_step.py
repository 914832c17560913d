from __future__ import annotations

import io

from rich.console import Console
from tests.builders import NOW, make_creditor

from qingzhai.core.actor import SYSTEM
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.demo import DemoContext
from qingzhai.registry.intake.files import open_placements
from qingzhai.registry.intake.service import import_placements
from qingzhai.security.demo import demo_step
from qingzhai.sim.portfolio import write_portfolio


def test_demo_step_assigns_by_district_and_verifies_the_chain(sqlite_db, tmp_path):
    path = tmp_path / "p.csv"
    write_portfolio(path, 40, seed=4)
    with unit_of_work(engine_for(sqlite_db)) as s:
        import_placements(s, creditor=make_creditor(s), rows=open_placements(path).rows(), filename="p.csv",
                          sha256="x", actor=SYSTEM, now=NOW)
    out = io.StringIO()
    ctx = DemoContext(url=sqlite_db, now=NOW, seed=1, debtors=40, console=Console(file=out, width=150),
                      workdir=tmp_path)
    demo_step(ctx)
    text = out.getvalue()
    assert "Cases assigned by district" in text and "answers 404" in text
    assert "qz1:" in text and "intact: yes" in text
    assert ctx.notes["security"]["assigned"] > 0
    demo_step(ctx)  # running it again is harmless
