"""Deadline use cases: the campaign calendar, extensions (延期), and rectification items' deadlines.

A deadline row per (campaign, section, requirement) is what the reminder sweep
(:mod:`workflow.usecases.sweep`) reads; the functions here lay out, move, stop
and resume those rows inside the caller's transaction or their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from storage import deadlines_repo as dr
from storage import events_repo, extensions_repo, repo
from storage import reminders_repo as rr
from storage.models import Campaign
from workflow.calendar import deadlines as dl
from workflow.engine import text
from workflow.errors import InputError
from workflow.i18n import _, pick
from workflow.usecases.context import Context, definition_of, parse_date
from workflow.usecases.dates import dates_of
from workflow.usecases.operators import authorize


def deadline_row(cid: int, sid: int | None, req: str, due: date, first: datetime) -> dict[str, Any]:
    """A new deadline row: due on ``due``, its first reminder slot at ``first``."""
    return {
        "key": rr.deadline_key(cid, sid, req),
        "campaign_id": cid,
        "section_id": sid,
        "requirement": req,
        "due": due,
        "original_due": due,
        "last_at": None,
        "next_at": first,
    }


# -- calendar --------------------------------------------------------------------
@dataclass(frozen=True)
class CalendarRow:
    phase: str
    requirement: str | None
    title: str  # the requirement's, or on a phase-end row the phase's
    planned: date
    due: date
    estimate: bool
    filer: str
    phase_title: str = ""


class Calendar(NamedTuple):
    campaign: str
    rows: list[CalendarRow]


def calendar(ctx: Context, campaign_name: str | None) -> Calendar:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        cd = dates_of(campaign)
    cal = dl.calendar_of(cd.definition)
    rows = []
    for p in cd.definition.spec.phases:
        w = cd.plan.windows[p.key]
        end = cal.next_working_day(w.end)
        phase_title = pick(p.title.as_dict())
        rows.append(
            CalendarRow(
                p.key,
                None,
                phase_title,
                w.end,
                end,
                cal.is_estimate(w.start) or cal.is_estimate(end),
                "",
                phase_title,
            )
        )
        for r in p.requirements:
            keys = cd.definition.occurrences(r, cd.params)
            for i, key in enumerate(keys, 1):
                due = cd.dues[key]
                title = pick(r.title.as_dict())
                if r.recurring:
                    title = _("{title} ({i} of {n})").format(title=title, i=i, n=len(keys))
                rows.append(
                    CalendarRow(p.key, r.key, title, due.planned, due.due, due.estimate, r.filer, phase_title)
                )
    return Calendar(campaign.name, rows)


# -- extensions ------------------------------------------------------------------
@dataclass(frozen=True)
class Extended:
    campaign: str
    office: str
    requirement: str
    original: date
    previous: date
    due: date
    #: When the new date is not a working day: the first working day after it.
    next_working_day: date | None = None


def extend(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    requirement: str,
    to: str,
    reason: str,
    *,
    shorten: bool = False,
) -> Extended:
    """Move one section's due date (延期); the original date stays in history.

    A date earlier than the current one needs ``shorten``: a typo must not silently
    take days away from an office.
    """
    new_due = parse_date(to, "--to")
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say why the deadline moves"))
    reason = text.name(reason, "--reason")
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        cd = dates_of(campaign)
        req = cd.definition.requirement(requirement)
        if req.recurring:
            raise InputError(
                _(
                    "'{r}' recurs, each occurrence on its own date; extensions are for one-off "
                    "requirements (record the agreed delay in a filing's --note)"
                ).format(r=req.key)
            )
        if req.filer != "section":
            raise InputError(
                _("'{r}' is filed by {body}; only office deadlines are extended").format(
                    r=req.key, body=cd.definition.filer_title(req)
                )
            )
        section = repo.find_section(s, campaign.id, office)
        original = cd.dues[req.key].due
        prev_ext = extensions_repo.extensions(s, campaign.id).get((section.id, req.key))
        previous = prev_ext.to_due if prev_ext else original
        if new_due == previous:
            raise InputError(
                _("{office} '{r}' is already due on {d}").format(office=section.name, r=req.key, d=new_due)
            )
        if new_due < previous and not shorten:
            raise InputError(
                _(
                    "--to {d} is earlier than the current due date {p} of {office} '{r}'; "
                    "add --shorten to move it earlier"
                ).format(d=new_due, p=previous, office=section.name, r=req.key)
            )
        if new_due < cd.campaign.start_date:
            raise InputError(
                _("--to {d} is before the campaign starts ({s})").format(d=new_due, s=cd.campaign.start_date)
            )
        extensions_repo.add_extension(
            s,
            campaign_id=campaign.id,
            section_id=section.id,
            requirement=req.key,
            from_due=previous,
            to_due=new_due,
            reason=reason.strip(),
            actor=ctx.actor,
            at=now,
        )
        row = rr.find_deadline(s, campaign.id, section.id, req.key)
        if row is not None:
            rr.cancel_reminders(s, campaign.id, section.id, req.key)
            row.due = new_due
            if row.next_at is not None:
                # Reminders of the new date start from now: none of its past slots is sent late.
                nxt = dl.slots_between(new_due, cd.definition.policy_of(req.key), cd.tz, now, now).next
                row.last_at, row.next_at = now, nxt.at
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "extend",
                    section_id=section.id,
                    office=section.name,
                    reason=reason.strip(),
                    detail={
                        "requirement": req.key,
                        "from": previous.isoformat(),
                        "to": new_due.isoformat(),
                        "original": original.isoformat(),
                    },
                )
            ],
            ctx.actor,
            now,
        )
        return Extended(
            campaign.name,
            section.name,
            req.key,
            original,
            previous,
            new_due,
            dl.calendar_of(cd.definition).next_if_off(new_due),
        )


# -- rectification items --------------------------------------------------------


class ItemDue(NamedTuple):
    """A new rectification item as its deadline needs it."""

    item_id: int
    section_id: int
    due: date | None  # None: no due date, no reminders


def plan_items(s: Any, campaign: Campaign, items: list[ItemDue]) -> None:
    """Reminders for new rectification items that have a due date.

    An item's deadline sits beside the requirements' ones (its key names the
    item), so the same sweep reminds, escalates and digests it.
    """
    policy = definition_of(campaign).spec.reminders
    dr.add_deadlines(
        s,
        [
            deadline_row(
                campaign.id,
                it.section_id,
                rr.item_requirement(it.item_id),
                it.due,
                next(iter(dl.slots(it.due, policy, campaign.timezone))).at,
            )
            for it in items
            if it.due is not None
        ],
    )


def stop_item(s: Any, campaign_id: int, section_id: int, item_id: int) -> None:
    """Reported done (or confirmed): no more reminders; the ones not yet mailed are cancelled."""
    rr.close_deadline(s, campaign_id, section_id, rr.item_requirement(item_id))


def resume_item(s: Any, campaign: Campaign, section_id: int, item_id: int, now: datetime) -> None:
    """Returned to its office: reminders start again from now (no past slot is sent late)."""
    row = rr.find_deadline(s, campaign.id, section_id, rr.item_requirement(item_id))
    if row is None:
        return
    policy = definition_of(campaign).spec.reminders
    nxt = dl.slots_between(row.due, policy, campaign.timezone, now, now).next
    row.last_at, row.next_at = now, nxt.at
