"""Which office and requirement an inbound message answers, or why it is kept aside (quarantined, refused).

The reply reference ``[manyi:CAMPAIGN/OFFICE/REQUIREMENT]`` in the subject comes first, then the
manyi Message-ID the reply quotes (In-Reply-To, References), then the sender's roster address plus
a requirement's title in the subject. The sender must be on the office's roster (or allowed with
``inbox allow``); the attachments must be within the limits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from storage import inbox_repo, repo, senders_repo
from storage.models import Campaign, Section
from workflow.errors import ConfigError
from workflow.i18n import _
from workflow.mail import mailparse
from workflow.mail.mailtext import parse_msgids, parse_references
from workflow.usecases.context import definition_of

# -- limits ----------------------------------------------------------------------
DEFAULT_MAX_MB = 20
DEFAULT_MAX_FILES = 10


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
    for extra in senders_repo.extra_senders(s, ids):
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


def attachment_problems(p: mailparse.Parsed, limits: Limits) -> list[str]:
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
