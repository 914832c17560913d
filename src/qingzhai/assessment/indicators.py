"""The 12 indicators, each a pure function of its evidence, and `assess` that combines them.

Every indicator returns an `IndicatorResult`: a score 0-100 (higher: better prospects of
recovery), a confidence 0-1, the evidence it used and plain-language findings. A missing source
gives `unknown` with confidence 0; a source whose data category has no recorded legal basis gives
`withheld` — never a silent default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from qingzhai.assessment import bank
from qingzhai.assessment.evidence import (
    BankTxn,
    CaseFacts,
    ContactCheck,
    CourtRecord,
    CreditReport,
    DebtDocument,
    Employment,
    Financials,
    IdentityCheck,
    Interview,
    Property,
    ShellEvidence,
    Vehicle,
)
from qingzhai.assessment.rules import (
    AssessmentSettings,
    EvidenceRef,
    Finding,
    IndicatorKey,
    IndicatorResult,
    RedFlag,
    Status,
    clamp_score,
    unknown,
    withheld,
)

K = IndicatorKey


def freshness(observed: date | None, as_of: date, settings: AssessmentSettings) -> float:
    if observed is None:
        return 0.5
    return 1.0 if (as_of - observed).days <= settings.stale_evidence_days else 0.5


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- 1. identity ------------------------------------------------------------------------------


def identity(records: Sequence[IdentityCheck] | None, *, as_of: date, settings: AssessmentSettings) -> IndicatorResult:
    if not records:
        return unknown(K.identity)
    latest = max(records, key=lambda r: r.checked_on)
    ref = (EvidenceRef("identity", latest.checked_on, latest.provider),)
    conf = freshness(latest.checked_on, as_of, settings)
    if not latest.id_valid or not latest.name_matches:
        flag = RedFlag("identity_mismatch", "high",
                       Finding("The ID number is not valid or does not belong to the named debtor."), ref)
        return IndicatorResult(K.identity, Status.known, 0, conf, (flag.finding,), ref, (flag,), {"verified": False})
    photo = latest.photo_match
    if photo is not None and photo < settings.min_photo_match:
        finding = Finding("ID number and name match, but the face match is weak ({score:.2f}).", {"score": photo})
        return IndicatorResult(K.identity, Status.known, 60, conf * 0.8, (finding,), ref, (), {"verified": False})
    finding = Finding("Identity verified by {provider}.", {"provider": latest.provider})
    return IndicatorResult(K.identity, Status.known, 100, conf if photo is not None else conf * 0.8, (finding,), ref, (),
                           {"verified": True})


# --- 2. bank-statement cash flow --------------------------------------------------------------


def cash_flow(txns: Sequence[BankTxn] | None, facts: CaseFacts, *, as_of: date,
              settings: AssessmentSettings) -> tuple[IndicatorResult, bank.CashFlow | None]:
    if txns is None:
        return unknown(K.cash_flow), None
    flow = bank.analyse(txns, as_of=as_of, settings=settings)
    if flow.months_with_data == 0:
        return unknown(K.cash_flow, "No bank transactions in the last {months} months.",
                       months=settings.lookback_months), flow
    refs = tuple(EvidenceRef("bank", None, "account …" + a[-4:]) for a in flow.accounts)
    findings = [Finding(
        "{months} months of statements: {income} in, {out} out; disposable income about {disp} a month "
        "({low} to {high}).",
        {"months": flow.months_with_data, "income": yuan(flow.total_in_fen), "out": yuan(flow.total_out_fen),
         "disp": yuan(flow.disposable_fen or 0), "low": yuan(flow.disposable_low_fen or 0),
         "high": yuan(flow.disposable_high_fen or 0)})]
    flags: list[RedFlag] = []
    penalty = 0
    default = facts.default_date
    for t in flow.large_related:
        if t.amount_fen < 0 and (default is None or t.on >= default - timedelta(days=settings.disposal_window_days)):
            ev = (EvidenceRef("bank", t.on, "account …" + t.account[-4:]),)
            text = ("A round-sum transfer of {amount} to a related party ({to}) on {on}." if t.round_sum
                    else "A large transfer of {amount} to a related party ({to}) on {on}.")
            flags.append(RedFlag("large_related_transfer", "high" if t.round_sum else "medium",
                                 Finding(text, {"amount": yuan(-t.amount_fen), "to": t.counterparty,
                                                "on": t.on.isoformat()}), ev))
            penalty += 10
    if flow.total_in_fen and flow.gambling_out_fen > settings.gambling_share_flag * flow.total_in_fen:
        flags.append(RedFlag("gambling", "high", Finding("Gambling outflows of {amount} ({share:.0%} of income).", {
            "amount": yuan(flow.gambling_out_fen), "share": flow.gambling_out_fen / flow.total_in_fen}), refs))
        penalty += 20
    if len(flow.lending_platforms) >= settings.lending_platform_flag:
        flags.append(RedFlag("many_lending_platforms", "medium", Finding(
            "Money borrowed from {n} online lending platforms.", {"n": len(flow.lending_platforms)}), refs))
        penalty += 15
    if flow.income_cv is not None and flow.income_cv > settings.volatility_flag:
        findings.append(Finding("Monthly income is volatile (variation {cv:.0%}).", {"cv": flow.income_cv}))
        penalty += 10
    instalment = max(facts.outstanding_fen // 24, 1)
    capacity = min(max(flow.disposable_fen or 0, 0) / instalment, 1.0)
    score = clamp_score(20 + 80 * capacity - penalty)
    conf = round(flow.months_with_data / settings.lookback_months, 4)
    return IndicatorResult(K.cash_flow, Status.known, score, conf, tuple(f.finding for f in flags) + tuple(findings),
                           refs, tuple(flags), {"disposable_fen": flow.disposable_fen,
                                                "liquid_fen": flow.liquid_fen,
                                                "months": flow.months_with_data}), flow


# --- 3. income and employment stability -------------------------------------------------------


def enterprise_size(latest: Financials, settings: AssessmentSettings) -> str:
    if latest.employees < settings.micro_employees or latest.revenue_fen < settings.micro_revenue_fen:
        return "micro"
    if latest.employees < settings.small_employees or latest.revenue_fen < settings.small_revenue_fen:
        return "small"
    if latest.employees < settings.medium_employees or latest.revenue_fen < settings.medium_revenue_fen:
        return "medium"
    return "large"


def income_stability(jobs: Sequence[Employment] | None, financials: Sequence[Financials] | None, facts: CaseFacts,
                     *, as_of: date, settings: AssessmentSettings) -> IndicatorResult:
    if facts.debtor_kind == "enterprise":
        if not financials:
            return unknown(K.income_stability, "No financial statements of the enterprise.")
        ordered = sorted(financials, key=lambda f: f.year)
        latest = ordered[-1]
        ref = tuple(EvidenceRef("financials", f.reported_on, str(f.year)) for f in ordered)
        growth = None
        score = 60
        if len(ordered) > 1 and ordered[-2].revenue_fen > 0:
            growth = latest.revenue_fen / ordered[-2].revenue_fen - 1
            score = clamp_score(60 + 100 * growth)
        if latest.net_assets_fen <= 0:
            score = min(score, 20)
        size = enterprise_size(latest, settings)
        finding = Finding("{size} enterprise, revenue {revenue} in {year}{trend}.", {
            "size": size, "revenue": yuan(latest.revenue_fen), "year": latest.year,
            "trend": "" if growth is None else f" ({growth:+.0%})"})
        return IndicatorResult(K.income_stability, Status.known, score, freshness(latest.reported_on, as_of, settings),
                               (finding,), ref, (), {
                                   "enterprise_size": size, "revenue_fen": latest.revenue_fen,
                                   "receivables_fen": latest.receivables_fen, "net_assets_fen": latest.net_assets_fen,
                                   "total_assets_fen": latest.total_assets_fen})
    if not jobs:
        return unknown(K.income_stability, "No employment verification.")
    latest = max(jobs, key=lambda j: j.verified_on)
    ref = (EvidenceRef("employment", latest.verified_on, latest.employer or latest.status),)
    conf = freshness(latest.verified_on, as_of, settings)
    if latest.status == "unemployed":
        finding = Finding("The debtor is out of work.")
        return IndicatorResult(K.income_stability, Status.known, 10, conf, (finding,), ref, (),
                               {"hardship": "unemployment", "salary_fen": None})
    tenure = max(((as_of - latest.since).days / 365.25) if latest.since else 0.0, 0.0)
    base = 45 if latest.status == "employed" else 35
    score = clamp_score(base + 7 * min(tenure, 5) + 20 * min(latest.social_insurance_months, 36) / 36)
    finding = Finding("{status} at {employer} for {years:.1f} years, salary {salary} a month.", {
        "status": latest.status, "employer": latest.employer or "-", "years": tenure,
        "salary": yuan(latest.monthly_salary_fen or 0)})
    return IndicatorResult(K.income_stability, Status.known, score, conf, (finding,), ref, (),
                           {"salary_fen": latest.monthly_salary_fen})


# --- 4 and 5. real estate, vehicles -----------------------------------------------------------


def _disposal_flag(kind: str, ident: str, disposed: date, default: date | None, source: str,
                   settings: AssessmentSettings) -> RedFlag | None:
    if default is None or disposed < default - timedelta(days=settings.disposal_window_days):
        return None
    return RedFlag("asset_disposed_near_default", "high", Finding(
        "{kind} {ident} was disposed of on {on}, around the default on {default}.",
        {"kind": kind, "ident": ident, "on": disposed.isoformat(), "default": default.isoformat()}),
        (EvidenceRef(source, disposed, ident),))


def real_estate(records: Sequence[Property] | None, facts: CaseFacts, *, as_of: date,
                settings: AssessmentSettings) -> IndicatorResult:
    if records is None:
        return unknown(K.real_estate)
    flags = []
    equity = 0
    held = 0
    for p in records:
        if p.disposed_on is not None:
            flag = _disposal_flag("Property", p.certificate, p.disposed_on, facts.default_date, "property", settings)
            if flag:
                flags.append(flag)
            continue
        held += 1
        if not p.seized:  # a property another creditor's court has seized is out of reach
            equity += max(int(p.value_fen * p.share) - p.encumbrance_fen, 0)
    refs = tuple(EvidenceRef("property", p.checked_on, p.certificate) for p in records)
    conf = min((freshness(p.checked_on, as_of, settings) for p in records), default=1.0)
    score = clamp_score(100 * min(equity / max(facts.outstanding_fen, 1), 1.0))
    finding = Finding("{n} properties held, net equity {equity} after encumbrances.", {"n": held, "equity": yuan(equity)})
    return IndicatorResult(K.real_estate, Status.known, score, conf, (finding, *(f.finding for f in flags)), refs,
                           tuple(flags), {"equity_fen": equity})


def movables(records: Sequence[Vehicle] | None, facts: CaseFacts, *, as_of: date,
             settings: AssessmentSettings) -> IndicatorResult:
    if records is None:
        return unknown(K.movables)
    flags = []
    value = 0
    held = 0
    for v in records:
        if v.disposed_on is not None:
            flag = _disposal_flag("Vehicle", v.plate, v.disposed_on, facts.default_date, "vehicles", settings)
            if flag:
                flags.append(flag)
            continue
        held += 1
        if not v.pledged:
            value += v.value_fen
    refs = tuple(EvidenceRef("vehicles", v.checked_on, v.plate) for v in records)
    conf = min((freshness(v.checked_on, as_of, settings) for v in records), default=1.0)
    score = clamp_score(100 * min(value / max(facts.outstanding_fen, 1), 1.0))
    finding = Finding("{n} vehicles held, unpledged value {value}.", {"n": held, "value": yuan(value)})
    return IndicatorResult(K.movables, Status.known, score, conf, (finding, *(f.finding for f in flags)), refs,
                           tuple(flags), {"value_fen": value})


# --- 6. business registrations and affiliated enterprises -------------------------------------


def business(records: Sequence[ShellEvidence] | None, *, as_of: date, settings: AssessmentSettings) -> IndicatorResult:
    if not records:
        return unknown(K.business)
    latest = max(records, key=lambda r: r.checked_on)
    refs = (EvidenceRef("registry", latest.checked_on, latest.registry),)
    flags = []
    strongest = 0.0
    for f in latest.findings:
        strength = float(f["strength"])
        strongest = max(strongest, strength)
        if strength >= 0.3:
            severity = "high" if strength >= settings.concealment_strength else "medium"
            flags.append(RedFlag("shell_transfer", severity, Finding(str(f["explanation"])), refs))
    score = clamp_score(50 + 10 * min(latest.companies_tied, 3) - 50 * strongest)
    finding = Finding("{n} companies tied to the debtor; {k} suspicious findings.",
                      {"n": latest.companies_tied, "k": len(latest.findings)})
    return IndicatorResult(K.business, Status.known, score, freshness(latest.checked_on, as_of, settings),
                           (finding, *(f.finding for f in flags)), refs, tuple(flags),
                           {"companies_tied": latest.companies_tied, "strongest": strongest})


# --- 7. court enforcement and litigation ------------------------------------------------------


def court(records: Sequence[CourtRecord] | None, *, as_of: date, settings: AssessmentSettings) -> IndicatorResult:
    if records is None:
        return unknown(K.court)
    refs = tuple(EvidenceRef("court", r.filed_on, r.case_no) for r in records)
    against = [r for r in records if r.role == "defendant"]
    open_cases = [r for r in against if r.status == "open"]
    flags = []
    score = 100 - settings.court_open_penalty * len(open_cases)
    if any(r.kind == "dishonest" for r in against):
        score -= 40
        flags.append(RedFlag("dishonest_debtor", "high", Finding(
            "Listed as a dishonest judgment debtor (失信被执行人)."), refs))
    if any(r.status == "terminated_no_assets" for r in against):
        score -= 30
        flags.append(RedFlag("enforcement_no_assets", "high", Finding(
            "An earlier enforcement ended for lack of assets (终结本次执行)."), refs))
    owed = sum(r.amount_fen for r in open_cases)
    finding = Finding("{n} court records; {k} open against the debtor for {amount}.",
                      {"n": len(records), "k": len(open_cases), "amount": yuan(owed)})
    return IndicatorResult(K.court, Status.known, clamp_score(score), 1.0, (finding, *(f.finding for f in flags)),
                           refs, tuple(flags), {"open_against_fen": owed})


# --- 8. credit history and other debts --------------------------------------------------------


def credit(reports: Sequence[CreditReport] | None, facts: CaseFacts, income_fen: int | None, *, as_of: date,
           settings: AssessmentSettings) -> IndicatorResult:
    if not reports:
        return unknown(K.credit)
    latest = max(reports, key=lambda r: r.reported_on)
    refs = (EvidenceRef("credit", latest.reported_on, latest.bureau),)
    overdue = [a for a in latest.accounts if a.overdue_months > 0 or a.status in ("overdue", "written_off")]
    payments = sum(a.monthly_payment_fen for a in latest.accounts if a.status != "closed")
    balance = sum(a.balance_fen for a in latest.accounts if a.status != "closed")
    flags = []
    score = 100 - 12 * len(overdue)
    if income_fen and income_fen > 0:
        ratio = payments / income_fen
        if ratio > settings.debt_service_flag:
            score -= 25
            flags.append(RedFlag("over_indebted", "medium", Finding(
                "Other debts take {ratio:.0%} of income every month.", {"ratio": ratio}), refs))
    if latest.queries_6m >= settings.credit_queries_flag:
        score -= 10
        flags.append(RedFlag("credit_hunger", "low", Finding(
            "{n} credit enquiries in the last six months.", {"n": latest.queries_6m}), refs))
    finding = Finding("{n} other credit accounts, balance {balance}, {k} overdue.", {
        "n": len(latest.accounts), "balance": yuan(balance), "k": len(overdue)})
    return IndicatorResult(K.credit, Status.known, clamp_score(score), freshness(latest.reported_on, as_of, settings),
                           (finding, *(f.finding for f in flags)), refs, tuple(flags),
                           {"other_debt_fen": balance, "other_payments_fen": payments})


# --- 9. partner and reference interviews ------------------------------------------------------


def interviews(records: Sequence[Interview] | None, *, as_of: date, settings: AssessmentSettings) -> IndicatorResult:
    if not records:
        return unknown(K.interviews)
    refs = tuple(EvidenceRef("interviews", r.interviewed_on, r.interviewee_role) for r in records)
    weight = sum(max(r.reliability, 0.0) for r in records) or 1.0
    coop_votes = [(r.reliability, r.cooperative) for r in records if r.cooperative is not None]
    coop = None
    if coop_votes:
        balance = sum(w if c else -w for w, c in coop_votes)
        coop = balance > 0 if balance != 0 else None
    active = [(r.reliability, r.business_active) for r in records if r.business_active is not None]
    active_share = (sum(w for w, a in active if a) / sum(w for w, _a in active)) if active and sum(
        w for w, _a in active) else None
    hardship = None
    hardship_records = sorted((r for r in records if r.hardship), key=lambda r: -r.reliability)
    if hardship_records:
        hardship = hardship_records[0].hardship
    score = 50 + (25 if coop else -25 if coop is False else 0) + (25 * (2 * active_share - 1) if active_share is not None else 0)
    conf = round(min(weight / 2.0, 1.0), 4)
    finding = Finding("{n} interviews: cooperative {coop}; hardship {hardship}.", {
        "n": len(records), "coop": "unknown" if coop is None else ("yes" if coop else "no"), "hardship": hardship or "none"})
    return IndicatorResult(K.interviews, Status.known, clamp_score(score), conf, (finding,), refs, (),
                           {"cooperative": coop, "hardship": hardship,
                            "assets_mentioned": sorted({a for r in records for a in r.assets_mentioned})})


# --- 10. consumption --------------------------------------------------------------------------


def consumption(txns: Sequence[BankTxn] | None, facts: CaseFacts, *, as_of: date,
                settings: AssessmentSettings) -> IndicatorResult:
    if txns is None:
        return unknown(K.consumption)
    default = facts.default_date
    since = default or as_of - timedelta(days=365)
    out = lux = disc = 0
    for t in txns:
        if t.on < since or t.amount_fen >= 0 or t.category in bank.NEUTRAL:
            continue
        out -= t.amount_fen
        if t.category in bank.LUXURY:
            lux -= t.amount_fen
        if t.category in bank.DISCRETIONARY:
            disc -= t.amount_fen
    if out == 0:
        return unknown(K.consumption, "No spending recorded since {since}.", since=since.isoformat())
    refs = (EvidenceRef("bank", None, "statements since " + since.isoformat()),)
    share = lux / out
    flags = []
    if share > settings.luxury_share_flag:
        flags.append(RedFlag("luxury_after_default", "medium", Finding(
            "Luxury, travel and entertainment take {share:.0%} of spending since the default.", {"share": share}), refs))
    score = clamp_score(100 - 150 * (disc / out))
    finding = Finding("Discretionary spending is {share:.0%} of outflows since {since}.",
                      {"share": disc / out, "since": since.isoformat()})
    return IndicatorResult(K.consumption, Status.known, score, 0.8, (finding, *(f.finding for f in flags)), refs,
                           tuple(flags), {"luxury_share": round(share, 4)})


# --- 11. contactability and address -----------------------------------------------------------


def contactability(records: Sequence[ContactCheck] | None, *, location_allowed: bool, as_of: date,
                   settings: AssessmentSettings) -> IndicatorResult:
    if records is None:
        return unknown(K.contactability)
    usable = [r for r in records if r.method != "location_track" or location_allowed]
    dropped = len(records) - len(usable)
    if not usable:
        if dropped:
            return withheld(K.contactability, "location")
        return unknown(K.contactability)
    phone = [r for r in sorted(usable, key=lambda r: r.checked_on) if r.phone_reachable is not None]
    addr = [r for r in sorted(usable, key=lambda r: r.checked_on) if r.address_verified is not None]
    score = 0
    if phone and phone[-1].phone_reachable:
        score += 50
    if addr and addr[-1].address_verified:
        score += 50
    refs = tuple(EvidenceRef("contact", r.checked_on, r.method) for r in usable)
    findings = [Finding("Phone {phone}; address {addr}.", {
        "phone": "unchecked" if not phone else ("reachable" if phone[-1].phone_reachable else "unreachable"),
        "addr": "unchecked" if not addr else ("verified" if addr[-1].address_verified else "not verified")})]
    if dropped:
        findings.append(Finding("{n} location-track checks not used: no legal basis for location data.", {"n": dropped}))
    conf = 1.0 if phone and addr else 0.5
    return IndicatorResult(K.contactability, Status.known, score, conf * freshness(usable[-1].checked_on, as_of, settings),
                           tuple(findings), refs, (), {"reachable": bool(phone and phone[-1].phone_reachable)})


# --- 12. debt authenticity --------------------------------------------------------------------


@dataclass(frozen=True)
class Authenticity:
    result: IndicatorResult
    risk: str
    reasons: tuple[Finding, ...]
    limitation_date: date | None
    evidence_strength: float


def authenticity(docs: Sequence[DebtDocument] | None, facts: CaseFacts, identity_result: IndicatorResult, *,
                 as_of: date, settings: AssessmentSettings) -> Authenticity:
    reasons: list[tuple[str, Finding]] = []  # (severity, reason)
    by_ref = {d.debt_ref: d for d in docs or ()}
    limitation: list[date] = []
    strengths: list[float] = []
    parts = sum(d.principal_fen + d.interest_fen + d.fees_fen for d in facts.debts)
    if facts.debts and abs(parts - facts.placed_fen) > settings.reconcile_tolerance_fen:
        reasons.append(("medium", Finding("Placed amount {placed} does not equal principal + interest + fees {parts}.",
                                          {"placed": yuan(facts.placed_fen), "parts": yuan(parts)})))
    for other in facts.other_placements:
        if any(d.principal_fen == other.principal_fen and d.origination_date == other.origination_date
               for d in facts.debts):
            # The other creditor is not named: users scoped to one creditor must not learn another's book.
            reasons.append(("high", Finding("The same debt ({amount}, originated {on}) is also placed by another creditor.", {
                "amount": yuan(other.principal_fen),
                "on": other.origination_date.isoformat() if other.origination_date else "-"})))
    if identity_result.status is Status.known and identity_result.facts.get("verified") is False \
            and identity_result.score == 0:
        reasons.append(("high", Finding("The debtor's identity could not be verified.")))
    for debt in facts.debts:
        doc = by_ref.get(debt.debt_ref)
        start = debt.default_date
        strength = 0.0
        if doc is None:
            if docs is not None:
                reasons.append(("medium", Finding("No documents for debt {ref}.", {"ref": debt.debt_ref})))
        else:
            if not doc.contract:
                reasons.append(("high", Finding("No signed contract for debt {ref}.", {"ref": debt.debt_ref})))
            else:
                strength += 0.4
            if doc.disbursement_fen is None:
                reasons.append(("high", Finding("No proof of disbursement for debt {ref}.", {"ref": debt.debt_ref})))
            elif abs(doc.disbursement_fen - debt.principal_fen) > settings.disbursement_tolerance_fen:
                reasons.append(("high", Finding("Disbursed {paid} but the principal of {ref} is {principal}.", {
                    "paid": yuan(doc.disbursement_fen), "ref": debt.debt_ref, "principal": yuan(debt.principal_fen)})))
            else:
                strength += 0.3
            if doc.acknowledgements:
                strength += 0.2
            # Civil Code art. 195: an acknowledgement or a part payment starts the period again.
            for d in (*doc.acknowledgements, doc.last_payment_on):
                if d is not None and d > start:
                    start = d
        until = add_years(start, settings.limitation_years)
        limitation.append(until)
        if until >= as_of:
            strength += 0.1
        else:
            reasons.append(("medium", Finding("The limitation period of debt {ref} ran out on {on}.", {
                "ref": debt.debt_ref, "on": until.isoformat()})))
        strengths.append(strength)
    if docs is None:
        reasons.append(("medium", Finding("No contract or proof of disbursement was examined.")))
    severities = {s for s, _f in reasons}
    risk = "high" if "high" in severities else "medium" if "medium" in severities else "low"
    strength = round(sum(strengths) / len(strengths), 4) if strengths else 0.0
    limitation_date = min(limitation) if limitation else None
    flags = tuple(RedFlag("fake_debt_risk", sev, f) for sev, f in reasons if sev == "high")
    if docs is None:
        result = unknown(K.authenticity, "No contract or proof of disbursement was examined.")
    else:
        refs = tuple(EvidenceRef("debt_documents", d.checked_on, d.debt_ref) for d in docs)
        score = clamp_score(100 * strength - (40 if risk == "high" else 15 if risk == "medium" else 0))
        findings = (Finding("Fake-debt risk {risk}; evidence strength {strength:.0%}.", {"risk": risk, "strength": strength}),
                    *(f for _s, f in reasons))
        result = IndicatorResult(K.authenticity, Status.known, score, 1.0, findings, refs, flags,
                                 {"risk": risk, "evidence_strength": strength})
    return Authenticity(result, risk, tuple(f for _s, f in reasons), limitation_date, strength)
