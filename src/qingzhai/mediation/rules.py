"""Pure rules of back-to-back mediation (背靠背调解): settings, the status table, confidential
positions at present value, the settlement engine (overlap midpoint and blind-bid band rule), and
what each viewer may see of its result.

No database, no clock: the service passes `now`/`as_of` in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Final

from qingzhai.core.errors import InvalidTransition, RuleViolation
from qingzhai.core.money import Money, quantum


class MediationKind(StrEnum):
    court = "court"  # 法院委派/诉前调解 (court-annexed)
    institutional = "institutional"  # 行业性、专业性调解组织 (e.g. financial dispute mediation centre)
    community = "community"  # 人民调解委员会 / 乡情调解 (community, hometown mediation)


class Status(StrEnum):
    referred = "referred"  # hold placed, mediator assigned, waiting for both parties to accept
    active = "active"  # both parties accepted mediation; sessions and positions
    settled = "settled"
    partially_settled = "partially_settled"
    failed = "failed"
    withdrawn = "withdrawn"


CONCLUDED: Final[frozenset[Status]] = frozenset(
    {Status.settled, Status.partially_settled, Status.failed, Status.withdrawn}
)
AGREED: Final[frozenset[Status]] = frozenset({Status.settled, Status.partially_settled})

TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = {
    Status.referred: frozenset({Status.active, Status.failed, Status.withdrawn}),
    Status.active: frozenset({Status.settled, Status.partially_settled, Status.failed, Status.withdrawn}),
    Status.settled: frozenset(),
    Status.partially_settled: frozenset(),
    Status.failed: frozenset(),
    Status.withdrawn: frozenset(),
}


def move(current: Status, target: Status) -> Status:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    return target


class Party(StrEnum):
    creditor = "creditor"
    debtor = "debtor"


class Viewer(StrEnum):
    """Who is looking. Only `mediator` and the owning party read a confidential position."""

    mediator = "mediator"
    creditor = "creditor"
    debtor = "debtor"
    staff = "staff"  # managers, compliance, collectors: the process, never a secret number

    @property
    def party(self) -> Party | None:
        return Party(self.value) if self.value in Party.__members__ else None


class Mode(StrEnum):
    positions = "positions"  # confidential limits, overlap detection, midpoint proposal
    blind_bid = "blind_bid"  # rounds of secret bids, band rule


class Confirmation(StrEnum):
    none = "none"
    applied = "applied"
    confirmed = "confirmed"
    rejected = "rejected"


@dataclass(frozen=True, slots=True)
class MediationSettings:
    """Every number of mediation, with its default (docs/mediation.md gives the sources)."""

    deadline_days: int = 30  # 人民调解法 art. 28 practice / 诉前调解 30-day term
    confirmation_days: int = 30  # 人民调解法 art. 33: joint application within 30 days
    band_rate: Decimal = Decimal("0.05")  # blind bids settle when offer ≥ demand × (1 - 5%)
    max_rounds: int = 3  # blind-bid rounds (and proposal rounds in positions mode)
    discount_rate: Decimal = Decimal("0.030")  # annual, present value of schedules (≈ 1-year LPR)
    lump_sum_due_days: int = 15  # a lump-sum settlement is due this many days after agreement
    default_grace_days: int = 15  # an installment this many days late accelerates the balance
    default_kind: MediationKind = MediationKind.institutional
    district_custom: tuple[tuple[str, MediationKind], ...] = (("崇明区", MediationKind.community),)
    mediator_pool: tuple[str, ...] = ("mediator-01", "mediator-02", "mediator-03")
    timing_months: tuple[int, ...] = (6, 12, 24)  # installment options compared at present value

    def __post_init__(self) -> None:
        if not 1 <= self.deadline_days <= 365:
            raise RuleViolation("must be between 1 and 365 days", field="deadline_days")
        if not 1 <= self.confirmation_days <= 365:
            raise RuleViolation("must be between 1 and 365 days", field="confirmation_days")
        if not Decimal(0) <= self.band_rate < Decimal("0.5"):
            raise RuleViolation("must be at least 0 and below 0.5", field="band_rate")
        if not 1 <= self.max_rounds <= 20:
            raise RuleViolation("must be between 1 and 20", field="max_rounds")
        if not Decimal(0) <= self.discount_rate <= Decimal("0.24"):
            raise RuleViolation("must be between 0 and 0.24 a year", field="discount_rate")
        if self.lump_sum_due_days < 0 or self.default_grace_days < 0:
            raise RuleViolation("must not be negative", field="lump_sum_due_days")
        if not self.mediator_pool:
            raise RuleViolation("needs at least one mediator", field="mediator_pool")

    def kind_for_district(self, district: str | None) -> MediationKind:
        """The district's custom: Chongming favours community (hometown, 乡情) mediation."""
        for name, kind in self.district_custom:
            if district and (district == name or district.startswith(name.removesuffix("区"))):
                return kind
        return self.default_kind


def choose_kind(requested: str | None, district: str | None, settings: MediationSettings) -> MediationKind:
    """`requested` is a kind, or empty / "default" for the district's custom."""
    if requested is None or requested.strip() in ("", "default", "district"):
        return settings.kind_for_district(district)
    try:
        return MediationKind(requested.strip())
    except ValueError:
        options = ", ".join(k.value for k in MediationKind)
        raise RuleViolation(f"must be one of: {options}, or default", field="kind") from None


def institution_for(kind: MediationKind, district: str | None) -> str:
    place = district or "上海市"
    if kind is MediationKind.court:
        return f"上海市{place}人民法院诉调对接中心" if district else "上海市人民法院诉调对接中心"
    if kind is MediationKind.community:
        if district and district.startswith("崇明"):
            return "崇明区乡情调解委员会"
        return f"{place}人民调解委员会"
    return "上海市金融消费纠纷调解中心"


def court_for(district: str | None) -> str:
    """The basic people's court of the mediation's district (judicial confirmation goes there)."""
    return f"上海市{district}人民法院" if district else "上海市浦东新区人民法院"


def deadline(referred_on: date, settings: MediationSettings) -> date:
    return referred_on + timedelta(days=settings.deadline_days)


def confirmation_deadline(agreed_on: date, settings: MediationSettings) -> date:
    return agreed_on + timedelta(days=settings.confirmation_days)


def pick_mediator(open_counts: Mapping[str, int], settings: MediationSettings) -> str:
    """The pool member with the fewest open mediations (the first on ties)."""
    return min(settings.mediator_pool, key=lambda m: (open_counts.get(m, 0), settings.mediator_pool.index(m)))


# --- positions and present value -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    """A party's confidential limit: the creditor's minimum, the debtor's maximum.

    A lump sum is one payment; a schedule is several. They are compared at present value.
    """

    party: Party
    payments: tuple[tuple[date, Money], ...]

    def __post_init__(self) -> None:
        if not self.payments:
            raise RuleViolation("needs at least one payment", field="payments")
        currencies = {m.currency for _, m in self.payments}
        if len(currencies) != 1:
            raise RuleViolation("all payments must be in one currency", field="payments")
        for _, money in self.payments:
            if money.amount <= 0:
                raise RuleViolation("every payment must be positive", field="payments")
            if money.rounded() != money:
                raise RuleViolation("has more than two decimal places", field="payments")
        dates = [d for d, _ in self.payments]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise RuleViolation("payment dates must be distinct and in order", field="payments")

    @property
    def currency(self) -> str:
        return self.payments[0][1].currency

    @property
    def form(self) -> str:
        return "lump_sum" if len(self.payments) == 1 else "schedule"

    @property
    def nominal(self) -> Money:
        return Money(sum((m.amount for _, m in self.payments), Decimal(0)), self.currency)

    def to_dict(self) -> dict[str, object]:
        return {
            "party": self.party.value,
            "currency": self.currency,
            "payments": [[d.isoformat(), str(m.amount)] for d, m in self.payments],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Position:
        currency = str(data["currency"])
        raw = data["payments"]
        assert isinstance(raw, list)
        return cls(
            party=Party(str(data["party"])),
            payments=tuple((date.fromisoformat(d), Money(Decimal(a), currency)) for d, a in raw),
        )


def lump_sum(party: Party, amount: Money, due: date) -> Position:
    return Position(party=party, payments=((due, amount),))


def discount_factor(on: date, as_of: date, annual_rate: Decimal) -> Decimal:
    """1 / (1 + r)^(days/365); payments due today or earlier are not discounted."""
    days = (on - as_of).days
    if days <= 0 or annual_rate == 0:
        return Decimal(1)
    return _factor(days, annual_rate)


@lru_cache(maxsize=8192)
def _factor(days: int, annual_rate: Decimal) -> Decimal:
    return Decimal(1) / ((Decimal(1) + annual_rate) ** (Decimal(days) / Decimal(365)))


def present_value(payments: Sequence[tuple[date, Money]], *, as_of: date, annual_rate: Decimal) -> Decimal:
    """Exact-ish (28 significant digits) present value; round only at the edges."""
    return sum((m.amount * discount_factor(d, as_of, annual_rate) for d, m in payments), Decimal(0))


# --- settlement engine: positions mode --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Terms:
    """Settlement terms both parties see once proposed: a lump sum or an installment schedule."""

    currency: str
    schedule: tuple[tuple[date, Money], ...]
    present_value: Money

    @property
    def total(self) -> Money:
        return Money(sum((m.amount for _, m in self.schedule), Decimal(0)), self.currency)

    @property
    def form(self) -> str:
        return "lump_sum" if len(self.schedule) == 1 else "installments"

    def to_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "form": self.form,
            "total": str(self.total.amount),
            "present_value": str(self.present_value.amount),
            "schedule": [[d.isoformat(), str(m.amount)] for d, m in self.schedule],
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The full result. Only the mediator sees `creditor_floor`, `debtor_ceiling` and `gap`."""

    mode: Mode
    zone_exists: bool
    creditor_floor: Money  # present value of the creditor's minimum (or its demand)
    debtor_ceiling: Money  # present value of the debtor's maximum (or its offer)
    gap: Money  # floor - ceiling: positive = how much they miss by; ≤ 0 = width of the overlap
    terms: Terms | None
    rule: str


def _fen(value: Decimal, currency: str, rounding: str) -> Decimal:
    return value.quantize(quantum(currency), rounding)


def evaluate_positions(
    creditor: Position, debtor: Position, *, as_of: date, settings: MediationSettings
) -> Evaluation:
    """Overlap detection and the documented split rule: the midpoint of the overlap.

    Both limits are taken at present value (discount_rate). A zone of agreement exists when the
    debtor's maximum is at least the creditor's minimum, after rounding inward to whole fen. The
    proposal is the midpoint of the overlap, rounded half-up to the fen, shaped like the debtor's
    position (a lump sum, or installments on the debtor's own dates scaled down).
    """
    if creditor.party is not Party.creditor or debtor.party is not Party.debtor:
        raise RuleViolation("positions must be the creditor's and the debtor's", field="party")
    if creditor.currency != debtor.currency:
        raise RuleViolation("the two positions are in different currencies", field="currency")
    cur = creditor.currency
    rate = settings.discount_rate
    floor_pv = present_value(creditor.payments, as_of=as_of, annual_rate=rate)
    ceiling_pv = present_value(debtor.payments, as_of=as_of, annual_rate=rate)
    lo = _fen(floor_pv, cur, ROUND_CEILING)
    hi = _fen(ceiling_pv, cur, ROUND_FLOOR)
    floor_m, ceiling_m = Money(lo, cur), Money(hi, cur)
    gap = Money(lo - hi, cur)
    if lo > hi:
        return Evaluation(Mode.positions, False, floor_m, ceiling_m, gap, None, "overlap_midpoint")
    target = _fen((lo + hi) / 2, cur, ROUND_HALF_UP)
    terms = _shape_terms(debtor, target, lo, hi, as_of=as_of, settings=settings)
    return Evaluation(Mode.positions, True, floor_m, ceiling_m, gap, terms, "overlap_midpoint")


def _shape_terms(
    debtor: Position, target: Decimal, lo: Decimal, hi: Decimal, *, as_of: date, settings: MediationSettings
) -> Terms:
    """Terms worth `target` at present value, within [lo, hi], in the debtor's shape."""
    cur = debtor.currency
    rate = settings.discount_rate
    q = quantum(cur)
    if debtor.form == "lump_sum":
        due, offered = debtor.payments[0]
        factor = discount_factor(due, as_of, rate)
        nominal = _fen(target / factor, cur, ROUND_HALF_UP)
        nominal = min(nominal, offered.amount)
        while present_value(((due, Money(nominal, cur)),), as_of=as_of, annual_rate=rate) < lo:
            nominal += q
        schedule: tuple[tuple[date, Money], ...] = ((due, Money(nominal, cur)),)
    else:
        debtor_pv = present_value(debtor.payments, as_of=as_of, annual_rate=rate)
        scale = target / debtor_pv
        parts = [_fen(m.amount * scale, cur, ROUND_FLOOR) for _, m in debtor.payments]
        dates = [d for d, _ in debtor.payments]
        caps = [m.amount for _, m in debtor.payments]
        factors = [discount_factor(d, as_of, rate) for d in dates]
        pv = sum((v * f for v, f in zip(parts, factors, strict=True)), Decimal(0))
        goal = min(target, hi)
        # Add whole fen from the last payment backwards (never above what the debtor offered on
        # that date) until the schedule is worth at least the target.
        index = len(parts) - 1
        while pv < goal and index >= 0:
            room = caps[index] - parts[index]
            if room > 0:
                add = min(_fen((goal - pv) / factors[index], cur, ROUND_CEILING), room)
                parts[index] += add
                pv += add * factors[index]
            if pv < goal:
                index -= 1
        schedule = tuple((d, Money(v, cur)) for d, v in zip(dates, parts, strict=True))
    pv = present_value(schedule, as_of=as_of, annual_rate=rate)
    return Terms(currency=cur, schedule=schedule, present_value=Money(_fen(pv, cur, ROUND_HALF_UP), cur))


# --- settlement engine: blind-bid mode --------------------------------------------------------


def band_amount(demand: Money, settings: MediationSettings) -> Money:
    """The band: `band_rate` of the creditor's demand, rounded half-up to the fen."""
    return Money(_fen(demand.amount * settings.band_rate, demand.currency, ROUND_HALF_UP), demand.currency)


def evaluate_bids(demand: Money, offer: Money, *, due: date, settings: MediationSettings) -> Evaluation:
    """Double-blind bidding. Settles when the offer meets or exceeds the demand, or falls short of
    it by no more than the band (inclusive: "以内" includes the number). The settlement is the
    midpoint of the two bids, rounded half-up to the fen. By bidding under the band rule each side
    consents in advance to any amount between the two bids when they are within the band.
    """
    if demand.currency != offer.currency:
        raise RuleViolation("the two bids are in different currencies", field="currency")
    for name, money in (("demand", demand), ("offer", offer)):
        if money.amount <= 0:
            raise RuleViolation("must be positive", field=name)
        if money.rounded() != money:
            raise RuleViolation("has more than two decimal places", field=name)
    cur = demand.currency
    gap = demand - offer
    band = band_amount(demand, settings)
    if gap.amount > band.amount:
        return Evaluation(Mode.blind_bid, False, demand, offer, gap, None, "band_midpoint")
    amount = _fen((demand.amount + offer.amount) / 2, cur, ROUND_HALF_UP)
    money = Money(amount, cur)
    terms = Terms(currency=cur, schedule=((due, money),), present_value=money)
    return Evaluation(Mode.blind_bid, True, demand, offer, gap, terms, "band_midpoint")


def check_bid_progress(previous: Money | None, current: Money, party: Party) -> None:
    """Demands may only come down and offers only go up between rounds (no probing by retreat)."""
    if previous is None:
        return
    if party is Party.creditor and current > previous:
        raise RuleViolation("a new demand may not be higher than your previous one", field="amount")
    if party is Party.debtor and current < previous:
        raise RuleViolation("a new offer may not be lower than your previous one", field="amount")


# --- what each viewer sees ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisibleOutcome:
    """The result as one viewer may see it. Parties never get the other side's number or the gap."""

    mode: Mode
    zone_exists: bool
    rule: str
    terms: Terms | None
    own_limit: Money | None = None  # the viewer's own position (present value), parties only
    creditor_floor: Money | None = None  # mediator only
    debtor_ceiling: Money | None = None  # mediator only
    shortfall: Money | None = None  # mediator only: how much they miss by

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "mode": self.mode.value,
            "zone_exists": self.zone_exists,
            "rule": self.rule,
            "terms": self.terms.to_dict() if self.terms else None,
        }
        for name in ("own_limit", "creditor_floor", "debtor_ceiling", "shortfall"):
            value = getattr(self, name)
            if value is not None:
                data[name] = str(value.amount)
        return data


def visible_to(evaluation: Evaluation, viewer: Viewer) -> VisibleOutcome:
    base = VisibleOutcome(evaluation.mode, evaluation.zone_exists, evaluation.rule, evaluation.terms)
    if viewer is Viewer.mediator:
        return VisibleOutcome(
            evaluation.mode, evaluation.zone_exists, evaluation.rule, evaluation.terms,
            creditor_floor=evaluation.creditor_floor, debtor_ceiling=evaluation.debtor_ceiling,
            shortfall=evaluation.gap if not evaluation.zone_exists else None,
        )
    if viewer is Viewer.creditor:
        return VisibleOutcome(base.mode, base.zone_exists, base.rule, base.terms, own_limit=evaluation.creditor_floor)
    if viewer is Viewer.debtor:
        return VisibleOutcome(base.mode, base.zone_exists, base.rule, base.terms, own_limit=evaluation.debtor_ceiling)
    return base


# --- timing options at present value ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimingOption:
    label: str
    schedule: tuple[tuple[date, Money], ...]
    nominal: Money
    present_value: Money

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "nominal": str(self.nominal.amount),
            "present_value": str(self.present_value.amount),
            "payments": len(self.schedule),
            "first_due": self.schedule[0][0].isoformat(),
            "last_due": self.schedule[-1][0].isoformat(),
        }


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def timing_options(value: Money, *, as_of: date, settings: MediationSettings) -> list[TimingOption]:
    """The same present value paid as a lump sum soon, or in equal monthly installments."""
    cur = value.currency
    rate = settings.discount_rate
    due = as_of + timedelta(days=settings.lump_sum_due_days)
    lump = _fen(value.amount / discount_factor(due, as_of, rate), cur, ROUND_UP)
    options = [_option("lump_sum", ((due, Money(lump, cur)),), as_of, rate)]
    for months in settings.timing_months:
        dates = [add_months(as_of, i) for i in range(1, months + 1)]
        factors = sum((discount_factor(d, as_of, rate) for d in dates), Decimal(0))
        each = _fen(value.amount / factors, cur, ROUND_UP)
        options.append(_option(f"installments_{months}", tuple((d, Money(each, cur)) for d in dates), as_of, rate))
    return options


def _option(label: str, schedule: tuple[tuple[date, Money], ...], as_of: date, rate: Decimal) -> TimingOption:
    cur = schedule[0][1].currency
    nominal = Money(sum((m.amount for _, m in schedule), Decimal(0)), cur)
    pv = present_value(schedule, as_of=as_of, annual_rate=rate)
    return TimingOption(label, schedule, nominal, Money(_fen(pv, cur, ROUND_HALF_UP), cur))


# --- documents ----------------------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def rmb_upper(amount: Decimal) -> str:
    """Chinese capital amount for contracts: 12345.67 -> 壹万贰仟叁佰肆拾伍元陆角柒分."""
    if amount < 0:
        raise RuleViolation("must not be negative", field="amount")
    value = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
    yuan = int(value)
    jiao, fen = divmod(int((value - yuan) * 100), 10)
    words = ""
    if yuan:
        digits = str(yuan)
        zeros = 0
        for index, char in enumerate(digits):
            place = len(digits) - 1 - index
            digit = int(char)
            if digit == 0:
                zeros += 1
            else:
                if zeros:
                    words += "零"
                zeros = 0
                words += _DIGITS[digit] + _UNITS[place % 4]
            if place % 4 == 0 and place > 0 and int(digits[max(0, index - 3): index + 1]) != 0:
                words += _SECTIONS[place // 4]
        words += "元"
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    return words + (_DIGITS[fen] + "分" if fen else "整")


@dataclass(frozen=True, slots=True)
class ConfirmationWindow:
    deadline: date
    days_left: int
    open: bool


def confirmation_window(agreed_on: date, today: date, settings: MediationSettings) -> ConfirmationWindow:
    end = confirmation_deadline(agreed_on, settings)
    return ConfirmationWindow(end, (end - today).days, today <= end)


@dataclass
class Tally:
    """A rate shown with its numerator and denominator."""

    numerator: int = 0
    denominator: int = 0

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def to_dict(self) -> dict[str, object]:
        return {"numerator": self.numerator, "denominator": self.denominator, "rate": self.rate}


@dataclass
class MetricRow:
    group: str  # "all", "mediator", "institution", "district"
    key: str
    referred: int = 0
    settled_of_accepted: Tally = field(default_factory=Tally)
    settled_of_concluded: Tally = field(default_factory=Tally)
    confirmed_of_agreed: Tally = field(default_factory=Tally)
    days_to_agreement: list[int] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        values = sorted(self.days_to_agreement)
        if not values:
            return None
        mid = len(values) // 2
        return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    @property
    def mean_days(self) -> float | None:
        values = self.days_to_agreement
        return sum(values) / len(values) if values else None

    def to_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "key": self.key,
            "referred": self.referred,
            "settled_of_accepted": self.settled_of_accepted.to_dict(),
            "settled_of_concluded": self.settled_of_concluded.to_dict(),
            "confirmed_of_agreed": self.confirmed_of_agreed.to_dict(),
            "days_to_agreement": {"n": len(self.days_to_agreement), "median": self.median_days, "mean": self.mean_days},
        }


@dataclass(frozen=True, slots=True)
class MediationFacts:
    """One mediation as the metrics see it, rebuilt from its events."""

    mediation_id: str
    mediator_id: str
    institution: str
    district: str
    referred_on: date
    accepted: bool
    outcome: Status | None
    agreed_on: date | None
    confirmed: bool


def compute_metrics(facts: Sequence[MediationFacts]) -> list[MetricRow]:
    rows: dict[tuple[str, str], MetricRow] = {}

    def row(group: str, key: str) -> MetricRow:
        return rows.setdefault((group, key), MetricRow(group, key))

    for fact in facts:
        targets = [row("all", "all"), row("mediator", fact.mediator_id), row("institution", fact.institution),
                   row("district", fact.district or "-")]
        agreed = fact.outcome in AGREED
        for target in targets:
            target.referred += 1
            if fact.accepted:
                target.settled_of_accepted.denominator += 1
                target.settled_of_accepted.numerator += int(agreed)
            if fact.outcome is not None:
                target.settled_of_concluded.denominator += 1
                target.settled_of_concluded.numerator += int(agreed)
            if agreed:
                target.confirmed_of_agreed.denominator += 1
                target.confirmed_of_agreed.numerator += int(fact.confirmed)
                if fact.agreed_on is not None:
                    target.days_to_agreement.append((fact.agreed_on - fact.referred_on).days)
    order = {"all": 0, "mediator": 1, "institution": 2, "district": 3}
    return sorted(rows.values(), key=lambda r: (order[r.group], r.key))
