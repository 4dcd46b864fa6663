"""Inspections (明查暗访): record an announced or unannounced inspection of an office, and the
rectification items its findings publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage import events_repo, ledger_repo, repo
from workflow.engine import text as textcheck
from workflow.errors import InputError
from workflow.i18n import _
from workflow.usecases.context import Context, parse_date
from workflow.usecases.deadlines import ItemDue, plan_items
from workflow.usecases.ledger import add_item_event, item_row
from workflow.usecases.operators import authorize

KINDS = ("announced", "unannounced")


# -- inspections ---------------------------------------------------------------
@dataclass(frozen=True)
class Inspected:
    campaign: str
    office: str
    kind: str
    on: date
    inspections: tuple[int, ...]
    items: tuple[int, ...]


def record_inspection(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    kind: str,
    on: str,
    findings: tuple[str, ...],
    rectify: bool = False,
    due: str | None = None,
) -> Inspected:
    """Record an inspection's findings; with ``rectify`` each becomes an item (source inspection)."""
    if kind not in KINDS:
        raise InputError(
            _("unknown inspection kind '{v}'; use one of {k}").format(v=kind, k=", ".join(KINDS))
        )
    day = parse_date(on, "--date")
    due_date = parse_date(due, "--due") if due else None
    clean = [textcheck.clean(f, "--finding").strip() for f in findings]
    if not clean or not all(clean):
        raise InputError(_("--finding must not be empty"))
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "inspect")
        campaign = repo.find_campaign(s, campaign_name)
        section = repo.find_section(s, campaign.id, office)
        ins_ids: list[int] = []
        item_ids: list[int] = []
        events: list[events_repo.NewEvent] = []
        for text in clean:
            ins = ledger_repo.add_inspection(
                s,
                {
                    "campaign_id": campaign.id,
                    "section_id": section.id,
                    "kind": kind,
                    "on": day,
                    "finding": text,
                    "actor": ctx.actor,
                    "at": now,
                },
            )
            ins_ids.append(ins)
            events.append(
                events_repo.NewEvent(
                    "inspect",
                    section_id=section.id,
                    office=section.name,
                    detail={"inspection": ins, "kind": kind, "date": day.isoformat(), "text": text},
                )
            )
            if rectify:
                [item] = ledger_repo.add_items(
                    s, [item_row(campaign, section.id, "inspection", text, due_date, ctx, now, ins)]
                )
                item_ids.append(item)
                events.append(
                    add_item_event(section.name, section.id, item, "inspection", text, due_date, ins)
                )
        events_repo.append_events(s, campaign, events, ctx.actor, now)
        plan_items(s, campaign, [ItemDue(i, section.id, due_date) for i in item_ids])
        return Inspected(campaign.name, section.name, kind, day, tuple(ins_ids), tuple(item_ids))
