"""Pure logic of collection conversations: labels, the analysis result, promise extraction
(amounts and dates said in Chinese), the retention rule and the settings with their defaults.

No database, no clock, no model loading here: `today`/`now` are passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from qingzhai.core.money import Money


class Emotion(StrEnum):
    anger = "anger"
    anxiety = "anxiety"
    sadness = "sadness"
    neutral = "neutral"
    positive = "positive"


class Intent(StrEnum):
    promise_to_pay = "promise_to_pay"
    hardship = "hardship"
    dispute = "dispute"
    cease_request = "cease_request"
    callback_request = "callback_request"
    third_party = "third_party"
    complaint = "complaint"
    abuse = "abuse"
    other = "other"


EMOTIONS: tuple[str, ...] = tuple(e.value for e in Emotion)
INTENTS: tuple[str, ...] = tuple(i.value for i in Intent)
NEGATIVE_EMOTIONS: frozenset[str] = frozenset({Emotion.anger, Emotion.anxiety, Emotion.sadness})


@dataclass(frozen=True)
class Promise:
    """A promise to pay as said: the amount and the due date when the debtor named them."""

    amount: Money | None
    due: date | None
    date_text: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "amount": str(self.amount.amount) if self.amount else None,
            "currency": self.amount.currency if self.amount else None,
            "date": self.due.isoformat() if self.due else None,
            "date_text": self.date_text,
        }


@dataclass(frozen=True)
class Analysis:
    text: str
    emotion: Emotion
    emotion_confidence: float
    intent: Intent
    intent_confidence: float
    promise: Promise | None = None
    emotion_scores: dict[str, float] = field(default_factory=dict)
    intent_scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "emotion": self.emotion.value,
            "emotion_confidence": round(self.emotion_confidence, 4),
            "intent": self.intent.value,
            "intent_confidence": round(self.intent_confidence, 4),
            "promise": self.promise.to_dict() if self.promise else None,
        }


# --------------------------------------------------------------------------- numbers and dates

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "壹": 1,
    "二": 2,
    "两": 2,
    "贰": 2,
    "三": 3,
    "叁": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "k": 1000, "K": 1000}
_BIG = {"万": 10000, "w": 10000, "W": 10000}
_CN_NUM = "零〇一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万"

AMOUNT_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?\s*[万千kKwW]?|[" + _CN_NUM + r"]{1,8}(?:点[" + _CN_NUM + r"]+)?)"
    r"\s*(?P<unit>块钱|块|元|万块|万元|千块|百块)?"
)


def chinese_number(text: str) -> Decimal | None:
    """'五千' → 5000, '一万五' → 15000, '两万三千' → 23000, '1.5万' → 15000, '3k' → 3000."""
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([万千kKwW]?)", text)
    if m:
        value = Decimal(m.group(1))
        unit = m.group(2)
        return value * (_BIG.get(unit) or _UNITS.get(unit) or 1)
    if "点" in text:
        whole, _, frac = text.partition("点")
        big = 1
        if frac and frac[-1] in _BIG:
            big, frac = _BIG[frac[-1]], frac[:-1]
        head = chinese_number(whole)
        if head is None or not frac or any(c not in _DIGITS for c in frac):
            return None
        return (head + Decimal("0." + "".join(str(_DIGITS[c]) for c in frac))) * big
    total = Decimal(0)
    section = Decimal(0)
    digit: int | None = None
    last_unit = 1
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            section += Decimal(digit if digit is not None else 1) * unit
            last_unit = unit
            digit = None
        elif ch in _BIG:
            section += digit or 0
            total += (section or 1) * _BIG[ch]
            section = Decimal(0)
            digit = None
            last_unit = _BIG[ch]
        else:
            return None
    if digit is not None:
        # '一万五' means 15000 and '三千五' 3500: a trailing digit takes the next lower unit.
        section += digit * (last_unit // 10 if last_unit >= 10 and text[-2:-1] in "万千百十" else 1)
    return total + section


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月)?(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})[号日]"), "day"),
    (re.compile(r"(?P<next>下下|下个?|这个?|本)?(?:周|星期|礼拜)(?P<w>[一二三四五六日天])"), "weekday"),
    (re.compile(r"大后天"), "plus3"),
    (re.compile(r"后天"), "plus2"),
    (re.compile(r"明天|明儿|明日"), "plus1"),
    (re.compile(r"今天|今晚|今儿|马上|现在就"), "today"),
    (re.compile(r"(?P<n>\d+|[一二两三四五六七八九十]{1,3})天(?:之?后|以后|内)"), "in_days"),
    (re.compile(r"下个?月(?:初)?"), "next_month"),
    (re.compile(r"(?:这个?月|本月|月)底"), "month_end"),
    (re.compile(r"下周|下个?礼拜|下星期"), "next_week"),
)


def _small_number(text: str) -> int | None:
    value = chinese_number(text)
    return int(value) if value is not None else None


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _add_month(d: date, day: int) -> date:
    y, m = d.year + (d.month // 12), d.month % 12 + 1
    return date(y, m, min(day, _month_end(date(y, m, 1)).day))


def parse_due_date(text: str, today: date) -> tuple[date | None, str | None]:
    """The first date expression in `text`, resolved against `today` (the debtor's local day)."""
    for pattern, kind in _DATE_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        said = m.group(0)
        if kind == "day":
            day = _small_number(m.group("d")) or 0
            month_text = m.group("m")
            if not 1 <= day <= 31:
                continue
            if month_text:
                month = _small_number(month_text) or 0
                if not 1 <= month <= 12:
                    continue
                year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
                try:
                    return date(year, month, day), said
                except ValueError:
                    continue
            if "下个月" in text or "下月" in text:
                return _add_month(today, day), said
            if day >= today.day:
                return date(today.year, today.month, min(day, _month_end(today).day)), said
            return _add_month(today, day), said
        if kind == "weekday":
            target = _WEEKDAYS[m.group("w")]
            prefix = m.group("next") or ""
            monday = today - timedelta(days=today.weekday())
            if prefix.startswith("下下"):
                return monday + timedelta(days=14 + target), said
            if prefix.startswith("下"):
                return monday + timedelta(days=7 + target), said
            candidate = monday + timedelta(days=target)
            return (candidate if candidate >= today else candidate + timedelta(days=7)), said
        if kind.startswith("plus"):
            return today + timedelta(days=int(kind[-1])), said
        if kind == "today":
            return today, said
        if kind == "in_days":
            n = _small_number(m.group("n")) or 0
            return today + timedelta(days=n), said
        if kind == "next_month":
            return _add_month(today, 1), said
        if kind == "month_end":
            return _month_end(today), said
        if kind == "next_week":
            return today - timedelta(days=today.weekday()) + timedelta(days=7), said
    return None, None


_MONEY_CONTEXT = re.compile(r"块|元|钱|万|还|付|转|打|给")


def parse_amount(text: str, *, currency: str = "CNY") -> Money | None:
    """The largest plausible sum of money said in `text` (not a date, a day count or a phone number)."""
    best: Decimal | None = None
    for m in AMOUNT_RE.finditer(text):
        raw = m.group("num").strip()
        unit = m.group("unit") or ""
        after = text[m.end("num") : m.end("num") + 2]
        before = text[max(0, m.start() - 1) : m.start()]
        if re.match(r"\s*(?:[号日月天周年点个期次岁分号]|星期|礼拜|小时)", after) or before in ("周", "期", "第", "礼拜", "星期"):
            continue
        if raw.isdigit() and len(raw) >= 7:
            continue
        value = chinese_number(raw)
        if value is None:
            continue
        if unit in ("万块", "万元"):
            value *= 10000
        elif unit == "千块":
            value *= 1000
        elif unit == "百块":
            value *= 100
        has_unit = bool(unit) or raw[-1] in "万千百kKwW" or bool(_MONEY_CONTEXT.search(text[max(0, m.start() - 3) : m.start()]))
        if not has_unit or value < 10:
            continue
        if best is None or value > best:
            best = value
    if best is None:
        return None
    return Money.of(best.quantize(Decimal("0.01")), currency)


def extract_promise(text: str, today: date, *, currency: str = "CNY") -> Promise:
    amount = parse_amount(text, currency=currency)
    due, said = parse_due_date(text, today)
    return Promise(amount=amount, due=due, date_text=said)


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionPolicy:
    """How long recordings and transcripts are kept (CN-10: at least 2 years; calls with an oral
    repayment agreement until the debt is paid off). Per preset; mainland is the default."""

    preset: str = "cn"
    minimum_days: int = 730
    keep_agreements_until_paid: bool = True


RETENTION_PRESETS: dict[str, RetentionPolicy] = {
    "cn": RetentionPolicy(),
    "us-regf": RetentionPolicy(preset="us-regf", minimum_days=3 * 365, keep_agreements_until_paid=False),
    "uk-fca": RetentionPolicy(preset="uk-fca", minimum_days=6 * 365, keep_agreements_until_paid=False),
    "hk": RetentionPolicy(preset="hk", minimum_days=2 * 365),
    "sg": RetentionPolicy(preset="sg", minimum_days=5 * 365),
}


def retention_policy(preset: str) -> RetentionPolicy:
    from qingzhai.core.errors import RuleViolation

    try:
        return RETENTION_PRESETS[preset]
    except KeyError:
        raise RuleViolation(f"unknown retention preset '{preset}'", field="preset") from None


def recording_expired(
    *, recorded_at: datetime, now: datetime, policy: RetentionPolicy, has_agreement: bool, debt_paid_off: bool
) -> bool:
    """True when a recording may be purged: past the minimum period and, for a call with a
    repayment agreement under a keep-until-paid preset, the debt has been paid off."""
    if now - recorded_at < timedelta(days=policy.minimum_days):
        return False
    return not (has_agreement and policy.keep_agreements_until_paid and not debt_paid_off)
