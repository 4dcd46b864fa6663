"""Campaign definitions: YAML files validated into frozen spec objects.

A definition describes one campaign shape: its parameters (the ``xx`` of the
plan), its ordered phases with their windows and requirements, and the exit
conditions of each phase. See ``docs/definitions.md`` for the format.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator

from workflow.engine import values
from workflow.engine.conditions import REGISTRY, Condition, RequirementFiled
from workflow.engine.values import DURATION_RE, PARAM_RE
from workflow.engine.yamlsource import line_for, load_with_lines
from workflow.errors import DefinitionError, InputError
from workflow.i18n import N_, _, pick
from workflow.mail.mailtext import check_templates
from workflow.review.scoring import ScoringSpec, VotePointsSpec

FORMAT_VERSION = 2
KEY_RE = re.compile(r"^[a-z][a-z0-9-]*$")
NOTE_PARAM_RE = re.compile(r"\$([a-z][a-z0-9-]*)")
#: The kinds a parameter can be; format 1 infers it from the default.
PARAM_KINDS = ("integer", "number", "duration", "date", "text")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Titles(_Spec):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


def _check_key(value: str) -> str:
    if not KEY_RE.match(value):
        raise ValueError(
            _("'{v}' is not a valid key (lowercase letters, digits and '-')").format(v=value)
        )
    return value


def _check_duration_or_param(value: str) -> str:
    return values.check_duration_or_param(value)


class ParameterSpec(_Spec):
    title: Titles
    default: int | float | str
    min: float | None = None
    max: float | None = None
    type: Literal["integer", "number", "duration", "date", "text"] | None = None

    @field_validator("default", mode="before")
    @classmethod
    def _default(cls, value: Any) -> Any:
        if isinstance(value, date):  # YAML reads 2026-10-01 as a date
            return value.isoformat()
        if isinstance(value, bool):
            raise ValueError(_("must be a number, a duration, a date or text"))
        return value

    @field_validator("min", "max")
    @classmethod
    def _bound(cls, value: float | None) -> float | None:
        problem = None if value is None else values.number_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def kind(self) -> str:
        """``type``, or for format 1 what the default looks like."""
        if self.type is not None:
            return self.type
        if isinstance(self.default, int):
            return "integer"
        if isinstance(self.default, float):
            return "number"
        if isinstance(self.default, str) and DURATION_RE.match(self.default) and self.default != "P":
            return "duration"
        return "text"


class WindowSpec(_Spec):
    """``offset`` from the campaign start (default: when the previous phase ends)."""

    offset: str | None = None
    length: str

    @field_validator("offset", "length")
    @classmethod
    def _v(cls, value: str | None) -> str | None:
        return None if value is None else _check_duration_or_param(value)


class RequirementSpec(_Spec):
    key: str
    title: Titles
    filer: str = "section"
    count: int | str = 1
    due: str | None = None
    exit: StrictBool = False
    only: tuple[str, ...] = ()  # format 2: roster tags of the sections it applies to
    note: Titles | None = None  # format 2: a remark; "$name" shows the campaign's parameter
    reminders: RemindersSpec | None = None  # format 2: this requirement's own reminder policy

    _k = field_validator("key")(_check_key)

    @field_validator("count")
    @classmethod
    def _count(cls, value: int | str) -> int | str:
        if isinstance(value, int):
            if value < 1:
                raise ValueError(_("must be at least 1"))
        elif not PARAM_RE.match(value):
            raise ValueError(_("must be a number or a $parameter"))
        return value

    @field_validator("due")
    @classmethod
    def _due(cls, value: str | None) -> str | None:
        return None if value is None else _check_duration_or_param(value)


class PhaseSpec(_Spec):
    key: str
    title: Titles
    window: WindowSpec
    requirements: tuple[RequirementSpec, ...] = ()
    exit_conditions: tuple[dict[str, Any], ...] = ()
    auto_advance: StrictBool = False

    _k = field_validator("key")(_check_key)


class FinalSpec(_Spec):
    key: str = "completed"
    title: Titles = Titles(zh="已完成", en="Completed")

    _k = field_validator("key")(_check_key)


class LeadingGroupSpec(_Spec):
    title: Titles = Titles(zh="领导小组", en="Leading group")
    aliases: tuple[str, ...] = ("领导小组", "leading-group")
    email: str | None = None


class BodySpec(_Spec):
    """A central filing body (format 2): files a requirement once for the whole campaign."""

    key: str
    title: Titles
    aliases: tuple[str, ...] = ()
    email: str | None = None
    leader: str | None = None  # text or $parameter (组长)
    deputy: str | None = None  # text or $parameter (副组长)

    _k = field_validator("key")(_check_key)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a clerk may type for this body: key, aliases and both titles."""
        return tuple(dict.fromkeys((self.key, *self.aliases, self.title.zh, self.title.en)))


class ChoiceSpec(_Spec):
    """One word of a closed list (an item source, an inspection kind): key, titles, aliases."""

    key: str
    title: Titles
    aliases: tuple[str, ...] = ()

    _k = field_validator("key")(_check_key)


class LabelsSpec(_Spec):
    """The campaign's own words (format 2); generic code carries none of a campaign's wording."""

    participant: Titles = Titles(zh="单位", en="office")
    commended: Titles = Titles(zh="受表彰", en="Commended")
    item_sources: tuple[ChoiceSpec, ...] = ()
    inspection_kinds: tuple[ChoiceSpec, ...] = ()


class CalendarSpec(_Spec):
    """Working days: a country's official calendar plus the campaign's own dates, which win."""

    country: str = "CN"
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()  # make-up working days (调休)


class TemplatesSpec(_Spec):
    """Mail templates (``str.format`` fields; see ``docs/reminders.md``)."""

    subject: str | None = None
    body: str | None = None
    item: str | None = None


class RemindersSpec(_Spec):
    """When reminders go out, relative to each due date (whole days)."""

    before: tuple[int, ...] = (7, 1)
    on_due: bool = True
    overdue_every: int = Field(default=2, ge=1)
    escalate_after: int | None = Field(default=3, ge=1)
    warning_days: int = Field(default=3, ge=0)
    send_at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    cc: tuple[str, ...] = ()  # campaign contacts copied on escalations
    templates: TemplatesSpec = TemplatesSpec()

    @field_validator("before")
    @classmethod
    def _before(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(v < 1 for v in value):
            raise ValueError(_("days before must be at least 1"))
        return tuple(sorted(set(value), reverse=True))


class DefinitionSpec(_Spec):
    format: StrictInt = Field(default=1, ge=1)
    key: str
    title: Titles
    timezone: str = "Asia/Shanghai"
    parameters: dict[str, ParameterSpec] = {}
    leading_group: LeadingGroupSpec | None = None
    bodies: tuple[BodySpec, ...] = ()
    phases: tuple[PhaseSpec, ...] = Field(min_length=1)
    final: FinalSpec = FinalSpec()
    scoring: ScoringSpec | None = None
    calendar: CalendarSpec = CalendarSpec()
    reminders: RemindersSpec = RemindersSpec()
    labels: LabelsSpec = LabelsSpec()
    submission: Titles | None = None  # format 2: how a participant submits, shown in reminder mail

    _k = field_validator("key")(_check_key)


class Definition:
    """A validated definition: the spec plus its parsed exit conditions.

    Frozen in practice: every attribute is computed once from the spec.
    """

    def __init__(self, spec: DefinitionSpec, source: str, text: str):
        self.spec = spec
        self.source = source
        self.text = text
        self._requirements = {r.key: r for p in spec.phases for r in p.requirements}
        self._phase_of = {r.key: p.key for p in spec.phases for r in p.requirements}
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

    def phase_of(self, requirement_key: str) -> str:
        return self._phase_of[requirement_key]

    def title_of(self, state: str) -> Titles:
        if state == self.spec.final.key:
            return self.spec.final.title
        return self.phase(state).title

    def parameters(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {k: p.default for k, p in self.spec.parameters.items()}
        values.update(overrides or {})
        return values

    def count_of(self, req: RequirementSpec, params: dict[str, Any] | Any = None) -> int:
        """Filings ``req`` needs; a ``$parameter`` count is read from the campaign's ``params``."""
        if isinstance(req.count, int):
            return req.count
        name = req.count[1:]
        value = (params or {}).get(name, self.spec.parameters[name].default)
        return int(value)

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
        return not req.only or self.is_central(req) or bool(set(tags or ()) & set(req.only))

    def policy_of(self, requirement: str) -> RemindersSpec:
        """The reminder policy of a requirement: its own, else the definition's."""
        req = self._requirements.get(requirement)
        return req.reminders if req is not None and req.reminders is not None else self.spec.reminders

    def note_of(self, req: RequirementSpec, params: dict[str, Any] | None = None) -> str:
        """The requirement's note in the user's language, its ``$name`` replaced by the value."""
        if req.note is None:
            return ""
        values_ = self.parameters(params)
        return NOTE_PARAM_RE.sub(lambda m: str(values_.get(m.group(1), m.group(0))),
                                 pick(req.note.as_dict()))

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


def _bundled_dirs() -> list[Path]:
    """Folders of the ``definitions`` data package (a namespace package, no code)."""
    spec = importlib.util.find_spec("definitions")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(p) for p in spec.submodule_search_locations if Path(p).is_dir()]


def bundled_names() -> list[str]:
    return sorted({p.stem for d in _bundled_dirs() for p in d.glob("*.yaml")})


def read_source(name_or_path: str) -> tuple[str, str]:
    """Return ``(source label, text)`` for a file path or a bundled definition name."""
    from workflow.errors import InputError

    path = Path(name_or_path)
    if path.is_file():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(_("cannot read {path}: {err}").format(path=path, err=exc)) from None
        try:
            return str(path), raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DefinitionError(
                str(path), line, "", _("not UTF-8 text; save the definition file as UTF-8")
            ) from None
    if "/" not in name_or_path and not name_or_path.endswith((".yaml", ".yml")):
        for folder in _bundled_dirs():
            candidate = folder / f"{name_or_path}.yaml"
            if candidate.is_file():
                return f"definitions/{name_or_path}.yaml", candidate.read_text("utf-8")
    raise InputError(
        _("no definition file '{name}' (bundled: {names})").format(
            name=name_or_path, names=", ".join(bundled_names())
        )
    )


def load(name_or_path: str) -> Definition:
    source, text = read_source(name_or_path)
    return parse(text, source)


def parse(text: str, source: str = "<definition>") -> Definition:
    """Validate definition ``text``; raise :class:`DefinitionError` naming file:line: field."""
    data, lines = load_with_lines(text, source)
    if not isinstance(data, dict):
        raise DefinitionError(source, 1, "", _("expected a mapping at the top level"))
    try:
        spec = DefinitionSpec.model_validate(data)
    except ValidationError as exc:
        loc, msg = validation_problem(exc, data)
        raise DefinitionError(source, line_for(lines, loc), _field_label(data, loc), msg) from None
    return _check_semantics(spec, data, lines, source, text)


#: pydantic's error types as a sentence in the user's language (``ctx`` fills the fields).
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
UNION_MEMBERS = {"int": N_("a number"), "float": N_("a number"), "str": N_("text"),
                 "bool": N_("true or false")}


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
        members = [e["loc"][-1] for e in errors if tuple(e["loc"][:-1]) == field
                   and len(e["loc"]) == len(loc) and e["loc"][-1] in UNION_MEMBERS]
        words = list(dict.fromkeys(_(UNION_MEMBERS[m]) for m in members))
        kinds = words[0] if len(words) == 1 else _("{some} or {last}").format(
            some=_(", ").join(words[:-1]), last=words[-1])
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
            v.strip() for v in re.split(r",| or ", str(ctx["expected"])) if v.strip())
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


def _field_label(data: Any, loc: tuple[Any, ...]) -> str:
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


def _check_semantics(
    spec: DefinitionSpec, data: dict[str, Any], lines: dict[Any, int], source: str, text: str
) -> Definition:
    def fail(loc: tuple[Any, ...], field: str, problem: str) -> DefinitionError:
        return DefinitionError(source, line_for(lines, loc), field, problem)

    if spec.format > FORMAT_VERSION:
        raise fail(("format",), "format", _("format {n} is newer than this manyi").format(n=spec.format))

    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(spec.timezone)
    except Exception:
        raise fail(("timezone",), "timezone", _("unknown time zone")) from None

    _check_format_2(spec, data, fail)
    for key, param in spec.parameters.items():
        _check_param_key(key, fail)
        _check_parameter(key, param, fail)
    _check_bodies(spec, fail)
    try:
        from workflow.calendar.workdays import WorkCalendar

        WorkCalendar(spec.calendar.country).is_working_day(date(2000, 1, 3))
    except NotImplementedError:
        raise fail(("calendar", "country"), "calendar.country",
                   _("unknown country code for the holiday calendar")) from None

    seen_phase: dict[str, int] = {}
    seen_req: dict[str, str] = {}
    bodies = [b.key for b in bodies_of(spec)]
    for i, phase in enumerate(spec.phases):
        if phase.key in seen_phase or phase.key == spec.final.key:
            raise fail(("phases", i, "key"), f"phase '{phase.key}'", _("duplicate phase key"))
        seen_phase[phase.key] = i
        for j, req in enumerate(phase.requirements):
            if req.key in seen_req:
                raise fail(
                    ("phases", i, "requirements", j, "key"),
                    f"phase '{phase.key}'",
                    _("requirement '{r}' is already defined in phase '{p}'").format(
                        r=req.key, p=seen_req[req.key]
                    ),
                )
            seen_req[req.key] = phase.key
            where = f"phase '{phase.key}': requirement '{req.key}'"
            rloc = ("phases", i, "requirements", j)
            _check_param_ref(spec, req.count, (*rloc, "count"), f"{where}: count", fail,
                             kinds=("integer",), at_least=1)
            _check_param_ref(spec, req.due, (*rloc, "due"), f"{where}: due", fail,
                             kinds=("duration",))
            if req.filer != "section" and req.filer not in bodies:
                raise fail((*rloc, "filer"), f"{where}: filer", _(
                    "unknown filer '{f}'; known: {k}").format(f=req.filer, k=", ".join(
                        ["section", *bodies])))
            for lang in ("zh", "en"):
                for name in NOTE_PARAM_RE.findall(getattr(req.note, lang) if req.note else ""):
                    if name not in spec.parameters:
                        raise fail((*rloc, "note", lang), f"{where}: note.{lang}",
                                   _("unknown parameter '{p}'").format(p=name))
            if req.reminders is not None and req.reminders.templates != TemplatesSpec():
                raise fail((*rloc, "reminders", "templates"), f"{where}: reminders.templates",
                           _("mail templates are set for the whole definition, not per requirement"))
            if req.only:  # the roster carries no tags yet: refuse rather than apply to nobody
                raise fail((*rloc, "only"), f"{where}: only", _(
                    "applicability by roster tag is not supported by this manyi yet"))
        for fld in ("offset", "length"):
            _check_param_ref(spec, getattr(phase.window, fld), ("phases", i, "window", fld),
                             f"phase '{phase.key}': window.{fld}", fail, kinds=("duration",))

    if spec.scoring is not None:
        _check_scoring(spec, spec.scoring, fail)
    t = spec.reminders.templates
    bad = check_templates({"subject": t.subject, "body": t.body, "item": t.item})
    if bad is not None:
        raise fail(("reminders", "templates", bad[0]), f"reminders.templates.{bad[0]}", bad[1])

    definition = Definition(spec, source, text)
    for i, phase in enumerate(spec.phases):
        conds: list[Condition] = [
            RequirementFiled(requirement=r.key) for r in phase.requirements if r.exit
        ]
        for j, raw in enumerate(phase.exit_conditions):
            loc = ("phases", i, "exit_conditions", j)
            where = f"phase '{phase.key}'"
            kind = raw.get("type")
            cls = REGISTRY.get(str(kind))
            if cls is None:
                raise fail((*loc, "type"), where, _("unknown condition type '{t}'; known: {k}").format(
                    t=kind, k=", ".join(sorted(REGISTRY))))
            params = {k: v for k, v in raw.items() if k != "type"}
            try:
                cond = cls.model_validate(params)
            except ValidationError as exc:
                err_loc, problem = validation_problem(exc, params)
                field = ".".join(map(str, err_loc))
                raise fail((*loc, *err_loc), f"{where}: {field}" if field else where,
                           problem) from None
            for ref in cond.referenced_requirements():
                if ref not in seen_req:
                    raise fail((*loc, "requirement"), where,
                               _("unknown requirement '{r}'").format(r=ref))
            for fld, value in cond.referenced_parameters():
                kinds = {"date": ("date",), "offset": ("duration",)}.get(fld, ("integer", "number"))
                _check_param_ref(spec, value, (*loc, fld), f"{where}: {fld}", fail, kinds=kinds)
            if cond.only:
                raise fail((*loc, "only"), f"{where}: only", _(
                    "applicability by roster tag is not supported by this manyi yet"))
            bad = cond.validate_in(definition, phase.key)
            if bad is not None:
                raise fail((*loc, bad[0]), f"{where}: {bad[0]}", bad[1])
            if cond not in conds:
                conds.append(cond)
        definition.exit_conditions[phase.key] = tuple(conds)
    return definition


def _check_scoring(spec: DefinitionSpec, scoring: ScoringSpec, fail: Any) -> None:
    for loc, value in scoring.parameter_refs():
        where = "scoring." + ".".join(map(str, loc))
        if value is None:
            continue
        problem = values.check_number_or_param(value)
        if problem:
            raise fail(("scoring", *loc), where, problem)
        _check_param_ref(spec, value, ("scoring", *loc), where, fail, kinds=("integer", "number"))
    if not isinstance(scoring.votes, VotePointsSpec):
        keys = [lv.key for lv in scoring.votes.levels] + [scoring.votes.unknown.key]
        names: dict[str, str] = {}
        for i, lv in enumerate(scoring.votes.levels):
            for n in (lv.key, *lv.aliases, lv.title.zh, lv.title.en):
                if names.setdefault(n.lower(), lv.key) != lv.key:
                    raise fail(("scoring", "votes", "levels", i), f"scoring.votes.levels[{i}]",
                               _("name '{n}' is also used by vote '{k}'").format(n=n, k=names[n.lower()]))
        if len(set(keys)) != len(keys):
            raise fail(("scoring", "votes"), "scoring.votes", _("duplicate vote key"))
    tiers = [t.key for t in scoring.tiers]
    if scoring.commend is not None and scoring.commend.tier not in (None, "any", *tiers):
        raise fail(("scoring", "commend", "tier"), "scoring.commend.tier", _(
            "unknown tier '{t}'; known: {k}").format(t=scoring.commend.tier, k=", ".join(["any", *tiers])))
    if len(set(tiers)) != len(tiers):
        raise fail(("scoring", "tiers"), "scoring.tiers", _("duplicate tier key"))
    seen: set[str] = set()
    for i, g in enumerate(scoring.groups):
        if g.key in seen:
            raise fail(("scoring", "groups", i, "key"), f"scoring.groups[{i}]",
                       _("duplicate group key '{k}'").format(k=g.key))
        seen.add(g.key)


def _check_param_key(key: str, fail: Any) -> None:
    if not KEY_RE.match(key):
        raise fail(("parameters", key), f"parameters.{key}", _("not a valid key"))


def _check_param_ref(spec: DefinitionSpec, value: Any, loc: tuple[Any, ...], where: str,
                     fail: Any, kinds: tuple[str, ...] = (), at_least: float | None = None) -> None:
    """A ``$parameter`` used here exists and is of a kind this place takes."""
    if not (isinstance(value, str) and (m := PARAM_RE.match(value))):
        return
    name = m.group(1)
    param = spec.parameters.get(name)
    if param is None:
        raise fail(loc, where, _("unknown parameter '{p}'").format(p=name))
    if kinds and param.kind not in kinds:
        raise fail(loc, where, _("parameter '{p}' is {kind}, this needs {need}").format(
            p=name, kind=_(KIND_WORDS[param.kind]),
            need=_(" or ").join(_(KIND_WORDS[k]) for k in kinds)))
    if at_least is not None and (param.min is None or param.min < at_least) and isinstance(
            param.default, int | float) and param.default < at_least:
        raise fail(("parameters", name, "default"), f"parameters.{name}.default",
                   _("must be at least {n}").format(n=values.bound(at_least, "")))


#: A parameter's kind as a word.
KIND_WORDS = {"integer": N_("a whole number"), "number": N_("a number"),
              "duration": N_("a duration"), "date": N_("a date"), "text": N_("text")}
#: Keys that only a format-2 definition may use, by where they sit.
FORMAT_2_KEYS = {(): ("bodies", "labels", "submission"),
                 ("requirements",): ("only", "every", "dates", "reminders", "note"),
                 ("parameters",): ("type",)}


def _check_format_2(spec: DefinitionSpec, data: dict[str, Any], fail: Any) -> None:
    """Format 1 files stay format 1: a format-2 key in one is named, not silently taken."""
    if spec.format >= 2:
        return
    hits: list[tuple[Any, ...]] = [(k,) for k in FORMAT_2_KEYS[()] if k in data]
    for name, param in (data.get("parameters") or {}).items():
        if isinstance(param, dict) and "type" in param:
            hits.append(("parameters", name, "type"))
    for i, phase in enumerate(data.get("phases") or ()):
        for j, req in enumerate((phase or {}).get("requirements") or () if isinstance(phase, dict) else ()):
            for k in FORMAT_2_KEYS[("requirements",)]:
                if isinstance(req, dict) and k in req:
                    hits.append(("phases", i, "requirements", j, k))
    if hits:
        loc = hits[0]
        raise fail(loc, ".".join(map(str, loc)), _("needs format: 2 (this file says format: 1)"))


def _check_parameter(key: str, param: ParameterSpec, fail: Any) -> None:
    """min ≤ max, and the default is a valid value of the parameter's own kind and bounds."""
    where = f"parameters.{key}"
    if param.min is not None and param.max is not None and param.min > param.max:
        raise fail(("parameters", key, "min"), f"{where}.min", _("min {lo} is greater than max {hi}").format(
            lo=values.bound(param.min, ""), hi=values.bound(param.max, "")))
    kind = param.kind
    default = param.default
    try:
        if kind in ("integer", "number"):
            if isinstance(default, str) or kind == "integer" and not isinstance(default, int):
                raise InputError(_("must be {kind}").format(kind=_(KIND_WORDS[kind])))
            problem = values.number_problem(default)
            if problem:
                raise InputError(problem)
            values.check_range(default, _("default"), param.min, param.max)
        elif kind == "duration":
            values.parse_duration(str(default), _("default"))
        elif kind == "date":
            values.parse_date(str(default), _("default"))
        elif not isinstance(default, str):
            raise InputError(_("must be text"))
    except InputError as exc:
        raise fail(("parameters", key, "default"), f"{where}.default", str(exc)) from None
    if kind in ("duration", "date", "text") and (param.min is not None or param.max is not None):
        raise fail(("parameters", key, "min"), f"{where}.min", _("only numbers have bounds"))


def _check_bodies(spec: DefinitionSpec, fail: Any) -> None:
    """Body keys and every name (key, alias, title) unique; e-mail parameters exist."""
    index = {b.key: ("bodies", i) for i, b in enumerate(spec.bodies)}
    seen: dict[str, str] = {}
    keys: set[str] = set()
    for body in bodies_of(spec):
        loc: tuple[Any, ...] = index.get(body.key, ("leading_group",))
        if body.key in keys:
            raise fail(loc, f"bodies.{body.key}", _("duplicate body key '{k}'").format(k=body.key))
        keys.add(body.key)
        for name in body.names:
            if name in seen and seen[name] != body.key:
                raise fail(loc, f"bodies.{body.key}", _("name '{n}' is also used by body '{b}'").format(
                    n=name, b=seen[name]))
            seen[name] = body.key
        for fld in ("email", "leader", "deputy"):
            _check_param_ref(spec, getattr(body, fld), (*loc, fld), f"bodies.{body.key}.{fld}", fail,
                             kinds=("text",))
