"""What a campaign is, in a few plain fields: the heading of the board, the timeline and
``campaign list``. Apart from the campaign use cases, so the board does not load them
(and the roster reader and event writer they bring)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from storage.models import Campaign
from workflow.calendar import schedule
from workflow.engine.definition import Definition
from workflow.i18n import pick


@dataclass(frozen=True)
class CampaignInfo:
    name: str
    definition: str
    title: str
    start: date
    end: date
    timezone: str
    status: str
    sections: int
    parameters: dict[str, Any]
    #: When the start date is not a working day: the first working day after it.
    next_working_day: date | None = None
    #: What the definition calls a participant (科室 / 部门 / 单位), in the user's language.
    participant: str = ""


def info_of(campaign: Campaign, definition: Definition, plan: schedule.Plan, n: int) -> CampaignInfo:
    return CampaignInfo(
        name=campaign.name,
        definition=campaign.definition_key,
        title=pick(definition.spec.title.as_dict()),
        start=campaign.start_date,
        end=plan.end,
        timezone=campaign.timezone,
        status=campaign.status,
        sections=n,
        parameters=json.loads(campaign.parameters),
        # Only a word the definition chose: format-1 boards keep their header.
        participant=definition.noun() if "participant" in definition.spec.labels.model_fields_set else "",
    )
