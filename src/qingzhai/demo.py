"""`qingzhai demo`: a synthetic portfolio taken through the whole process on the embedded database.

Each capability contributes a step (`DemoStep`); the demo runs them in process order and ends
with the portfolio summary.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.table import Table

from qingzhai import clock
from qingzhai.config import reset_settings
from qingzhai.core.actor import Actor, Role
from qingzhai.db import migrate
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import N_, _
from qingzhai.registry import service as registry
from qingzhai.registry.cli import render_summary
from qingzhai.registry.intake.cli import render_report
from qingzhai.registry.intake.files import file_sha256, open_placements
from qingzhai.registry.intake.service import import_placements
from qingzhai.registry.rules import CreditorPolicy, Stage
from qingzhai.sim.portfolio import write_portfolio

DEMO_ACTOR = Actor(id="demo", name="demo", role=Role.manager, source="demo")

CREDITORS: tuple[tuple[str, str, CreditorPolicy], ...] = (
    ("浦江商业银行信用卡中心", "PJB", CreditorPolicy()),
    ("申城消费金融有限公司", "SCF", CreditorPolicy(longest_plan_months=36)),
    ("东海融资租赁有限公司", "DHL", CreditorPolicy(max_settlement_discount=Decimal("0.20"))),
)


@dataclass
class DemoContext:
    url: str
    now: datetime
    seed: int
    debtors: int
    console: Console
    workdir: Path
    rng: random.Random = field(init=False)
    notes: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


DemoStep = tuple[str, Callable[[DemoContext], None]]


def step_import(ctx: DemoContext) -> None:
    share = max(ctx.debtors // len(CREDITORS), 1)
    for index, (name, prefix, policy) in enumerate(CREDITORS):
        path = ctx.workdir / f"placements-{prefix}.csv"
        write_portfolio(path, share, seed=ctx.seed + index, as_of=ctx.now.date(), ref_prefix=prefix)
        with unit_of_work(engine_for(ctx.url)) as session:
            creditor = registry.ensure_creditor(session, name=name, now=ctx.now)
            creditor.policy = policy.to_dict()
            source = open_placements(path)
            report = import_placements(
                session, creditor=creditor, rows=source.rows(), filename=path.name,
                sha256=file_sha256(path), actor=DEMO_ACTOR, now=ctx.now,
            )
        ctx.console.print(f"[bold]{name}[/bold]")
        render_report(report, None)
    # The first creditor sends the same file again, plus a file with mistakes in it.
    name, prefix, _policy = CREDITORS[0]
    path = ctx.workdir / f"placements-{prefix}.csv"
    bad = ctx.workdir / "placements-with-errors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header, first = lines[0], lines[1].split(",")
    broken = [
        [*first[:3], "310101199002301234", *first[4:]],  # impossible birth date
        ["BAD-2", *first[1:6], "12.345", *first[7:]],  # three decimals
        ["BAD-3", *first[1:4], "12345", *first[5:]],  # not a phone number
        ["BAD-4", first[1], '=HYPERLINK("x")', *first[3:]],  # formula injection
    ]
    broken[0][0] = "BAD-1"
    bad.write_text("\n".join([header, *(",".join(r) for r in broken)]) + "\n", encoding="utf-8")
    for label, file in ((_("Same file again"), path), (_("A file with mistakes"), bad)):
        with unit_of_work(engine_for(ctx.url)) as session:
            creditor = registry.ensure_creditor(session, name=name, now=ctx.now)
            report = import_placements(
                session, creditor=creditor, rows=open_placements(file).rows(), filename=file.name,
                sha256=file_sha256(file), actor=DEMO_ACTOR, now=ctx.now,
            )
        ctx.console.print(f"[bold]{name}[/bold] — {label}")
        render_report(report, None)


def step_walk(ctx: DemoContext) -> None:
    """Intake accepts every placed case: it moves to assessment, with the reason recorded."""
    with unit_of_work(engine_for(ctx.url)) as session:
        cases, _total = registry.list_cases(session, stage=Stage.intake, limit=1_000_000)
        for case in cases:
            registry.advance_case(session, case, to=Stage.assessment, reason=_("placement accepted"),
                                  actor=DEMO_ACTOR, now=ctx.now)
    table = Table(_("Stage"), _("Cases moved"), title=_("Cases walked on"))
    table.add_row(_(Stage.assessment.value), str(len(cases)))
    ctx.console.print(table)


def steps() -> list[DemoStep]:
    """The demo in process order. Imported here, not at module level: the steps import this module."""
    from qingzhai.assessment.demo import demo_step as assessment_step
    from qingzhai.compliance.demo import demo_step as compliance_step
    from qingzhai.conversation.demo import demo_step as conversation_step
    from qingzhai.execution.demo import demo_step as execution_step
    from qingzhai.mediation.demo import demo_step as mediation_step
    from qingzhai.planning.demo import demo_step as planning_step
    from qingzhai.scoring.demo import demo_step as scoring_step
    from qingzhai.security.demo import demo_step as security_step

    return [
        (N_("Intake: placement files from three creditors"), step_import),
        (N_("Security: assignment, legal bases, encryption at rest, audit trail"), security_step),
        (N_("Cases move on"), step_walk),
        (N_("Assessment: 12 indicators, fake debts, shell companies"), assessment_step),
        (N_("Scoring: the repayment-capacity model on the platform's history"), scoring_step),
        (N_("Planning: ranked plans, the debtor's answer"), planning_step),
        (N_("Mediation: back-to-back mediation of a share of cases"), mediation_step),
        (N_("Execution: months of payments, run-day, the ledger"), execution_step),
        (N_("Conversations: the collection bot and a collector's call"), conversation_step),
        (N_("Compliance: a day of calls, a suspension, an audit"), compliance_step),
    ]


def run_demo(*, debtors: int = 300, seed: int = 7, database_url: str | None = None,
             console: Console | None = None) -> DemoContext:
    console = console or Console()
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="qingzhai-demo-"))
    if database_url is None:
        db_path = Path.cwd() / "qingzhai-demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{db_path}"
    os.environ["QINGZHAI_DATABASE_URL"] = database_url
    reset_settings()
    migrate.upgrade(database_url)
    ctx = DemoContext(url=database_url, now=clock.now(), seed=seed, debtors=debtors, console=console, workdir=workdir)
    console.print(Rule(_("qingzhai demo")))
    console.print(_("Database: {url}", url=database_url))
    for title, step in steps():
        console.print(Rule(_(title)))
        step(ctx)
    console.print(Rule(_("Portfolio summary")))
    with unit_of_work(engine_for(database_url)) as session:
        render_summary(registry.portfolio_summary(session, now=ctx.now))
    console.print(_("Demo finished in {seconds:.1f} s.", seconds=time.perf_counter() - started))
    return ctx
