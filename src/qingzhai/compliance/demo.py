"""Demo step: a collector and a bot dialer work cases through a simulated day, asking the engine
before every call (one debtor lives abroad); a collector is suspended after a conduct incident;
then a dialer's log with planted violations is audited."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.table import Table

from qingzhai.compliance import service
from qingzhai.compliance.audit import audit
from qingzhai.compliance.presets import CN
from qingzhai.compliance.report import audit_json
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import _
from qingzhai.registry import service as registry
from qingzhai.sim.contact_log import write_contact_log

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from qingzhai.demo import DemoContext
    from qingzhai.registry.service import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _pick_cases(session: Session, limit: int = 3) -> list[Case]:
    cases, _total = registry.list_cases(session, limit=500)
    abroad = [c for c in cases if registry.get_debtor(session, c.debtor_id).timezone not in ("", "Asia/Shanghai")]
    home = [c for c in cases if c not in abroad]
    return (abroad[:1] + home)[:limit]


def demo_step(ctx: DemoContext) -> None:
    day = ctx.now.astimezone(SHANGHAI).date() + timedelta(days=1)
    engine = engine_for(ctx.url)
    rows: list[tuple[str, ...]] = []
    allowed = denied = 0
    with unit_of_work(engine) as session:
        cases = _pick_cases(session)
        if not cases:
            ctx.console.print(_("No cases to contact."))
            return
        zones = {c.id: service.debtor_zones(registry.get_debtor(session, c.debtor_id))[0] for c in cases}
        moment = datetime.combine(day, time(7, 30), tzinfo=SHANGHAI)
        end = datetime.combine(day, time(22, 30), tzinfo=SHANGHAI)
        tick = 0
        while moment <= end:
            for agent, kind in (("collector-01", "human"), ("bot-01", "bot")):
                case = cases[tick % len(cases)]
                tick += 1
                d = service.request_contact(session, case=case, channel="bot_call" if kind == "bot" else "call",
                                            at=moment, agent_id=agent, agent_kind=kind)
                if d.allowed and d.attempt_id:
                    allowed += 1
                    outcome = ctx.rng.choice(["no_answer", "busy", "conversation", "conversation", "voicemail"])
                    service.record_outcome(session, attempt_id=d.attempt_id, outcome=outcome, now=moment)
                    what = outcome
                else:
                    denied += 1
                    what = "; ".join(r.text for r in d.reasons)
                    if d.next_allowed_at:
                        what += " → " + _("next {at}", at=d.next_allowed_at.astimezone(ZoneInfo(zones[case.id]))
                                          .strftime("%m-%d %H:%M"))
                local = moment.astimezone(ZoneInfo(zones[case.id])).strftime("%m-%d %H:%M")
                rows.append((moment.strftime("%H:%M"), agent, f"QZ-{case.number}", zones[case.id], local,
                             _("yes") if d.allowed else _("no"), what))
            moment += timedelta(minutes=60)
        service.suspend_agent(session, agent_id="collector-02", reason=_("threatening language in a recorded call"),
                              now=ctx.now, reference="CONDUCT-DEMO-1")
        next_morning = datetime.combine(day + timedelta(days=1), time(10, 0), tzinfo=SHANGHAI)
        suspended = service.request_contact(session, case=cases[-1], channel="call", at=next_morning,
                                            agent_id="collector-02")
    table = Table(_("Shanghai"), _("Agent"), _("Case"), _("Debtor zone"), _("Debtor local"), _("Allowed"),
                  _("Outcome or reasons"), title=_("A simulated day of calls ({allowed} placed, {denied} denied)",
                                                   allowed=allowed, denied=denied))
    for row in rows:
        table.add_row(*row)
    ctx.console.print(table)
    ctx.console.print(_("Suspended collector asks to call: {verdict} ({reason})",
                        verdict=_("denied") if not suspended.allowed else _("allowed"),
                        reason="; ".join(r.text for r in suspended.reasons)))
    log = write_contact_log(ctx.workdir / "dialer-log.csv", 5000, seed=ctx.seed)
    report = audit(log, CN)
    data = audit_json(report, limit=8)
    audit_table = Table(_("Line"), _("Attempt"), _("Rule"), _("Reason"),
                        title=_("Audit of a dialer log: {rows} rows, {n} violations", rows=report.rows,
                                n=len(report.violations)))
    for v in data["violations"]:
        audit_table.add_row(str(v["line"]), v["attempt_id"], v["rule"], v["reason"])
    ctx.console.print(audit_table)
    ctx.console.print(", ".join(f"{rule}: {n}" for rule, n in report.by_rule().items()))
