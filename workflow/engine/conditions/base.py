"""The protocol every condition type follows, the facts it may read, and the registry.

A phase may be left only when every one of its exit conditions holds. Each
condition type is a frozen pydantic model registered under the ``type`` name
used in definition files; it validates its own parameters and answers, for
one section, either None (it holds) or an :class:`~workflow.errors.Unmet`
naming its key, a title and a detail a person can act on.

Conditions are pure: everything they look at is in :class:`SectionFacts`,
loaded in bulk by the use cases (only what the definition's conditions
``need``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from workflow.engine.text import tagged
from workflow.errors import Unmet

if TYPE_CHECKING:
    from workflow.engine.definition import Definition

#: What a condition may need loaded (see :attr:`Condition.needs`).
NEEDS = ("filings", "items", "scores", "totals", "vetoes")


@dataclass(frozen=True)
class SectionFacts:
    """Everything a condition may look at for one section.

    Attributes:
        filings: filings per requirement key, by this section.
        campaign_filings: filings per requirement key, by a central body (campaign-wide).
        open_items: this section's rectification items not yet confirmed, from any phase.
        open_items_by_phase: the same, by the phase whose window they were published in.
        scored_groups: evaluator groups that have given this section a score or vote.
        total: the section's ranked total (only loaded when a condition needs it).
        vetoes: reasons of the vetoes recorded against this section (一票否决).
        tags: the section's roster tags (categories).
        params: the campaign's parameters.
        today: the campaign's local day.
        windows: each phase's (first day, last day).
    """

    filings: Mapping[str, int] = field(default_factory=dict)
    campaign_filings: Mapping[str, int] = field(default_factory=dict)
    open_items: int = 0
    open_items_by_phase: Mapping[str, int] = field(default_factory=dict)
    scored_groups: frozenset[str] = frozenset()
    total: Decimal | None = None
    vetoes: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    params: Mapping[str, Any] = field(default_factory=dict)
    today: date | None = None
    windows: Mapping[str, tuple[date, date]] = field(default_factory=dict)

    def key(self) -> tuple[Any, ...]:
        """What differs between sections of one campaign (the rest is shared)."""
        return facts_key(
            self.filings,
            self.open_items,
            self.open_items_by_phase,
            self.scored_groups,
            self.total,
            self.vetoes,
            self.tags,
        )


def facts_key(
    filings: Mapping[str, int],
    open_items: int,
    open_items_by_phase: Mapping[str, int],
    scored_groups: frozenset[str],
    total: Decimal | None,
    vetoes: tuple[str, ...],
    tags: frozenset[str],
) -> tuple[Any, ...]:
    """:meth:`SectionFacts.key` from its parts: a bulk loader asks it before it builds the facts,
    so sections with the same case share one :class:`SectionFacts` and one decision."""
    return (
        frozenset(filings.items()),
        open_items,
        frozenset(open_items_by_phase.items()),
        scored_groups,
        total,
        vetoes,
        tags,
    )


class Condition(BaseModel):
    """Base of every condition type.

    Subclasses set ``needs`` (which facts must be loaded) and implement
    :meth:`check` and :meth:`describe`. ``only`` limits a condition to the
    sections carrying one of these roster tags (empty: every section).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    type: ClassVar[str]
    needs: ClassVar[frozenset[str]] = frozenset()
    only: tuple[str, ...] = ()

    def applies(self, facts: SectionFacts) -> bool:
        return tagged(self.only, facts.tags)

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        raise NotImplementedError

    def referenced_requirements(self) -> tuple[str, ...]:
        return ()

    def referenced_parameters(self) -> tuple[tuple[str, str], ...]:
        """``(field, value)`` of each field that may be a ``$parameter``."""
        return ()

    def validate_in(self, definition: Definition, phase: str) -> tuple[str, str] | None:
        """A problem with this condition in ``definition`` as (field, message); None when fine."""
        return None

    def describe(self, definition: Definition, phase: str) -> str:
        """What the condition asks, in the user's language (definition check, explanations)."""
        raise NotImplementedError

    def label(self, definition: Definition, phase: str) -> str:
        """A short guard label for diagrams, in the user's language."""
        return self.describe(definition, phase)


REGISTRY: dict[str, type[Condition]] = {}


def register(name: str) -> Callable[[type[Condition]], type[Condition]]:
    def deco(cls: type[Condition]) -> type[Condition]:
        cls.type = name
        REGISTRY[name] = cls
        return cls

    return deco
