"""Use cases: each console command's work, as one transaction over storage.

Each function takes a :class:`Context` (database, actor, clock) and plain
arguments, orchestrates the pure parts (definition, machine, schedule) and
returns plain data for the CLI to render. Nothing here prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from storage import clock, inbox_repo, ledger_repo, repo
from storage.blobs import BlobStore
from storage.models import Campaign, Filing
from workflow.adapters import definition_files as defs
from workflow.adapters.tabular import read_roster
from workflow.calendar import schedule
from workflow.calendar.deadlines import calendar_of
from workflow.engine import text
from workflow.engine.conditions import SectionFacts
from workflow.engine.definition import Definition
from workflow.engine.machine import Step, machine_for
from workflow.errors import ConflictError, DuplicateError, InputError, NotFoundError
from workflow.i18n import _, pick
from workflow.usecases.context import Context, definition_of, parse_date
from workflow.usecases.dates import CampaignDates, Lights
from workflow.usecases.offices import add_entries
from workflow.usecases.operators import Mode, authorize
from workflow.usecases.operators import mode as operator_mode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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
        repo.append_events(
            s, campaign, [repo.NewEvent("campaign-close", reason=reason.strip())], ctx.actor, ctx.now()
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
    from workflow.usecases.operators import first_supervisor

    first = first_supervisor(ctx)  # PostgreSQL: the login that ran init manages the others
    return (*revisions, first)


@dataclass(frozen=True)
class CampaignInfo:
    name: str
    definition: str
    title: str
    start: date
    end: date
    timezone: str
    status: str
    sections: int
    parameters: dict[str, Any]
    #: When the start date is not a working day: the first working day after it.
    next_working_day: date | None = None


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
        repo.append_events(
            s,
            campaign,
            [
                repo.NewEvent(
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
        info = _info(campaign, definition, plan, len(entries))
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


def _info(campaign: Campaign, definition: Definition, plan: schedule.Plan, n: int) -> CampaignInfo:
    return CampaignInfo(
        name=campaign.name,
        definition=campaign.definition_key,
        title=pick(definition.spec.title.as_dict()),
        start=campaign.start_date,
        end=plan.end,
        timezone=campaign.timezone,
        status=campaign.status,
        sections=n,
        parameters=json.loads(campaign.parameters),
    )


def list_campaigns(ctx: Context) -> list[CampaignInfo]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        out = []
        for c in repo.list_campaigns(s):
            d = definition_of(c)
            plan = schedule.resolve(d, c.start_date, json.loads(c.parameters))
            out.append(_info(c, d, plan, len(repo.section_names(s, c.id))))
        return out


# -- offices -----------------------------------------------------------------
# -- status ------------------------------------------------------------------
class StatusRow(NamedTuple):
    """One office on the board. A named tuple: at 100,000 offices a frozen
    dataclass's ``__init__`` alone was 0.15 s of ``status``."""

    office: str
    state: str
    state_title: str
    blockers: tuple[str, ...]
    blocker_titles: tuple[str, ...]
    next_due: date | None
    next_due_requirement: str | None
    open_items: int = 0
    light: str | None = None  # green / yellow / red: worst of the open requirements
    #: Requirements of earlier phases still not filed as often as needed: the office was
    #: moved on without them (a forced advance) and still owes them.
    owed: tuple[str, ...] = ()
    owed_titles: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "state": self.state,
            "state_title": self.state_title,
            "blockers": list(self.blockers),
            "blocker_titles": list(self.blocker_titles),
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "next_due_requirement": self.next_due_requirement,
            "open_items": self.open_items,
            "light": self.light,
            "owed": list(self.owed),
            "owed_titles": list(self.owed_titles),
        }


def status_json_lines(rows: Iterable[StatusRow]) -> Iterator[str]:
    """Each row as ``as_json()`` encoded compactly, one string per row.

    Rows differ mostly by office: everything after the office is encoded once
    per distinct rest of the row (a handful at 100,000 offices).
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode  # separators ", " and ": "
    tails: dict[tuple[Any, ...], str] = {}
    for row in rows:
        head = '{"office": ' + encode(row.office)
        rest = row[1:]
        tail = tails.get(rest)
        if tail is None:
            tail = tails[rest] = encode(row.as_json())[len(head) :]
        yield head + tail


@dataclass(frozen=True)
class Status:
    campaign: CampaignInfo
    states: tuple[tuple[str, str], ...]  # (key, title) in order
    rows: list[StatusRow] = field(default_factory=list)
    mode: Mode | None = None  # single-user, or who is acting in which role
    rehearsal: bool = False  # a rehearsal database: every board says so
    waiting: dict[str, int] = field(default_factory=dict)  # office -> submissions by mail not yet accepted


class FactsLoader:
    """The facts a definition's exit conditions need, loaded in bulk for a campaign's sections.

    One grouped query per kind of fact (never one per section), and only the
    kinds the definition's conditions name in their ``needs``.
    """

    def __init__(
        self,
        s: Any,
        campaign: Campaign,
        definition: Definition,
        params: dict[str, Any],
        plan: schedule.Plan,
        today: date,
        section_ids: Sequence[int] | None = None,
    ):
        cid: int = campaign.id
        needs = definition.needs
        self.counts = repo.filing_counts(s, cid, section_ids)
        self.open_items = ledger_repo.open_item_counts(s, cid, section_ids)
        self.by_phase: dict[int, dict[str, int]] = {}
        if "items" in needs:
            for sid, at in ledger_repo.open_item_dates(s, cid, section_ids):
                phase = plan.phase_on(at.astimezone(ZoneInfo(campaign.timezone)).date())
                self.by_phase.setdefault(sid, {}).setdefault(phase, 0)
                self.by_phase[sid][phase] += 1
        self.scored = ledger_repo.scored_groups(s, cid) if "scores" in needs else {}
        self.totals: dict[int, Any] = {}
        if "totals" in needs and definition.spec.scoring is not None:
            from workflow.usecases import scores

            ids = {sec.name: sec.id for sec in repo.sections(s, cid)}
            for row in scores.ranking_in(s, campaign).ranking.rows:
                if row.rank is not None:
                    self.totals[ids[row.office]] = row.score.total
        self.vetoes = repo.vetoes(s, cid) if "vetoes" in needs else {}
        self.tags = repo.section_tags(s, cid) if definition.uses_tags else {}
        self.params = params
        self.today = today
        self.windows = {k: (w.start, w.end) for k, w in plan.windows.items()}

    def of(self, section_id: int) -> SectionFacts:
        return SectionFacts(
            filings=self.counts.by_section.get(section_id, {}),
            campaign_filings=self.counts.campaign,
            open_items=self.open_items.get(section_id, 0),
            open_items_by_phase=self.by_phase.get(section_id, {}),
            scored_groups=self.scored.get(section_id, frozenset()),
            total=self.totals.get(section_id),
            vetoes=self.vetoes.get(section_id, ()),
            tags=self.tags.get(section_id, frozenset()),
            params=self.params,
            today=self.today,
            windows=self.windows,
        )


def status(ctx: Context, campaign_name: str | None) -> Status:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        return status_in(s, ctx, campaign_name)


def status_in(s: Session, ctx: Context, campaign_name: str | None) -> Status:
    """The board inside the caller's read transaction (a report reads it with the rest)."""
    authorize(s, ctx, "read")
    who = operator_mode(s, ctx)
    campaign = repo.find_campaign(s, campaign_name)
    definition = definition_of(campaign)
    params = json.loads(campaign.parameters)
    plan = schedule.resolve(definition, campaign.start_date, params)
    machine = machine_for(definition)
    records = repo.phases(s, campaign.id)
    titles = {st: pick(definition.title_of(st).as_dict()) for st in definition.states}
    from workflow.calendar import deadlines

    today = deadlines.local_day(ctx.now(), campaign.timezone)
    loader = FactsLoader(s, campaign, definition, params, plan, today)
    counts = loader.counts
    cd = CampaignDates(campaign, definition, params, plan, deadlines.due_dates(definition, plan))
    lights = Lights(s, cd, today)
    owes = _owed_rules(definition, params)
    # Sections with the same phase, filings and extensions have the same row; at
    # 100,000 sections there are only a handful of distinct ones.
    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    rows = []
    for section_id, office, state in records:
        filings = counts.by_section.get(section_id, {})
        facts = loader.of(section_id)
        items = facts.open_items
        key = (state, facts.key(), lights.extended(section_id))
        known = seen.get(key)
        if known is None:
            unmet = machine.unmet(state, facts)
            lit = lights.of(section_id, state, filings, facts.tags)
            owed = tuple(
                (o.key, o.title)
                for o in owes.get(state, ())
                if filings.get(o.key, 0) < o.needed and (not o.only or facts.tags & set(o.only))
            )
            known = seen[key] = (
                titles[state],
                tuple(u.key for u in unmet),
                tuple(u.title for u in unmet),
                lit.next_due,
                lit.next_requirement,
                items,
                lit.light,
                tuple(k for k, _t in owed),
                tuple(t for _k, t in owed),
            )
        rows.append(StatusRow(office, state, *known))
    info = _info(campaign, definition, plan, len(records))
    return Status(
        info, tuple(titles.items()), rows, who, clock.is_rehearsal(s), inbox_repo.waiting(s, campaign.id)
    )


class OwedRule(NamedTuple):
    key: str
    title: str
    needed: int
    only: tuple[str, ...]  # the roster tags it applies to (empty: every section)


def _owed_rules(definition: Definition, params: dict[str, Any]) -> dict[str, list[OwedRule]]:
    """Per phase: the section requirements of the phases before it.

    The final state owes every phase's requirements.
    """
    out: dict[str, list[OwedRule]] = {}
    earlier: list[OwedRule] = []
    for phase in definition.spec.phases:
        out[phase.key] = list(earlier)
        earlier += [
            OwedRule(r.key, pick(r.title.as_dict()), definition.count_of(r, params), r.only)
            for r in phase.requirements
            if r.filer == "section"
        ]
    out[definition.spec.final.key] = earlier
    return out


def forced_moves(s: Any, campaign: Campaign) -> list[dict[str, Any]]:
    """Every forced advance of the campaign: who, when, from where to where, why, what it overrode."""
    return [
        {
            "office": e.office,
            "from": e.from_state,
            "to": e.to_state,
            "reason": e.reason,
            "actor": e.actor,
            "at": e.at,
            "overridden": repo.detail_of(e).get("overridden", []),
        }
        for e in repo.events_of(s, campaign.id, "force-advance")
    ]


def resolve_filters(
    ctx: Context, campaign_name: str | None, offices: Sequence[str], phases: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``--office``/``--phase`` filter values checked: offices must exist, phases may be given by
    key or title (学习动员阶段) and come back as keys. An unknown value is an error listing the known
    ones, never an empty board."""
    if not offices and not phases:
        return tuple(offices), tuple(phases)
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        keys = tuple(definition.state_key(p) for p in phases)
        if offices:
            repo.records(s, campaign.id, offices)  # NotFoundError names the first unknown
    return tuple(offices), keys


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
    blob = BlobStore(ctx.db.blob_root).put(path, allow_empty=allow_empty)
    now = ctx.now()
    with ctx.db.write() as s:
        campaign = repo.find_campaign(s, campaign_name)
        section = None if is_group else repo.find_section(s, campaign.id, office)
        return record_filing(s, ctx, campaign, definition, req, section, blob, note, now)


def _retired_message(office: str) -> str:
    return _(
        "office '{office}' is retired from the campaign; reinstate it first "
        "(manyi office retire '{office}' --undo --reason …)"
    ).format(office=office)


def check_can_file(s: Any, definition: Definition, req: Any, section: Any) -> None:
    """Refuse a filing by a retired section, or of a requirement that does not apply to it."""
    if section.retired_at is not None:
        raise InputError(_retired_message(section.name))
    if req.only and not definition.applies(req, repo.tags_of(section.tags)):
        raise InputError(
            _("'{r}' applies only to offices tagged {only}; {office} is not").format(
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
    if have >= definition.count_of(req, json.loads(campaign.parameters)):
        from storage import reminders_repo

        reminders_repo.close_deadline(s, campaign.id, sid, req.key)
    label = section.name if section else definition.body_label(definition.body_of(req))
    repo.append_events(
        s,
        campaign,
        [
            repo.NewEvent(
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


# -- advancing ---------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    office: str
    source: str
    dest: str | None
    unmet: tuple[tuple[str, str, str], ...]  # (key, title, detail)
    forced: bool
    final: bool = False
    source_title: str = ""
    dest_title: str = ""

    @property
    def blocked(self) -> bool:
        return self.dest is None and not self.final

    def as_json(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "from": self.source,
            "to": self.dest,
            "moved": self.dest is not None,
            "forced": self.forced,
            "blockers": [k for k, _t, _d in self.unmet],
            "final": self.final,
        }


def advance(
    ctx: Context,
    campaign_name: str | None,
    offices: Sequence[str] | None,
    *,
    dry_run: bool = False,
    force: bool = False,
    reason: str | None = None,
    expect: str | None = None,
    by_scheduler: bool = False,
) -> list[Outcome]:
    """Move sections one phase forward where their exit conditions hold.

    ``offices=None`` means every section of the campaign (sections already in
    the final state are left out). A forced advance needs a reason and is
    recorded as forced with the conditions it overrode.

    ``expect`` is the phase the operator saw the named sections in: the
    intended transition is "from that phase to the next". If another operator
    moved a section first, this one gets a :class:`ConflictError` naming who
    and when, instead of silently moving it a second phase on.

    ``by_scheduler`` is the scheduler's automatic advance (``auto_advance``
    phases): no operator's role is checked; the guards, versions and hash
    chain apply as to anyone, and the actor is recorded as given.
    """
    reason = text.optional(reason, "--reason")
    if force and not (reason and reason.strip()):
        raise InputError(_("--force needs --reason TEXT: say why the guard is overridden"))
    if reason is not None and not force:
        raise InputError(_("--reason is only used with --force"))
    if offices is not None and not offices:
        raise InputError(_("name at least one office, or use --all"))
    if force and expect is None and not dry_run:
        if offices is not None:
            raise InputError(
                _(
                    "--force on named offices needs --from PHASE (the phase you saw them in), "
                    "so that a repeated command cannot move them a second phase"
                )
            )
        raise InputError(
            _(
                "--all --force needs --from PHASE: only the offices still in that phase are moved, "
                "so that a repeated command cannot move anyone a second phase"
            )
        )
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        if not by_scheduler:
            authorize(s, ctx, "read" if dry_run else "force-advance" if force else "advance")
        campaign = repo.find_campaign(s, campaign_name)
        if not dry_run:
            repo.require_open(campaign)
        if expect is not None:
            states = definition_of(campaign).states
            try:
                expect = definition_of(campaign).state_key(expect)
            except NotFoundError:
                raise InputError(
                    _("unknown phase '{p}' for --from; phases: {known}").format(
                        p=expect, known=", ".join(states)
                    )
                ) from None
        if offices is None:
            seen = repo.versions(s, campaign.id, expect)
        else:
            seen_rows = repo.records(s, campaign.id, offices)
            for r in seen_rows:
                if r.retired_at is not None:
                    raise InputError(_retired_message(r.office))
            if expect is not None:
                for r in seen_rows:
                    if r.state != expect:
                        raise ConflictError(r.office, r.updated_by, r.updated_at, campaign.timezone)
            seen = {r.record_id: r.version for r in seen_rows}
    now = ctx.now()
    with ctx.db.read() if dry_run else ctx.db.write() as s:
        campaign = repo.find_campaign(s, campaign_name)
        definition = definition_of(campaign)
        machine = machine_for(definition)
        titles = {st: pick(definition.title_of(st).as_dict()) for st in definition.states}
        records = repo.records(s, campaign.id, offices)
        if offices is None:
            records = [r for r in records if r.state != machine.final and r.record_id in seen]
        from workflow.calendar import deadlines

        params = json.loads(campaign.parameters)
        loader = FactsLoader(
            s,
            campaign,
            definition,
            params,
            schedule.resolve(definition, campaign.start_date, params),
            deadlines.local_day(now, campaign.timezone),
            [r.section_id for r in records] if offices is not None else None,
        )
        outcomes: list[Outcome] = []
        changes: list[repo.StateChange] = []
        events: list[repo.NewEvent] = []
        # Same phase and same filings, same step: decide each distinct case once.
        decided: dict[tuple[Any, ...], tuple[Step, tuple[Any, ...]]] = {}
        for rec in records:
            if seen.get(rec.record_id) != rec.version:
                raise ConflictError(rec.office, rec.updated_by, rec.updated_at, campaign.timezone)
            if rec.state == machine.final:
                outcomes.append(
                    Outcome(
                        rec.office, rec.state, None, (), False, final=True, source_title=titles[rec.state]
                    )
                )
                continue
            facts = loader.of(rec.section_id)
            key = (rec.state, facts.key())
            known = decided.get(key)
            if known is None:
                first: Step = machine.step(rec.state, facts, force=force)
                known = decided[key] = (first, tuple((u.key, u.title, u.detail) for u in first.unmet))
            step, unmet = known
            outcomes.append(
                Outcome(
                    rec.office,
                    rec.state,
                    step.dest,
                    unmet,
                    step.forced,
                    source_title=titles[rec.state],
                    dest_title=titles[step.dest] if step.dest else "",
                )
            )
            if step.dest is None:
                continue
            changes.append(repo.StateChange(rec.record_id, rec.office, rec.version, step.dest))
            events.append(
                repo.NewEvent(
                    "force-advance" if step.forced else "advance",
                    section_id=rec.section_id,
                    office=rec.office,
                    from_state=rec.state,
                    to_state=step.dest,
                    reason=reason.strip() if reason else None,
                    detail={"overridden": [u[0] for u in unmet]} if step.forced else {},
                )
            )
        if not dry_run:
            repo.apply_changes(s, changes, ctx.actor, now, campaign.timezone)
            repo.append_events(s, campaign, events, ctx.actor, now)
        return outcomes


# -- veto ----------------------------------------------------------------------
def veto(ctx: Context, campaign_name: str | None, office: str, reason: str, *, lift: bool = False) -> str:
    """Record a veto (一票否决) against a section, or lift its standing veto; an event either way."""
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say why"))
    ctx.db.ensure_ready(create=False)
    with ctx.db.write() as s:
        authorize(s, ctx, "force-advance")
        campaign = repo.find_campaign(s, campaign_name)
        section = repo.find_section(s, campaign.id, office)
        standing = section.id in repo.vetoes(s, campaign.id)
        if lift and not standing:
            raise InputError(_("{office} has no veto to lift").format(office=section.name))
        if not lift and standing:
            raise InputError(
                _("{office} is already vetoed; lift it first to record another").format(office=section.name)
            )
        repo.append_events(
            s,
            campaign,
            [
                repo.NewEvent(
                    "veto-lift" if lift else "veto",
                    section_id=section.id,
                    office=section.name,
                    reason=reason.strip(),
                )
            ],
            ctx.actor,
            ctx.now(),
        )
        return campaign.name


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
        for e in repo.history(s, campaign.id, sid):
            detail = repo.detail_of(e)
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
