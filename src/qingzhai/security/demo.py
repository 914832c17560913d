"""Demo step: users and roles, cases assigned by district, per-case access, legal bases, what the
database really holds (ciphertext) against what a user sees (masked), and the audit chain verified."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.table import Table
from sqlalchemy import text

from qingzhai.core.actor import SYSTEM
from qingzhai.core.masking import mask_id_number, mask_phone
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.security import service
from qingzhai.security.assignment import AssignmentRule, assign_by_rule
from qingzhai.security.auth import actor_of
from qingzhai.security.bootstrap import ensure_user

if TYPE_CHECKING:
    from qingzhai.demo import DemoContext

TEAM = (("demo-manager", "manager"), ("demo-compliance", "compliance_officer"), ("demo-mediator", "mediator"))


def demo_step(ctx: DemoContext) -> None:
    with unit_of_work(engine_for(ctx.url)) as session:
        manager = actor_of(ensure_user(session, name="demo-manager", role="manager", now=ctx.now), source="demo")
        for name, role in TEAM[1:]:
            ensure_user(session, name=name, role=role, now=ctx.now)
        districts = [d for d, _n in registry.case_districts(session) if d][:3]
        assigned: dict[str, int] = {}
        for n, district in enumerate(districts, 1):
            collector = ensure_user(session, name=f"demo-collector-{n}", role="collector", now=ctx.now)
            assigned[f"{collector.name} ({district})"] = assign_by_rule(
                session, to=collector.name, rule=AssignmentRule(district=district), actor=manager, now=ctx.now,
                reason=_("district queue"))
        first = ensure_user(session, name="demo-collector-1", role="collector", now=ctx.now) if districts else None
        visible = registry.list_cases(session, actor=actor_of(first, source="demo"))[1] if first else 0
        total = registry.list_cases(session, actor=manager)[1]
        bases: Counter[str] = Counter()
        for debtor_id in [c.debtor_id for c in registry.list_cases(session, limit=50)[0]]:
            if not service.has_basis(session, debtor_id=debtor_id, category="contact", purpose="collection", now=ctx.now):
                service.record_basis(session, debtor_id=debtor_id, category="contact", basis="contract",
                                     source=_("loan agreement, collection clause"), actor=SYSTEM, now=ctx.now)
                bases["contact/contract"] += 1
        sample = next(iter(registry.list_debtors(session, limit=1)[0]), None)
        raw = session.execute(text("SELECT id_number, phone FROM debtors WHERE id = :i"),
                              {"i": sample.id}).one() if sample else None
        report = service.verify_audit(session)

    table = Table(_("Collector"), _("Cases assigned"), title=_("Cases assigned by district"))
    for who, count in assigned.items():
        table.add_row(who, str(count))
    ctx.console.print(table)
    ctx.console.print(_("A collector sees {visible} of {total} cases; any other case answers 404.",
                        visible=visible, total=total))
    if sample is not None and raw is not None:
        stored = Table(_("Field"), _("Stored in the database"), _("Shown to users"), title=_("Encryption at rest"))
        stored.add_row(_("ID number"), f"{raw[0][:36]}…", mask_id_number(sample.id_number))
        stored.add_row(_("Phone"), f"{(raw[1] or '')[:36]}…", mask_phone(sample.phone))
        ctx.console.print(stored)
    ctx.console.print(_("Legal bases recorded: {n} (contact data, contract).", n=sum(bases.values())))
    ctx.console.print(_("Audit chain: {n} entries, intact: {ok}.", n=report.entries,
                        ok=_("yes") if report.broken is None else _("no")))
    ctx.notes["security"] = {"assigned": sum(assigned.values()), "audit_entries": report.entries}
