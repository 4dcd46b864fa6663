"""Message translation: English msgids, Simplified Chinese catalog.

The catalogs are standard gettext files under ``cli/locale`` (``.po`` sources
with compiled ``.mo`` shipped beside them). Chinese is the default language;
``set_language`` is called once by the CLI from ``--lang``, ``MANYI_LANG`` or
the locale.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "manyi"
LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "cli" / "locale"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_click_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(lang: str) -> None:
    """Switch every later message to ``lang`` ("zh" or "en")."""
    global _translation, _click_translation, _language
    if lang not in LANGUAGES:
        raise ValueError(lang)
    _language = lang
    if lang == "en":
        _translation = _click_translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)
        # click's own strings (Usage:, Options:, its errors) have a catalog of their own.
        _click_translation = gettext.translation(
            "click", localedir=str(LOCALE_DIR), languages=[lang], fallback=True
        )


def language() -> str:
    return _language


def detect_language(explicit: str | None = None) -> str:
    """Pick the language: explicit option, then MANYI_LANG, then the locale.

    Chinese is the default unless the locale asks for English.
    """
    for value in (explicit, os.environ.get("MANYI_LANG")):
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def unknown_language() -> str | None:
    """``MANYI_LANG`` when it names neither language (``detect_language`` then picks Chinese)."""
    value = os.environ.get("MANYI_LANG")
    if value and not value.lower().startswith(LANGUAGES):
        return value
    return None


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a singular and a plural form."""
    return _translation.ngettext(singular, plural, n)


def click_gettext(message: str) -> str:
    """Translate one of click's built-in messages (the ``click`` catalog)."""
    return _click_translation.gettext(message)


def click_ngettext(singular: str, plural: str, n: int) -> str:
    return _click_translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


def pick(titles: dict[str, str]) -> str:
    """Choose a definition title ({"zh": ..., "en": ...}) for the current language."""
    return titles.get(_language) or titles.get("zh") or titles.get("en") or ""


def chinese_quotes(text: str) -> str:
    """Pairs of ASCII double quotes around Chinese text become “”, as Chinese typesetting
    writes them: 创建"人民满意单位"活动 → 创建“人民满意单位”活动. Other text is left as written."""
    import re

    def pair(m: re.Match[str]) -> str:
        inner = m.group(1)
        return f"“{inner}”" if re.search(r"[\u3400-\u9fff]", inner) else m.group(0)

    return re.sub(r'"([^"]*)"', pair, text)  # quotes pair up left to right
