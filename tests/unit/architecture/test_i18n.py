"""Every user-facing message marked in the source has a Simplified Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

import qingzhai
from qingzhai.i18n import catalog, gettext

ROOT = Path(qingzhai.__file__).parent


def marked_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
    ):
        if isinstance(message, str) and message:
            found.add(message)
    return found


def test_every_marked_message_has_a_chinese_translation():
    zh = catalog("zh_CN")
    missing = sorted(m for m in marked_messages() if m not in zh)
    assert not missing, f"{len(missing)} messages lack a zh_CN translation, e.g.:\n" + "\n".join(missing[:25])


def test_translations_keep_their_placeholders():
    import string

    bad = []
    for msgid, msgstr in catalog("zh_CN").items():
        names = {f for _, f, _, _ in string.Formatter().parse(msgid) if f}
        got = {f for _, f, _, _ in string.Formatter().parse(msgstr) if f}
        if names != got:
            bad.append(f"{msgid!r} -> {msgstr!r}")
    assert not bad, "\n".join(bad)


def test_english_is_the_identity_and_chinese_is_chosen_by_setting():
    assert gettext("Outstanding", "en") == "Outstanding"
    assert gettext("Outstanding", "zh_CN") == "未偿"
