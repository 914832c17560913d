"""User-facing text through gettext catalogs (Babel .po files) in Simplified Chinese and English.

`QINGZHAI_LANG` chooses (default zh_CN). Message ids are English; the English catalog is the
identity. Code, identifiers and logs stay English.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "qingzhai"
SUPPORTED = ("zh_CN", "en")


@lru_cache(maxsize=8)
def catalog(lang: str) -> dict[str, str]:
    """All catalogs of a language merged: `qingzhai.po` plus one `<capability>.po` per capability."""
    messages: dict[str, str] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    if not folder.is_dir():
        return messages
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        messages.update({str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy})
    return messages


def current_lang() -> str:
    from qingzhai.config import get_settings

    lang = get_settings().lang
    return lang if lang in SUPPORTED else "zh_CN"


def gettext(message: str, lang: str | None = None) -> str:
    return catalog(lang or current_lang()).get(message, message)


def _(message: str, **params: object) -> str:
    """Translate `message` and fill `{named}` parameters."""
    text = gettext(message)
    return text.format(**params) if params else text


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now."""
    return message
