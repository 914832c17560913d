"""Bank-statement cash-flow analysis (pure, integer fen, so every total reconciles to the fen).

Categories of the statement format (docs/assessment.md): income — `salary`, `business_income`,
`income_other`, `loan_in` (from a lender), `lending_platform` (positive: borrowed from an online
lending platform); essential outflows — `rent`, `mortgage`, `utilities`, `food`, `transport`,
`medical`, `education`, `insurance`, `loan_repayment`, `tax`; discretionary — `shopping`,
`luxury`, `travel`, `entertainment`, `gambling`, `cash`; transfers — `transfer_related` (to or from
relatives, own companies, nominees), `transfer_other`; `own_transfer` (between the debtor's own
accounts) is neither income nor outflow.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import mean, pstdev
from typing import Final

from qingzhai.assessment.evidence import BankTxn
from qingzhai.assessment.rules import AssessmentSettings

INCOME_CATEGORIES: Final = frozenset({"salary", "business_income", "income_other", "loan_in", "lending_platform",
                                      "transfer_related", "transfer_other", "refund"})
ESSENTIAL: Final = frozenset({"rent", "mortgage", "utilities", "food", "transport", "medical", "education",
                              "insurance", "loan_repayment", "tax"})
DISCRETIONARY: Final = frozenset({"shopping", "luxury", "travel", "entertainment", "gambling", "cash"})
LUXURY: Final = frozenset({"luxury", "travel", "entertainment"})
EARNED: Final = frozenset({"salary", "business_income", "income_other"})
NEUTRAL: Final = frozenset({"own_transfer"})
CATEGORIES: Final = (INCOME_CATEGORIES | ESSENTIAL | DISCRETIONARY | NEUTRAL | {"other"})


def month_key(day: date) -> int:
    return day.year * 12 + day.month - 1


@dataclass(frozen=True, slots=True)
class MonthFlow:
    month: int  # year * 12 + month - 1
    income_fen: int  # every credit except own transfers
    earned_fen: int  # salary and business income
    essential_fen: int  # essential outflows (positive number)
    other_out_fen: int  # every other debit (positive number)

    @property
    def disposable_fen(self) -> int:
        return self.earned_fen - self.essential_fen


@dataclass(frozen=True, slots=True)
class LargeTransfer:
    account: str
    on: date
    amount_fen: int
    counterparty: str
    category: str
    round_sum: bool


@dataclass(frozen=True, slots=True)
class CashFlow:
    months: tuple[MonthFlow, ...]  # every calendar month of the window, oldest first (zero when quiet)
    months_with_data: int
    total_in_fen: int
    total_out_fen: int  # positive number
    by_category_fen: dict[str, int]  # signed sums per category
    disposable_fen: int | None  # median monthly disposable income over the recent months
    disposable_low_fen: int | None  # lower quartile
    disposable_high_fen: int | None  # upper quartile
    income_cv: float | None  # coefficient of variation of monthly earned income
    large_related: tuple[LargeTransfer, ...]
    gambling_out_fen: int
    lending_platforms: tuple[str, ...]
    luxury_out_fen: int
    discretionary_out_fen: int
    liquid_fen: int | None  # sum over accounts of the last known balance
    accounts: tuple[str, ...]

    @property
    def net_fen(self) -> int:
        return self.total_in_fen - self.total_out_fen


def quantile_fen(values: Sequence[int], q: float) -> int:
    """Nearest-rank quantile of integers (stays an integer, so no rounding of fen)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def analyse(txns: Iterable[BankTxn], *, as_of: date, settings: AssessmentSettings) -> CashFlow:
    last = month_key(as_of)
    first = last - settings.lookback_months + 1
    income: dict[int, int] = defaultdict(int)
    earned: dict[int, int] = defaultdict(int)
    essential: dict[int, int] = defaultdict(int)
    other_out: dict[int, int] = defaultdict(int)
    seen: set[int] = set()
    by_category: dict[str, int] = defaultdict(int)
    large: list[LargeTransfer] = []
    platforms: set[str] = set()
    balances: dict[str, tuple[date, int]] = {}
    accounts: set[str] = set()
    total_in = total_out = gambling = luxury = discretionary = 0
    for t in txns:
        m = month_key(t.on)
        if m < first or m > last:
            continue
        accounts.add(t.account)
        if t.balance_fen is not None:
            prev = balances.get(t.account)
            if prev is None or t.on >= prev[0]:
                balances[t.account] = (t.on, t.balance_fen)
        seen.add(m)
        by_category[t.category] += t.amount_fen
        if t.category in NEUTRAL:
            continue
        amount = t.amount_fen
        if amount >= 0:
            total_in += amount
            income[m] += amount
            if t.category in EARNED:
                earned[m] += amount
            if t.category == "lending_platform":
                platforms.add(t.counterparty)
        else:
            out = -amount
            total_out += out
            if t.category in ESSENTIAL:
                essential[m] += out
            else:
                other_out[m] += out
            if t.category == "gambling":
                gambling += out
            if t.category in LUXURY:
                luxury += out
            if t.category in DISCRETIONARY:
                discretionary += out
        if t.category == "transfer_related" and abs(amount) >= settings.large_transfer_fen:
            large.append(LargeTransfer(t.account, t.on, amount, t.counterparty, t.category,
                                       abs(amount) % settings.round_sum_fen == 0))
    months = tuple(MonthFlow(m, income[m], earned[m], essential[m], other_out[m]) for m in range(first, last + 1))
    recent = [mf.disposable_fen for mf in months[-settings.recent_months:] if mf.month in seen]
    earned_series = [mf.earned_fen for mf in months if mf.month in seen]
    cv = None
    if len(earned_series) >= 3 and mean(earned_series) > 0:
        cv = round(pstdev(earned_series) / mean(earned_series), 4)
    return CashFlow(
        months=months, months_with_data=len(seen), total_in_fen=total_in, total_out_fen=total_out,
        by_category_fen=dict(by_category),
        disposable_fen=quantile_fen(recent, 0.5) if recent else None,
        disposable_low_fen=quantile_fen(recent, 0.25) if recent else None,
        disposable_high_fen=quantile_fen(recent, 0.75) if recent else None,
        income_cv=cv, large_related=tuple(sorted(large, key=lambda x: x.on)), gambling_out_fen=gambling,
        lending_platforms=tuple(sorted(platforms)), luxury_out_fen=luxury, discretionary_out_fen=discretionary,
        liquid_fen=sum(b for _d, b in balances.values()) if balances else None, accounts=tuple(sorted(accounts)),
    )
