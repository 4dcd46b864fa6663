"""``veto``: no veto (一票否决) is recorded against the section.

A veto is an event (``manyi veto OFFICE --reason``) a supervisor records,
e.g. for a disciplinary case; it blocks the phases that list this condition
and drops the section from commendation whatever its score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflow.engine.conditions.base import Condition, SectionFacts, register
from workflow.errors import Unmet
from workflow.i18n import _

if TYPE_CHECKING:
    from workflow.engine.definition import Definition


@register("veto")
class NoVeto(Condition):
    needs = frozenset({"vetoes"})

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        if not facts.vetoes:
            return None
        return Unmet(
            "veto",
            self.describe(definition, phase),
            _("vetoed: {reason}").format(reason=_("; ").join(facts.vetoes)),
        )

    def describe(self, definition: Definition, phase: str) -> str:
        return _("no veto recorded")
