"""A validated campaign definition and its queries.

A definition describes one campaign shape: its parameters (the ``xx`` of the
plan), its ordered phases with their windows and requirements, and the exit
conditions of each phase. The format is :mod:`workflow.engine.spec`; text becomes
a :class:`Definition` in :mod:`workflow.engine.validate`, and a file or bundled name
becomes text in :mod:`workflow.adapters.definition_files`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from workflow.engine import text, values
from workflow.engine.conditions import Condition
from workflow.engine.spec import (
    NOTE_PARAM_RE,
    BodySpec,
    DefinitionSpec,
    LeadingGroupSpec,
    ParameterSpec,
    PhaseSpec,
    RemindersSpec,
    RequirementSpec,
)
from workflow.engine.specbase import Titles
from workflow.errors import InputError
from workflow.i18n import _, pick

#: Between a recurring requirement's key and an occurrence's number: ``progress-report@2``.
OCCURRENCE_SEP = "@"


def occurrence_key(requirement: str, i: int) -> str:
    return f"{requirement}{OCCURRENCE_SEP}{i}"


def split_occurrence(key: str) -> tuple[str, int | None]:
    """``("progress-report", 2)`` for ``progress-report@2``; ``(key, None)`` for a plain key."""
    base, sep, n = key.partition(OCCURRENCE_SEP)
    return (base, int(n)) if sep and n.isdigit() else (key, None)


class Definition:
    """A validated definition: the spec plus its parsed exit conditions.

    Frozen in practice: every attribute is computed once from the spec.
    """

    def __init__(self, spec: DefinitionSpec, source: str, text: str):
        self.spec = spec
        self.source = source
        self.text = text
        self._requirements = {r.key: r for p in spec.phases for r in p.requirements}
        self.exit_conditions: dict[str, tuple[Condition, ...]] = {}
        self.bodies: dict[str, BodySpec] = {b.key: b for b in bodies_of(spec)}

    # -- lookups -----------------------------------------------------------
    @property
    def key(self) -> str:
        return self.spec.key

    @cached_property
    def states(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.spec.phases) + (self.spec.final.key,)

    @cached_property
    def phases(self) -> dict[str, PhaseSpec]:
        return {p.key: p for p in self.spec.phases}

    def phase(self, key: str) -> PhaseSpec:
        """The phase with this key, or Chinese or English title."""
        try:
            return self.phases[key]
        except KeyError:
            from workflow.engine import lookup

            return self.phases[lookup.resolve(key, "phase", lookup.phase_entries(self, final=False))]

    def state_key(self, name: str) -> str:
        """A phase or the final state by key or title (``学习动员阶段``, ``completed``)."""
        from workflow.engine import lookup

        return lookup.resolve(name, "phase", lookup.phase_entries(self))

    def requirement(self, key: str) -> RequirementSpec:
        """The requirement with this key, or Chinese or English title (``学习方案``)."""
        try:
            return self._requirements[key]
        except KeyError:
            from workflow.engine import lookup

            return self._requirements[lookup.resolve(key, "requirement", lookup.requirement_entries(self))]

    @property
    def requirements(self) -> dict[str, RequirementSpec]:
        return self._requirements

    def title_of(self, state: str) -> Titles:
        if state == self.spec.final.key:
            return self.spec.final.title
        return self.phase(state).title

    def parameters(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {k: p.default for k, p in self.spec.parameters.items()}
        values.update(overrides or {})
        return values

    def count_of(self, req: RequirementSpec, params: dict[str, Any] | Any = None) -> int:
        """Filings ``req`` needs; a ``$parameter`` count is read from the campaign's ``params``.

        A recurring requirement needs one filing per occurrence.
        """
        if req.dates is not None:
            return len(req.dates)
        count = req.times if req.every is not None else req.count
        if isinstance(count, int):
            return count
        assert count is not None  # validated: every comes with times
        name = count[1:]
        value = (params or {}).get(name, self.spec.parameters[name].default)
        return int(value)

    def occurrences(self, req: RequirementSpec, params: dict[str, Any] | Any = None) -> list[str]:
        """The deadline keys of a recurring requirement's occurrences (``key@1``, ``key@2``, …);
        ``[key]`` for one that does not recur."""
        if not req.recurring:
            return [req.key]
        return [occurrence_key(req.key, i) for i in range(1, self.count_of(req, params) + 1)]

    def needed_by(self, deadline_key: str, params: dict[str, Any] | Any = None) -> int:
        """Filings that meet a deadline: occurrence ``i`` of a recurring requirement needs ``i``."""
        key, i = split_occurrence(deadline_key)
        return i if i is not None else self.count_of(self.requirement(key), params)

    @cached_property
    def needs(self) -> frozenset[str]:
        """The facts the exit conditions read (the use cases load only these)."""
        return frozenset(n for conds in self.exit_conditions.values() for c in conds for n in c.needs)

    # -- central bodies and applicability -------------------------------------
    def is_central(self, req: RequirementSpec) -> bool:
        """Whether a central body files ``req`` once for the campaign (not each section)."""
        return req.filer != "section"

    def body_of(self, req: RequirementSpec) -> BodySpec:
        return self.bodies[req.filer]

    def body_named(self, name: str) -> BodySpec | None:
        """The central body a clerk means by ``name`` (key, alias or title), if any."""
        for body in self.bodies.values():
            if name in body.names:
                return body
        return None

    def body_label(self, body: BodySpec) -> str:
        """How a body is named as OFFICE in history and reports: its first alias, else its key."""
        return body.aliases[0] if body.aliases else body.key

    def applies(self, req: RequirementSpec, tags: frozenset[str] | set[str] | None) -> bool:
        """Whether ``req`` applies to a section carrying ``tags`` (central ones always do)."""
        return self.is_central(req) or text.tagged(req.only, tags)

    @cached_property
    def uses_tags(self) -> bool:
        """Whether any requirement or exit condition applies only to sections with some tag."""
        return any(r.only for r in self._requirements.values()) or any(
            c.only for conds in self.exit_conditions.values() for c in conds
        )

    def policy_of(self, requirement: str) -> RemindersSpec:
        """The reminder policy of a requirement: its own, else the definition's."""
        req = self._requirements.get(split_occurrence(requirement)[0])
        return req.reminders if req is not None and req.reminders is not None else self.spec.reminders

    def note_of(self, req: RequirementSpec, params: dict[str, Any] | None = None) -> str:
        """The requirement's note in the user's language, its ``$name`` replaced by the value."""
        if req.note is None:
            return ""
        values_ = self.parameters(params)
        return NOTE_PARAM_RE.sub(lambda m: str(values_.get(m.group(1), m.group(0))), pick(req.note.as_dict()))

    def filer_title(self, req: RequirementSpec) -> str:
        if self.is_central(req):
            return pick(self.body_of(req).title.as_dict())
        return _("each {noun}").format(noun=self.noun())

    def noun(self) -> str:
        """The word for a participant (科室 / 部门 / 单位), from the definition's labels."""
        return pick(self.spec.labels.participant.as_dict())

    def coerce_parameter(self, key: str, raw: str) -> Any:
        """Turn a ``--set KEY=VALUE`` string into the parameter's kind, with the definition's rules."""
        if key not in self.spec.parameters:
            raise InputError(
                _("unknown parameter '{key}'; known: {keys}").format(
                    key=key, keys=", ".join(self.spec.parameters) or "-"
                )
            )
        return parameter_value(self.spec.parameters[key], raw, _("parameter '{key}'").format(key=key))


def parameter_value(spec: ParameterSpec, raw: str, what: str) -> Any:
    """``raw`` (text from ``--set``) as a value of ``spec``'s kind, or :class:`InputError`."""
    kind = spec.kind
    if kind in ("integer", "number"):
        return values.parse_number(raw, what, integer=kind == "integer", lo=spec.min, hi=spec.max)
    if kind == "duration":
        values.parse_duration(raw, what)
        return raw.strip()
    if kind == "date":
        return values.parse_date(raw, what).isoformat()
    return raw


def bodies_of(spec: DefinitionSpec) -> tuple[BodySpec, ...]:
    """The central bodies: format 1's ``leading_group`` is the body ``leading-group``."""
    out = list(spec.bodies)
    if spec.leading_group is not None or not out:
        lg = spec.leading_group or LeadingGroupSpec()
        out.insert(0, BodySpec(key="leading-group", title=lg.title, aliases=lg.aliases, email=lg.email))
    return tuple(out)
