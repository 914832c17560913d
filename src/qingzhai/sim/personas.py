"""Scripted debtor personas for the bot demo and tests: each says its lines in order, answering
the bot's identity questions truthfully (the ID-number tail is filled in from the case)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    key: str
    description: str
    lines: tuple[str, ...]
    expected_outcome: str

    def replies(self, id_tail: str) -> list[str]:
        return [line.replace("{tail}", id_tail) for line in self.lines]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "cooperative",
        "pays when offered an affordable plan",
        ("是我，什么事？", "{tail}", "嗯，你说吧，我想把这事解决了", "好的，可以", "那我下周一先还两千"),
        "promise",
    ),
    Persona("promiser", "names an amount and a date at once", ("对，我是本人", "{tail}", "我知道，下周五我还五千"), "promise"),
    Persona(
        "hardship",
        "lost the job, anxious, then takes the plan",
        (
            "是我",
            "{tail}",
            "我失业三个月了，实在没有收入",
            "能不能每个月少还一点，我真的很着急",
            "好吧，可以",
            "那我月底先还一千",
        ),
        "promise",
    ),
    Persona(
        "disputer",
        "says the debt is not theirs",
        ("是我本人", "{tail}", "这笔钱不是我借的，你们搞错了吧，我对金额有异议"),
        "dispute",
    ),
    Persona("cease", "asks the bot to stop calling", ("是我", "{tail}", "别再给我打电话了，以后不要再联系我"), "cease"),
    Persona(
        "angry",
        "angry three turns in a row: handed to a human",
        ("是我，又怎么了", "{tail}", "烦死了，你们有完没完", "凭什么天天催我，气死了", "你们就是一群吸血鬼，烦不烦"),
        "handoff",
    ),
    Persona("wrong_number", "the number belongs to someone else", ("你打错了，我不认识这个人",), "third_party"),
    Persona("busy", "asks for a callback", ("是我", "{tail}", "我现在在开会，晚点再打给我"), "callback"),
)


def persona(key: str) -> Persona:
    for p in PERSONAS:
        if p.key == key:
            return p
    raise KeyError(key)


# One human collector's call with prohibited conduct (threatening the child's school and jail).
VIOLATING_CALL: tuple[tuple[str, str], ...] = (
    ("collector", "您好，我是浦江银行委托的催收员，请问是张先生吗？"),
    ("debtor", "是我，我这个月真的还不上。"),
    ("collector", "你这个老赖，再不还钱我们就联系你孩子的学校，让所有人都知道。"),
    ("debtor", "你怎么能这样说话？"),
    ("collector", "不还就让你坐牢，你自己看着办。"),
)

COMPLIANT_CALL: tuple[tuple[str, str], ...] = (
    ("collector", "您好，我是申城消费金融委托的催收专员，请问是李女士本人吗？"),
    ("debtor", "是我。"),
    ("collector", "本次通话会录音。我们不会联系您的家人，也不会告诉您的单位，请您放心。"),
    ("collector", "如果您现在有困难，可以申请分期或者延期还款。"),
)
