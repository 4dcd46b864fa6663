"""Finding a phase, requirement or group by what a person types: its key, a title, an alias.

A clerk knows 学习方案 and 领导小组, not ``study-plan`` and ``leading-group``.
Every name is compared after NFC, stripping and case-folding; a value that
matches nothing is an error listing what is known (never an empty result).

Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from workflow.errors import NotFoundError
from workflow.i18n import _

if TYPE_CHECKING:  # it imports this module
    from workflow.engine.definition import Definition


def _norm(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().casefold()


def resolve(value: str, kind: str, entries: Iterable[tuple[str, Sequence[str]]]) -> str:
    """The key of the entry whose key or one of whose ``names`` is ``value``.

    Args:
        kind: the word NotFoundError names (``phase``, ``requirement``, ``group``).
        entries: ``(key, names)`` pairs: names are titles in every language and aliases.

    Raises:
        NotFoundError: nothing matches; the message lists the known keys with their titles.
    """
    listed = list(entries)
    wanted = _norm(value)
    for key, _names in listed:
        if key == value or _norm(key) == wanted:
            return key
    for key, names in listed:
        if any(_norm(n) == wanted for n in names if n):
            return key
    known = ", ".join(f"{key} ({names[0]})" if names else key for key, names in listed)
    raise NotFoundError(kind, value, _("known: {names}").format(names=known or "-"))


def phase_entries(definition: Definition, *, final: bool = True) -> list[tuple[str, Sequence[str]]]:
    """Every phase (and the final state) as ``(key, (zh title, en title))``."""
    from workflow.i18n import pick

    d = definition
    out: list[tuple[str, Sequence[str]]] = []
    for p in d.spec.phases:
        out.append((p.key, (pick(p.title.as_dict()), p.title.zh, p.title.en)))
    if final:
        f = d.spec.final
        out.append((f.key, (pick(f.title.as_dict()), f.title.zh, f.title.en)))
    return out


def requirement_entries(definition: Definition) -> list[tuple[str, Sequence[str]]]:
    from workflow.i18n import pick

    return [
        (r.key, (pick(r.title.as_dict()), r.title.zh, r.title.en)) for r in definition.requirements.values()
    ]
