"""Offices answer by mail: take replies in (matching in :mod:`.inbox_match`, the clerk's
accept/reject in :mod:`.inbox_desk`).

``fetch`` reads the mailbox (:mod:`workflow.adapters.mailin`) and takes each new
message in once (its Message-ID is unique in ``inbound_message``): the raw
message and each attachment go to the blob store first (content-addressed, so
a repeat is free), then one transaction records the message, its
submissions and any notice to mail back. A process killed between the two
leaves at most an unreferenced blob; the next fetch takes the message in
then. A message is marked in the mailbox only after its commit, and a
message seen again is recognised by its Message-ID.

A submission is ``received`` and counts for nothing until a person accepts it
(``accept`` files it through the same path as ``manyi file``); an inbound message
never changes a state by itself.
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage import inbox_repo, mail_repo
from storage import reminders_repo as rr
from storage.blobs import StoredBlob
from storage.columns import table_of
from storage.inbox_models import InboundMessage, Submission
from storage.models import Campaign, Section
from workflow.adapters.mailin import Source, source_from_env
from workflow.adapters.mailserver import Transport, sender_from_env, transport_from_env
from workflow.i18n import N_, _
from workflow.mail import mailparse
from workflow.mail.mailtext import compose_notice, reference
from workflow.usecases.context import Context, check_role
from workflow.usecases.delivery import deliver
from workflow.usecases.inbox_match import Limits, attachment_problems, limits_from_env, match

#: Words stored as keys and shown translated.
WORDS = (
    N_("submission"),
    N_("received"),
    N_("accepted"),
    N_("rejected"),
    N_("matched"),
    N_("unmatched"),
    N_("quarantined"),
    N_("refused"),
)
CRASH_HOOK = "MANYI_INBOX_CRASH"  # tests: "before-commit" / "after-commit" kills the process there


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_HOOK) == name:
        os.kill(os.getpid(), signal.SIGKILL)


# -- fetch -------------------------------------------------------------------------
@dataclass
class FetchResult:
    seen: int = 0
    new: int = 0
    duplicates: int = 0
    submissions: int = 0
    matched: int = 0
    unmatched: int = 0
    quarantined: int = 0
    refused: int = 0
    notices: int = 0
    lines: list[str] = field(default_factory=list)


def _notes_text(notes: list[str]) -> list[str]:
    out = []
    for n in notes:
        kind, _sep, name = n.partition(":")
        if kind == "winmail.dat":
            out.append(
                _("{f} (Outlook winmail.dat) ignored: ask the office to send plain attachments").format(
                    f=name
                )
            )
        elif kind == "forwarded-message":
            out.append(_("{f} (a forwarded message) not taken in").format(f=name))
    return out


def take_in(ctx: Context, raw: bytes, where: str, limits: Limits, now: datetime) -> tuple[str, int]:
    """One message into the database; returns its status (or ``duplicate``) and its submissions."""
    too_big = mailparse.oversized(raw, limits.max_bytes)
    p = mailparse.parse(mailparse.headers_only(raw) if too_big else raw)
    with ctx.db.read() as s:
        if inbox_repo.message_row_id(s, p.message_id) is not None:
            return "duplicate", 0
        m = match(s, p)
    notes = _notes_text(p.notes)
    if m.section is not None and m.status != "quarantined":
        problems = [
            _("{f} is about {size:.1f} MB, over the limit of {m:g} MB").format(
                f=name, size=size / (1024 * 1024), m=limits.max_bytes / (1024 * 1024)
            )
            for name, size in too_big
        ]
        problems += attachment_problems(p, limits)
        if problems:
            m.status, m.reason = "refused", "; ".join(problems)
        elif not p.attachments and not too_big:
            m.status, m.reason = "unmatched", _("no attachment")
    blobs = ctx.db.blobs()
    raw_blob = blobs.put_bytes(raw, "message.eml")
    stored: list[tuple[mailparse.Attachment, StoredBlob]] = []
    if m.status in ("matched", "unmatched") and m.section is not None:
        stored = [(a, blobs.put_bytes(a.data, a.filename)) for a in p.attachments]
    _crash_point("before-commit")
    with ctx.db.write() as s:
        for blob in (raw_blob, *(b for _a, b in stored)):
            blobs.keep(s, blob)
        row = {
            "message_id": p.message_id,
            "campaign_id": m.campaign.id if m.campaign else None,
            "section_id": m.section.id if m.section else None,
            "requirement": m.requirement,
            "sender": p.sender,
            "sender_name": p.sender_name or None,
            "subject": p.subject[:2000],
            "sent_at": p.sent_at,
            "fetched_at": now,
            "source": where[:250],
            "status": m.status,
            "reason": m.reason,
            "notes": json.dumps(notes, ensure_ascii=False),
            "raw_sha256": raw_blob.sha256,
            "size": raw_blob.size,
        }
        if not rr.insert_ignoring_duplicates(s, table_of(InboundMessage), [row]):
            return "duplicate", 0  # another process took it in meanwhile
        mid = inbox_repo.message_row_id(s, p.message_id)
        assert m.campaign is not None and m.section is not None  # matched: both were found
        for a, blob in stored:
            s.add(
                Submission(
                    message_row_id=mid,
                    campaign_id=m.campaign.id,
                    section_id=m.section.id,
                    requirement=m.requirement,
                    sha256=blob.sha256,
                    filename=blob.filename,
                    size=blob.size,
                    content_type=a.content_type,
                    sender=p.sender,
                    received_at=now,
                    status="received",
                )
            )
        if m.status == "refused" and m.campaign is not None and m.section is not None:
            text = (
                "{office}：\n\n您于{when}发来的邮件“{subject}”未被接收：\n{why}\n\n"
                "请按要求调整后重新回复（单个附件不超过{mb:g} MB，最多{n}个附件，不接收可执行文件）。\n\n"
                "—— manyi 自动回复\n"
            ).format(
                office=m.section.name,
                when=(p.sent_at or now).strftime("%Y-%m-%d %H:%M"),
                subject=p.subject,
                why="\n".join(f"  - {x}" for x in (m.reason or "").split("; ")),
                mb=limits.max_bytes / (1024 * 1024),
                n=limits.max_files,
            )
            queue_notice(
                s, m.campaign, m.section, p.sender, p.subject, p.message_id, m.requirement, text, now
            )
    _crash_point("after-commit")
    return m.status, len(stored)


def queue_notice(
    s: Any,
    campaign: Campaign,
    section: Section,
    to: str,
    subject: str,
    in_reply_to: str,
    requirement: str | None,
    text: str,
    now: datetime,
) -> None:
    real = in_reply_to.startswith("<") and "manyi.invalid" not in in_reply_to  # not a stand-in id
    msg = compose_notice(
        sender=sender_from_env(),
        recipient=to,
        subject=subject,
        text=text,
        now=now,
        in_reply_to=in_reply_to if real else None,
        ref=reference(campaign.name, section.name, requirement),
        campaign_id=campaign.id,
        section_id=section.id,
    )
    mail_repo.add_mails(
        s,
        [
            {
                "campaign_id": campaign.id,
                "recipient": to,
                "subject": str(msg["Subject"]),
                "message_id": str(msg["Message-ID"]),
                "raw": msg.as_bytes().decode("ascii"),
                "items": "[]",
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        ],
    )


def fetch(
    ctx: Context,
    source: Source | None = None,
    transport: Transport | None = None,
    require: str | None = "manage",
) -> FetchResult:
    """Take in every new message of the mailbox; mail back the notices of refused ones."""
    if require is not None:
        check_role(ctx, require)
    limits = limits_from_env()
    sender_from_env()
    transport = transport or transport_from_env(ctx.db.outbox)
    source = source or source_from_env()
    result = FetchResult()
    now = ctx.now()
    try:
        listed = list(source.headers())
        ids = [mid for _k, mid in listed if mid]
        with ctx.db.read() as s:
            known = inbox_repo.known_message_ids(s, ids)
        for key, mid in listed:
            result.seen += 1
            if mid is not None and mid in known:
                result.duplicates += 1
                source.done(key)
                continue
            raw = source.fetch(key)
            if raw is None:
                continue
            status, subs = take_in(ctx, raw, source.where, limits, now)
            result.submissions += subs
            source.done(key)
            if status == "duplicate":
                result.duplicates += 1
                continue
            result.new += 1
            setattr(result, status, getattr(result, status) + 1)
    finally:
        source.close()
    sent = deliver(ctx, transport, now=now)
    result.notices = sent.sent
    return result
