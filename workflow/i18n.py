"""Message translation: English msgids, Simplified Chinese catalog.

The catalogs are standard gettext files under ``cli/locale`` (``.po`` sources
with compiled ``.mo`` shipped beside them). Chinese is the default language;
``set_language`` is called once by the CLI from ``--lang``, ``MANYI_LANG`` or
the locale.
"""

from __future__ import annotations

import gettext

DOMAIN = "manyi"
LANGUAGES = ("zh", "en")
#: The compiled catalogues' folder, handed in by the console (cli/locale) at start-up;
#: without it every message stays in English.
_localedir: str | None = None

_translation: gettext.NullTranslations = gettext.NullTranslations()
_click_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def use_catalogues(folder: str) -> None:
    """Where the compiled catalogues are (``<folder>/<lang>/LC_MESSAGES/<domain>.mo``)."""
    global _localedir
    _localedir = folder
    if _language != "en":
        set_language(_language)


def set_language(lang: str) -> None:
    """Switch every later message to ``lang`` ("zh" or "en")."""
    global _translation, _click_translation, _language
    if lang not in LANGUAGES:
        raise ValueError(lang)
    _language = lang
    if lang == "en":
        _translation = _click_translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, localedir=_localedir, languages=[lang], fallback=True)
        # click's own strings (Usage:, Options:, its errors) have a catalog of their own.
        _click_translation = gettext.translation(
            "click", localedir=_localedir, languages=[lang], fallback=True
        )


def language() -> str:
    return _language


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
