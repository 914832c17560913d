"""The collection bot's dialogue manager: pure, a state in and a reply (with actions) out.

Order of a conversation: right-party check (the person confirms who they are, then the last four
characters of their ID number) before any debt detail; the required disclosures (who we are,
whom we act for, that the call is recorded); the statement of the debt; then a strategy chosen by
the debtor's intent and emotion:

| what the debtor does | the bot |
|---|---|
| dispute | stops, opens a dispute (hold), ends |
| cease_request | records the request (cease-contact hold), ends |
| complaint | hands off to a human, ends |
| third_party (before or after the check) | says no debt detail, asks for a callback, ends |
| callback_request | schedules a callback, ends |
| promise_to_pay with amount and date | records the promise, confirms, ends |
| hardship, or anxiety/sadness | empathy and hardship options (smaller installments, moratorium, mediation) |
| anger or abuse | de-escalates and offers a callback |
| cooperative (neutral/positive) | proposes the planning engine's best affordable option |
| negative emotion `negative_streak_handoff` turns in a row | hands off to a human |

The bot's own words are Chinese scripts (what debtors hear), checked by the conduct guard before
they are said. No database, no clock: the service passes everything in.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from qingzhai.conversation.conduct import check as conduct_check
from qingzhai.conversation.rules import NEGATIVE_EMOTIONS, Analysis, Emotion, Intent


class Stage(StrEnum):
    opening = "opening"  # asked: are you the debtor?
    verify = "verify"  # asked: last four characters of the ID number
    negotiate = "negotiate"  # debt stated, strategy by emotion and intent
    offered = "offered"  # a plan was proposed, waiting for yes/no
    closed = "closed"


class ActionKind(StrEnum):
    record_promise = "record_promise"
    open_dispute = "open_dispute"
    record_cease = "record_cease"
    handoff = "handoff"
    schedule_callback = "schedule_callback"
    offer_plan = "offer_plan"
    offer_hardship = "offer_hardship"
    end = "end"


class Outcome(StrEnum):
    promise = "promise"
    dispute = "dispute"
    cease = "cease"
    handoff = "handoff"
    callback = "callback"
    third_party = "third_party"
    not_verified = "not_verified"
    no_agreement = "no_agreement"


@dataclass(frozen=True)
class DialogueSettings:
    identity_attempts: int = 2  # wrong ID-number tails before the bot ends without detail
    negative_streak_handoff: int = 3  # negative-emotion turns in a row that hand off to a human
    max_turns: int = 12  # debtor turns before the bot closes with a callback offer
    anger_confidence: float = 0.5  # emotion confidence above which anger changes the strategy


@dataclass(frozen=True)
class Offer:
    """What the planning engine proposes (best affordable option), in words and first instalment."""

    kind: str
    summary: str
    first_amount: Decimal
    first_due: date
    currency: str = "CNY"


@dataclass(frozen=True)
class CaseFacts:
    debtor_name: str  # shown masked by the caller (e.g. 张*)
    id_tail: str  # last four characters of the ID number, compared, never said
    creditor_name: str
    agency_name: str
    outstanding: Decimal
    currency: str = "CNY"
    offer: Offer | None = None


@dataclass
class DialogueState:
    stage: Stage = Stage.opening
    turns: int = 0
    identity_failures: int = 0
    negative_streak: int = 0
    verified: bool = False
    outcome: Outcome | None = None
    offered: bool = False
    hardship_offered: bool = False

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["stage"] = self.stage.value
        data["outcome"] = self.outcome.value if self.outcome else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DialogueState:
        values = dict(data)
        values["stage"] = Stage(str(values.get("stage", "opening")))
        outcome = values.get("outcome")
        values["outcome"] = Outcome(str(outcome)) if outcome else None
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    text: str
    reason: str
    actions: tuple[Action, ...] = ()
    ended: bool = False


_YES = re.compile(r"是我|我是|本人|对的|对|是的|嗯|没错|是啊|可以|好的|行|同意|接受|中|要得|得嘞|好")
_NO = re.compile(r"不行|不要|不同意|不接受|太多|太高|还不起|做不到|不可以|拒绝")
_TAIL = re.compile(r"[0-9Xx]{4}")


def opening_line(facts: CaseFacts) -> Reply:
    return Reply(
        f"您好，这里是{facts.agency_name}，受{facts.creditor_name}委托联系您。请问您是{facts.debtor_name}本人吗？",
        "identity check first: no debt detail before the right party is confirmed",
    )


def _disclose(facts: CaseFacts) -> str:
    return (
        f"谢谢您配合核实。说明一下：我们是{facts.agency_name}，受{facts.creditor_name}委托，本次通话会录音并加密保存。"
        f"您在{facts.creditor_name}的欠款目前是{facts.outstanding:,.2f}元。"
    )


def _offer_text(offer: Offer) -> str:
    return (
        f"根据您的情况，我们可以提供这个方案：{offer.summary}。第一期{offer.first_amount:,.2f}元，"
        f"{offer.first_due.month}月{offer.first_due.day}日。您看可以吗？"
    )


_HARDSHIP = "理解您现在的难处。我们可以为您申请：更小金额的分期、最长几个月的暂缓还款，或者转给调解员一起商量。您看哪种更适合您？"
_DEESCALATE = "非常抱歉给您带来困扰，我理解您现在的心情。要不我们换个您方便的时间再谈？您也可以随时主动联系我们。"


def _end(state: DialogueState, outcome: Outcome, text: str, reason: str, *actions: Action) -> Reply:
    state.stage = Stage.closed
    state.outcome = outcome
    return Reply(text, reason, (*actions, Action(ActionKind.end, {"outcome": outcome.value})), ended=True)


def step(state: DialogueState, facts: CaseFacts, said: str, analysis: Analysis, settings: DialogueSettings) -> Reply:
    """Advance the conversation by one debtor utterance. Mutates `state`; returns the bot's reply."""
    reply = _step(state, facts, said, analysis, settings)
    if conduct_check(reply.text):  # never say anything the guard refuses; our scripts should pass
        return Reply(
            _DEESCALATE, f"{reply.reason}; the reply failed the conduct guard and was replaced", reply.actions, reply.ended
        )
    return reply


def _step(state: DialogueState, facts: CaseFacts, said: str, analysis: Analysis, settings: DialogueSettings) -> Reply:
    if state.stage == Stage.closed:
        return Reply("本次通话已经结束，谢谢。", "conversation already closed", ended=True)
    state.turns += 1
    intent, emotion = analysis.intent, analysis.emotion
    state.negative_streak = state.negative_streak + 1 if emotion in NEGATIVE_EMOTIONS else 0

    if intent == Intent.third_party:
        return _end(
            state,
            Outcome.third_party,
            "不好意思打扰了。麻烦您转告机主方便时回电，谢谢，再见。",
            "the person is not the debtor: no debt detail, ask for a callback, end",
        )
    if intent == Intent.cease_request:
        return _end(
            state,
            Outcome.cease,
            "好的，我们已经记录您的要求，之后不会再通过电话联系您。再见。",
            "cease request: recorded and the conversation ends",
            Action(ActionKind.record_cease, {"text": said}),
        )

    if state.stage == Stage.opening:
        if intent in (Intent.abuse, Intent.complaint) or (emotion == Emotion.anger and not _YES.search(said)):
            return _end(
                state,
                Outcome.callback,
                _DEESCALATE,
                "angry before the identity check: de-escalate, no detail, end",
                Action(ActionKind.schedule_callback, {}),
            )
        if _YES.search(said) or intent == Intent.promise_to_pay:
            state.stage = Stage.verify
            return Reply("为了保护您的隐私，请告诉我您身份证号码的最后四位。", "confirm identity with the ID-number tail")
        if intent == Intent.callback_request:
            return _end(
                state,
                Outcome.callback,
                "好的，那我们换个时间再联系您，打扰了。",
                "callback requested before identity check",
                Action(ActionKind.schedule_callback, {}),
            )
        return Reply(f"请问您是{facts.debtor_name}本人吗？", "identity not yet confirmed")

    if state.stage == Stage.verify:
        tail = _TAIL.search(said)
        if tail and tail.group(0).upper() == facts.id_tail.upper():
            state.verified = True
            state.stage = Stage.negotiate
            return Reply(_disclose(facts) + "请问您打算怎么处理这笔欠款？", "identity verified: disclosures and the debt")
        state.identity_failures += 1
        if state.identity_failures >= settings.identity_attempts:
            return _end(
                state,
                Outcome.not_verified,
                "抱歉，暂时无法核实您的身份，我们不能透露更多信息。再见。",
                "identity not verified: end without any debt detail",
            )
        return Reply("信息没有核对上，请再说一遍身份证号码最后四位。", "identity tail did not match")

    # Right party verified: strategy by intent, then emotion.
    if intent == Intent.dispute:
        return _end(
            state,
            Outcome.dispute,
            "好的，您的异议我们已经记录，会暂停催收并核实，核实结果会书面通知您。",
            "dispute: stop and open a dispute hold",
            Action(ActionKind.open_dispute, {"text": said}),
        )
    if intent == Intent.complaint:
        return _end(
            state,
            Outcome.handoff,
            "非常抱歉，我马上为您转接人工专员处理您的投诉。",
            "complaint: hand off to a human",
            Action(ActionKind.handoff, {"why": "complaint"}),
        )
    if state.negative_streak >= settings.negative_streak_handoff:
        return _end(
            state,
            Outcome.handoff,
            "我帮您转接人工专员，由他来和您详细沟通。",
            f"negative emotion {state.negative_streak} turns in a row: hand off to a human",
            Action(ActionKind.handoff, {"why": "negative_streak"}),
        )
    if intent == Intent.callback_request:
        return _end(
            state,
            Outcome.callback,
            "没问题，我们按您方便的时间再联系您，谢谢。",
            "callback requested",
            Action(ActionKind.schedule_callback, {"text": said}),
        )
    promise = analysis.promise
    if intent == Intent.promise_to_pay or (state.stage == Stage.offered and _YES.search(said) and not _NO.search(said)):
        if promise and promise.amount and promise.due:
            return _end(
                state,
                Outcome.promise,
                f"好的，记录您{promise.due.month}月{promise.due.day}日还款{promise.amount.amount:,.2f}元。感谢您的配合，再见。",
                "promise to pay with amount and date: recorded",
                Action(
                    ActionKind.record_promise,
                    {"amount": str(promise.amount.amount), "currency": promise.amount.currency, "due": promise.due.isoformat()},
                ),
            )
        if state.stage == Stage.offered and facts.offer is not None:
            offer = facts.offer
            return _end(
                state,
                Outcome.promise,
                f"好的，记录您同意方案，第一期{offer.first_due.month}月{offer.first_due.day}日还款{offer.first_amount:,.2f}元。谢谢，再见。",
                "accepted the proposed plan: first instalment recorded as a promise",
                Action(
                    ActionKind.record_promise,
                    {
                        "amount": str(offer.first_amount),
                        "currency": offer.currency,
                        "due": offer.first_due.isoformat(),
                        "plan": offer.kind,
                    },
                ),
            )
        if promise and promise.amount and not promise.due:
            return Reply("好的，请问您大概哪一天能还这笔钱？", "promise without a date: ask for the date")
        if promise and promise.due and not promise.amount:
            return Reply(
                f"好的，{promise.due.month}月{promise.due.day}日那天您能还多少呢？", "promise without an amount: ask for it"
            )
        return Reply("好的，请问您打算哪天还、还多少？", "willing to pay: ask for amount and date")
    if state.turns >= settings.max_turns:
        return _end(
            state,
            Outcome.no_agreement,
            "今天先聊到这里，我们之后再联系您。谢谢。",
            "turn limit reached",
            Action(ActionKind.schedule_callback, {}),
        )
    if intent == Intent.abuse or (emotion == Emotion.anger and analysis.emotion_confidence >= settings.anger_confidence):
        return Reply(_DEESCALATE, "anger: de-escalate and offer a callback")
    if intent == Intent.hardship or emotion in (Emotion.anxiety, Emotion.sadness):
        state.hardship_offered = True
        return Reply(
            _HARDSHIP,
            f"{'hardship' if intent == Intent.hardship else emotion.value}: empathy and hardship options",
            (Action(ActionKind.offer_hardship, {}),),
        )
    if state.stage == Stage.offered and _NO.search(said):
        return Reply(_HARDSHIP, "the plan was declined: hardship options", (Action(ActionKind.offer_hardship, {}),))
    if facts.offer is not None and not state.offered:
        state.offered = True
        state.stage = Stage.offered
        return Reply(
            _offer_text(facts.offer),
            "cooperative: propose the planning engine's best affordable option",
            (Action(ActionKind.offer_plan, {"kind": facts.offer.kind}),),
        )
    return Reply("请问您这个月能还多少？哪天方便？", "cooperative, no plan on file: ask for amount and date")


def script_lines(facts: CaseFacts) -> list[str]:
    """Every fixed line the bot can say for these facts (the conduct guard is tested against all)."""
    lines = [opening_line(facts).text, _disclose(facts), _HARDSHIP, _DEESCALATE]
    if facts.offer:
        lines.append(_offer_text(facts.offer))
    return lines
