"""Use cases of the rectification ledger (整改台账): add, list and decide items (inspections in
:mod:`.inspections`, a spreadsheet of items in :mod:`.ledger_import`).

Items belong to a section and may be added in any phase ("边评边改"). Their
lifecycle is ``published`` → ``done`` (reported with an evidence document,
stored in the blob store like a filing) → ``confirmed`` by the supervision
office, or ``returned`` with a reason, which opens the item again. Every
change is appended to the campaign's event chain; the evidence's sha256 is in
the event detail, so the document is bound into the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from storage import events_repo, ledger_repo, repo
from storage.ledger_models import RectificationItem
from storage.models import Campaign
from workflow.engine import text as textcheck
from workflow.errors import ConflictError, InputError
from workflow.i18n import N_, _
from workflow.review.items import item_machine
from workflow.usecases.context import Context, definition_of, parse_date, read_document
from workflow.usecases.deadlines import ItemDue, plan_items, resume_item, stop_item
from workflow.usecases.operators import authorize

SOURCES = ("review", "evaluation", "inspection", "self")
SOURCE_ALIASES = {
    "review": "review",
    "评议": "review",
    "评议意见": "review",
    "evaluation": "evaluation",
    "民主测评": "evaluation",
    "测评": "evaluation",
    "inspection": "inspection",
    "明查暗访": "inspection",
    "检查": "inspection",
    "督查": "inspection",
    "self": "self",
    "自查": "self",
    "自查自纠": "self",
}
# Words shown through _() at run time: marked here so the catalog carries them.
LABELS = (
    N_("published"),
    N_("done"),
    N_("confirmed"),
    N_("returned"),
    N_("review"),
    N_("evaluation"),
    N_("inspection"),
    N_("self"),
    N_("announced"),
    N_("unannounced"),
    N_("reported done"),
    N_("rectification item"),
    N_("score"),
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ItemView:
    id: int
    office: str
    source: str
    text: str
    due: date | None
    status: str
    late: bool
    evidence: str | None
    evidence_sha256: str | None
    note: str | None
    return_reason: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "office": self.office,
            "source": self.source,
            "text": self.text,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
            "late": self.late,
            "evidence": self.evidence,
            "evidence_sha256": self.evidence_sha256,
            "note": self.note,
            "return_reason": self.return_reason,
        }


def today_of(campaign: Campaign, now: datetime) -> date:
    return now.astimezone(ZoneInfo(campaign.timezone)).date()


def _view(item: RectificationItem, office: str, today: date, tz: ZoneInfo) -> ItemView:
    late = False
    if item.due is not None:
        if item.status == "confirmed" or item.status == "done":
            finished = item.done_at.astimezone(tz).date() if item.done_at else today
            late = finished > item.due
        else:
            late = today > item.due
    return ItemView(
        item.id,
        office,
        item.source,
        item.text,
        item.due,
        item.status,
        late,
        item.evidence_filename,
        item.evidence_sha256,
        item.note,
        item.return_reason,
    )


def check_source(value: str | None, where: str = "", definition: Any = None) -> str:
    """An item source: the definition's own ``labels.item_sources`` (key, alias or title),
    or without them the generic review / evaluation / inspection / self."""
    choices = definition.spec.labels.item_sources if definition is not None else ()
    if choices:
        aliases = {
            name.lower(): c.key for c in choices for name in (c.key, *c.aliases, c.title.zh, c.title.en)
        }
        keys: tuple[str, ...] = tuple(c.key for c in choices)
    else:
        aliases, keys = SOURCE_ALIASES, SOURCES
    key = aliases.get((value or keys[0]).strip().lower())
    if key is None:
        raise InputError(where + _("unknown source '{v}'; use one of {k}").format(v=value, k=", ".join(keys)))
    return key


def check_text(text: str, where: str = "") -> str:
    if not text.strip():
        raise InputError(where + _("the item text is empty"))
    return textcheck.name(text, where + _("item text"))


def item_row(
    campaign: Campaign,
    sid: int,
    source: str,
    text: str,
    due: date | None,
    ctx: Context,
    now: datetime,
    inspection_id: int | None = None,
) -> dict[str, Any]:
    return {
        "campaign_id": campaign.id,
        "section_id": sid,
        "source": source,
        "text": text,
        "due": due,
        "status": "published",
        "inspection_id": inspection_id,
        "created_at": now,
        "created_by": ctx.actor,
        "updated_at": now,
        "updated_by": ctx.actor,
    }


def add_item_event(
    office: str,
    sid: int,
    item_id: int,
    source: str,
    text: str,
    due: date | None,
    inspection_id: int | None = None,
) -> events_repo.NewEvent:
    # "inspection": the item's inspection link, so audit verify can re-derive every column.
    return events_repo.NewEvent(
        "rectify-add",
        section_id=sid,
        office=office,
        detail={
            "item": item_id,
            "source": source,
            "text": text,
            "due": due.isoformat() if due else None,
            "inspection": inspection_id,
        },
    )


def add_item(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    text: str,
    source: str | None = None,
    due: str | None = None,
) -> ItemView:
    clean = check_text(text)
    due_date = parse_date(due, "--due") if due else None
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "publish-items")
        campaign = repo.find_campaign(s, campaign_name)
        src = check_source(source, "", definition_of(campaign))
        section = repo.find_section(s, campaign.id, office)
        [item_id] = ledger_repo.add_items(s, [item_row(campaign, section.id, src, clean, due_date, ctx, now)])
        events_repo.append_events(
            s,
            campaign,
            [add_item_event(section.name, section.id, item_id, src, clean, due_date)],
            ctx.actor,
            now,
        )
        plan_items(s, campaign, [ItemDue(item_id, section.id, due_date)])
        item, name = ledger_repo.find_item(s, campaign.id, item_id)
        return _view(item, name, today_of(campaign, now), ZoneInfo(campaign.timezone))


def _transition(s: Session, item: RectificationItem, expected: str, values: dict[str, Any]) -> None:
    """Change an item only if its status is still what we checked (no lost updates)."""
    if not ledger_repo.set_item_if(s, item.id, expected, values):
        # Someone else changed it after we read it: name them (a fresh read, not our stale row).
        by, at = ledger_repo.item_changed_by(s, item.id)
        raise ConflictError(_("item #{id}").format(id=item.id), by, at, _zone(s, item))


def _already(item: RectificationItem, statuses: tuple[str, ...], tz: str) -> None:
    """Inside the write transaction: an item that another operator has just moved on is a
    conflict ("changed by NAME at TIME"), not a usage error."""
    if item.status in statuses:
        raise ConflictError(_("item #{id}").format(id=item.id), item.updated_by, item.updated_at, tz)


def _zone(s: Session, item: RectificationItem) -> str:
    campaign = s.get(Campaign, item.campaign_id)
    return campaign.timezone if campaign is not None else "Asia/Shanghai"


def _next(item: RectificationItem, trigger: str) -> str:
    """The item's status after ``trigger``, as the item Machine says (or a one-line refusal)."""
    return item_machine().next_status(item.id, item.status, trigger)


def mark_done(
    ctx: Context,
    campaign_name: str | None,
    item_id: int,
    evidence: Path,
    note: str | None = None,
    *,
    allow_empty: bool = False,
) -> ItemView:
    note = textcheck.optional(note, "--note")
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        campaign = repo.find_campaign(s, campaign_name)
        item, owner = ledger_repo.find_item(s, campaign.id, item_id)
        authorize(s, ctx, "report-rectification", owner)
        _next(item, "report_done")
    blobs, blob = read_document(ctx, evidence, allow_empty=allow_empty)
    now = ctx.now()
    with ctx.db.write() as s:
        blobs.keep(s, blob)
        campaign = repo.find_campaign(s, campaign_name)
        item, office = ledger_repo.find_item(s, campaign.id, item_id)
        _already(item, ("done",), campaign.timezone)
        _transition(
            s,
            item,
            item.status,
            {
                "status": _next(item, "report_done"),
                "evidence_sha256": blob.sha256,
                "evidence_filename": blob.filename,
                "note": note,
                "done_at": now,
                "updated_at": now,
                "updated_by": ctx.actor,
            },
        )
        stop_item(s, campaign.id, item.section_id, item.id)
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "rectify-done",
                    section_id=item.section_id,
                    office=office,
                    reason=note,
                    detail={
                        "item": item.id,
                        "sha256": blob.sha256,
                        "filename": blob.filename,
                        "size": blob.size,
                    },
                )
            ],
            ctx.actor,
            now,
        )
        s.refresh(item)
        return _view(item, office, today_of(campaign, now), ZoneInfo(campaign.timezone))


def confirm(ctx: Context, campaign_name: str | None, item_id: int) -> ItemView:
    return _decide(ctx, campaign_name, item_id, None)


def return_item(ctx: Context, campaign_name: str | None, item_id: int, reason: str) -> ItemView:
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say what is still missing"))
    return _decide(ctx, campaign_name, item_id, textcheck.name(reason, "--reason"))


def _decide(ctx: Context, campaign_name: str | None, item_id: int, reason: str | None) -> ItemView:
    """Confirm (``reason`` None) or return a done item."""
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "confirm")
        campaign = repo.find_campaign(s, campaign_name)
        item, office = ledger_repo.find_item(s, campaign.id, item_id)
        _already(item, ("confirmed", "returned"), campaign.timezone)
        status = _next(item, "confirm" if reason is None else "return_")
        values: dict[str, Any] = {"status": status, "updated_at": now, "updated_by": ctx.actor}
        if reason is None:
            values |= {"confirmed_at": now}
        else:
            values |= {"return_reason": reason}
        _transition(s, item, "done", values)
        if reason is not None:
            resume_item(s, campaign, item.section_id, item.id, now)
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "rectify-confirm" if reason is None else "rectify-return",
                    section_id=item.section_id,
                    office=office,
                    reason=reason,
                    detail={"item": item.id, "sha256": item.evidence_sha256},
                )
            ],
            ctx.actor,
            now,
        )
        s.refresh(item)
        return _view(item, office, today_of(campaign, now), ZoneInfo(campaign.timezone))


def list_items(
    ctx: Context, campaign_name: str | None, office: str | None = None, open_only: bool = False
) -> tuple[str, list[ItemView]]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        return items_in(s, ctx, campaign_name, office, open_only)


def items_in(
    s: Session, ctx: Context, campaign_name: str | None, office: str | None = None, open_only: bool = False
) -> tuple[str, list[ItemView]]:
    """:func:`list_items` inside the caller's read transaction."""
    authorize(s, ctx, "read")
    campaign = repo.find_campaign(s, campaign_name)
    sid = repo.find_section(s, campaign.id, office).id if office else None
    today = today_of(campaign, ctx.now())
    tz = ZoneInfo(campaign.timezone)
    rows = ledger_repo.items(s, campaign.id, sid, open_only)
    return campaign.name, [_view(item, name, today, tz) for item, name in rows]
