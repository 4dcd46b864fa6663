"""Scoring conditions: ``all-scored`` and ``score-at-least``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from workflow.engine.conditions.base import Condition, SectionFacts, register
from workflow.errors import Unmet
from workflow.i18n import _, pick

if TYPE_CHECKING:
    from workflow.engine.definition import Definition


@register("all-scored")
class AllScored(Condition):
    """Every evaluator group of the definition's scoring has results for the section."""

    needs = frozenset({"scores"})

    def validate_in(self, definition: Definition, phase: str) -> tuple[str, str] | None:
        if definition.spec.scoring is None:
            return "type", _("the definition has no scoring")
        return None

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        assert definition.spec.scoring is not None
        missing = [g for g in definition.spec.scoring.groups if g.key not in facts.scored_groups]
        if not missing:
            return None
        return Unmet(
            "all-scored",
            self.describe(definition, phase),
            _("no results from: {groups}").format(
                groups=_(", ").join(pick(g.title.as_dict()) for g in missing)
            ),
        )

    def describe(self, definition: Definition, phase: str) -> str:
        return _("every evaluator group has given its results")


@register("score-at-least")
class ScoreAtLeast(Condition):
    """The section's ranked total is at least ``min`` (a number or ``$parameter``)."""

    needs = frozenset({"totals"})
    min: float | str

    def referenced_parameters(self) -> tuple[tuple[str, str], ...]:
        return (("min", self.min),) if isinstance(self.min, str) else ()

    def validate_in(self, definition: Definition, phase: str) -> tuple[str, str] | None:
        from workflow.engine.values import check_number_or_param

        if definition.spec.scoring is None:
            return "type", _("the definition has no scoring")
        problem = check_number_or_param(self.min)
        return ("min", problem) if problem else None

    def threshold(self, facts: SectionFacts) -> Decimal:
        value = self.min
        if isinstance(value, str):
            value = facts.params[value[1:]]
        return Decimal(str(value))

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        need = self.threshold(facts)
        if facts.total is not None and facts.total >= need:
            return None
        have = "-" if facts.total is None else str(facts.total)
        return Unmet(
            "score-at-least",
            _("total score at least {min}").format(min=f"{need:f}"),
            _("total {have}, needs {need}").format(have=have, need=f"{need:f}"),
        )

    def describe(self, definition: Definition, phase: str) -> str:
        return _("total score at least {min}").format(min=self.min)
