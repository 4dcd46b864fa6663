"""One sweep's reminders as digests: the fired reminders of each recipient become one mail (the
items, their due dates and lights, the reply references), composed by
:func:`workflow.mail.mailtext.compose`."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from email.utils import make_msgid, parseaddr
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from storage import reminders_repo as rr
from workflow.calendar import deadlines as dl
from workflow.engine import text
from workflow.engine.definition import Definition, split_occurrence
from workflow.i18n import _, pick
from workflow.mail.mailtext import Item, compose
from workflow.usecases.context import Context
from workflow.usecases.dates import CampaignDates, active_dates, head_address
from workflow.usecases.results import Failure, PlannedMail, SweepResult, sentence


class _Campaign(NamedTuple):
    """What every reminder of one campaign shares in a sweep (looked up once, not per reminder)."""

    title: str  # the organizing body's name, in the operator's language
    leading_email: str | None
    today: date
    organizer: str  # the organizing body as digests name it


class _Line(NamedTuple):
    """One reminder as a line of one recipient's digest."""

    reminder: rr.PendingReminder
    item: Item


def compose_digests(
    s: Any, now: datetime, cds: dict[int, CampaignDates], sender: str, result: SweepResult
) -> list[dict[str, Any]]:
    """One digest per (campaign, recipient) for every pending reminder."""
    pending = rr.pending_reminders(s)
    if not pending:
        return []
    info = rr.section_info(s, [r.section_id for r in pending if r.section_id is not None])
    digests: dict[tuple[int, str], list[_Line]] = defaultdict(list)
    names: dict[tuple[int, str], str] = {}
    texts = rr.items_by_id(s, [i for r in pending if (i := rr.item_of(r.requirement)) is not None])
    queued: list[int] = []
    per_campaign: dict[int, _Campaign] = {}
    for rem in pending:
        cd = cds.get(rem.campaign_id)
        if cd is None:
            continue
        d = cd.definition
        c = per_campaign.get(rem.campaign_id)
        if c is None:
            c = per_campaign[rem.campaign_id] = _Campaign(
                pick(cd.organizer().title.as_dict()),
                cd.leading_email(),
                dl.local_day(now, cd.tz),
                d.body_label(cd.organizer()),
            )
        item_id = rr.item_of(rem.requirement)
        req_key, occurrence = split_occurrence(rem.requirement)
        if item_id is None:
            title = d.requirement(req_key).title.zh
            if occurrence is not None:
                n = d.count_of(d.requirement(req_key), cd.params)
                title += f"（第{occurrence}次，共{n}次）"
        else:
            title = "整改事项#{i}：{t}".format(i=item_id, t=texts[item_id].text if item_id in texts else "")
        office = (
            info[rem.section_id].name
            if rem.section_id is not None
            else d.body_label(d.body_of(d.requirement(req_key)))
        )
        recipients = json.loads(rem.recipients)
        # The digest says "copied to the leading group" only when it really was.
        copied = rem.kind == "escalate" and c.leading_email in recipients
        item = Item(
            cd.campaign.name,
            office,
            req_key,
            title,
            rem.due,
            dl.days_late(rem.due, c.today),
            max(0, (rem.due - c.today).days),
            copied,
            item_id,
            c.organizer,
        )
        sec = info.get(rem.section_id) if rem.section_id is not None else None
        for addr in recipients:
            key = (rem.campaign_id, addr)
            digests[key].append(_Line(rem, item))
            if sec is not None and addr == sec.email:
                names.setdefault(key, sec.name)
            elif sec is not None and addr == head_address(sec.head):
                names.setdefault(key, parseaddr(sec.head or "")[0] or sec.head or addr)
            elif addr == c.leading_email:
                names.setdefault(key, c.title)
        queued.append(rem.id)
    rr.mark_queued(s, queued)
    mails = []
    for (cid, addr), lines in digests.items():
        cd = cds[cid]
        d = cd.definition
        # one line per requirement: an escalation and a plain reminder of the same thing merge
        merged: dict[tuple[str, str], Item] = {}
        for line in lines:
            k = (line.item.office, line.reminder.requirement)  # each occurrence its own line
            merged[k] = line.item if k not in merged or line.item.escalated else merged[k]
        items = sorted(merged.values(), key=lambda i: (i.due, i.office, i.requirement))
        t = d.spec.reminders.templates
        sids = {line.reminder.section_id for line in lines}
        row = {
            "campaign_id": cid,
            "recipient": addr,
            "items": json.dumps(sorted({line.reminder.id for line in lines})),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        try:
            text.email(addr, _("recipient"))
            msg = compose(
                sender=sender,
                recipient=addr,
                recipient_name=names.get((cid, addr), addr),
                items=items,
                campaign=cd.campaign.name,
                campaign_title=d.spec.title.zh,
                leading_group=cd.organizer().title.zh,
                now=now.astimezone(ZoneInfo(cd.tz)),
                templates={"subject": t.subject, "body": t.body, "item": t.item},
                submission=submission_text(d),
                campaign_id=cid,
                section_id=next(iter(sids)) if len(sids) == 1 else None,
            )
            raw = msg.as_bytes().decode("ascii")
        except Exception as exc:  # noqa: BLE001  one digest fails alone: recorded, reported, never retried
            problem = _("cannot compose the reminder: {e}").format(e=sentence(exc))
            result.failures.append(Failure(cd.campaign.name, addr, problem, False))
            result.failed += 1  # kept as undeliverable: a message that failed
            mails.append(
                {
                    **row,
                    "subject": "",
                    "message_id": make_msgid(idstring="manyi-unsent"),
                    "raw": "",
                    "status": "undeliverable",
                    "last_error": problem[:500],
                }
            )
            continue
        subject = str(msg["Subject"])
        result.mails.append(PlannedMail(cd.campaign.name, addr, subject, items))
        mails.append(
            {
                **row,
                "subject": subject,
                "message_id": str(msg["Message-ID"]),
                "raw": raw,
                "last_error": None,
            }
        )
    s.flush()
    return mails


def submission_text(d: Definition) -> str | None:
    """The definition's own words on how to submit by mail (format 2 ``submission``), if any."""
    words = getattr(d.spec, "submission", None)
    if words is None:
        return None
    return getattr(words, "zh", None) or str(words)


def phase_ends(ctx: Context) -> list[datetime]:
    """The instants active campaigns' phase windows end (for runners to sweep at)."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        out = []
        for cd in active_dates(s).values():
            for w in cd.plan.windows.values():
                out.append(dl.end_of(w.end, cd.tz))
        return sorted(out)
