"""Automatic advance (``auto_advance: true`` on a phase), run by every reminder sweep.

Once a phase's window has ended (the local midnight after its last day), each
sweep moves every section still in that phase whose exit conditions hold one
phase on, through :func:`workflow.usecases.advancing.advance` with the actor
``scheduler``: the same guards, optimistic versions and hash-chained history
as an operator's advance. Sections that are blocked stay where they are and
keep receiving the reminders of what they still owe; when they catch up, the
next sweep moves them.

Idempotent by construction: a moved section is no longer in the ended phase,
so a second sweep (or a second scheduler process) finds nothing to do; a
process that loses the race on a section gets a ``ConflictError`` and leaves
it to the winner. Phases are taken in order, so a sweep that catches up after
several auto-advance phases have ended carries a ready section through each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from storage import repo
from workflow.calendar import deadlines as dl
from workflow.calendar import schedule
from workflow.errors import ConflictError
from workflow.usecases.advancing import advance
from workflow.usecases.context import Context, definition_of

SCHEDULER = "scheduler"


@dataclass(frozen=True)
class Moved:
    campaign: str
    office: str
    source: str
    dest: str


def _ended_auto_phases(ctx: Context, now: datetime) -> list[tuple[str, list[str]]]:
    """``(campaign name, [phase keys])`` of active campaigns' auto-advance phases that have ended."""
    out = []
    with ctx.db.read() as s:
        for c in repo.list_campaigns(s):
            if c.status != "active":
                continue
            d = definition_of(c)
            auto = [p.key for p in d.spec.phases if p.auto_advance]
            if not auto:
                continue
            plan = schedule.resolve(d, c.start_date, json.loads(c.parameters))
            ended = [k for k in auto if dl.end_of(plan.windows[k].end, c.timezone) <= now]
            if ended:
                out.append((c.name, ended))
    return out


def run(ctx: Context, now: datetime, *, preview: bool = False) -> list[Moved]:
    """Advance the ready sections of every ended auto-advance phase; return who moved where.

    ``preview`` evaluates the guards without moving anything (and so does not
    carry a section through several ended phases at once).
    """
    bot = replace(ctx, actor=SCHEDULER, clock=lambda: now)
    moved: list[Moved] = []
    for campaign, phases in _ended_auto_phases(ctx, now):
        for phase in phases:
            with ctx.db.read() as s:
                c = repo.find_campaign(s, campaign)
                offices = [r.office for r in repo.states(s, c.id) if r.state == phase]
            if not offices:
                continue
            try:
                outcomes = advance(bot, campaign, offices, expect=phase, dry_run=preview, by_scheduler=True)
            except ConflictError:  # another process moved one of them first: it did this work
                continue
            moved += [Moved(campaign, o.office, o.source, o.dest) for o in outcomes if o.dest]
    return moved
