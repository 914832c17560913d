"""Rendering findings of the pure rules in English and Simplified Chinese (gettext catalogs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qingzhai.compliance.rules import ContactRules, Finding
from qingzhai.i18n import current_lang, gettext


@dataclass(frozen=True, slots=True)
class Reason:
    rule: str
    text_en: str
    text_zh: str
    source: str = ""

    @property
    def text(self) -> str:
        return self.text_zh if current_lang() == "zh_CN" else self.text_en

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "text_en": self.text_en, "text_zh": self.text_zh, "source": self.source}


def render(finding: Finding, lang: str) -> str:
    template = gettext(finding.msgid, lang)
    return template.format(**finding.params) if finding.params else template


def reason(finding: Finding, rules: ContactRules | None = None) -> Reason:
    return Reason(
        rule=finding.rule,
        text_en=render(finding, "en"),
        text_zh=render(finding, "zh_CN"),
        source=rules.sources.get(finding.rule, "") if rules is not None else "",
    )
