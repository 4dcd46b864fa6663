"""Rectification items confirmed: ``items-confirmed`` (scoped) and ``rectification-confirmed``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import field_validator

from workflow.engine.conditions.base import Condition, SectionFacts, register
from workflow.errors import Unmet
from workflow.i18n import _, pick

if TYPE_CHECKING:
    from workflow.engine.definition import Definition


def _open_in_scope(scope: str, phase: str, facts: SectionFacts) -> int:
    if scope == "campaign":
        return facts.open_items
    return facts.open_items_by_phase.get(phase if scope == "phase" else scope, 0)


@register("items-confirmed")
class ItemsConfirmed(Condition):
    """Every rectification item of the section in ``scope`` is confirmed.

    ``scope``: ``campaign`` (every item, whichever phase published it: 边评边改),
    ``phase`` (items published during this phase's window), or a phase key.
    """

    needs = frozenset({"items"})
    scope: str = "campaign"

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("must not be empty"))
        return value

    def validate_in(self, definition: Definition, phase: str) -> tuple[str, str] | None:
        if self.scope not in ("campaign", "phase") and self.scope not in definition.phases:
            return "scope", _("must be campaign, phase or a phase key; got '{v}'").format(v=self.scope)
        return None

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        n = _open_in_scope(self.scope, phase, facts)
        if n == 0:
            return None
        return Unmet("rectification-items", self.describe(definition, phase), _("{n} open").format(n=n))

    def describe(self, definition: Definition, phase: str) -> str:
        if self.scope == "campaign":
            return _("all rectification items confirmed")
        where = phase if self.scope == "phase" else self.scope
        return _("rectification items of {phase} confirmed").format(
            phase=pick(definition.title_of(where).as_dict())
        )


@register("rectification-confirmed")
class RectificationConfirmed(ItemsConfirmed):
    """Format 1's name for ``items-confirmed`` over the whole campaign."""
