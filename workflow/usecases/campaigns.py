"""Use cases over campaigns as wholes: set up the database, start, list and close a
campaign, and read one office's (or central body's) history.

Each function takes a :class:`Context` (database, actor, clock) and plain
arguments, orchestrates the pure parts (definition, machine, schedule) and
returns plain data for the CLI to render. Nothing here prints.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage import clock, events_repo, repo
from storage.models import Campaign
from workflow.adapters import definition_files as defs
from workflow.adapters.tabular import read_roster
from workflow.calendar import schedule
from workflow.calendar.deadlines import calendar_of
from workflow.engine import text
from workflow.engine.definition import Definition
from workflow.errors import DuplicateError, InputError
from workflow.i18n import _, pick
from workflow.usecases.campaign_info import CampaignInfo, info_of
from workflow.usecases.context import Context, definition_of, parse_date
from workflow.usecases.offices import add_entries
from workflow.usecases.operators import authorize


def close_campaign(ctx: Context, name: str, reason: str) -> None:
    """Close a campaign: no longer the default, no more reminders or automatic advances.

    Nothing is deleted; the closing is an event of its chain, with who and why.
    """
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say why the campaign is closed"))
    reason = text.name(reason, "--reason")
    ctx.db.ensure_ready(create=False)
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, name)
        if campaign.status != "active":
            raise InputError(_("campaign '{name}' is already closed").format(name=campaign.name))
        campaign.status = "closed"
        s.add(campaign)
        events_repo.append_events(
            s, campaign, [events_repo.NewEvent("campaign-close", reason=reason.strip())], ctx.actor, ctx.now()
        )


def _check_name(name: str, what: str) -> str:
    return text.name(name, what)


# -- setup -------------------------------------------------------------------
def init(ctx: Context, *, rehearsal: bool = False) -> tuple[str | None, str, Any]:
    """Create or upgrade the schema; ``rehearsal`` marks a database without campaigns as one.

    Returns ``(before, after, first)``: the schema revisions, and on PostgreSQL the first
    supervisor created from the login that ran it (None if operators existed already).
    """
    revisions = ctx.db.upgrade()
    if rehearsal:
        with ctx.db.write(pretended_ok=True) as s:
            authorize(s, ctx, "manage")
            clock.mark_rehearsal(s)
    from workflow.usecases.users import first_supervisor

    first = first_supervisor(ctx)  # PostgreSQL: the login that ran init manages the others
    return (*revisions, first)


def start_campaign(
    ctx: Context,
    source: str,
    name: str,
    start: str,
    sets: Sequence[str] = (),
    roster: Path | None = None,
    *,
    rehearsal: bool = False,
    strict: bool = False,
    warnings: list[str] | None = None,
) -> CampaignInfo:
    """Create a campaign from a definition, optionally with its roster of offices.

    ``strict`` and ``warnings``: see :func:`workflow.adapters.tabular.read_roster`.
    """
    definition = defs.load(source)
    name = _check_name(name, "--name")
    start_date = parse_date(start, "--start")
    overrides: dict[str, Any] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep:
            raise InputError(_("--set expects KEY=VALUE, got '{v}'").format(v=item))
        overrides[key.strip()] = definition.coerce_parameter(key.strip(), raw.strip())
    params = definition.parameters(overrides)
    _check_text_parameters(definition, params)
    plan = schedule.resolve(definition, start_date, params)
    entries = read_roster(roster, strict=strict, warnings=warnings) if roster is not None else []
    ctx.db.ensure_ready(create=True, rehearsal=rehearsal)
    now = ctx.now()
    with ctx.db.write(pretended_ok=rehearsal) as s:
        authorize(s, ctx, "manage")
        if rehearsal:
            clock.mark_rehearsal(s)
        if name in {c.name for c in repo.list_campaigns(s)}:
            raise DuplicateError("campaign", name)
        campaign = Campaign(
            name=name,
            definition_key=definition.key,
            definition_source=definition.source,
            definition_text=definition.text,
            parameters=json.dumps(params, ensure_ascii=False),
            start_date=start_date,
            timezone=definition.spec.timezone,
            created_at=now,
            created_by=ctx.actor,
        )
        s.add(campaign)
        s.flush()
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "campaign-start",
                    detail={
                        "definition": definition.key,
                        "start": start_date.isoformat(),
                        "parameters": params,
                        "definition_sha256": _sha(definition.text),
                    },
                )
            ],
            ctx.actor,
            now,
        )
        add_entries(s, campaign, definition, entries, now, ctx.actor)
        info = info_of(campaign, definition, plan, len(entries))
    return replace(info, next_working_day=calendar_of(definition).next_if_off(start_date))


def _check_text_parameters(definition: Definition, params: dict[str, Any]) -> None:
    """Text parameters hold no control characters; the ones that are e-mail addresses are addresses."""
    refs = [b.email for b in definition.bodies.values() if b.email]
    emails = {ref[1:] for ref in refs if ref.startswith("$")}
    for key, value in params.items():
        if not isinstance(value, str):
            continue
        field = f"--set {key}"
        params[key] = text.email(value, field) or "" if key in emails else text.clean(value, field)
    for literal in refs:
        if not literal.startswith("$"):
            text.email(literal, "email")


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def list_campaigns(ctx: Context) -> list[CampaignInfo]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        out = []
        for c in repo.list_campaigns(s):
            d = definition_of(c)
            plan = schedule.resolve(d, c.start_date, json.loads(c.parameters))
            out.append(info_of(c, d, plan, len(repo.section_names(s, c.id))))
        return out


# -- history -----------------------------------------------------------------
def history(ctx: Context, campaign_name: str | None, office: str) -> list[dict[str, Any]]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        if definition.body_named(office) is not None:
            sid = None
        else:
            sid = repo.find_section(s, campaign.id, office).id
        titles = {st: pick(definition.title_of(st).as_dict()) for st in definition.states}
        zone = ZoneInfo(campaign.timezone)
        groups: dict[str, str] = {}
        if definition.spec.scoring:
            from workflow.usecases import scores

            groups = scores.group_titles(scores.rules_of(campaign)[0])
        out = []
        for e in events_repo.history(s, campaign.id, sid):
            detail = events_repo.detail_of(e)
            # What the detail's keys mean, in the user's language (the keys stay for scripts).
            words: dict[str, str] = {}
            if detail.get("requirement") in definition.requirements:
                words["requirement"] = pick(definition.requirement(detail["requirement"]).title.as_dict())
            if "group" in detail:
                words["group"] = groups.get(detail["group"], detail["group"])
            if "vote" in detail:
                from workflow.usecases.scores import vote_word

                words["vote"] = vote_word(str(detail["vote"]))
            out.append(
                {
                    "seq": e.seq,
                    "at": e.at.isoformat(timespec="seconds"),
                    "at_local": e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    "actor": e.actor,
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    "reason": e.reason,
                    "from_title": titles.get(e.from_state or "", e.from_state),
                    "to_title": titles.get(e.to_state or "", e.to_state),
                    # PostgreSQL: the database login that wrote the event, beside the --as name.
                    "db_user": detail.pop("db_user", None),
                    # The real clock when it was written (``at`` is the effective time: MANYI_NOW
                    # in a rehearsal); None for events written before manyi recorded it.
                    "recorded_at": detail.pop("recorded_at", None),
                    "os_user": detail.pop("os_user", None),  # the OS login beside the --as label
                    "detail": detail,
                    "detail_titles": words,
                }
            )
        return out
