"""Demo step: synthetic evidence for the demo portfolio, every case in `assessment` assessed, the
complete-enough ones moved to planning; grades, red flags and planted transfers found are shown.
"""

from __future__ import annotations

import importlib
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.table import Table

from qingzhai.assessment import service
from qingzhai.assessment.sources import SOURCE_NAMES
from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage
from qingzhai.sim.evidence import EvidenceSet, build_evidence, profiles_from_db, write_evidence

if TYPE_CHECKING:
    from qingzhai.demo import DemoContext

DEMO_ACTOR = Actor(id="demo", name="demo", role=Role.manager, source="demo")


def demo_step(ctx: DemoContext) -> None:
    url, now, seed, console = ctx.url, ctx.now, ctx.seed, ctx.console
    workdir = ctx.workdir / "evidence"
    with unit_of_work(engine_for(url)) as session:
        profiles = profiles_from_db(session)
    evidence = build_evidence(profiles, seed=seed, as_of=now.date() - timedelta(days=1))
    files = write_evidence(workdir, evidence)
    consents = _record_consents(url, evidence, now=now, rng=ctx.rng)
    if consents:
        console.print(_("Separate consents recorded from the synthetic consent forms: {n}.", n=consents))
    imports = Table(_("Source"), _("Records"), _("Added"), _("Unchanged"), _("Rejected"), title=_("Evidence imported"))
    for source in SOURCE_NAMES:
        path = files.get(source)
        if path is None:
            continue
        with unit_of_work(engine_for(url)) as session:
            report = service.import_file(session, source=source, data=path.read_bytes(), filename=path.name,
                                         actor=DEMO_ACTOR, now=now)
        imports.add_row(_(source), str(report.records), str(report.added), str(report.unchanged), str(len(report.rejected)))
    console.print(imports)
    with unit_of_work(engine_for(url)) as session:
        cases, _total = registry.list_cases(session, stage=Stage.assessment, limit=10_000_000)
        results = service.assess_cases(session, list(cases), actor=DEMO_ACTOR, now=now)
    grades = Counter(r.summary.grade for r in results)
    risks = Counter(r.summary.fake_debt_risk for r in results)
    table = Table(_("Grade"), _("Cases"), title=_("Assessment grades"))
    for grade in "ABCDE":
        table.add_row(grade, str(grades.get(grade, 0)))
    console.print(table)
    moved = sum(r.moved_to_planning for r in results)
    console.print(_("{n} cases assessed; {moved} moved to planning; fake-debt risk high {high}, medium {medium}, low {low}.",
                    n=len(results), moved=moved, high=risks.get("high", 0), medium=risks.get("medium", 0),
                    low=risks.get("low", 0)))
    flags: Counter[str] = Counter()
    for r in results:
        if r.outcome is not None:
            flags.update(f.code for f in r.outcome.red_flags)
    flag_table = Table(_("Red flag"), _("Cases"), title=_("Red flags"))
    for code, count in flags.most_common():
        flag_table.add_row(_(code), str(count))
    console.print(flag_table)
    # Planted transfers: did the shell detection find each one?
    found: set[str] = set()
    with unit_of_work(engine_for(url)) as session:
        for r in results:
            case = registry.get_case(session, r.case_id)
            shells = service.evidence_subgraph(session, case)
            for f in (shells or {}).get("findings", []):
                found.update(t["id"] for t in f.get("transfers", []))
    planted = evidence.planted
    hits = [p for p in planted if p["transfer"] in found]
    table = Table(_("Planted transfers"), _("Found"), _("Through a nominee"), _("Through a relative"),
                  title=_("Shell-company detection"))
    table.add_row(str(len(planted)), str(len(hits)), str(sum(p["through"] == "nominee" for p in hits)),
                  str(sum(p["through"] == "relative" for p in hits)))
    console.print(table)
    withheld = Counter(c for r in results if r.outcome is not None
                       for i in r.outcome.indicators if i.status.value == "withheld" for c in [i.key.value])
    if withheld:
        console.print(_("Not used for lack of a recorded legal basis: {what}.",
                        what=json.dumps(dict(withheld), ensure_ascii=False)))
    ctx.notes["assessment"] = {"assessed": len(results), "moved": moved, "planted": len(planted),
                               "planted_found": len(hits)}


def _record_consents(url: str, evidence: EvidenceSet, *, now: datetime, rng: random.Random) -> int:
    """Most debtors whose statements the firm holds signed a separate consent (PIPL art. 29); some did not."""
    try:
        security = importlib.import_module("qingzhai.security.service")
    except ImportError:
        return 0
    wanted: list[tuple[str, str]] = []
    for debtor_id in sorted({row["debtor_id"] for row in evidence.bank_rows}):
        if rng.random() < 0.85:
            wanted.append((debtor_id, "financial_accounts"))
    for rec in evidence.records.get("contact", []):
        if rec.get("method") == "location_track" and rng.random() < 0.5:
            wanted.append((rec["debtor_id"], "location"))
    with unit_of_work(engine_for(url)) as session:
        for debtor_id, category in wanted:
            if not security.has_basis(session, debtor_id=debtor_id, category=category, purpose="assessment", now=now):
                security.record_basis(session, debtor_id=debtor_id, category=category, basis="separate_consent",
                                      source="synthetic consent form", actor=DEMO_ACTOR, now=now)
    return len(wanted)
