"""Which language the console speaks: ``--lang``, then ``MANYI_LANG``, then the locale.

Reading the environment is the console's business; :mod:`workflow.i18n` only translates.
"""

from __future__ import annotations

import os
from pathlib import Path

from workflow.i18n import LANGUAGES

#: The compiled catalogues shipped with the console.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


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
