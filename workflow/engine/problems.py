"""A pydantic validation error as one sentence in the user's language, and the field it names as
the definition file spells it (``phases.implementation.exit[2].requirement``)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from workflow.i18n import N_, _

PROBLEMS = {
    "missing": N_("required field is missing"),
    "extra_forbidden": N_("unknown field"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "string_type": N_("must be text"),
    "dict_type": N_("must be a mapping (key: value lines)"),
    "model_type": N_("must be a mapping (key: value lines)"),
    "model_attributes_type": N_("must be a mapping (key: value lines)"),
    "list_type": N_("must be a list"),
    "tuple_type": N_("must be a list"),
    "set_type": N_("must be a list"),
    "literal_error": N_("must be one of {expected}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "greater_than": N_("must be greater than {gt}"),
    "less_than_equal": N_("must be at most {le}"),
    "less_than": N_("must be less than {lt}"),
    "string_too_short": N_("must be at least {min_length} characters long"),
    "string_too_long": N_("must be at most {max_length} characters long"),
    "too_short": N_("must have at least {min_length} items"),
    "too_long": N_("must have at most {max_length} items"),
    "string_pattern_mismatch": N_("must match the pattern {pattern}"),
    "date_type": N_("must be a date like 2026-10-01"),
    "date_parsing": N_("must be a date like 2026-10-01"),
    "date_from_datetime_parsing": N_("must be a date like 2026-10-01"),
    "date_from_datetime_inexact": N_("must be a date like 2026-10-01"),
}

#: What each member of a union of plain types accepts ("must be a number or text").
UNION_MEMBERS = {
    "int": N_("a number"),
    "float": N_("a number"),
    "str": N_("text"),
    "bool": N_("true or false"),
}


def validation_problem(exc: ValidationError, data: Any) -> tuple[tuple[Any, ...], str]:
    """``(loc, message)`` of the first error of ``exc``, translated.

    A value that fits no member of a union of plain types (``int | str``)
    gives one error per member, each located at ``(..., field, "int")``; they
    become one message at the field itself.
    """
    errors = exc.errors()
    err = errors[0]
    loc = tuple(err["loc"])
    if _is_union_member(data, loc):
        field = loc[:-1]
        members = [
            e["loc"][-1]
            for e in errors
            if tuple(e["loc"][:-1]) == field and len(e["loc"]) == len(loc) and e["loc"][-1] in UNION_MEMBERS
        ]
        words = list(dict.fromkeys(_(UNION_MEMBERS[m]) for m in members))
        kinds = (
            words[0]
            if len(words) == 1
            else _("{some} or {last}").format(some=_(", ").join(words[:-1]), last=words[-1])
        )
        return field, _("must be {kinds}").format(kinds=kinds)
    return loc, problem_text(err)


def problem_text(err: Any) -> str:
    """One pydantic error (an item of ``errors()``) as a sentence in the user's language."""
    kind = err["type"]
    ctx = dict(err.get("ctx") or {})
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return _("must not be empty")
    if kind == "literal_error" and "expected" in ctx:
        ctx["expected"] = _(", ").join(
            v.strip() for v in re.split(r",| or ", str(ctx["expected"])) if v.strip()
        )
    if kind in PROBLEMS:
        try:
            return _(PROBLEMS[kind]).format(**ctx)
        except (KeyError, IndexError):
            pass
    # value_error: our own validators' messages, already translated.
    return str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _is_union_member(data: Any, loc: tuple[Any, ...]) -> bool:
    """Whether ``loc`` ends in a union member tag ("int", "str", ...) rather than a key."""
    if len(loc) < 2 or loc[-1] not in UNION_MEMBERS:
        return False
    node = data
    for part in loc[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return not (isinstance(node, dict) and loc[-1] in node)


def field_label(data: Any, loc: tuple[Any, ...]) -> str:
    """Readable field path: ``phase 'review': requirements[0].filer``."""
    parts: list[str] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            parent = loc[i - 1] if i else ""
            if isinstance(item, dict) and "key" in item:
                label = {"phases": "phase", "requirements": "requirement"}.get(str(parent))
                if label:
                    parts[-1] = f"{label} '{item['key']}'"
                    node = item
                    continue
            parts[-1] = f"{parts[-1]}[{part}]"
            node = item
            continue
        parts.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    out: list[str] = []
    for p in parts:
        if out and ("'" in p or "'" in out[-1]):
            out.append(": " + p if "'" in out[-1] else "." + p)
        else:
            out.append(("." if out else "") + p)
    return "".join(out)
