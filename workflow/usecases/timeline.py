"""The campaign calendar as data: phase windows, due dates, sections per phase, today.

The use case behind ``manyi timeline``; the drawing lives in :mod:`cli.timeline`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from storage import repo
from workflow.calendar import deadlines, schedule
from workflow.i18n import pick
from workflow.usecases.campaign_info import CampaignInfo, info_of
from workflow.usecases.context import Context, definition_of
from workflow.usecases.operators import authorize


@dataclass(frozen=True)
class Due:
    key: str
    title: str
    due: date
    filer: str  # "section" or "leading-group"
    exit: bool


@dataclass(frozen=True)
class PhaseSpan:
    key: str
    title: str
    start: date
    end: date
    sections: int  # sections currently in this phase
    dues: tuple[Due, ...]


@dataclass(frozen=True)
class Timeline:
    campaign: CampaignInfo
    today: date  # in the campaign's time zone
    phases: tuple[PhaseSpan, ...]
    completed: int

    def as_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign.name,
            "start": self.campaign.start.isoformat(),
            "end": self.campaign.end.isoformat(),
            "today": self.today.isoformat(),
            "completed": self.completed,
            "phases": [
                {
                    "key": p.key,
                    "title": p.title,
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat(),
                    "sections": p.sections,
                    "due": [
                        {
                            "requirement": d.key,
                            "title": d.title,
                            "due": d.due.isoformat(),
                            "filer": d.filer,
                            "exit": d.exit,
                        }
                        for d in p.dues
                    ],
                }
                for p in self.phases
            ],
        }


def timeline(ctx: Context, campaign_name: str | None) -> Timeline:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        plan = schedule.resolve(definition, campaign.start_date, json.loads(campaign.parameters))
        records = repo.records(s, campaign.id)
        counts = Counter(r.state for r in records)
        today = ctx.now().astimezone(ZoneInfo(campaign.timezone)).date()
        spans = []
        # Due dates as everywhere else (calendar, status, reminders): moved to a working day.
        moved = deadlines.due_dates(definition, plan)
        for phase in definition.spec.phases:
            window = plan.windows[phase.key]
            dues = tuple(
                sorted(
                    (
                        Due(r.key, pick(r.title.as_dict()), moved[r.key].due, r.filer, r.exit)
                        for r in phase.requirements
                    ),
                    key=lambda d: (d.due, d.key),
                )
            )
            spans.append(
                PhaseSpan(
                    phase.key,
                    pick(phase.title.as_dict()),
                    window.start,
                    window.end,
                    counts.get(phase.key, 0),
                    dues,
                )
            )
        info = info_of(campaign, definition, plan, len(records))
        return Timeline(info, today, tuple(spans), counts.get(definition.states[-1], 0))
