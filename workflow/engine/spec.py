"""The definition format: frozen pydantic models of a campaign definition file.

Each model is one part of the YAML format (docs/definitions.md); loading and the
checks across parts are in :mod:`workflow.engine.validate`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt, field_validator

from workflow.engine import values
from workflow.engine.specbase import Spec as _Spec
from workflow.engine.specbase import Titles
from workflow.engine.values import DURATION_RE, PARAM_RE
from workflow.i18n import _
from workflow.review.scoring_rules import ScoringSpec

FORMAT_VERSION = 2
KEY_RE = re.compile(r"^[a-z][a-z0-9-]*$")
NOTE_PARAM_RE = re.compile(r"\$([a-z][a-z0-9-]*)")
#: The kinds a parameter can be; format 1 infers it from the default.
PARAM_KINDS = ("integer", "number", "duration", "date", "text")


def _check_key(value: str) -> str:
    if not KEY_RE.match(value):
        raise ValueError(_("'{v}' is not a valid key (lowercase letters, digits and '-')").format(v=value))
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
    #: format 2, recurring: one occurrence every this long from the phase start, ``times`` of them
    every: str | None = None
    times: int | str | None = None
    #: format 2, recurring: each occurrence's due date (a date, an offset from the phase start
    #: or a $parameter holding either)
    dates: tuple[str, ...] | None = None

    _k = field_validator("key")(_check_key)

    @property
    def recurring(self) -> bool:
        return self.every is not None or self.dates is not None

    @field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        return None if value is None else _check_duration_or_param(value)

    @field_validator("times")
    @classmethod
    def _times(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int):
            if value < 1:
                raise ValueError(_("must be at least 1"))
        elif value is not None and not PARAM_RE.match(value):
            raise ValueError(_("must be a number or a $parameter"))
        return value

    @field_validator("dates", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not value:
            raise ValueError(_("must be a list of one or more dates, offsets like P1M, or $parameters"))
        out = []
        for item in value:
            if isinstance(item, date):  # YAML reads 2026-10-01 as a date
                item = item.isoformat()
            if not isinstance(item, str):
                raise ValueError(_("must be a list of one or more dates, offsets like P1M, or $parameters"))
            if not PARAM_RE.match(item):
                if values.DATE_RE.match(item):
                    values.check_date_or_param(item)
                else:
                    _check_duration_or_param(item)
            out.append(item)
        return tuple(out)

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
