"""Demo step: train the portfolio model on the demo database's history and show its metrics."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money
from qingzhai.db.session import engine_for, unit_of_work
from qingzhai.i18n import _, current_lang
from qingzhai.registry import service as registry
from qingzhai.scoring import service
from qingzhai.scoring.cli import metrics_table
from qingzhai.scoring.rules import PortfolioSettings, TrainSettings


def demo_step(ctx) -> None:
    settings = PortfolioSettings()
    train_settings = TrainSettings(folds=5, repeats=1, seed=ctx.seed)
    with unit_of_work(engine_for(ctx.url)) as session:
        try:
            result = service.train_portfolio(session, now=ctx.now, settings=settings, train_settings=train_settings)
        except RuleViolation as exc:
            ctx.console.print(_("No portfolio model: {reason}. Planning uses its own estimate.", reason=exc.reason))
            return
        card = result.model.card
        ctx.notes["scoring_model_id"] = result.record.id
    if result.history == "simulated":
        ctx.console.print(_("Too little real repayment history: {note}.", note="; ".join(result.notes)))
        ctx.console.print(_("The model is trained on SIMULATED plan outcomes for the {n} real cases (2 plan offers each); "
                            "its figures show the pipeline works, not how well it predicts real debtors.",
                            n=result.examples // settings.simulated_plans_per_case))
    else:
        ctx.console.print(_("Trained on {n} real plans from the database.", n=result.examples))
    ctx.console.print(metrics_table(card))
    ctx.console.print(_("Data categories used: {cats}", cats=", ".join(card["data_categories"])))
    with unit_of_work(engine_for(ctx.url)) as session:
        cases, _total = registry.list_cases(session, limit=3)
        table = Table(_("Case"), _("Plan"), _("Probability"), _("Band"), _("Main reason"), title=_("Scored examples"))
        for case in cases:
            owed = registry.outstanding(case)
            monthly = Money(max((owed.amount / 12).quantize(Decimal("0.01")), Decimal("100.00")), owed.currency)
            for plan_type, amount, term in (("installments", monthly, 12), ("settlement", None, None)):
                scored = service.score_case(session, case, plan_type=plan_type, monthly_amount=amount, term_months=term,
                                            now=ctx.now)
                reason = scored.reasons[0]["text_zh" if current_lang() == "zh_CN" else "text_en"] if scored.reasons else ""
                table.add_row(f"QZ-{case.number}", plan_type, f"{scored.probability:.1%}", scored.band, reason)
    ctx.console.print(table)
