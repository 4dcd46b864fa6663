"""Rectification items from a spreadsheet (office, item, source, due date), all or none."""

from __future__ import annotations

from pathlib import Path

from storage import events_repo, ledger_repo, repo
from workflow.adapters.tabular import read_table
from workflow.errors import InputError
from workflow.i18n import _
from workflow.usecases.context import Context, definition_of, parse_date
from workflow.usecases.deadlines import ItemDue, plan_items
from workflow.usecases.ledger import add_item_event, check_source, check_text, item_row
from workflow.usecases.operators import authorize

ITEM_COLUMNS = {
    "office": ("科室", "名称", "科室名称", "name"),
    "text": ("整改内容", "整改事项", "内容", "item"),
    "source": ("来源", "问题来源"),
    "due": ("期限", "整改期限", "完成时限", "due date"),
}


def import_items(ctx: Context, campaign_name: str | None, path: Path) -> tuple[str, int]:
    """Validate every row of the CSV first; store all of them or none."""
    table = read_table(path, ITEM_COLUMNS, required=("office", "text"))
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "publish-items")
        campaign = repo.find_campaign(s, campaign_name)
        sections = repo.section_ids(s, campaign.id)
        parsed = []
        for line, row in table.rows:
            where = _("{src} row {n}: ").format(src=table.source, n=line)
            office = row["office"]
            if office not in sections:
                raise InputError(where + _("unknown office '{name}'").format(name=office))
            text = check_text(row["text"], where)
            src = check_source(row.get("source") or None, where, definition_of(campaign))
            raw_due = row.get("due") or ""
            try:
                due = parse_date(raw_due.replace("/", "-"), _("due")) if raw_due else None
            except InputError as exc:
                raise InputError(where + str(exc)) from None
            parsed.append((office, sections[office], src, text, due))
        ids = ledger_repo.add_items(
            s, [item_row(campaign, sid, src, text, due, ctx, now) for _o, sid, src, text, due in parsed]
        )
        events_repo.append_events(
            s,
            campaign,
            [
                add_item_event(o, sid, i, src, text, due)
                for i, (o, sid, src, text, due) in zip(ids, parsed, strict=True)
            ],
            ctx.actor,
            now,
        )
        plan_items(
            s, campaign, [ItemDue(i, sid, due) for i, (_o, sid, _s, _t, due) in zip(ids, parsed, strict=True)]
        )
        return campaign.name, len(ids)
