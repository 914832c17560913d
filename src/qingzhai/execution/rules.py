"""Pure rules of execution: contract terms, the daily evaluation of a contract, the payment
allocation waterfall and the outcome of a promise to pay.

`evaluate(terms, schedule, payments, as_of=...)` is a pure function: the same terms, schedule and
payments give the same state and the same dated events, so re-running a day changes nothing and
replaying history reproduces every state.
"""

from __future__ import annotations

import heapq
import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from qingzhai.core.errors import RuleViolation
from qingzhai.core.money import Money, quantum

ZERO = Decimal("0.00")


class Escalation(StrEnum):
    planning = "planning"
    mediation = "mediation"
    litigation = "litigation"


class ContractStatus(StrEnum):
    active = "active"
    defaulted = "defaulted"  # within the cure window
    completed = "completed"  # everything paid
    escalated = "escalated"  # default not cured: handed to planning, mediation or litigation
    cancelled = "cancelled"


OPEN_STATUSES = frozenset({ContractStatus.active, ContractStatus.defaulted})


class EventKind(StrEnum):
    created = "created"
    reminder_queued = "reminder_queued"
    installment_due = "installment_due"
    installment_paid = "installment_paid"
    missed = "missed"
    defaulted = "defaulted"
    cured = "cured"
    escalated = "escalated"
    completed = "completed"


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The terms of a contract, kept with it as data. Every number is a setting with its default."""

    reminder_offsets: tuple[int, ...] = (3, 1)  # days before a due date on which a reminder goes out
    reminder_channel: str = "sms"
    grace_days: int = 5  # an installment unpaid this many days after its due date is missed
    partial_threshold: Decimal = Decimal("0.90")  # paid share at or above which a short installment is not a miss
    consecutive_misses_to_default: int = 2
    total_misses_to_default: int = 3
    append_missed: bool = False  # a missed amount moves to a new installment after the last one
    cure_days: int = 15  # paying the arrears within this many days of a default restores the contract
    accelerate_on_default: bool = False  # on default the whole remaining balance falls due
    escalation: Escalation = Escalation.planning
    append_interval_days: int = 30  # spacing of appended installments

    def __post_init__(self) -> None:
        if len(self.reminder_offsets) > 5 or any(not 0 <= o <= 30 for o in self.reminder_offsets):
            raise RuleViolation("at most 5 offsets, each 0 to 30 days", field="reminder_offsets")
        if len(set(self.reminder_offsets)) != len(self.reminder_offsets):
            raise RuleViolation("offsets must differ", field="reminder_offsets")
        if self.reminder_channel not in ("sms", "call", "bot_call", "email", "letter", "message"):
            raise RuleViolation(
                "unknown channel '{reminder_channel}'",
                field="reminder_channel",
                params={"reminder_channel": self.reminder_channel},
            )
        if not 0 <= self.grace_days <= 60:
            raise RuleViolation("must be between 0 and 60", field="grace_days")
        if not Decimal(0) < self.partial_threshold <= Decimal(1):
            raise RuleViolation("must be above 0 and at most 1", field="partial_threshold")
        if not 1 <= self.consecutive_misses_to_default <= 24:
            raise RuleViolation("must be between 1 and 24", field="consecutive_misses_to_default")
        if not 1 <= self.total_misses_to_default <= 60:
            raise RuleViolation("must be between 1 and 60", field="total_misses_to_default")
        if not 0 <= self.cure_days <= 180:
            raise RuleViolation("must be between 0 and 180", field="cure_days")
        if not 1 <= self.append_interval_days <= 92:
            raise RuleViolation("must be between 1 and 92", field="append_interval_days")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reminder_offsets"] = list(self.reminder_offsets)
        data["partial_threshold"] = str(self.partial_threshold)
        data["escalation"] = self.escalation.value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ContractTerms:
        if not data:
            return cls()
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise RuleViolation("unknown term(s): {names}", field="terms", params={"names": ", ".join(sorted(unknown))})
        kwargs: dict[str, Any] = dict(data)
        try:
            if "reminder_offsets" in kwargs:
                kwargs["reminder_offsets"] = tuple(int(o) for o in kwargs["reminder_offsets"])
            if "partial_threshold" in kwargs:
                kwargs["partial_threshold"] = Decimal(str(kwargs["partial_threshold"]))
            for name in (
                "grace_days",
                "consecutive_misses_to_default",
                "total_misses_to_default",
                "cure_days",
                "append_interval_days",
            ):
                if name in kwargs:
                    kwargs[name] = int(kwargs[name])
            for name in ("append_missed", "accelerate_on_default"):
                if name in kwargs and not isinstance(kwargs[name], bool):
                    raise RuleViolation("must be true or false", field=name)
            if "escalation" in kwargs:
                kwargs["escalation"] = Escalation(kwargs["escalation"])
        except (ValueError, TypeError, ArithmeticError):
            raise RuleViolation("has a value of the wrong kind", field="terms") from None
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> ContractTerms:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True, slots=True)
class Installment:
    due: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentFact:
    """Money applied to a contract: counts from `value_date`, and stops counting from `reversed_on`."""

    value_date: date
    amount: Decimal
    reversed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Event:
    on: date
    kind: EventKind
    installment: int | None = None  # 1-based
    amount: Decimal | None = None
    data: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Business key: the same event on the same day is recorded once."""
        extra = "".join(f":{k}={v}" for k, v in self.data if k == "offset")
        return f"{self.kind.value}:{self.installment or 0}:{self.on.isoformat()}{extra}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"on": self.on.isoformat(), "kind": self.kind.value}
        if self.installment is not None:
            out["installment"] = self.installment
        if self.amount is not None:
            out["amount"] = str(self.amount)
        out.update(dict(self.data))
        return out


@dataclass(frozen=True, slots=True)
class ContractState:
    status: ContractStatus
    total: Decimal
    paid: Decimal
    balance: Decimal
    arrears: Decimal
    misses_total: int
    consecutive_misses: int
    defaults: int
    cures: int
    installments: tuple[Installment, ...]
    next_due: date | None
    next_amount: Decimal | None
    defaulted_on: date | None = None
    completed_on: date | None = None
    escalated_on: date | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: ContractState
    events: tuple[Event, ...] = field(default_factory=tuple)
    # The next day on which the contract can change without new money: until then, and unless a
    # payment arrives or is reversed, evaluating it again gives the same state and no events.
    next_check: date | None = None


def validate_schedule(schedule: Sequence[tuple[date, Money]]) -> tuple[str, tuple[Installment, ...]]:
    """Check a schedule: at least one installment, dates strictly increasing, positive amounts in one currency."""
    if not schedule:
        raise RuleViolation("needs at least one installment", field="schedule")
    if len(schedule) > 360:
        raise RuleViolation("has more than 360 installments", field="schedule")
    currency = schedule[0][1].currency
    out: list[Installment] = []
    previous: date | None = None
    for index, (due, money) in enumerate(schedule, start=1):
        if money.currency != currency:
            raise RuleViolation(
                "installment {index} is in {currency}, not {expected}",
                field="schedule",
                params={"index": index, "currency": money.currency, "expected": currency},
            )
        if money.amount <= 0:
            raise RuleViolation("installment {index} must be above zero", field="schedule", params={"index": index})
        if money.amount != money.amount.quantize(quantum(currency)):
            raise RuleViolation(
                "installment {index} has more decimal places than {currency} allows",
                field="schedule",
                params={"index": index, "currency": currency},
            )
        if previous is not None and due <= previous:
            raise RuleViolation("installment {index} is not after the one before it", field="schedule", params={"index": index})
        previous = due
        out.append(Installment(due, money.amount))
    return currency, tuple(out)


def encode_schedule(installments: Iterable[Installment]) -> str:
    return ";".join(f"{i.due.isoformat()}={i.amount}" for i in installments)


def decode_schedule(text: str) -> tuple[Installment, ...]:
    out = []
    for part in text.split(";"):
        due, _, amount = part.partition("=")
        out.append(Installment(date.fromisoformat(due), Decimal(amount)))
    return tuple(out)


# Order of checkpoints on one day: a cure window that ended yesterday closes first, then money
# received that day counts, then misses are judged, then notices go out.
_CURE_DEADLINE, _PAY, _MISS, _DUE, _REMINDER = range(5)


def evaluate(
    terms: ContractTerms,
    schedule: Sequence[Installment],
    payments: Iterable[PaymentFact],
    *,
    as_of: date,
    start: date | None = None,
    since: date | None = None,
) -> Evaluation:
    """The state of a contract at the end of `as_of`, and every event up to that day, in order.

    Installments are paid oldest first. An installment is missed when, the day after its grace
    period, less than `partial_threshold` of it has been paid. A default is declared after
    `consecutive_misses_to_default` misses in a row or `total_misses_to_default` misses since the
    start or the last cure. A default is cured when the arrears (everything due so far, plus the
    missed amounts moved to the end under `append_missed`; the whole balance under
    `accelerate_on_default`) are paid within `cure_days`; otherwise the contract escalates.
    Events before `start` or on or before `since` (the last day already recorded) are left out of
    the result; the state is the same either way.
    """
    amounts = [i.amount for i in schedule]
    dues = [i.due for i in schedule]
    total = sum(amounts, ZERO)

    deltas: dict[date, Decimal] = {}
    for p in payments:
        if p.value_date <= as_of:
            deltas[p.value_date] = deltas.get(p.value_date, ZERO) + p.amount
        if p.reversed_on is not None and p.reversed_on <= as_of:
            deltas[p.reversed_on] = deltas.get(p.reversed_on, ZERO) - p.amount
    pay_dates = sorted(deltas)
    cumulative: list[Decimal] = []
    running = ZERO
    for d in pay_dates:
        running += deltas[d]
        cumulative.append(running)

    def paid_at(day: date) -> Decimal:
        i = bisect_right(pay_dates, day)
        return cumulative[i - 1] if i else ZERO

    heap: list[tuple[date, int, int, int]] = []
    for d in pay_dates:
        heap.append((d, _PAY, 0, 0))
    grace = timedelta(days=terms.grace_days + 1)

    def push_installment(k: int) -> None:
        due = dues[k]
        heap.append((due, _DUE, k, 0))
        heap.append((due + grace, _MISS, k, 0))
        for offset in terms.reminder_offsets:
            heap.append((due - timedelta(days=offset), _REMINDER, k, offset))

    for k in range(len(amounts)):
        push_installment(k)
    heapq.heapify(heap)

    events: list[Event] = []
    status = ContractStatus.active
    misses_total = consecutive = defaults = cures = 0
    moved_since_reset = ZERO
    last_checked = -1  # index of the last installment whose miss check has run
    paid_count = 0
    defaulted_on: date | None = None
    completed_on: date | None = None
    escalated_on: date | None = None
    cum_due: list[Decimal] = []

    def recompute() -> None:
        cum_due.clear()
        acc = ZERO
        for a in amounts:
            acc += a
            cum_due.append(acc)

    recompute()

    def cure_required() -> Decimal:
        if terms.accelerate_on_default:
            return total
        base = cum_due[last_checked] if last_checked >= 0 else ZERO
        return base + moved_since_reset

    first_day = start if since is None else max(start or since, since + timedelta(days=1))

    def emit(day: date, kind: EventKind, k: int | None = None, amount: Decimal | None = None, **data: str) -> None:
        if first_day is not None and day < first_day:
            return
        events.append(Event(day, kind, None if k is None else k + 1, amount, tuple(sorted(data.items()))))

    while heap and heap[0][0] <= as_of and status in OPEN_STATUSES:
        day, kind, k, offset = heapq.heappop(heap)
        p = paid_at(day)
        if kind == _PAY:
            count = 0
            while count < len(cum_due) and cum_due[count] <= p:
                count += 1
            for j in range(paid_count, count):
                emit(day, EventKind.installment_paid, j, amounts[j])
            paid_count = count
            if p >= total:
                status = ContractStatus.completed
                completed_on = day
                emit(day, EventKind.completed, amount=total)
                break
            if status is ContractStatus.defaulted and p >= cure_required():
                status = ContractStatus.active
                cures += 1
                consecutive = misses_total = 0
                moved_since_reset = ZERO
                emit(day, EventKind.cured, amount=p)
        elif kind == _REMINDER:
            if p < cum_due[k]:
                emit(day, EventKind.reminder_queued, k, amounts[k], offset=str(offset), due=dues[k].isoformat())
        elif kind == _DUE:
            emit(day, EventKind.installment_due, k, amounts[k])
        elif kind == _MISS:
            last_checked = max(last_checked, k)
            before = cum_due[k - 1] if k else ZERO
            paid_share = (p - before) / amounts[k] if p > before else ZERO
            if p >= cum_due[k] or paid_share >= terms.partial_threshold:
                consecutive = 0
            else:
                unpaid = cum_due[k] - max(p, before)
                misses_total += 1
                consecutive += 1
                emit(day, EventKind.missed, k, unpaid)
                if terms.append_missed:
                    amounts[k] -= unpaid
                    new_due = dues[-1] + timedelta(days=terms.append_interval_days)
                    amounts.append(unpaid)
                    dues.append(new_due)
                    recompute()
                    push_installment(len(amounts) - 1)
                    heapq.heapify(heap)
                    moved_since_reset += unpaid
                if status is ContractStatus.active and (
                    consecutive >= terms.consecutive_misses_to_default or misses_total >= terms.total_misses_to_default
                ):
                    status = ContractStatus.defaulted
                    defaults += 1
                    defaulted_on = day
                    emit(
                        day,
                        EventKind.defaulted,
                        amount=max(cure_required() - p, ZERO),
                        accelerated=str(terms.accelerate_on_default).lower(),
                    )
                    heapq.heappush(heap, (day + timedelta(days=terms.cure_days + 1), _CURE_DEADLINE, defaults, 0))
            if status is ContractStatus.defaulted and p >= cure_required():
                status = ContractStatus.active
                cures += 1
                consecutive = misses_total = 0
                moved_since_reset = ZERO
                emit(day, EventKind.cured, amount=p)
        elif kind == _CURE_DEADLINE and status is ContractStatus.defaulted and k == defaults:
            status = ContractStatus.escalated
            escalated_on = day
            emit(day, EventKind.escalated, to=terms.escalation.value)

    p = paid_at(as_of)
    open_index = next((j for j, c in enumerate(cum_due) if c > p), None)
    due_so_far = ZERO
    for j, d in enumerate(dues):
        if d + timedelta(days=terms.grace_days) < as_of:
            due_so_far = cum_due[j]
    if status in (ContractStatus.defaulted, ContractStatus.escalated) and terms.accelerate_on_default:
        due_so_far = total
    state = ContractState(
        status=status,
        total=total,
        paid=p,
        balance=max(total - p, ZERO),
        arrears=max(due_so_far - p, ZERO),
        misses_total=misses_total,
        consecutive_misses=consecutive,
        defaults=defaults,
        cures=cures,
        installments=tuple(Installment(d, a) for d, a in zip(dues, amounts, strict=True)),
        next_due=None if open_index is None or status not in OPEN_STATUSES else dues[open_index],
        next_amount=None
        if open_index is None or status not in OPEN_STATUSES
        else cum_due[open_index] - max(p, cum_due[open_index - 1] if open_index else ZERO),
        defaulted_on=defaulted_on,
        completed_on=completed_on,
        escalated_on=escalated_on,
    )
    next_check = heap[0][0] if heap and status in OPEN_STATUSES else None
    return Evaluation(state=state, events=tuple(events), next_check=next_check)


# --- allocation waterfall ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bucket:
    """Something a payment can pay: one component (fees, interest, principal) of one debt."""

    debt_id: str | None
    component: str
    outstanding: Decimal


@dataclass(frozen=True, slots=True)
class AllocationLine:
    debt_id: str | None
    component: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    lines: tuple[AllocationLine, ...]
    applied: Decimal
    credit: Decimal

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO) + self.credit


def allocate(
    amount: Decimal,
    buckets: Sequence[Bucket],
    *,
    order: Sequence[str] = ("fees", "interest", "principal"),
    cap: Decimal | None = None,
) -> Allocation:
    """Apply a payment by the creditor's waterfall: each component in `order` across the debts in
    the order given (oldest first), up to `cap` (what the contract still needs; None = the debts).
    Money beyond the debts but within the cap pays plan charges; anything beyond the cap is credit."""
    if amount <= 0:
        raise RuleViolation("must be above zero", field="amount")
    rank = {name: i for i, name in enumerate(order)}
    owed = sum((b.outstanding for b in buckets if b.outstanding > 0), ZERO)
    limit = owed if cap is None else max(min(cap, amount), ZERO)
    to_apply = min(amount, limit)
    left = to_apply
    lines: list[AllocationLine] = []
    ordered = sorted(enumerate(buckets), key=lambda ib: (rank.get(ib[1].component, len(rank)), ib[0]))
    for _, bucket in ordered:
        if left <= 0:
            break
        if bucket.outstanding <= 0:
            continue
        take = min(left, bucket.outstanding)
        lines.append(AllocationLine(bucket.debt_id, bucket.component, take))
        left -= take
    if left > 0:
        lines.append(AllocationLine(None, "plan_charges", left))
    return Allocation(lines=tuple(lines), applied=to_apply, credit=amount - to_apply)


# --- promises ----------------------------------------------------------------------------------


class PromiseStatus(StrEnum):
    open = "open"
    kept = "kept"
    partially_kept = "partially_kept"
    broken = "broken"


@dataclass(frozen=True, slots=True)
class PromiseSettings:
    grace_days: int = 1  # a promise is judged this many days after its date

    def __post_init__(self) -> None:
        if not 0 <= self.grace_days <= 30:
            raise RuleViolation("must be between 0 and 30", field="grace_days")


def promise_outcome(
    amount: Decimal, due: date, paid: Decimal, *, as_of: date, settings: PromiseSettings = PromiseSettings()
) -> PromiseStatus:
    """Kept once the promised amount has arrived; after the due date plus grace, partially kept if
    some money came, broken if none did."""
    if paid >= amount:
        return PromiseStatus.kept
    if as_of <= due + timedelta(days=settings.grace_days):
        return PromiseStatus.open
    return PromiseStatus.partially_kept if paid > 0 else PromiseStatus.broken
