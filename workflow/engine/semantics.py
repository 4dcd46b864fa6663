"""What a definition means, checked after its shape: keys that refer to each other exist,
guards fit their phases, scoring adds up, recurrences and parameters are well-formed, format-2
keys are not used by a format-1 file. Each problem is one ``file:line: field`` error.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError

from workflow.engine import text, values
from workflow.engine.conditions import REGISTRY, Condition, RequirementFiled
from workflow.engine.definition import Definition, bodies_of
from workflow.engine.problems import validation_problem
from workflow.engine.spec import (
    FORMAT_VERSION,
    KEY_RE,
    NOTE_PARAM_RE,
    DefinitionSpec,
    ParameterSpec,
    TemplatesSpec,
)
from workflow.engine.values import PARAM_RE
from workflow.engine.yamlsource import line_for
from workflow.errors import DefinitionError, InputError
from workflow.i18n import N_, _
from workflow.mail.mailtext import check_templates
from workflow.review.scoring_rules import ScoringSpec, VotePointsSpec


def check_semantics(
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
        raise fail(
            ("calendar", "country"), "calendar.country", _("unknown country code for the holiday calendar")
        ) from None

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
            _check_param_ref(
                spec, req.count, (*rloc, "count"), f"{where}: count", fail, kinds=("integer",), at_least=1
            )
            _check_param_ref(spec, req.due, (*rloc, "due"), f"{where}: due", fail, kinds=("duration",))
            if req.filer != "section" and req.filer not in bodies:
                raise fail(
                    (*rloc, "filer"),
                    f"{where}: filer",
                    _("unknown filer '{f}'; known: {k}").format(
                        f=req.filer, k=", ".join(["section", *bodies])
                    ),
                )
            for lang in ("zh", "en"):
                for name in NOTE_PARAM_RE.findall(getattr(req.note, lang) if req.note else ""):
                    if name not in spec.parameters:
                        raise fail(
                            (*rloc, "note", lang),
                            f"{where}: note.{lang}",
                            _("unknown parameter '{p}'").format(p=name),
                        )
            if req.reminders is not None and req.reminders.templates != TemplatesSpec():
                raise fail(
                    (*rloc, "reminders", "templates"),
                    f"{where}: reminders.templates",
                    _("mail templates are set for the whole definition, not per requirement"),
                )
            if req.only:
                if req.filer != "section":
                    raise fail(
                        (*rloc, "only"),
                        f"{where}: only",
                        _("a central body files this once for all; only is for office requirements"),
                    )
                _check_tags(req.only, (*rloc, "only"), f"{where}: only", fail)
            _check_recurrence(spec, req, rloc, where, fail)
        for fld in ("offset", "length"):
            _check_param_ref(
                spec,
                getattr(phase.window, fld),
                ("phases", i, "window", fld),
                f"phase '{phase.key}': window.{fld}",
                fail,
                kinds=("duration",),
            )

    if spec.scoring is not None:
        _check_scoring(spec, spec.scoring, fail)
    t = spec.reminders.templates
    bad = check_templates({"subject": t.subject, "body": t.body, "item": t.item})
    if bad is not None:
        raise fail(("reminders", "templates", bad[0]), f"reminders.templates.{bad[0]}", bad[1])

    definition = Definition(spec, source, text)
    for i, phase in enumerate(spec.phases):
        conds: list[Condition] = [RequirementFiled(requirement=r.key) for r in phase.requirements if r.exit]
        for j, raw in enumerate(phase.exit_conditions):
            loc = ("phases", i, "exit_conditions", j)
            where = f"phase '{phase.key}'"
            kind = raw.get("type")
            cls = REGISTRY.get(str(kind))
            if cls is None:
                raise fail(
                    (*loc, "type"),
                    where,
                    _("unknown condition type '{t}'; known: {k}").format(
                        t=kind, k=", ".join(sorted(REGISTRY))
                    ),
                )
            params = {k: v for k, v in raw.items() if k != "type"}
            try:
                cond = cls.model_validate(params)
            except ValidationError as exc:
                err_loc, problem = validation_problem(exc, params)
                field = ".".join(map(str, err_loc))
                raise fail((*loc, *err_loc), f"{where}: {field}" if field else where, problem) from None
            for ref in cond.referenced_requirements():
                if ref not in seen_req:
                    raise fail((*loc, "requirement"), where, _("unknown requirement '{r}'").format(r=ref))
            for fld, value in cond.referenced_parameters():
                kinds = {"date": ("date",), "offset": ("duration",)}.get(fld, ("integer", "number"))
                _check_param_ref(spec, value, (*loc, fld), f"{where}: {fld}", fail, kinds=kinds)
            if cond.only:
                _check_tags(cond.only, (*loc, "only"), f"{where}: only", fail)
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
                    raise fail(
                        ("scoring", "votes", "levels", i),
                        f"scoring.votes.levels[{i}]",
                        _("name '{n}' is also used by vote '{k}'").format(n=n, k=names[n.lower()]),
                    )
        if len(set(keys)) != len(keys):
            raise fail(("scoring", "votes"), "scoring.votes", _("duplicate vote key"))
    tiers = [t.key for t in scoring.tiers]
    if scoring.commend is not None and scoring.commend.tier not in (None, "any", *tiers):
        raise fail(
            ("scoring", "commend", "tier"),
            "scoring.commend.tier",
            _("unknown tier '{t}'; known: {k}").format(t=scoring.commend.tier, k=", ".join(["any", *tiers])),
        )
    if len(set(tiers)) != len(tiers):
        raise fail(("scoring", "tiers"), "scoring.tiers", _("duplicate tier key"))
    seen: set[str] = set()
    for i, g in enumerate(scoring.groups):
        if g.key in seen:
            raise fail(
                ("scoring", "groups", i, "key"),
                f"scoring.groups[{i}]",
                _("duplicate group key '{k}'").format(k=g.key),
            )
        seen.add(g.key)


def _check_param_key(key: str, fail: Any) -> None:
    if not KEY_RE.match(key):
        raise fail(("parameters", key), f"parameters.{key}", _("not a valid key"))


def _check_recurrence(spec: DefinitionSpec, req: Any, rloc: tuple[Any, ...], where: str, fail: Any) -> None:
    """``every`` with ``times``, or ``dates``; never both, never with a ``count`` or a ``due``."""
    if req.every is not None and req.dates is not None:
        raise fail(
            (*rloc, "dates"), f"{where}: dates", _("give either every (with times) or dates, not both")
        )
    if req.times is not None and req.every is None:
        raise fail((*rloc, "times"), f"{where}: times", _("times is for a requirement that recurs every …"))
    if not req.recurring:
        return
    if req.every is not None and req.times is None:
        raise fail((*rloc, "times"), f"{where}: times", _("say how many times it recurs: times: N"))
    if req.count != 1:
        raise fail(
            (*rloc, "count"),
            f"{where}: count",
            _("a recurring requirement is filed once per occurrence; leave count out"),
        )
    if req.due is not None:
        raise fail(
            (*rloc, "due"),
            f"{where}: due",
            _("a recurring requirement's due dates come from every or dates; leave due out"),
        )
    _check_param_ref(spec, req.every, (*rloc, "every"), f"{where}: every", fail, kinds=("duration",))
    _check_param_ref(
        spec, req.times, (*rloc, "times"), f"{where}: times", fail, kinds=("integer",), at_least=1
    )
    for k, item in enumerate(req.dates or ()):
        _check_param_ref(spec, item, (*rloc, "dates", k), f"{where}: dates", fail, kinds=("date", "duration"))


def _check_tags(tags: tuple[str, ...], loc: tuple[Any, ...], where: str, fail: Any) -> None:
    """Tags as a roster cell would give them: not blank, clean, no separator inside."""
    for tag in tags:
        if not tag.strip() or text.TAG_SEPARATORS.search(tag) or text.first_bad(tag) is not None:
            raise fail(
                loc,
                where,
                _("'{t}' cannot be a roster tag (blank, a separator ; , 、 | or a control character)").format(
                    t=text.inert(tag, one_line=True)
                ),
            )


def _check_param_ref(
    spec: DefinitionSpec,
    value: Any,
    loc: tuple[Any, ...],
    where: str,
    fail: Any,
    kinds: tuple[str, ...] = (),
    at_least: float | None = None,
) -> None:
    """A ``$parameter`` used here exists and is of a kind this place takes."""
    if not (isinstance(value, str) and (m := PARAM_RE.match(value))):
        return
    name = m.group(1)
    param = spec.parameters.get(name)
    if param is None:
        raise fail(loc, where, _("unknown parameter '{p}'").format(p=name))
    if kinds and param.kind not in kinds:
        raise fail(
            loc,
            where,
            _("parameter '{p}' is {kind}, this needs {need}").format(
                p=name, kind=_(KIND_WORDS[param.kind]), need=_(" or ").join(_(KIND_WORDS[k]) for k in kinds)
            ),
        )
    if (
        at_least is not None
        and (param.min is None or param.min < at_least)
        and isinstance(param.default, int | float)
        and param.default < at_least
    ):
        raise fail(
            ("parameters", name, "default"),
            f"parameters.{name}.default",
            _("must be at least {n}").format(n=values.bound(at_least, "")),
        )


#: A parameter's kind as a word.
KIND_WORDS = {
    "integer": N_("a whole number"),
    "number": N_("a number"),
    "duration": N_("a duration"),
    "date": N_("a date"),
    "text": N_("text"),
}

#: Keys that only a format-2 definition may use, by where they sit.
FORMAT_2_KEYS = {
    (): ("bodies", "labels", "submission"),
    ("requirements",): ("only", "every", "times", "dates", "reminders", "note"),
    ("parameters",): ("type",),
}


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
        raise fail(
            ("parameters", key, "min"),
            f"{where}.min",
            _("min {lo} is greater than max {hi}").format(
                lo=values.bound(param.min, ""), hi=values.bound(param.max, "")
            ),
        )
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
                raise fail(
                    loc,
                    f"bodies.{body.key}",
                    _("name '{n}' is also used by body '{b}'").format(n=name, b=seen[name]),
                )
            seen[name] = body.key
        for fld in ("email", "leader", "deputy"):
            _check_param_ref(
                spec, getattr(body, fld), (*loc, fld), f"bodies.{body.key}.{fld}", fail, kinds=("text",)
            )
