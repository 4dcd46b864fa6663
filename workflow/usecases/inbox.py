"""Offices answer by mail: take replies in, match them, and let a person accept or reject them.

``fetch`` reads the mailbox (:mod:`workflow.adapters.mailin`) and takes each new
message in once (its Message-ID is unique in ``inbound_message``): the raw
message and each attachment go to the blob store first (content-addressed, so
a repeat is free), then one transaction records the message, its
submissions and any notice to mail back. A process killed between the two
leaves at most an unreferenced blob; the next fetch takes the message in
then. A message is marked in the mailbox only after its commit, and a
message seen again is recognised by its Message-ID.

Matching: the reply reference ``[manyi:CAMPAIGN/OFFICE/REQUIREMENT]`` in the
subject, else the manyi Message-ID the reply quotes (In-Reply-To,
References), else the sender's address on one office's roster plus a
requirement's title in the subject. The sender must be the office's roster
address (or one added with ``inbox allow``); anything else is quarantined.
Too many or too large attachments, or executable ones, refuse the message
with a reason mailed back. A submission is ``received`` and counts for
nothing until a person accepts it (``accept`` files it through the same path
as ``manyi file``); an inbound message never changes a state by itself.
"""

from __future__ import annotations

import json
import os
import signal
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage import inbox_repo, repo
from storage import reminders_repo as rr
from storage.blobs import StoredBlob
from storage.columns import table_of
from storage.inbox_models import InboundMessage, OfficeSender, Submission
from storage.models import Campaign, Section
from workflow.adapters.mailin import Source, source_from_env
from workflow.adapters.mailserver import Transport, sender_from_env, transport_from_env
from workflow.adapters.tabular import check_email
from workflow.errors import ConfigError, ConflictError, InputError, NotFoundError
from workflow.i18n import N_, _, pick
from workflow.mail import mailparse
from workflow.mail.mailtext import compose_notice, parse_msgids, parse_references, reference
from workflow.usecases.context import Context, check_role, definition_of
from workflow.usecases.delivery import deliver
from workflow.usecases.filings import Filed, record_filing
from workflow.usecases.operators import authorize

DEFAULT_MAX_MB = 20
DEFAULT_MAX_FILES = 10
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


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_files: int
    allowed: frozenset[str]


def limits_from_env() -> Limits:
    def number(name: str, default: int) -> int:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(name, _("'{v}' is not a whole number").format(v=raw)) from None
        if value < 1:
            raise ConfigError(name, _("must be at least 1, not {v}").format(v=value))
        return value

    words = os.environ.get("MANYI_INBOX_ALLOW_TYPES", "").split(",")
    allowed = frozenset(("." + w.strip().lstrip(".").lower()) for w in words if w.strip())
    return Limits(
        number("MANYI_INBOX_MAX_MB", DEFAULT_MAX_MB) * 1024 * 1024,
        number("MANYI_INBOX_MAX_FILES", DEFAULT_MAX_FILES),
        allowed,
    )


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_HOOK) == name:
        os.kill(os.getpid(), signal.SIGKILL)


# -- matching --------------------------------------------------------------------
@dataclass
class Match:
    campaign: Campaign | None = None
    section: Section | None = None
    requirement: str | None = None
    status: str = "unmatched"  # matched | unmatched | quarantined | refused
    reason: str | None = None


def _senders(s: Any, campaigns: dict[int, Campaign]) -> dict[str, list[Section]]:
    """Address (lower case) -> the sections of active campaigns it may send for."""
    out: dict[str, list[Section]] = {}
    ids = list(campaigns)
    if not ids:
        return out
    secs = {sec.id: sec for sec in inbox_repo.sections_of(s, ids)}
    for sec in secs.values():
        if sec.email:
            out.setdefault(sec.email.strip().lower(), []).append(sec)
    for extra in inbox_repo.extra_senders(s, ids):
        also = secs.get(extra.section_id)
        if also is not None and also not in out.get(extra.address, []):
            out.setdefault(extra.address, []).append(also)
    return out


def _title_requirement(campaign: Campaign, subject: str) -> str | None:
    """The one office requirement whose title (or key) the subject names; None if none or several."""
    d = definition_of(campaign)
    found = set()
    plain = subject.replace("《", "").replace("》", "")
    for req in d.requirements.values():
        if req.filer != "section":
            continue
        titles = {req.key, req.title.zh, req.title.zh.replace("《", "").replace("》", ""), req.title.en}
        if any(t and (t in subject or t in plain) for t in titles):
            found.add(req.key)
    return next(iter(found)) if len(found) == 1 else None


def _office_requirement(campaign: Campaign, key: str | None) -> str | None:
    if not key:
        return None
    req = definition_of(campaign).requirements.get(key)
    return req.key if req is not None and req.filer == "section" else None


def match(s: Any, p: mailparse.Parsed) -> Match:
    """Which office and requirement a message answers, or why it is kept aside."""
    campaigns = {c.id: c for c in repo.list_campaigns(s) if c.status == "active"}
    by_name = {c.name: c for c in campaigns.values()}
    allowed = _senders(s, campaigns).get(p.sender, [])
    target: tuple[Campaign, Section, str | None] | None = None
    named = None
    # The most specific reference first: a reply keeps the digest's office reference and the
    # office adds the item's own ("[manyi:2026/秘书科] … [manyi:2026/秘书科/study-plan]").
    for cname, office, req in sorted(parse_references(p.subject), key=lambda r: r[2] is None):
        c = by_name.get(cname)
        sec = inbox_repo.section_named(s, c.id, office) if c else None
        if c is not None and sec is not None:
            target = (c, sec, req)
            break
        named = named or f"{cname}/{office}"
    if target is None:
        for cid, sid, req in parse_msgids(p.references):
            sec = s.get(Section, sid) if sid is not None else None
            if cid in campaigns and sec is not None and sec.campaign_id == cid:
                target = (campaigns[cid], sec, req)
                break
    if not p.sender:
        return Match(status="quarantined", reason=_("the message has no sender address"))
    if target is not None:
        c, sec, req = target
        if sec not in allowed:
            return Match(
                c,
                sec,
                None,
                "quarantined",
                _("sender {a} is not on the roster of {office} (add it with `manyi inbox allow`)").format(
                    a=p.sender, office=sec.name
                ),
            )
        key = _office_requirement(c, req) or _title_requirement(c, p.subject)
        return Match(
            c,
            sec,
            key,
            "matched" if key else "unmatched",
            None if key else _("the mail does not say which requirement it answers"),
        )
    if not allowed:
        if named:
            return Match(
                status="quarantined",
                reason=_(
                    "sender {a} is not on any office's roster; its reference {r} names no office"
                ).format(a=p.sender, r=named),
            )
        return Match(
            status="quarantined", reason=_("sender {a} is not on any office's roster").format(a=p.sender)
        )
    if len(allowed) > 1:
        narrowed = [sec for sec in allowed if _title_requirement(campaigns[sec.campaign_id], p.subject)]
        if len(narrowed) != 1:
            return Match(
                status="unmatched",
                reason=_(
                    "sender {a} is on the roster of several offices ({names}); the mail names none"
                ).format(a=p.sender, names=", ".join(sorted(sec.name for sec in allowed))),
            )
        allowed = narrowed
    sec = allowed[0]
    c = campaigns[sec.campaign_id]
    key = _title_requirement(c, p.subject)
    return Match(
        c,
        sec,
        key,
        "matched" if key else "unmatched",
        None if key else _("the mail does not say which requirement it answers"),
    )


def _safety(p: mailparse.Parsed, limits: Limits) -> list[str]:
    """Why the attachments cannot be taken in (empty: they can)."""
    problems = []
    if len(p.attachments) > limits.max_files:
        problems.append(
            _("{n} attachments, more than the limit of {m}").format(n=len(p.attachments), m=limits.max_files)
        )
    mb = limits.max_bytes / (1024 * 1024)
    for a in p.attachments:
        if a.size > limits.max_bytes:
            problems.append(
                _("{f} is {size:.1f} MB, over the limit of {m:g} MB").format(
                    f=a.filename, size=a.size / (1024 * 1024), m=mb
                )
            )
        if mailparse.refused_type(a.filename, a.content_type, limits.allowed):
            problems.append(
                _("{f} is an executable type ({ext}), not taken in").format(
                    f=a.filename, ext=mailparse.extension(a.filename) or a.content_type
                )
            )
    return problems


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
        problems += _safety(p, limits)
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
            _queue_notice(
                s, m.campaign, m.section, p.sender, p.subject, p.message_id, m.requirement, text, now
            )
    _crash_point("after-commit")
    return m.status, len(stored)


def _queue_notice(
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
    rr.add_mails(
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


# -- list, accept, reject, allow ---------------------------------------------------
def _local(when: datetime | None, tz: str = "Asia/Shanghai") -> str | None:
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds") if when else None


def list_inbox(ctx: Context) -> list[dict[str, Any]]:
    """Every submission, and every message that became none (unmatched, quarantined, refused)."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        names = rr.campaign_names(s)
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
        _queue_notice(
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
        if inbox_repo.sender_exists(s, section.id, addr) or (section.email or "").lower() == addr:
            raise InputError(_("{a} already sends for {office}").format(a=addr, office=section.name))
        s.add(
            OfficeSender(
                campaign_id=campaign.id, section_id=section.id, address=addr, actor=ctx.actor, at=now
            )
        )
        repo.append_events(
            s,
            campaign,
            [
                repo.NewEvent(
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
