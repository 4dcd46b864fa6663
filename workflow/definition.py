"""Campaign definitions: YAML files validated into frozen spec objects.

A definition describes one campaign shape: its parameters (the ``xx`` of the
plan), its ordered phases with their windows and requirements, and the exit
conditions of each phase. See ``docs/definitions.md`` for the format.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cached_property
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workflow.conditions import REGISTRY, Condition, RequirementFiled
from workflow.errors import DefinitionError, NotFoundError
from workflow.i18n import N_, _
from workflow.mailtext import check_templates
from workflow.scoring import ScoringSpec
from workflow.yamlsource import line_for, load_with_lines

FORMAT_VERSION = 1
KEY_RE = re.compile(r"^[a-z][a-z0-9-]*$")
DURATION_RE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
PARAM_RE = re.compile(r"^\$([a-z][a-z0-9-]*)$")


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
    if not (DURATION_RE.match(value) and value != "P") and not PARAM_RE.match(value):
        raise ValueError(
            _("'{v}' is not a duration like P1M, P2W, P10D or a $parameter").format(v=value)
        )
    return value


class ParameterSpec(_Spec):
    title: Titles
    default: int | float | str
    min: float | None = None
    max: float | None = None


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
    filer: Literal["section", "leading-group"] = "section"
    count: int | str = 1
    due: str | None = None
    exit: bool = False

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
    auto_advance: bool = False

    _k = field_validator("key")(_check_key)


class FinalSpec(_Spec):
    key: str = "completed"
    title: Titles = Titles(zh="已完成", en="Completed")

    _k = field_validator("key")(_check_key)


class LeadingGroupSpec(_Spec):
    title: Titles = Titles(zh="领导小组", en="Leading group")
    aliases: tuple[str, ...] = ("领导小组", "leading-group")
    email: str | None = None


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
    format: int = FORMAT_VERSION
    key: str
    title: Titles
    timezone: str = "Asia/Shanghai"
    parameters: dict[str, ParameterSpec] = {}
    leading_group: LeadingGroupSpec = LeadingGroupSpec()
    phases: tuple[PhaseSpec, ...] = Field(min_length=1)
    final: FinalSpec = FinalSpec()
    scoring: ScoringSpec | None = None
    calendar: CalendarSpec = CalendarSpec()
    reminders: RemindersSpec = RemindersSpec()

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
        try:
            return self.phases[key]
        except KeyError:
            raise NotFoundError("phase", key) from None

    def requirement(self, key: str) -> RequirementSpec:
        try:
            return self._requirements[key]
        except KeyError:
            raise NotFoundError(
                "requirement", key, _("known: {keys}").format(keys=", ".join(self._requirements))
            ) from None

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

    def count_of(self, req: RequirementSpec, params: dict[str, Any] | None = None) -> int:
        if isinstance(req.count, int):
            return req.count
        name = req.count[1:]
        value = (params or {}).get(name, self.spec.parameters[name].default)
        return int(value)

    def coerce_parameter(self, key: str, raw: str) -> Any:
        """Turn a ``--set KEY=VALUE`` string into the parameter's type, checking bounds."""
        from workflow.errors import InputError

        if key not in self.spec.parameters:
            raise InputError(
                _("unknown parameter '{key}'; known: {keys}").format(
                    key=key, keys=", ".join(self.spec.parameters) or "-"
                )
            )
        spec = self.spec.parameters[key]
        try:
            if isinstance(spec.default, bool) or isinstance(spec.default, str):
                value: Any = raw
            elif isinstance(spec.default, int):
                value = int(raw)
            else:
                value = float(raw)
        except ValueError:
            raise InputError(
                _("parameter '{key}': '{raw}' is not a number").format(key=key, raw=raw)
            ) from None
        if isinstance(spec.default, str) and spec.default and (
            DURATION_RE.match(spec.default) and not DURATION_RE.match(raw)
        ):
            raise InputError(
                _("parameter '{key}': '{raw}' is not a duration like P1M").format(key=key, raw=raw)
            )
        if spec.min is not None and value < spec.min or spec.max is not None and value > spec.max:
            raise InputError(
                _("parameter '{key}': {raw} is outside {lo}..{hi}").format(
                    key=key, raw=raw, lo=_num(spec.min, "-∞"), hi=_num(spec.max, "∞")
                )
            )
        return value


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

    for key in spec.parameters:
        _check_param_key(key, fail)
    _check_param_ref(spec, spec.leading_group.email, ("leading_group", "email"),
                     "leading_group.email", fail)
    try:
        from workflow.workdays import WorkCalendar

        WorkCalendar(spec.calendar.country).is_working_day(date(2000, 1, 3))
    except NotImplementedError:
        raise fail(("calendar", "country"), "calendar.country",
                   _("unknown country code for the holiday calendar")) from None

    seen_phase: dict[str, int] = {}
    seen_req: dict[str, str] = {}
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
            for fld in ("count", "due"):
                _check_param_ref(spec, getattr(req, fld), ("phases", i, "requirements", j, fld),
                                 f"phase '{phase.key}': requirement '{req.key}': {fld}", fail)
        for fld in ("offset", "length"):
            _check_param_ref(spec, getattr(phase.window, fld), ("phases", i, "window", fld),
                             f"phase '{phase.key}': window.{fld}", fail)

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
            if cond not in conds:
                conds.append(cond)
        definition.exit_conditions[phase.key] = tuple(conds)
    return definition


def _check_scoring(spec: DefinitionSpec, scoring: ScoringSpec, fail: Any) -> None:
    for loc, value in scoring.parameter_refs():
        if isinstance(value, str) and not PARAM_RE.match(value):
            raise fail(("scoring", *loc), "scoring." + ".".join(map(str, loc)),
                       _("must be a number or a $parameter"))
        _check_param_ref(spec, value, ("scoring", *loc), "scoring." + ".".join(map(str, loc)), fail)
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
                     fail: Any) -> None:
    if isinstance(value, str) and (m := PARAM_RE.match(value)):
        if m.group(1) not in spec.parameters:
            raise fail(loc, where, _("unknown parameter '{p}'").format(p=m.group(1)))


def _num(value: float | None, missing: str) -> str:
    """A bound as a person writes it: 1 not 1.0, ∞ where there is none."""
    if value is None:
        return missing
    return f"{value:g}"
