"""Demo step: plan every case in planning, put the best option to a simulated debtor, tabulate."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.progress import Progress
from rich.table import Table

from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import _
from qingzhai.planning import service
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage

if TYPE_CHECKING:
    from qingzhai.demo import DemoContext

PLANNER = Actor(id="demo-planner", name="demo planner", role=Role.manager, source="demo")


def demo_step(ctx: DemoContext) -> None:
    ports = service.default_ports()
    with unit_of_work(engine_for(ctx.url)) as session:
        cases, _total = registry.list_cases(session, stage=Stage.planning, limit=1_000_000)
        rows: dict[str, dict[str, object]] = defaultdict(
            lambda: {"accepted": 0, "declined": 0, "expected": Decimal(0), "p": 0.0, "offered": 0})
        currency = "CNY"
        with Progress(console=ctx.console, transient=True) as progress:
            task = progress.add_task(_("Planning"), total=len(cases))
            for case in cases:
                progress.advance(task)
                plan = service.plan_case(session, case, now=ctx.now, ports=ports)
                if not plan.options:
                    continue
                number, option = next(((n, o) for n, o in enumerate(plan.options, 1) if not o.needs_approval),
                                      (1, plan.options[0]))
                accepts = ctx.rng.random() < option.probability
                with session.begin_nested():
                    service.accept_option(session, case, number=number, debtor_accepts=accepts, approved=True,
                                          actor=PLANNER, now=ctx.now, ports=ports)
                row = rows[option.type]
                row["offered"] = int(row["offered"]) + 1  # type: ignore[call-overload]
                row["accepted" if accepts else "declined"] = int(row["accepted" if accepts else "declined"]) + 1  # type: ignore[call-overload]
                if case.currency == currency:
                    row["expected"] = Decimal(row["expected"]) + option.expected_recovery.amount  # type: ignore[arg-type]
                row["p"] = float(row["p"]) + option.probability  # type: ignore[arg-type]
    table = Table(_("Plan"), _("Offered"), _("Accepted"), _("Declined"), _("Expected recovery (CNY)"),
                  _("Mean probability"), title=_("Best plan put to each debtor"))
    for kind, row in sorted(rows.items(), key=lambda kv: -int(kv[1]["offered"])):  # type: ignore[call-overload]
        offered = int(row["offered"])  # type: ignore[call-overload]
        table.add_row(_(kind), str(offered), str(row["accepted"]), str(row["declined"]),
                      f"{Decimal(row['expected']):,.2f}", f"{float(row['p']) / offered:.0%}")  # type: ignore[arg-type]
    ctx.console.print(table)
