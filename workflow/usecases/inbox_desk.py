"""The clerk's side of the inbox: list what came in, accept a submission (filed through the same
path as ``manyi file``), reject it with a reason mailed back, and allow a further sender address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import events_repo, inbox_repo, mail_repo, repo, senders_repo
from storage.blobs import StoredBlob
from storage.inbox_models import InboundMessage, Submission
from storage.models import Campaign, Section
from storage.sender_models import OfficeSender
from workflow.adapters.mailserver import Transport, sender_from_env, transport_from_env
from workflow.adapters.tabular import check_email
from workflow.errors import ConflictError, InputError, NotFoundError
from workflow.i18n import _, pick
from workflow.usecases.context import Context, definition_of
from workflow.usecases.delivery import deliver
from workflow.usecases.filings import Filed, record_filing
from workflow.usecases.inbox import queue_notice
from workflow.usecases.operators import authorize


# -- list, accept, reject, allow ---------------------------------------------------
def _local(when: datetime | None, tz: str = "Asia/Shanghai") -> str | None:
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds") if when else None


def list_inbox(ctx: Context) -> list[dict[str, Any]]:
    """Every submission, and every message that became none (unmatched, quarantined, refused)."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        names = mail_repo.campaign_names(s)
        sections, msgs, subs = inbox_repo.everything(s)
    with_subs = {sub.message_row_id for sub in subs}
    rows: list[dict[str, Any]] = []
    for sub in subs:
        m = msgs[sub.message_row_id]
        rows.append(
            {
                "id": sub.id,
                "kind": "submission",
                "status": sub.status,
                "campaign": names.get(sub.campaign_id),
                "office": sections.get(sub.section_id),
                "requirement": sub.requirement,
                "filename": sub.filename,
                "size": sub.size,
                "sha256": sub.sha256,
                "from": sub.sender,
                "subject": m.subject,
                "message_id": m.message_id,
                "message": m.id,
                "received_at": _local(sub.received_at),
                "reason": sub.reason or (m.reason if sub.status == "received" else None),
                "notes": json.loads(m.notes),
                "decided_by": sub.decided_by,
            }
        )
    for m in msgs.values():
        if m.id in with_subs:
            continue
        rows.append(
            {
                "id": None,
                "kind": "mail",
                "status": m.status,
                "campaign": names.get(m.campaign_id),
                "office": sections.get(m.section_id) if m.section_id else None,
                "requirement": m.requirement,
                "filename": None,
                "size": m.size,
                "sha256": m.raw_sha256,
                "from": m.sender,
                "subject": m.subject,
                "message_id": m.message_id,
                "message": m.id,
                "received_at": _local(m.fetched_at),
                "reason": m.reason,
                "notes": json.loads(m.notes),
                "decided_by": None,
            }
        )
    rows.sort(key=lambda r: (r["message"], r["id"] or 0))
    return rows


def _submission(s: Any, sub_id: int) -> Submission:
    sub = s.get(Submission, sub_id)
    if sub is None:
        raise NotFoundError("submission", str(sub_id), _("see `manyi inbox list`"))
    if sub.status != "received":
        raise InputError(
            _("submission {id} is already {status} (by {who})").format(
                id=sub_id, status=_(sub.status), who=sub.decided_by or "?"
            )
        )
    return sub


@dataclass(frozen=True)
class Accepted:
    filed: Filed
    submission: int
    message_id: str


def accept(ctx: Context, sub_id: int, requirement: str | None = None) -> Accepted:
    """File a received submission through the normal filing path (guards, counts, history)."""
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        sub = _submission(s, sub_id)
        campaign = s.get(Campaign, sub.campaign_id)
        section = s.get(Section, sub.section_id)
        assert campaign is not None  # a foreign key
        d = definition_of(campaign)
        key = requirement or sub.requirement
        if not key:
            keys = [r.key for r in d.requirements.values() if r.filer == "section"]
            raise InputError(
                _(
                    "submission {id} does not say which requirement it answers: "
                    "give --requirement KEY (one of {keys})"
                ).format(id=sub_id, keys=", ".join(keys))
            )
        req = d.requirement(key)
        if req.filer != "section":
            raise InputError(
                _("'{r}' is filed by {body}, not by an office").format(r=req.key, body=d.filer_title(req))
            )
        assert campaign is not None and section is not None  # foreign keys
        authorize(s, ctx, "file", section.name)
        if campaign.status != "active":
            raise InputError(_("campaign '{name}' is closed").format(name=campaign.name))
        if ctx.db.blobs().check(sub.sha256) is not None:
            raise InputError(
                _("the document of submission {id} is missing from the blob store").format(id=sub_id)
            )
        msg = s.get(InboundMessage, sub.message_row_id)
        assert msg is not None  # a foreign key
        claimed = inbox_repo.decide(
            s, sub_id, status="accepted", requirement=req.key, decided_by=ctx.actor, decided_at=now
        )
        if not claimed:
            raise ConflictError(_("submission {id}").format(id=sub_id), "?", None)
        filed = record_filing(
            s,
            ctx,
            campaign,
            d,
            req,
            section,
            StoredBlob(sub.sha256, sub.size, sub.filename),
            None,
            now,
            {"mail": msg.message_id, "from": sub.sender, "submission": sub_id},
        )
        inbox_repo.link_filing(s, sub_id, filed.filing_id)
        return Accepted(filed, sub_id, msg.message_id)


def reject(ctx: Context, sub_id: int, reason: str, transport: Transport | None = None) -> tuple[str, int]:
    """Reject a received submission; the office is told why by mail. Returns (recipient, sent)."""
    if not reason.strip():
        raise InputError(_("--reason must not be empty: the office is told why"))
    ctx.db.ensure_ready(create=False)
    sender_from_env()
    transport = transport or transport_from_env(ctx.db.outbox)
    now = ctx.now()
    with ctx.db.write() as s:
        sub = _submission(s, sub_id)
        campaign = s.get(Campaign, sub.campaign_id)
        section = s.get(Section, sub.section_id)
        msg = s.get(InboundMessage, sub.message_row_id)
        # Foreign keys: a submission's campaign, section and message rows are never deleted.
        assert campaign is not None and section is not None and msg is not None
        authorize(s, ctx, "file", section.name)
        inbox_repo.decide(
            s, sub_id, status="rejected", reason=reason.strip(), decided_by=ctx.actor, decided_at=now
        )
        title = ""
        if sub.requirement:
            title = f"（{definition_of(campaign).requirement(sub.requirement).title.zh}）"
        text = (
            f"{section.name}：\n\n您报送的文件“{sub.filename}”{title}未被采纳。\n原因：{reason.strip()}\n\n"
            f"请修改后回复本邮件重新报送。\n\n—— {ctx.actor}（manyi）\n"
        )
        queue_notice(
            s, campaign, section, sub.sender, msg.subject, msg.message_id, sub.requirement, text, now
        )
        to = sub.sender
    result = deliver(ctx, transport, now=now)
    if result.unreachable is not None:
        raise result.unreachable
    return to, result.sent


def allow(ctx: Context, campaign_name: str | None, office: str, address: str) -> str:
    """Take mail for ``office`` also from ``address`` (besides its roster address)."""
    addr = (check_email(address.strip()) or "").lower()
    if not addr:
        raise InputError(_("give an e-mail address"))
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        section = repo.find_section(s, campaign.id, office)
        if senders_repo.sender_exists(s, section.id, addr) or (section.email or "").lower() == addr:
            raise InputError(_("{a} already sends for {office}").format(a=addr, office=section.name))
        s.add(
            OfficeSender(
                campaign_id=campaign.id, section_id=section.id, address=addr, actor=ctx.actor, at=now
            )
        )
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "sender-add", section_id=section.id, office=section.name, detail={"address": addr}
                )
            ],
            ctx.actor,
            now,
        )
        return section.name


def office_title(campaign: Campaign, key: str | None) -> str:
    if not key:
        return ""
    try:
        return pick(definition_of(campaign).requirement(key).title.as_dict())
    except NotFoundError:
        return key
