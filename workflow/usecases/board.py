"""The board: where every office stands (phase, blockers, lights, owed filings), read in bulk.

:class:`FactsLoader` loads what the definition's exit conditions need with one grouped
query per kind of fact; the advance use case decides with the same facts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from storage import clock, inbox_repo, ledger_repo, repo
from storage.models import Campaign
from workflow.calendar import schedule
from workflow.engine import text
from workflow.engine.conditions import SectionFacts, facts_key
from workflow.engine.definition import Definition
from workflow.engine.machine import machine_for
from workflow.i18n import pick
from workflow.usecases.context import Context, definition_of
from workflow.usecases.dates import CampaignDates, Lights
from workflow.usecases.operators import Mode, authorize
from workflow.usecases.operators import mode as operator_mode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
from workflow.usecases.campaign_info import CampaignInfo, info_of


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
    retired: tuple[str, ...] = ()  # offices retired from the campaign: not on the board


_NONE: dict[str, int] = {}  # shared, never written: a section with nothing loaded


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
        self.scored: dict[int, frozenset[str]] = {}
        if "scores" in needs:  # the score table is loaded only where a definition scores
            from storage import scores_repo

            self.scored = scores_repo.scored_groups(s, cid)
        self.totals: dict[int, Any] = {}
        if "totals" in needs and definition.spec.scoring is not None:
            from workflow.usecases import ranking

            ids = repo.section_ids(s, cid)
            for row in ranking.ranking_in(s, campaign).ranking.rows:
                if row.rank is not None:
                    self.totals[ids[row.office]] = row.score.total
        self.vetoes: dict[int, tuple[str, ...]] = {}
        if "vetoes" in needs:  # the event table is loaded only where a definition has a veto
            from storage import events_repo

            self.vetoes = events_repo.vetoes(s, cid)
        self.tags = repo.section_tags(s, cid) if definition.uses_tags else {}
        self.params = params
        self.today = today
        self.windows = {k: (w.start, w.end) for k, w in plan.windows.items()}

    def key(self, section_id: int) -> tuple[Any, ...]:
        """``self.of(section_id).key()``, without building the facts (asked once per section)."""
        return facts_key(
            self.counts.by_section.get(section_id, _NONE),
            self.open_items.get(section_id, 0),
            self.by_phase.get(section_id, _NONE),
            self.scored.get(section_id, frozenset()),
            self.totals.get(section_id),
            self.vetoes.get(section_id, ()),
            self.tags.get(section_id, frozenset()),
        )

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
    records = repo.states(s, campaign.id)
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
    for _rid, section_id, office, state, _version in records:
        key = (state, loader.key(section_id), lights.extended(section_id))
        known = seen.get(key)
        if known is None:
            filings = counts.by_section.get(section_id, {})
            facts = loader.of(section_id)
            items = facts.open_items
            unmet = machine.unmet(state, facts)
            lit = lights.of(section_id, state, filings, facts.tags)
            owed = tuple(
                (o.key, o.title)
                for o in owes.get(state, ())
                if filings.get(o.key, 0) < o.needed and text.tagged(o.only, facts.tags)
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
    info = info_of(campaign, definition, plan, len(records))
    return Status(
        info,
        tuple(titles.items()),
        rows,
        who,
        clock.is_rehearsal(s),
        inbox_repo.waiting(s, campaign.id),
        tuple(repo.retired_names(s, campaign.id)),
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
    from storage import events_repo

    return [
        {
            "office": e.office,
            "from": e.from_state,
            "to": e.to_state,
            "reason": e.reason,
            "actor": e.actor,
            "at": e.at,
            "overridden": events_repo.detail_of(e).get("overridden", []),
        }
        for e in events_repo.events_of(s, campaign.id, "force-advance")
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
