"""The option builders: one function per plan type, then `plan()` that ranks them all.

Pure like the rest of `planning.rules`: a `PlanInput`, the creditor's policy and the settings in;
a `PlanOption` (or an `Ineligible` with its reasons) out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from qingzhai.core.money import Money
from qingzhai.planning.rules.core import (
    DEFAULT_SETTINGS,
    TYPE_ORDER,
    Ineligible,
    Note,
    PlanInput,
    PlanningSettings,
    PlanOption,
    PlanSet,
    PlanType,
    _option,
    add_months,
    affordability_cap,
    at_least_one_unit,
    at_most_minor_units,
    behaviour_adjustment,
    check_moratorium_months,
    discount_factor,
    dte_eligible,
    floor_minor,
    level_total,
    monthly_schedule,
    note,
    npv,
    pct,
    shortest_term,
)
from qingzhai.registry.rules import CreditorPolicy


def settlement(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings) -> PlanOption:
    out = inp.outstanding
    cur = out.currency
    max_d = policy.max_settlement_discount
    floor_d = min(settings.settlement_floor_discount, max_d)
    if inp.liquid_assets is not None and out.amount > 0:
        wanted = Decimal(1) - inp.liquid_assets.amount / out.amount
        discount = min(max_d, max(floor_d, wanted))
    else:
        discount = max_d
    amount = Money(at_least_one_unit(floor_minor(out.amount * (1 - discount), cur), cur), cur)
    due = inp.start + timedelta(days=settings.settlement_due_days)
    notes = [note("Pay {amount} at once by {due}: a discount of {discount} on {outstanding} (the creditor allows up to {max}).",
                  amount=amount, due=due.isoformat(), discount=pct(discount), outstanding=out, max=pct(max_d))]
    if inp.liquid_assets is None:
        affordable: bool | None = None
        p = settings.p_settlement_unknown
        notes.append(note("Liquid assets are unknown, so whether this can be paid at once is not checked."))
    elif inp.liquid_assets.amount >= amount.amount:
        affordable = True
        p = settings.p_settlement_affordable
        notes.append(note("Liquid assets of {liquid} cover it.", liquid=inp.liquid_assets))
    else:
        affordable = False
        p = settings.p_settlement_unaffordable
        notes.append(note("Liquid assets of {liquid} do not cover it.", liquid=inp.liquid_assets))
    p += behaviour_adjustment(inp, settings)
    return _option(inp, settings, type=PlanType.settlement, schedule=[(due, amount)], probability=p, notes=notes,
                   needs_approval=False, affordable=affordable,
                   details={"discount": str(discount), "max_discount": str(max_d)})


def _installment_probability(inp: PlanInput, months: int, settings: PlanningSettings, over_cap: bool) -> float:
    p = settings.p_installments - settings.p_term_penalty_per_year * (months / 12) + behaviour_adjustment(inp, settings)
    return p * settings.p_over_cap_factor if over_cap else p


def installments(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings) -> list[PlanOption]:
    out = inp.outstanding
    cur = out.currency
    rate = policy.plan_interest_rate
    first_due = inp.start + timedelta(days=settings.first_due_days)
    longest = policy.longest_plan_months
    interest_note = (
        note("Interest at {rate} a year, as the creditor's policy sets.", rate=pct(rate)) if rate else
        note("No interest is charged on the plan.")
    )
    if inp.disposable_income is None or inp.disposable_income.amount <= 0:
        months = at_most_minor_units(out, min(longest, settings.unknown_income_term_months))
        amount = Money(level_total(out.amount, rate, months, cur), cur)
        schedule = monthly_schedule(amount, months, first_due)
        notes = [note("{months} monthly installments of about {each}.", months=months, each=schedule[0][1]),
                 note("No disposable income is known, so affordability cannot be checked: this plan needs approval."),
                 interest_note]
        p = _installment_probability(inp, months, settings, over_cap=True)
        return [_option(inp, settings, type=PlanType.installments, schedule=schedule, probability=p, notes=notes,
                        needs_approval=True, affordable=None, details={"term_months": months, "interest_rate": str(rate)})]
    disposable = inp.disposable_income
    cap = affordability_cap(disposable, settings)
    cap_note = note("Each installment is at most {cap}, {share} of disposable income of {income} a month.",
                    cap=cap, share=pct(settings.affordability_share), income=disposable)
    found = shortest_term(out, cap, rate, longest)
    if found is not None:
        months, amount = found
        schedule = monthly_schedule(amount, months, first_due)
        notes = [note("{months} monthly installments of {each} (the last {last}), {total} in all, from {first}.",
                      months=months, each=schedule[0][1], last=schedule[-1][1], total=amount, first=first_due.isoformat()),
                 cap_note, interest_note]
        p = _installment_probability(inp, months, settings, over_cap=False)
        return [_option(inp, settings, type=PlanType.installments, schedule=schedule, probability=p, notes=notes,
                        needs_approval=False, affordable=True, monthly_cap=cap,
                        details={"term_months": months, "interest_rate": str(rate)})]
    # 30% cannot clear the debt within the creditor's longest plan: a longer plan for approval,
    # and a partial settlement paid in installments over the longest plan.
    result: list[PlanOption] = []
    why = note("At {share} of disposable income ({cap} a month) the debt is not cleared within the creditor's "
               "longest plan of {longest} months.", share=pct(settings.affordability_share), cap=cap, longest=longest)
    longer = shortest_term(out, cap, rate, settings.longer_plan_max_months)
    if longer is not None:
        months, amount = longer
        schedule = monthly_schedule(amount, months, first_due)
        over = False
    else:
        months = at_most_minor_units(out, settings.longer_plan_max_months)
        amount = Money(level_total(out.amount, rate, months, cur), cur)
        schedule = monthly_schedule(amount, months, first_due)
        over = True
    notes = [why, note("A longer plan of {months} months at {each} a month needs the creditor's approval.",
                       months=months, each=schedule[0][1])]
    if over:
        notes.append(note("Even {months} months needs more than the cap each month.", months=months))
    notes.append(interest_note)
    result.append(_option(inp, settings, type=PlanType.installments, schedule=schedule,
                          probability=_installment_probability(inp, months, settings, over_cap=over), notes=notes,
                          needs_approval=True, affordable=not over, monthly_cap=cap,
                          details={"term_months": months, "interest_rate": str(rate), "longer_plan": True}))
    interest_free = shortest_term(out, cap, Decimal(0), longest) if rate else None
    if interest_free is not None:
        # The interest is what does not fit: waiving it clears the debt within the creditor's plan.
        months = interest_free[0]
        schedule = monthly_schedule(out, months, first_due)
        notes = [why, note("Without the plan interest, {months} monthly installments of {each} clear the debt; "
                           "waiving the interest needs approval.", months=months, each=schedule[0][1])]
        result.append(_option(inp, settings, type=PlanType.installments, schedule=schedule,
                              probability=_installment_probability(inp, months, settings, over_cap=False), notes=notes,
                              needs_approval=True, affordable=True, monthly_cap=cap,
                              details={"term_months": months, "interest_rate": "0", "interest_waived": True}))
    elif cap.amount > 0 and cap.amount * longest < out.amount:
        payable = Money(cap.amount * longest, cur)  # no interest on a partial settlement
        waived = out - payable
        share_waived = waived.amount / out.amount
        needs = share_waived > policy.max_settlement_discount
        schedule = monthly_schedule(payable, longest, first_due)
        notes = [why, note("Partial settlement: {total} paid as {months} installments of {cap}; {waived} ({share}) is waived.",
                           total=payable, months=longest, cap=cap, waived=waived, share=pct(share_waived))]
        if needs:
            notes.append(note("The waiver is more than the creditor's maximum discount of {max}: needs approval.",
                              max=pct(policy.max_settlement_discount)))
        result.append(_option(inp, settings, type=PlanType.installments, schedule=schedule,
                              probability=_installment_probability(inp, longest, settings, over_cap=False), notes=notes,
                              needs_approval=needs, affordable=True, monthly_cap=cap,
                              details={"term_months": longest, "partial": True, "waived": str(waived.amount)}))
    return result


def restructuring_scf(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings) -> PlanOption | Ineligible:
    """Debt restructuring plus supply-chain financing for small and micro enterprises: a share of the
    receivables collected each month repays the debt; a financing partner advances against invoices."""
    if inp.debtor_type != "enterprise" or inp.enterprise_size not in settings.scf_sizes:
        return Ineligible(PlanType.restructuring_scf.value,
                          (note("Restructuring with supply-chain financing is for small and micro enterprises."),))
    if inp.annual_revenue is None and inp.receivables is None:
        return Ineligible(PlanType.restructuring_scf.value,
                          (note("Needs the enterprise's annual revenue or receivables to project its cash flow."),))
    out = inp.outstanding
    cur = out.currency
    if inp.annual_revenue is not None:
        monthly_collections = inp.annual_revenue.amount / 12
    else:
        monthly_collections = (inp.receivables.amount if inp.receivables else Decimal(0)) / settings.scf_collection_months
    pledged = Money(floor_minor(monthly_collections * settings.scf_receivables_share, cur), cur)
    advance = Decimal(0)
    if inp.receivables is not None:
        advance = floor_minor(inp.receivables.amount * settings.scf_pledged_invoice_share * settings.scf_advance_rate, cur)
        advance = min(advance, out.amount)
    first_due = inp.start + timedelta(days=settings.first_due_days)
    schedule: list[tuple[date, Money]] = []
    if advance > 0:
        schedule.append((first_due, Money(advance, cur)))
    rest = out - Money(advance, cur)
    needs = False
    notes = [note("Restructuring: {share} of the receivables collected each month (about {pledged}) repays the debt.",
                  share=pct(settings.scf_receivables_share), pledged=pledged)]
    if advance > 0:
        notes.append(note("A financing partner advances {advance} against pledged invoices ({rate} of {invoices}).",
                          advance=Money(advance, cur), rate=pct(settings.scf_advance_rate),
                          invoices=pct(settings.scf_pledged_invoice_share)))
    months = 0
    if rest.amount > 0:
        found = shortest_term(rest, pledged, Decimal(0), policy.longest_plan_months)
        if found is None:
            months = at_most_minor_units(rest, policy.longest_plan_months)
            needs = True
            notes.append(note("The pledged share does not clear the rest within {months} months: needs approval.",
                              months=months))
        else:
            months = found[0]
        start_month = add_months(first_due, 1) if advance > 0 else first_due
        schedule.extend(monthly_schedule(rest, months, start_month))
        notes.append(note("The rest, {rest}, in {months} monthly payments.", rest=rest, months=months))
    projection = []
    balance = out.amount
    for k, (due, amount) in enumerate(schedule):
        balance -= amount.amount
        projection.append({"month": k + 1, "due_date": due.isoformat(),
                           "projected_collections": str(floor_minor(monthly_collections, cur)),
                           "pledged": str(pledged.amount), "payment": str(amount.amount), "balance": str(balance)})
    p = settings.p_scf + behaviour_adjustment(inp, settings)
    return _option(inp, settings, type=PlanType.restructuring_scf, schedule=schedule, probability=p, notes=notes,
                   needs_approval=needs, affordable=not needs, monthly_cap=pledged,
                   details={"advance": str(advance), "term_months": months, "cash_flow": projection})


def debt_to_equity(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings) -> PlanOption | Ineligible:
    """Debt-to-equity swap with a performance bet (对赌) for enterprise debts of 5,000,000 or more."""
    kind = PlanType.debt_to_equity.value
    if not dte_eligible(inp, settings):
        return Ineligible(kind, (note("Debt-to-equity is for enterprise debts of {threshold} or more.",
                                      threshold=Money(settings.dte_threshold, inp.outstanding.currency)),))
    if inp.valuation is None or inp.valuation.amount <= 0:
        return Ineligible(kind, (note("Needs a valuation of the enterprise to set the equity share."),))
    out = inp.outstanding
    cur = out.currency
    post_money = inp.valuation.amount + out.amount
    share = (out.amount / post_money).quantize(Decimal("0.0001"))
    needs = share > settings.dte_max_equity_share
    years = settings.dte_years
    targets = []
    if inp.annual_revenue is not None:
        for y in range(1, years + 1):
            target = floor_minor(inp.annual_revenue.amount * (1 + settings.dte_target_growth) ** y, cur)
            targets.append({"year": y, "revenue_target": str(target)})
    compensation = floor_minor(out.amount * settings.dte_compensation_rate, cur)
    exit_date = add_months(inp.start, 12 * years)
    v = discount_factor(settings.discount_rate, (exit_date - inp.start).days)
    scenarios = []
    weighted = Decimal(0)
    best = Decimal(0)
    for name, weight, growth in settings.dte_scenarios:
        equity_value = share * post_money * (1 + growth) ** years
        missed = years if growth < settings.dte_target_growth else 0
        comp = compensation * missed * (settings.dte_compensation_collect if growth < 0 else 1)
        recovery = floor_minor(min(out.amount, equity_value + comp), cur)
        scenarios.append({"scenario": name, "weight": str(weight), "value_growth": str(growth),
                          "missed_years": missed, "recovery": str(recovery)})
        weighted += weight * recovery * v
        best = max(best, recovery)
    notes = [note("Convert the debt into {share} of the enterprise at a valuation of {valuation} (after the swap {post}).",
                  share=pct(share), valuation=inp.valuation, post=Money(post_money, cur))]
    if targets:
        notes.append(note("Revenue targets rise {growth} a year for {years} years, from {first}.",
                          growth=pct(settings.dte_target_growth), years=years,
                          first=Money(Decimal(targets[0]["revenue_target"]), cur)))
    else:
        notes.append(note("No revenue figure: the performance targets are to be agreed, so the swap needs approval."))
        needs = True
    notes.append(note("For each missed year the enterprise pays {comp} in cash or adjusts the equity in the creditor's favour.",
                      comp=Money(compensation, cur)))
    notes.append(note("Creditor's recovery by scenario: {scenarios}.",
                      scenarios=", ".join(f"{s['scenario']} {Money(Decimal(s['recovery']), cur)}" for s in scenarios)))
    if share > settings.dte_max_equity_share:
        notes.append(note("An equity share above {max} changes control: needs approval.", max=pct(settings.dte_max_equity_share)))
    p = settings.p_dte + behaviour_adjustment(inp, settings)
    return _option(inp, settings, type=PlanType.debt_to_equity, schedule=[], probability=p, notes=notes,
                   needs_approval=needs, affordable=None, close=exit_date,
                   value_npv=Money(floor_minor(weighted, cur), cur), nominal=Money(best, cur),
                   details={"equity_share": str(share), "valuation": str(inp.valuation.amount),
                            "targets": targets, "compensation_per_missed_year": str(compensation),
                            "scenarios": scenarios, "exit_date": exit_date.isoformat()})


def moratorium_eligibility(inp: PlanInput, settings: PlanningSettings) -> list[Note]:
    """Reasons a moratorium is refused (empty: eligible). Every condition is explicit."""
    reasons: list[Note] = []
    if inp.cooperative is not True:
        reasons.append(note("The debtor has not been found cooperative."))
    if not inp.full_disclosure:
        reasons.append(note("The debtor's finances are not fully disclosed."))
    if inp.hardship is None:
        reasons.append(note("No hardship cause (unemployment, illness or disaster)."))
    elif not inp.hardship_verified:
        reasons.append(note("The hardship ({hardship}) is not verified by an assessment.", hardship=inp.hardship))
    if inp.concealment_flag:
        reasons.append(note("The assessment flagged concealed assets."))
    return reasons


def moratorium(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings,
               months: int | None = None) -> PlanOption | Ineligible:
    kind = PlanType.moratorium.value
    reasons = moratorium_eligibility(inp, settings)
    if reasons:
        return Ineligible(kind, tuple(reasons))
    months = check_moratorium_months(months or settings.moratorium_months, settings)
    review = add_months(inp.start, months)
    out = inp.outstanding
    cur = out.currency
    resume = settings.moratorium_resume_months
    after = monthly_schedule(out, resume, add_months(review, 1))
    value = npv(after, inp.start, settings.discount_rate, cur)
    notes = [note("Pause collection for {months} months because of {hardship}; review on {review}.",
                  months=months, hardship=inp.hardship, review=review.isoformat()),
             note("Eligible: cooperative, fully disclosed, hardship verified, no concealment flagged."),
             note("No payments during the pause; after the review the debt is planned again "
                  "(valued as {resume} monthly payments).", resume=resume)]
    return _option(inp, settings, type=PlanType.moratorium, schedule=[], probability=settings.p_moratorium, notes=notes,
                   needs_approval=False, affordable=True, value_npv=value, nominal=out, close=after[-1][0],
                   details={"months": months, "review_date": review.isoformat(), "hardship": inp.hardship})


MEDIATION_MESSAGES: dict[str, str] = {
    "community": "Refer to community mediation ({district}); agreements settle at about {share} of the debt, "
                 "around {amount}.",
    "court": "Refer to court-annexed mediation ({district}); agreements settle at about {share} of the debt, "
             "around {amount}.",
    "institutional": "Refer to a financial dispute mediation organisation ({district}); agreements settle at about "
                     "{share} of the debt, around {amount}.",
}


def mediation(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings) -> PlanOption:
    out = inp.outstanding
    cur = out.currency
    kind = settings.mediation.kind_for_district(inp.district).value
    agreed = Money(at_least_one_unit(floor_minor(out.amount * settings.mediation_share, cur), cur), cur)
    due = inp.start + timedelta(days=settings.mediation_days)
    msgid = MEDIATION_MESSAGES.get(kind, MEDIATION_MESSAGES["institutional"])
    notes = [note(msgid, district=inp.district or "-", share=pct(settings.mediation_share), amount=agreed)]
    if kind != settings.mediation.default_kind.value:
        notes.append(note("Local custom in {district} favours this kind of mediation.", district=inp.district or "-"))
    p = settings.p_mediation + behaviour_adjustment(inp, settings)
    return _option(inp, settings, type=PlanType.mediation, schedule=[(due, agreed)], probability=p, notes=notes,
                   needs_approval=False, affordable=None, details={"kind": kind})


def litigation(inp: PlanInput, policy: CreditorPolicy, settings: PlanningSettings) -> PlanOption | Ineligible:
    kind = PlanType.litigation.value
    out = inp.outstanding
    cur = out.currency
    if inp.limitation_date is not None and inp.limitation_date < inp.start:
        return Ineligible(kind, (note("The limitation period ended on {date}.", date=inp.limitation_date.isoformat()),))
    costs = Money(floor_minor(out.amount * settings.litigation_cost_share, cur), cur)
    net = out - costs
    due = add_months(inp.start, settings.litigation_months)
    evidence = inp.evidence_strength if inp.evidence_strength is not None else settings.unknown_evidence_strength
    assets = inp.total_assets or inp.liquid_assets
    enforce = (settings.litigation_enforce_known_assets if assets is not None and assets.amount >= out.amount
               else settings.litigation_enforce_unknown)
    notes = [note("Last resort: sue for {amount}; costs about {costs}; judgment and enforcement take about {months} months.",
                  amount=out, costs=costs, months=settings.litigation_months)]
    if inp.evidence_strength is None:
        notes.append(note("Evidence strength unknown, taken as {strength}.", strength=pct(evidence)))
    else:
        notes.append(note("Evidence strength {strength} (assessment).", strength=pct(evidence)))
    if inp.limitation_date is not None:
        notes.append(note("Limitation date {date}.", date=inp.limitation_date.isoformat()))
        if (inp.limitation_date - inp.start).days <= settings.limitation_warning_days:
            notes.append(note("File soon: the limitation period ends within {days} days.",
                              days=settings.limitation_warning_days))
    return _option(inp, settings, type=PlanType.litigation, schedule=[(due, net)], probability=evidence * enforce,
                   notes=notes, needs_approval=False, affordable=None,
                   details={"costs": str(costs.amount), "evidence_strength": evidence,
                            "limitation_date": inp.limitation_date.isoformat() if inp.limitation_date else None})


def rank(options: Iterable[PlanOption]) -> list[PlanOption]:
    """By expected NPV (highest first); ties by probability, then by the plan type's order."""
    return sorted(options, key=lambda o: (-o.expected_recovery.amount, -o.probability, TYPE_ORDER[o.type]))


def plan(inp: PlanInput, policy: CreditorPolicy | None = None, settings: PlanningSettings = DEFAULT_SETTINGS) -> PlanSet:
    """Every option the debtor is eligible for, ranked by expected NPV, with the ineligible ones explained."""
    policy = policy or CreditorPolicy()
    found: list[PlanOption | Ineligible] = [settlement(inp, policy, settings)]
    found.extend(installments(inp, policy, settings))
    found.append(restructuring_scf(inp, policy, settings))
    found.append(debt_to_equity(inp, policy, settings))
    found.append(moratorium(inp, policy, settings))
    found.append(mediation(inp, policy, settings))
    found.append(litigation(inp, policy, settings))
    options = [f for f in found if isinstance(f, PlanOption)]
    ineligible = [f for f in found if isinstance(f, Ineligible)]
    if inp.fake_debt_risk == "high":
        # A debt that may be fictitious (e.g. colluding to dilute other creditors) is not settled
        # without a person reviewing the evidence first.
        warning = note("The assessment rates the risk that this debt is fake as high: review before any plan.")
        options = [replace(o, needs_approval=True, notes=(*o.notes, warning),
                           explanation=o.explanation + " " + warning.render()) for o in options]
    return PlanSet(options=rank(options), ineligible=ineligible, inputs=inp)


SCHEDULED_TYPES: frozenset[str] = frozenset({"settlement", "installments", "restructuring_scf", "debt_to_equity"})
BOT_TYPES: frozenset[str] = frozenset({"settlement", "installments", "restructuring_scf"})


def best_affordable(options: Iterable[PlanOption]) -> PlanOption | None:
    """The best-ranked option the debtor can afford without anyone's approval (what the bot proposes)."""
    for option in options:
        if option.type in BOT_TYPES and option.affordable is True and not option.needs_approval:
            return option
    return None
