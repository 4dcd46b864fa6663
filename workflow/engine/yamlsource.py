"""Load YAML while remembering the line of every value.

PyYAML's composed node tree knows where each node starts; we walk it once
and build ``{path: line}`` so validation errors can name ``file:line``.
Paths are tuples of mapping keys and list indices, the same shape as
pydantic's error ``loc``. libyaml's parser is used where PyYAML was built with
it (its nodes carry the same marks), about ten times faster than pure Python.
"""

from __future__ import annotations

from typing import Any

import yaml

from workflow.errors import DefinitionError
from workflow.i18n import _

Path = tuple[str | int, ...]

#: Limits that keep a hostile file (an alias bomb, a recursive anchor, a huge or
#: deeply nested document) from costing more than a bad definition should.
MAX_BYTES = 1_000_000
MAX_NODES = 50_000
MAX_DEPTH = 40


class _Budget:
    """Counts the nodes a walk visits (aliases count every time they are expanded)."""

    def __init__(self) -> None:
        self.nodes = 0


def load_with_lines(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """Parse ``text``; return the plain data and a map of path -> 1-based line.

    Raises:
        DefinitionError: the text is not well-formed YAML, or a mapping repeats a key.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DefinitionError(source, None, "", _("the file is larger than {n} bytes").format(n=MAX_BYTES))
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(
            source, mark.line + 1 if mark else None, "", _("malformed YAML: {p}").format(p=problem)
        ) from None
    if node is None:
        raise DefinitionError(source, None, "", _("the file is empty"))
    lines: dict[Path, int] = {}
    constructor = yaml.SafeLoader("")
    try:
        data = _walk(node, (), lines, source, constructor, _Budget(), ())
    finally:
        constructor.dispose()
    return data, lines


def _walk(
    node: yaml.Node,
    path: Path,
    lines: dict[Path, int],
    source: str,
    constructor: yaml.SafeLoader,
    budget: _Budget,
    stack: tuple[int, ...],
) -> Any:
    budget.nodes += 1
    line = node.start_mark.line + 1
    if id(node) in stack:
        raise DefinitionError(
            source, line, ".".join(map(str, path)), _("an anchor refers to itself (recursive alias)")
        )
    if budget.nodes > MAX_NODES:
        raise DefinitionError(
            source,
            line,
            ".".join(map(str, path)),
            _("more than {n} values after expanding aliases (an alias bomb?)").format(n=MAX_NODES),
        )
    if len(path) > MAX_DEPTH:
        raise DefinitionError(
            source,
            line,
            ".".join(map(str, path[:3])) + "…",
            _("nested deeper than {n} levels").format(n=MAX_DEPTH),
        )
    lines[path] = line
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        stack = (*stack, id(node))
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                raise DefinitionError(
                    source,
                    key_node.start_mark.line + 1,
                    ".".join(str(p) for p in (*path, key)),
                    _("duplicate key"),
                )
            out[key] = _walk(value_node, (*path, key), lines, source, constructor, budget, stack)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, (*path, i), lines, source, constructor, budget, stack)
            for i, item in enumerate(node.value)
        ]
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise DefinitionError(source, node.start_mark.line + 1, ".".join(map(str, path)), str(exc)) from None
    except ValueError:  # a timestamp-looking scalar that is no date, e.g. 2026-02-30
        raise DefinitionError(
            source,
            node.start_mark.line + 1,
            ".".join(map(str, path)),
            _("{v} is a day that does not exist").format(v=node.value),
        ) from None


def line_for(lines: dict[Path, int], loc: Path) -> int | None:
    """The line of ``loc`` or of its nearest ancestor that has one."""
    loc = tuple(loc)
    while True:
        if loc in lines:
            return lines[loc]
        if not loc:
            return None
        loc = loc[:-1]
