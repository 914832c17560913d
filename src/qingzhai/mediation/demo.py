"""Demo step: mediate a share of the portfolio with simulated confidential positions and bids."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from rich.progress import Progress
from rich.table import Table

from qingzhai.core.actor import Actor, Role
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.demo import DemoContext
from qingzhai.i18n import _
from qingzhai.mediation import documents, service, vault, views
from qingzhai.mediation.cli import render_metrics
from qingzhai.mediation.rules import Status
from qingzhai.registry import service as registry
from qingzhai.registry.rules import Stage
from qingzhai.sim.positions import simulate_bids, simulate_pair

DEMO_MANAGER = Actor(id="demo", name="demo", role=Role.manager, source="demo")
SHARE = Decimal("0.10")  # of the open cases go to mediation in the demo


def demo_step(ctx: DemoContext) -> None:
    rng = ctx.rng
    outcomes: Counter[str] = Counter()
    with unit_of_work(engine_for(ctx.url)) as session:
        cases = [c for c in registry.list_cases(session, limit=1_000_000)[0]
                 if c.stage in (Stage.assessment.value, Stage.planning.value) and service.open_mediation(session, c) is None]
        chosen = [c for c in cases if rng.random() < float(SHARE)]
        ids = [c.id for c in chosen]
    sample_doc = None
    with Progress(console=ctx.console, transient=True) as progress:
        task = progress.add_task(_("Mediating"), total=len(ids))
        for index, case_id in enumerate(ids):
            with unit_of_work(engine_for(ctx.url)) as session:
                case = registry.get_case(session, case_id)
                now = ctx.now
                mode = "blind_bid" if index % 4 == 3 else "positions"
                m = service.refer(session, case=case, kind="default", actor=DEMO_MANAGER, now=now,
                                  reason=_("the debtor asked for mediation"), mode=mode)
                mediator = Actor(id=m.mediator_id, name=m.mediator_id, role=Role.mediator, source="demo")
                creditor = Actor(id="demo-creditor", name="creditor", role=Role.creditor, creditor_id=case.creditor_id)
                token = vault.debtor_token(m)
                if rng.random() < 0.1:  # a party declines mediation
                    service.conclude(session, m, outcome="withdrawn", reason=_("a party declined mediation"),
                                     actor=mediator, now=now + timedelta(days=2))
                    outcomes[m.status] += 1
                    progress.advance(task)
                    continue
                now = now + timedelta(days=rng.randint(1, 4))
                service.accept(session, m, actor=mediator, now=now)
                outstanding = registry.outstanding(case)
                debtor = registry.get_debtor(session, case.debtor_id)
                policy = registry.creditor_policy(registry.get_creditor(session, case.creditor_id))
                service.record_session(session, m, actor=mediator, now=now, kind="caucus", party="creditor",
                                       attendees=["creditor"], notes="caucus")
                service.record_session(session, m, actor=mediator, now=now, kind="caucus", party="debtor",
                                       attendees=["debtor"], notes="caucus")
                settled = False
                if mode == "positions":
                    pair = simulate_pair(rng, outstanding=outstanding, as_of=registry.local_today(now),
                                         max_discount=policy.max_settlement_discount,
                                         monthly_income=debtor.monthly_income)
                    service.submit_position(session, m, actor=creditor, now=now, payments=list(pair.creditor.payments))
                    service.submit_position(session, m, actor=DEMO_MANAGER, party_token=token, now=now,
                                            payments=list(pair.debtor.payments))
                    proposal, _seen = service.propose(session, m, actor=mediator, now=now)
                    settled = proposal.zone_exists
                else:
                    rounds = service.default_settings().max_rounds
                    for demand, offer in simulate_bids(rng, outstanding=outstanding, rounds=rounds):
                        before = m.round
                        service.submit_bid(session, m, actor=creditor, now=now, amount=demand)
                        seen = service.submit_bid(session, m, actor=DEMO_MANAGER, party_token=token, now=now, amount=offer)
                        settled = seen is not None and seen.zone_exists
                        if settled or m.round == before:  # settled, or the last round is spent
                            break
                        now = now + timedelta(days=rng.randint(2, 5))
                now = now + timedelta(days=rng.randint(1, 20))
                if settled:
                    service.respond(session, m, actor=creditor, now=now, accept=True)
                    service.respond(session, m, actor=DEMO_MANAGER, party_token=token, now=now, accept=True)
                    service.agree(session, m, actor=mediator, now=now, partial=rng.random() < 0.1)
                    if rng.random() < 0.8:
                        service.apply_for_confirmation(session, m, actor=mediator, now=now + timedelta(days=rng.randint(1, 20)))
                        service.record_confirmation(session, m, confirmed=rng.random() < 0.9, actor=mediator,
                                                    now=now + timedelta(days=25))
                    if sample_doc is None:
                        sample_doc = documents.agreement(session, m, actor=mediator, now=now)
                elif rng.random() < 0.7:
                    service.conclude(session, m, outcome="failed", reason=_("no zone of agreement"), actor=mediator, now=now)
                outcomes[m.status] += 1
            progress.advance(task)
    table = Table(_("Status"), _("Mediations"), title=_("Mediations in the demo"))
    for status in Status:
        table.add_row(_(status.value), str(outcomes.get(status.value, 0)))
    ctx.console.print(table)
    if sample_doc is not None:
        html_path = ctx.workdir / "mediation-agreement.html"
        html_path.write_text(documents.to_html(sample_doc), encoding="utf-8")
        if documents.cjk_font_path() is not None:
            pdf_path = ctx.workdir / "mediation-agreement.pdf"
            pdf_path.write_bytes(documents.to_pdf(sample_doc))
            ctx.console.print(_("Sample agreement: {html} and {pdf}", html=html_path, pdf=pdf_path))
        else:
            ctx.console.print(_("Sample agreement: {html} (PDF skipped: no CJK font installed)", html=html_path))
    with unit_of_work(engine_for(ctx.url)) as session:
        render_metrics(views.metrics(session), to=ctx.console)
