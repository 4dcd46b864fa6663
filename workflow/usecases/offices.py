"""Use cases over a campaign's offices (sections): add, import a roster, correct, retire, list.

Every change is an event in the section's chain carrying the office's full new
address data, so ``audit verify`` re-derives the ``section`` rows from events alone:
``office-add`` and ``office-edit`` carry name, e-mail, head and tags;
``office-retire`` and ``office-reinstate`` set and clear the retirement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from storage import events_repo, repo
from storage.models import Campaign, Section
from workflow.adapters.tabular import RosterEntry, check_email, read_roster
from workflow.engine import text
from workflow.engine.definition import Definition
from workflow.errors import DuplicateError, InputError
from workflow.i18n import N_, _, pick
from workflow.usecases.context import Context, definition_of
from workflow.usecases.operators import authorize


def address_detail(name: str, email: str | None, head: str | None, tags: Sequence[str]) -> dict[str, Any]:
    """What an office event records of the office. ``tags`` only when it has any: the
    events of offices without tags read exactly as before tags existed."""
    detail: dict[str, Any] = {"name": name, "email": email, "head": head}
    if tags:
        detail["tags"] = sorted(tags)
    return detail


def _edit(
    section: Section, before: dict[str, Any], after: dict[str, Any], reason: str
) -> events_repo.NewEvent:
    """Set ``section`` to ``after`` (name, e-mail, head, tags) and give the ``office-edit``
    event that records it with the values before, for the fields that changed."""
    section.name, section.email, section.head = after["name"], after["email"], after["head"]
    section.tags = repo.tags_json(after["tags"])
    return events_repo.NewEvent(
        "office-edit",
        section_id=section.id,
        office=section.name,
        reason=reason,
        detail={
            **address_detail(after["name"], after["email"], after["head"], after["tags"]),
            "before": {k: _stored(v) for k, v in before.items() if v != after[k]},
        },
    )


def _refuse_body_name(definition: Definition, name: str) -> None:
    body = definition.body_named(name)
    if body is not None:
        raise InputError(
            _("'{name}' is the name of {body}, a central body; choose another office name").format(
                name=name, body=pick(body.title.as_dict())
            )
        )


def add_entries(
    s: Any,
    campaign: Campaign,
    definition: Definition,
    entries: Sequence[RosterEntry],
    now: datetime,
    actor: str,
) -> None:
    """Add the roster's offices (all new) with their records in the first phase, one event each."""
    if not entries:
        return
    existing = repo.section_names(s, campaign.id)
    for e in entries:
        if e.name in existing:
            raise DuplicateError("office", e.name)
        _refuse_body_name(definition, e.name)
    initial = definition.states[0]
    added = repo.add_sections(
        s,
        campaign.id,
        [repo.NewSection(e.name, e.email, e.head, e.tags or ()) for e in entries],
        initial,
        actor,
        now,
    )
    by_name = {e.name: e for e in entries}
    events = []
    for sid, name in added:
        e = by_name[name]
        detail = address_detail(name, e.email, e.head, e.tags or ())
        del detail["name"]  # the event's office says it
        events.append(
            events_repo.NewEvent("office-add", section_id=sid, office=name, to_state=initial, detail=detail)
        )
    events_repo.append_events(s, campaign, events, actor, now)


def add_office(
    ctx: Context,
    campaign_name: str | None,
    name: str,
    email: str | None,
    head: str | None,
    tags: str | None = None,
) -> str:
    entry = RosterEntry(
        text.name(name, _("office name")),
        check_email(email, "--email"),
        text.optional(head, "--head"),
        text.tags(tags, "--tags"),
    )
    ctx.db.ensure_ready(create=False)
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        repo.require_open(campaign)
        add_entries(s, campaign, definition_of(campaign), [entry], ctx.now(), ctx.actor)
        return campaign.name


@dataclass(frozen=True)
class Imported:
    campaign: str
    added: list[str]
    unchanged: list[str]
    updated: list[str]


def _fields(sec: Section) -> dict[str, Any]:
    """What an office edit may change, as comparable values (tags a sorted tuple)."""
    return {
        "name": sec.name,
        "email": sec.email,
        "head": sec.head,
        "tags": tuple(sorted(repo.tags_of(sec.tags))),
    }


def import_offices(
    ctx: Context,
    campaign_name: str | None,
    path: Path,
    *,
    update: bool = False,
    strict: bool = False,
    warnings: list[str] | None = None,
) -> Imported:
    """Add the roster's new offices; offices already there are reported, not refused.

    An office whose e-mail, head or tags (when the roster has a tags column) differ
    from the roster is changed only with ``update`` (each change an ``office-edit``
    event); without it the import is refused naming the first difference, and
    nothing is stored. Rows with missing or extra fields are warned about (see
    read_roster).
    """
    entries = read_roster(path, strict=strict, warnings=warnings)
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        repo.require_open(campaign)
        current = {sec.name: sec for sec in repo.sections(s, campaign.id)}
        new = [e for e in entries if e.name not in current]
        unchanged, updated, events = [], [], []
        for e in entries:
            sec = current.get(e.name)
            if sec is None:
                continue
            before = _fields(sec)
            after = {**before, "email": e.email, "head": e.head}
            if e.tags is not None:  # a roster without a tags column leaves them
                after["tags"] = e.tags
            if before == after:
                unchanged.append(e.name)
                continue
            if not update:
                field = next(k for k in before if before[k] != after[k])
                raise InputError(
                    _(
                        "{src}: office '{name}' differs from the database ({field}: {old} → {new}); "
                        "add --update to apply the roster's values"
                    ).format(
                        src=path,
                        name=e.name,
                        field=_(FIELD_WORDS[field]),
                        old=shown(before[field]),
                        new=shown(after[field]),
                    )
                )
            events.append(_edit(sec, before, after, _("roster {src} (--update)").format(src=path.name)))
            s.add(sec)
            updated.append(e.name)
        s.flush()
        events_repo.append_events(s, campaign, events, ctx.actor, now)
        add_entries(s, campaign, definition_of(campaign), new, now, ctx.actor)
        return Imported(campaign.name, [e.name for e in new], unchanged, updated)


#: The words for an office's fields in messages (translated where shown).
FIELD_WORDS = {"name": N_("name"), "email": N_("e-mail"), "head": N_("head"), "tags": N_("tags")}


def shown(value: Any) -> str:
    """A field's value in a message: tags joined, nothing as a dash."""
    if isinstance(value, tuple | list):
        return _(", ").join(value) or "—"
    return str(value) if value else "—"


def _stored(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class OfficeEdit:
    campaign: str
    office: str  # the name after the edit
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after); tags as tuples


def edit_office(
    ctx: Context,
    campaign_name: str | None,
    name: str,
    *,
    email: str | None = None,
    head: str | None = None,
    new_name: str | None = None,
    tags: str | None = None,
    reason: str,
) -> OfficeEdit:
    """Correct an office's e-mail, head, name or tags; the old values stay in its history.

    The event (``office-edit``) carries the office's full new address data (name,
    email, head, tags) and the values before, so the chain alone tells where
    reminders went and which requirements applied. An empty ``email``/``head``/``tags``
    ("") clears it; None leaves it as it is.
    """
    reason = text.name(reason, "--reason")
    new_email = check_email(email, "--email") if email else ("" if email == "" else None)
    new_head = text.optional(head, "--head") if head else ("" if head == "" else None)
    renamed = text.name(new_name, "--rename") if new_name is not None else None
    new_tags = text.tags(tags, "--tags") if tags is not None else None
    if new_email is None and new_head is None and renamed is None and new_tags is None:
        raise InputError(_("say what to change: --email, --head, --rename or --tags"))
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        repo.require_open(campaign)
        section = repo.find_section(s, campaign.id, name)
        before = _fields(section)
        after = dict(before)
        if new_email is not None:
            after["email"] = new_email or None
        if new_head is not None:
            after["head"] = new_head or None
        if new_tags is not None:
            after["tags"] = new_tags
        if renamed is not None and renamed != section.name:
            _refuse_body_name(definition_of(campaign), renamed)
            if renamed in repo.section_names(s, campaign.id):
                raise DuplicateError("office", renamed)
            after["name"] = renamed
        changes = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if not changes:
            raise InputError(
                _("{office} already has these values; nothing to change").format(office=section.name)
            )
        event = _edit(section, before, after, reason)
        s.add(section)
        if "name" in changes:
            from storage import operators as operator_store

            operator_store.rename_office(s, before["name"], after["name"])
        s.flush()
        events_repo.append_events(s, campaign, [event], ctx.actor, now)
        return OfficeEdit(campaign.name, section.name, changes)


@dataclass(frozen=True)
class Retired:
    campaign: str
    office: str
    retired: bool  # True: retired now; False: taking part again


def retire_office(
    ctx: Context, campaign_name: str | None, name: str, reason: str, *, undo: bool = False
) -> Retired:
    """Take an office out of the campaign (merged, dissolved, entered by mistake), or back in.

    A retired office keeps its record, filings and history, but leaves the board,
    reminders, ``advance --all``, the ranking and the reports; it accepts no filings,
    scores or advances until reinstated (``undo``). An event either way.
    """
    reason = text.name(reason, "--reason")
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        repo.require_open(campaign)
        section = repo.find_section(s, campaign.id, name)
        if undo and section.retired_at is None:
            raise InputError(_("{office} is not retired; nothing to undo").format(office=section.name))
        if not undo and section.retired_at is not None:
            raise InputError(
                _("{office} is already retired (since {at})").format(
                    office=section.name,
                    at=section.retired_at.astimezone(ZoneInfo(campaign.timezone)).date().isoformat(),
                )
            )
        section.retired_at = None if undo else now
        s.add(section)
        s.flush()
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "office-reinstate" if undo else "office-retire",
                    section_id=section.id,
                    office=section.name,
                    reason=reason,
                )
            ],
            ctx.actor,
            now,
        )
        return Retired(campaign.name, section.name, not undo)


def list_offices(ctx: Context, campaign_name: str | None) -> list[dict[str, Any]]:
    """Every office, retired ones included (marked), with its phase and tags."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        titles = {st: pick(definition.title_of(st).as_dict()) for st in definition.states}
        tags = repo.section_tags(s, campaign.id)
        return [
            {
                "office": r.office,
                "email": r.email,
                "head": r.head,
                "state": r.state,
                "state_title": titles.get(r.state, r.state),
                "tags": sorted(tags.get(r.section_id, ())),
                "retired": r.retired_at is not None,
            }
            for r in repo.records(s, campaign.id, retired=True)
        ]
