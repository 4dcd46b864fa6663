"""``requirement-filed``: a requirement filed at least its ``count`` times."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflow.engine.conditions.base import Condition, SectionFacts, register
from workflow.errors import Unmet
from workflow.i18n import _, pick

if TYPE_CHECKING:
    from workflow.engine.definition import Definition


@register("requirement-filed")
class RequirementFiled(Condition):
    """Filed as often as needed: by the section itself, or once by the central body that files it.

    ``count: $parameter`` is read from the campaign's parameters (``--set``),
    never from the definition's default alone. A requirement that does not
    apply to the section (its ``only`` tags) holds.
    """

    needs = frozenset({"filings"})
    requirement: str

    def check(self, definition: Definition, phase: str, facts: SectionFacts) -> Unmet | None:
        req = definition.requirement(self.requirement)
        if not definition.applies(req, facts.tags):
            return None
        need = definition.count_of(req, facts.params)
        counts = facts.campaign_filings if definition.is_central(req) else facts.filings
        have = counts.get(req.key, 0)
        if have >= need:
            return None
        detail = _("{have} of {need} filed").format(have=have, need=need) if need > 1 else ""
        if definition.is_central(req):
            body = pick(definition.body_of(req).title.as_dict())
            detail = _("{body} files it").format(body=body) + (_("; ") + detail if detail else "")
        return Unmet(req.key, pick(req.title.as_dict()), detail)

    def referenced_requirements(self) -> tuple[str, ...]:
        return (self.requirement,)

    def label(self, definition: Definition, phase: str) -> str:
        req = definition.requirement(self.requirement)
        title = pick(req.title.as_dict())
        if req.recurring:
            title = _("{title} (every occurrence)").format(title=title)
        if req.only:
            title = _("{title} (only {tags})").format(title=title, tags=_(", ").join(req.only))
        return title

    def describe(self, definition: Definition, phase: str) -> str:
        req = definition.requirement(self.requirement)
        title = pick(req.title.as_dict())
        if definition.is_central(req):
            return _("filed by {body}: {title}").format(
                body=pick(definition.body_of(req).title.as_dict()), title=title
            )
        return _("filed: {title}").format(title=title)
