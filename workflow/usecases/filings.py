"""Filing a document for a requirement: by an office, or by a central body under its name."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storage import events_repo, repo
from storage.models import Campaign, Filing
from workflow.engine import text
from workflow.engine.definition import Definition, occurrence_key
from workflow.errors import InputError
from workflow.i18n import _, pick
from workflow.usecases.context import Context, definition_of, read_document
from workflow.usecases.operators import authorize


# -- filing ------------------------------------------------------------------
@dataclass(frozen=True)
class Filed:
    campaign: str
    office: str
    requirement: str
    requirement_title: str
    sha256: str
    filename: str
    count: int
    needed: int
    filing_id: int | None = None


def file_document(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    requirement: str,
    path: Path,
    note: str | None = None,
    *,
    allow_empty: bool = False,
) -> Filed:
    note = text.optional(note, "--note")
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        req = definition.requirement(requirement)
        body = definition.body_named(office)
        is_group = body is not None
        authorize(s, ctx, "file-group" if is_group else "file", None if is_group else office)
        if body is not None and req.filer != body.key:
            raise InputError(
                _("'{r}' is filed by {filer}, not by {body}").format(
                    r=req.key, filer=definition.filer_title(req), body=pick(body.title.as_dict())
                )
            )
        if body is None:
            check_can_file(s, definition, req, repo.find_section(s, campaign.id, office))
            if definition.is_central(req):
                raise InputError(
                    _("'{r}' is filed by {body} (use '{g}' as the office)").format(
                        r=req.key,
                        body=definition.filer_title(req),
                        g=definition.body_label(definition.body_of(req)),
                    )
                )
    blobs, blob = read_document(ctx, path, allow_empty=allow_empty)
    now = ctx.now()
    with ctx.db.write() as s:
        blobs.keep(s, blob)
        campaign = repo.find_campaign(s, campaign_name)
        section = None if is_group else repo.find_section(s, campaign.id, office)
        return record_filing(s, ctx, campaign, definition, req, section, blob, note, now)


def retired_message(office: str) -> str:
    return _(
        "office '{office}' is retired from the campaign; reinstate it first "
        "(manyi office retire '{office}' --undo --reason …)"
    ).format(office=office)


def check_can_file(s: Any, definition: Definition, req: Any, section: Any) -> None:
    """Refuse a filing by a retired section, or of a requirement that does not apply to it."""
    if section.retired_at is not None:
        raise InputError(retired_message(section.name))
    if req.only and not definition.applies(req, repo.tags_of(section.tags)):
        raise InputError(
            _("'{r}' applies only to those tagged {only}; {office} is not").format(
                r=req.key, only=_(", ").join(req.only), office=section.name
            )
        )


def record_filing(
    s: Any,
    ctx: Context,
    campaign: Campaign,
    definition: Definition,
    req: Any,
    section: Any,
    blob: Any,
    note: str | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> Filed:
    """The filing row, its deadline closed when enough, and the ``file`` event (``detail`` added to it)."""
    if section is not None:
        check_can_file(s, definition, req, section)
    sid = section.id if section else None
    filing = Filing(
        campaign_id=campaign.id,
        section_id=sid,
        requirement=req.key,
        sha256=blob.sha256,
        filename=blob.filename,
        size=blob.size,
        note=note,
        actor=ctx.actor,
        at=now,
    )
    repo.add_filing(s, filing)
    counts = repo.filing_counts(s, campaign.id, [sid] if sid else [])
    have = counts.campaign.get(req.key, 0) if sid is None else counts.by_section[sid].get(req.key, 0)
    params = json.loads(campaign.parameters)
    if req.recurring:  # the occurrence this filing meets (they are met in order)
        if have <= definition.count_of(req, params):
            from storage import reminders_repo

            reminders_repo.close_deadline(s, campaign.id, sid, occurrence_key(req.key, have))
    elif have >= definition.count_of(req, params):
        from storage import reminders_repo

        reminders_repo.close_deadline(s, campaign.id, sid, req.key)
    label = section.name if section else definition.body_label(definition.body_of(req))
    events_repo.append_events(
        s,
        campaign,
        [
            events_repo.NewEvent(
                "file",
                section_id=sid,
                office=label,
                reason=note,
                detail={
                    "requirement": req.key,
                    "sha256": blob.sha256,
                    "filename": blob.filename,
                    "size": blob.size,
                    **(detail or {}),
                },
            )
        ],
        ctx.actor,
        now,
    )
    return Filed(
        campaign.name,
        label,
        req.key,
        pick(req.title.as_dict()),
        blob.sha256,
        blob.filename,
        have,
        definition.count_of(req, json.loads(campaign.parameters)),
        filing.id,
    )
