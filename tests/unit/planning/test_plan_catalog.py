"""Every user-facing planning message has its Simplified Chinese translation."""

from __future__ import annotations

import ast
from pathlib import Path

from qingzhai.i18n import catalog
from qingzhai.planning import rules
from qingzhai.planning.rules import PlanType

PACKAGE = Path(rules.__file__).parent.parent


def msgids() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in ("note", "_") and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
            if isinstance(node, ast.IfExp):
                found.update(b.value for b in (node.body, node.orelse)
                             if isinstance(b, ast.Constant) and isinstance(b.value, str) and "{" in b.value)
    return found


def test_every_planning_message_is_translated_to_chinese():
    zh = catalog("zh_CN")
    from qingzhai.planning.rules.options import MEDIATION_MESSAGES

    ids = msgids() | {t.value for t in PlanType} | set(rules.HARDSHIPS) | set(MEDIATION_MESSAGES.values())
    assert len(ids) > 60
    assert sorted(i for i in ids if i not in zh) == []


def test_translations_keep_the_same_placeholders():
    import string

    from qingzhai.planning.rules.options import MEDIATION_MESSAGES

    zh = catalog("zh_CN")
    for msgid in msgids() | set(MEDIATION_MESSAGES.values()):
        fields = {f for _t, f, _s, _c in string.Formatter().parse(msgid) if f}
        assert {f for _t, f, _s, _c in string.Formatter().parse(zh[msgid]) if f} == fields, msgid


def test_explanations_render_in_chinese():
    from datetime import date

    from qingzhai.core.money import Money
    from qingzhai.i18n import gettext
    from qingzhai.registry.rules import CreditorPolicy

    option = rules.moratorium(rules.PlanInput(outstanding=Money.of("1000.00"), start=date(2026, 1, 1),
                                              hardship="illness", hardship_verified=True, cooperative=True,
                                              full_disclosure=True), CreditorPolicy(), rules.DEFAULT_SETTINGS)
    text = rules.render_notes(option.notes, lambda m: gettext(m, "zh_CN"))
    assert "因疾病暂停催收 12 个月" in text
