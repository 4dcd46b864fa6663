"""The door every name, text and e-mail address passes before it is stored.

``clean`` normalises to NFC and refuses characters that change what a person
sees rather than what they read: C0/C1 controls (ESC, BEL, NUL, CR, LF, ...),
format characters (bidi overrides and isolates, zero-width spaces and joiners,
U+FEFF) and the line/paragraph separators. ``name`` adds "not blank after
stripping". ``email`` parses an address with ``email-validator`` (the RFC
5321/5322 rules are long and subtle; a regular expression let
``王主任@example.gov.cn`` and CR/LF through) and refuses internationalized
local parts: our mail goes out without SMTPUTF8, so such an address could
never be delivered. ``inert`` is the second line of defence for output: it
escapes the same characters in text bound for a terminal.

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from workflow.errors import InputError
from workflow.i18n import _

#: Unicode categories refused at the door and escaped on output.
BAD_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

# The fast pre-check is ``str.isprintable()``: by its definition it is False for every
# character of the categories above (and for a few harmless ones: Co, Cn, Zs but the space),
# so text it passes needs no per-character look. One C pass; a regex of the same ranges took 5×.


def _is_bad(ch: str) -> bool:
    return unicodedata.category(ch) in BAD_CATEGORIES


def first_bad(value: str) -> str | None:
    """The first character :func:`clean` would refuse, or None."""
    if value.isprintable():
        return None
    return next((ch for ch in value if _is_bad(ch)), None)


def describe(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; controls have no Unicode name, so their category says it."""
    code = f"U+{ord(ch):04X}"
    label = unicodedata.name(ch, "") or (
        _("control character") if unicodedata.category(ch) == "Cc" else _("invisible character")
    )
    return f"{code} ({label})"


def clean(value: str, field: str) -> str:
    """``value`` in NFC; :class:`InputError` naming ``field`` and the character when it holds one refused."""
    value = unicodedata.normalize("NFC", value)
    bad = first_bad(value)
    if bad is not None:
        raise InputError(
            _("{field}: contains {char}; control and invisible formatting characters are not allowed").format(
                field=field, char=describe(bad)
            )
        )
    return value


def name(value: str | None, field: str) -> str:
    """A name or required text: :func:`clean`, stripped, not blank."""
    text = clean(value or "", field).strip()
    if not text:
        raise InputError(_("{field} must not be empty").format(field=field))
    return text


def optional(value: str | None, field: str) -> str | None:
    """Optional text: :func:`clean` and stripped; None when absent or blank."""
    if value is None:
        return None
    return clean(value, field).strip() or None


#: What separates the tags in one roster cell or option: 涉企部门;窗口单位 or 涉企部门、窗口单位.
TAG_SEPARATORS = re.compile(r"[;；,，、|]")


def tags(value: str | None, field: str) -> tuple[str, ...]:
    """Roster categories from one cell or option: each cleaned, blanks dropped, sorted, unique."""
    if not value:
        return ()
    found = (clean(t, field).strip() for t in TAG_SEPARATORS.split(value))
    return tuple(sorted({t for t in found if t}))


def tagged(only: Iterable[str], tags: Iterable[str] | None) -> bool:
    """Whether something marked ``only: [...]`` applies to an office carrying ``tags``:
    it does when ``only`` is empty or names one of them. The one rule for guards, lights,
    owed filings, reminders and filing."""
    wanted = set(only)
    return not wanted or not wanted.isdisjoint(tags or ())


def email(value: str | None, field: str) -> str | None:
    """A checked, normalised e-mail address (None when absent or blank).

    Raises:
        InputError: not an address, or an internationalized local part (cannot be sent without SMTPUTF8).
    """
    if value is None or not value.strip():
        return None
    raw = clean(value, field).strip()
    normal, why = _checked_email(raw)
    if why is None:
        raise InputError(
            _(
                "{field}: '{v}' has non-ASCII characters before the @; manyi sends mail "
                "without SMTPUTF8, ask for an ASCII address"
            ).format(field=field, v=raw)
        )
    if normal is None:
        raise InputError(
            _("{field}: '{v}' is not an e-mail address ({why})").format(field=field, v=raw, why=why)
        )
    return normal


# A sweep checks each recipient when it composes and again when it sends: the cache holds every
# recipient of a large sweep (20,000 at 100,000 offices; 4,096 made each check a miss).
@lru_cache(maxsize=1 << 16)
def _checked_email(raw: str) -> tuple[str | None, str | None]:
    """The validator's answer, once per address: (the address as sent, ""), (None, why it is
    refused), or (None, None) for a non-ASCII local part."""
    if _plain_email(raw):
        return raw, ""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(
            raw, check_deliverability=False, allow_smtputf8=True, allow_display_name=False
        )
    except EmailNotValidError as exc:
        return None, str(exc).rstrip(".")
    if not checked.local_part.isascii():
        return None, None
    # An internationalized domain goes out in its ASCII (punycode) form.
    return checked.ascii_email or checked.normalized, ""


#: The addresses nearly every roster holds, which the validator passes unchanged: a dot-atom of
#: letters, digits and ``_+-``, at a lower-case ASCII domain of two or more labels (none with
#: ``--``, which IDNA rules on) under an alphabetic top-level domain. A test holds the validator
#: to that on generated addresses; anything else goes to the validator itself.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def _plain_email(raw: str) -> bool:
    """Whether ``raw`` is such an address, so the validator's answer is known without asking it
    (its IDNA pass over the domain is ~20 µs a new address: a sweep of 20,000 mails, a roster
    of 100,000 offices)."""
    if len(raw) > 254 or not _PLAIN_EMAIL.fullmatch(raw):
        return False
    local, _at, domain = raw.partition("@")
    if len(local) > 64 or "--" in domain:  # (the domain is within 253: the whole is within 254)
        return False
    return not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAINS)


#: The reserved names the validator refuses (``email_validator.SPECIAL_USE_DOMAIN_NAMES``, which a
#: test compares): importing it to read them costs 25 ms of a command's start-up.
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")


def inert(text: str, *, one_line: bool = False) -> str:
    """``text`` with every refused character shown as an escape (``\\x1b``, ``\\u202e``).

    Newlines and tabs stay unless ``one_line`` (an error line): our own output uses
    them. Everything else that could move the cursor, retitle a window or reorder
    what is shown is made visible.
    """
    # The common case in one C pass per step, also for many lines at once (a command's whole
    # output is made inert in one call): only the kept newlines and tabs are not printable.
    plain = text.replace("\t", "") if one_line else text.replace("\n", "").replace("\t", "")
    if plain.isprintable():
        return text
    keep = "\t" if one_line else "\n\t"
    out = []
    for ch in text:
        if ch in keep or not _is_bad(ch):
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)
