"""Exit conditions: a small registry of condition types.

A phase may be left only when every one of its exit conditions holds. Each
condition type is a frozen class registered under the ``type`` name used in
definition files; it validates its own parameters and reports what is unmet
for one section from that section's :class:`SectionFacts`.

To add a type: subclass :class:`Condition`, give it a ``type`` and fields,
decorate it with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

from workflow.errors import Unmet
from workflow.i18n import _, pick

if TYPE_CHECKING:
    from workflow.definition import Definition


@dataclass(frozen=True)
class SectionFacts:
    """Everything a condition may look at for one section, loaded in bulk.

    Attributes:
        filings: number of filings per requirement key, for this section.
        campaign_filings: number of leading-group filings per requirement key.
        open_items: rectification items of this section not yet confirmed.
    """

    filings: Mapping[str, int] = field(default_factory=dict)
    campaign_filings: Mapping[str, int] = field(default_factory=dict)
    open_items: int = 0


class Condition(BaseModel):
    """Base of every condition type."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[str]

    def check(self, definition: Definition, facts: SectionFacts) -> Unmet | None:
        raise NotImplementedError

    def referenced_requirements(self) -> tuple[str, ...]:
        return ()

    def describe(self, definition: Definition) -> str:
        raise NotImplementedError


REGISTRY: dict[str, type[Condition]] = {}


def register(name: str) -> Callable[[type[Condition]], type[Condition]]:
    def deco(cls: type[Condition]) -> type[Condition]:
        cls.type = name
        REGISTRY[name] = cls
        return cls

    return deco


@register("requirement-filed")
class RequirementFiled(Condition):
    """The requirement has been filed at least its ``count`` times."""

    requirement: str

    def check(self, definition: Definition, facts: SectionFacts) -> Unmet | None:
        req = definition.requirement(self.requirement)
        need = definition.count_of(req)
        counts = facts.campaign_filings if req.filer == "leading-group" else facts.filings
        have = counts.get(req.key, 0)
        if have >= need:
            return None
        detail = _("{have} of {need} filed").format(have=have, need=need) if need > 1 else ""
        return Unmet(req.key, pick(req.title.as_dict()), detail)

    def referenced_requirements(self) -> tuple[str, ...]:
        return (self.requirement,)

    def describe(self, definition: Definition) -> str:
        req = definition.requirement(self.requirement)
        return _("filed: {title}").format(title=pick(req.title.as_dict()))


@register("rectification-confirmed")
class RectificationConfirmed(Condition):
    """Every rectification item of the section is confirmed."""

    def check(self, definition: Definition, facts: SectionFacts) -> Unmet | None:
        if facts.open_items == 0:
            return None
        return Unmet(
            "rectification-items",
            _("all rectification items confirmed"),
            _("{n} open").format(n=facts.open_items),
        )

    def describe(self, definition: Definition) -> str:
        return _("all rectification items confirmed")
