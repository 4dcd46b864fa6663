"""A campaign's dates as the reminder use cases see them: due dates, addresses, traffic lights.

:func:`dates_of` resolves a stored campaign's definition, parameters and
schedule into one :class:`CampaignDates`; :class:`Lights` turns a section's
owed filings into its light and next due date for the status board.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from typing import Any, NamedTuple

from storage import extensions_repo, repo
from storage.models import Campaign
from workflow.calendar import deadlines as dl
from workflow.calendar import schedule
from workflow.engine import text
from workflow.engine.definition import Definition, occurrence_key
from workflow.usecases.context import definition_of


@dataclass(frozen=True)
class CampaignDates:
    campaign: Campaign
    definition: Definition
    params: dict[str, Any]
    plan: schedule.Plan
    dues: dict[str, dl.DueDate]

    @property
    def tz(self) -> str:
        return self.campaign.timezone

    def leading_email(self) -> str | None:
        """The organizing body's address (the first central body), copied on escalations."""
        return self.body_email(next(iter(self.definition.bodies)))

    def body_email(self, key: str) -> str | None:
        """A central body's address: its ``email``, or the parameter it names."""
        value = self.definition.bodies[key].email
        if value and value.startswith("$"):
            value = str(self.params.get(value[1:], "") or "")
        return value or None

    def organizer(self) -> Any:
        return next(iter(self.definition.bodies.values()))

    def needed(self, requirement: str) -> int:
        """Filings that meet a deadline (``key``, or an occurrence's ``key@i``)."""
        return self.definition.needed_by(requirement, self.params)


def dates_of(campaign: Campaign) -> CampaignDates:
    d = definition_of(campaign)
    params = json.loads(campaign.parameters)
    plan = schedule.resolve(d, campaign.start_date, params)
    return CampaignDates(campaign, d, params, plan, dl.due_dates(d, plan))


def active_dates(
    s: Any, unreadable: Callable[[Campaign, Exception], None] | None = None
) -> dict[int, CampaignDates]:
    """The active campaigns' dates by campaign id.

    Args:
        unreadable: called with a campaign whose definition or parameters cannot be read,
            which is then left out instead of stopping everyone's reminders; without it
            the error is raised.
    """
    out: dict[int, CampaignDates] = {}
    for c in repo.list_campaigns(s):
        if c.status != "active":
            continue
        try:
            out[c.id] = dates_of(c)
        except Exception as exc:  # noqa: BLE001  isolation: one broken campaign fails alone
            if unreadable is None:
                raise
            unreadable(c, exc)
    return out


def head_address(head: str | None) -> str | None:
    """The address in an office head's ``Name <addr>``; None when there is none."""
    if not head:
        return None
    _name, addr = parseaddr(head)
    return addr if "@" in addr else None


# -- status: lights and next due -------------------------------------------------
@dataclass(frozen=True)
class Light:
    light: str | None
    next_due: date | None
    next_requirement: str | None


class _Owed(NamedTuple):
    phase_index: int
    requirement: str
    needed: int
    only: tuple[str, ...] = ()  # the roster tags it applies to (empty: every section)
    recurring: bool = False  # each occurrence has its own due date (``key@i``)


class _Due(NamedTuple):
    due: date
    requirement: str
    light: str


class Lights:
    """Per section: the worst light of its owed filings and its next due date.

    Owed: a section requirement of the current or an earlier phase not yet filed
    as often as needed. The due date honours the working-day rule and extensions.
    """

    def __init__(self, s: Any, cd: CampaignDates, today: date):
        d = cd.definition
        self.cd = cd
        self.today = today
        self.warn = d.spec.reminders.warning_days
        self.order = {p.key: i for i, p in enumerate(d.spec.phases)}
        self.reqs = [
            _Owed(self.order[p.key], r.key, d.count_of(r, cd.params), r.only, r.recurring)
            for p in d.spec.phases
            for r in p.requirements
            if r.filer == "section"
        ]
        self.ext: dict[int, dict[str, date]] = defaultdict(dict)
        for (sid, req), e in extensions_repo.extensions(s, cd.campaign.id).items():
            self.ext[sid][req] = e.to_due

    def extended(self, section_id: int) -> tuple[tuple[str, date], ...]:
        return tuple(sorted(self.ext[section_id].items())) if section_id in self.ext else ()

    def of(
        self, section_id: int, state: str, filings: dict[str, int], tags: frozenset[str] = frozenset()
    ) -> Light:
        if state not in self.order:  # final
            return Light(None, None, None)
        here = self.order[state]
        ext = self.ext.get(section_id, {})
        found: list[_Due] = []
        for owed in self.reqs:
            if owed.phase_index > here or filings.get(owed.requirement, 0) >= owed.needed:
                continue
            if not text.tagged(owed.only, tags):  # does not apply to this section
                continue
            if owed.recurring:  # the first occurrence not yet filed
                key = occurrence_key(owed.requirement, filings.get(owed.requirement, 0) + 1)
                due = self.cd.dues[key].due
            else:
                due = ext.get(owed.requirement) or self.cd.dues[owed.requirement].due
            found.append(_Due(due, owed.requirement, dl.light(due, self.today, self.warn)))
        found.sort()
        if not found:
            return Light(dl.GREEN, None, None)
        return Light(dl.worst([f.light for f in found]) or dl.GREEN, found[0].due, found[0].requirement)
