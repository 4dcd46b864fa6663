"""The campaign report for the standing committee, as plain tables and chart data.

One use case gathers everything (phase progress, filings, the rectification
ledger, inspections, the ranking); the renderers in ``cli/exports.py`` only
lay the tables out as Markdown, HTML, xlsx or docx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage import inbox_repo, ledger_repo, reminders_repo, repo
from workflow.calendar import deadlines, schedule
from workflow.errors import InputError
from workflow.i18n import _, pick
from workflow.review.scoring import round2
from workflow.usecases import board as usecases
from workflow.usecases import ranking
from workflow.usecases.context import Context, definition_of
from workflow.usecases.ledger import items_in

#: A table cell. Dates and times are real values (times already in the campaign's zone):
#: the xlsx writer stores them as dates, the text renderers format them.
Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class ReportTable:
    key: str  # also the xlsx sheet name's source
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float, ...]  # stacked parts


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    series: tuple[str, ...]  # names of the stacked parts
    bars: list[Bar]
    max: float | None = None
    #: What the horizontal axis counts, shown under it ("phases completed", "items", "points").
    unit: str = ""


@dataclass
class Report:
    title: str
    campaign: str
    start: date
    end: date
    generated: str
    #: Who issues it (the campaign's ``issuing-body`` parameter, else the acting user), and when.
    author: str = ""
    created: datetime | None = None
    #: The issuing body for a letterhead (版头), when the campaign names one.
    issuing_body: str | None = None
    summary: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def table(self, key: str) -> ReportTable:
        return next(t for t in self.tables if t.key == key)


def build(ctx: Context, campaign_name: str | None) -> Report:
    """Everything in a report comes from one read transaction: one snapshot, even while
    others keep writing."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        st = usecases.status_in(s, ctx, campaign_name)
        name, items = items_in(s, ctx, st.campaign.name)
        campaign = repo.find_campaign(s, name)
        definition = definition_of(campaign)
        plan = schedule.resolve(definition, campaign.start_date, json.loads(campaign.parameters))
        filings = [(f, office) for f, office in _filings(s, campaign.id, definition)]
        inspections = ledger_repo.inspections(s, campaign.id)
        extensions = reminders_repo.extension_log(s, campaign.id)
        dues = deadlines.due_dates(definition, plan)
        ranked = ranking.ranking_in(s, campaign) if definition.spec.scoring else None
        pending = inbox_repo.pending(s, campaign.id, campaign.timezone)
        forced = usecases.forced_moves(s, campaign)
    now = ctx.now()
    zone = ZoneInfo(campaign.timezone)  # every time in the report is the campaign's local time
    params = definition.parameters(json.loads(campaign.parameters))
    body = str(params.get("issuing-body") or "").strip() or None
    rep = Report(
        st.campaign.title,
        name,
        st.campaign.start,
        st.campaign.end,
        now.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + campaign.timezone,
        author=body or ctx.actor,
        created=now,
        issuing_body=body,
    )

    # The definition's word for a participant (部门, 科室) heads the columns when it names one.
    labelled = "participant" in definition.spec.labels.model_fields_set
    who = st.campaign.participant or _("Office")

    # Phases and progress.
    titles = dict(st.states)
    rep.tables.append(
        ReportTable(
            "phases",
            _("Campaign phases"),
            (_("Phase"), _("Start"), _("End"), _("Sections in it")),
            [
                (
                    titles[k],
                    plan.windows[k].start,
                    plan.windows[k].end,
                    sum(1 for r in st.rows if r.state == k),
                )
                for k in definition.phases
            ]
            + [
                (
                    titles[definition.spec.final.key],
                    None,
                    None,
                    sum(1 for r in st.rows if r.state == definition.spec.final.key),
                )
            ],
        )
    )
    rep.tables.append(
        ReportTable(
            "progress",
            _("Phase progress per section"),
            (who, _("Phase"), _("Blocked by"), _("Owed from earlier phases"), _("Open items")),
            [
                (r.office, r.state_title, "; ".join(r.blocker_titles), "; ".join(r.owed_titles), r.open_items)
                for r in st.rows
            ],
        )
    )
    # Forced moves: who overrode which guard, and why (the documents skipped are owed above).
    rep.tables.append(
        ReportTable(
            "forced",
            _("Forced advances"),
            (who, _("From phase"), _("To phase"), _("Overrode"), _("Reason"), _("Actor"), _("Date")),
            [
                (
                    m["office"],
                    titles.get(m["from"], m["from"]),
                    titles.get(m["to"], m["to"]),
                    _(", ").join(
                        pick(definition.requirement(k).title.as_dict()) if k in definition.requirements else k
                        for k in m["overridden"]
                    ),
                    m["reason"] or "",
                    m["actor"],
                    m["at"].astimezone(zone).strftime("%Y-%m-%d"),
                )
                for m in forced
            ],
        )
    )
    order = list(definition.states)
    rep.charts.append(
        Chart(
            "progress",
            _("Phase progress"),
            (_("Phases completed"),),
            [Bar(r.office, (float(order.index(r.state)),)) for r in st.rows],
            max=float(len(order) - 1),
            unit=_("phases completed, of {n}").format(n=len(order) - 1),
        )
    )

    # Filings.
    rep.tables.append(
        ReportTable(
            "filings",
            _("Filings"),
            (who, _("Requirement"), _("Document"), _("sha256"), _("Filed at")),
            [
                (
                    office,
                    pick(definition.requirement(f.requirement).title.as_dict()),
                    f.filename,
                    f.sha256[:16],
                    _minute(f.at.astimezone(zone)),
                )
                for f, office in filings
            ],
        )
    )

    # Deadline extensions (延期): each one, with the definition's own date beside it.
    rep.tables.append(
        ReportTable(
            "extensions",
            _("Deadline extensions"),
            (
                who,
                _("Requirement"),
                _("Original due"),
                _("From"),
                _("Extended to"),
                _("Reason"),
                _("Actor"),
                _("Date"),
            ),
            [
                (
                    office,
                    pick(definition.requirement(e.requirement).title.as_dict()),
                    dues[e.requirement].due,
                    e.from_due,
                    e.to_due,
                    e.reason,
                    e.actor,
                    e.at.astimezone(zone).date(),
                )
                for e, office in extensions
            ],
        )
    )

    # Rectification ledger.
    per: dict[str, dict[str, int]] = {r.office: {} for r in st.rows}
    for v in items:
        c = per.setdefault(v.office, {})
        c[v.status] = c.get(v.status, 0) + 1
        if v.late:
            c["late"] = c.get("late", 0) + 1
    rep.tables.append(
        ReportTable(
            "rectification",
            _("Rectification by section"),
            (who, _("Items"), _("Open"), _("Done"), _("Confirmed"), _("Late")),
            [
                (
                    o,
                    sum(c.get(k, 0) for k in ("published", "returned", "done", "confirmed")),
                    c.get("published", 0) + c.get("returned", 0),
                    c.get("done", 0),
                    c.get("confirmed", 0),
                    c.get("late", 0),
                )
                for o, c in per.items()
            ],
        )
    )
    rep.tables.append(
        ReportTable(
            "ledger",
            _("Rectification ledger"),
            (_("#"), who, _("Source"), _("Item"), _("Due"), _("Status"), _("Late"), _("Evidence")),
            [
                (
                    v.id,
                    v.office,
                    _(v.source),
                    v.text,
                    v.due,
                    _(v.status),
                    _("yes") if v.late else "",
                    v.evidence or "",
                )
                for v in items
            ],
        )
    )
    rep.charts.append(
        Chart(
            "rectification",
            _("Rectification completion"),
            (_("Confirmed"), _("Done"), _("Open")),
            [
                Bar(
                    o,
                    (
                        float(c.get("confirmed", 0)),
                        float(c.get("done", 0)),
                        float(c.get("published", 0) + c.get("returned", 0)),
                    ),
                )
                for o, c in per.items()
            ],
            unit=_("rectification items"),
        )
    )

    # Submissions by mail not yet accepted (they count for nothing until they are); only when there are.
    if pending:
        rep.tables.append(
            ReportTable(
                "submissions",
                _("Mail submissions waiting"),
                (who, _("Requirement"), _("Document"), _("From"), _("Received")),
                [
                    (
                        office,
                        pick(definition.requirement(req).title.as_dict()) if req else "",
                        fname,
                        sender,
                        at,
                    )
                    for office, req, fname, sender, at in pending
                ],
            )
        )

    # Inspections.
    rep.tables.append(
        ReportTable(
            "inspections",
            _("Inspections"),
            (_("Date"), who, _("Kind"), _("Finding")),
            [(i.on, office, _(i.kind), i.finding) for i, office in inspections],
        )
    )

    total = len(items)
    confirmed = sum(1 for v in items if v.status == "confirmed")
    done = sum(1 for r in st.rows if r.state == definition.spec.final.key)
    if labelled:
        rep.summary.append(
            _("{noun}: {n}; {done} completed the campaign.").format(noun=who, n=len(st.rows), done=done)
        )
    else:
        rep.summary.append(
            _("{n} sections; {done} completed the campaign.").format(n=len(st.rows), done=done)
        )
    if st.retired:  # off the board, so the readers are told rather than left to wonder
        rep.summary.append(
            _("Retired from the campaign, not counted: {offices}.").format(offices=_(", ").join(st.retired))
        )
    rep.summary.append(
        _("{total} rectification items, {confirmed} confirmed, {late} late.").format(
            total=total, confirmed=confirmed, late=sum(1 for v in items if v.late)
        )
    )

    # Ranking.
    if ranked is not None:
        groups = [g.key for g in ranked.rules.groups]
        rep.tables.append(
            ReportTable(
                "ranking",
                _("Ranking"),
                (
                    _("Rank"),
                    who,
                    _("Total"),
                    *[ranked.group_titles[g] for g in groups],
                    _("Tier"),
                    ranked.commended,
                    _("Missing groups"),
                ),
                [
                    (
                        r.rank,
                        r.office,
                        float(r.score.total),
                        *[(None if gr.mean is None else float(round2(gr.mean))) for gr in r.score.groups],
                        ranked.tier_titles[r.tier or ""],
                        _("yes") if r.satisfied else "",
                        _(", ").join(ranked.group_titles[g] for g in r.score.missing),
                    )
                    if r.rank is not None
                    else (None, r.office, None, *[None] * len(groups), "", "", _("not scored"))
                    for r in ranked.ranking.rows
                ],
            )
        )
        rep.charts.append(
            Chart(
                "ranking",
                _("Score ranking"),
                (_("Total"),),
                [Bar(r.office, (float(r.score.total),)) for r in ranked.ranking.rows if r.rank],
                max=float(ranked.rules.scale),
                unit=_("points, of {n}").format(n=f"{float(ranked.rules.scale):g}"),
            )
        )
        rep.summary.append(
            _("{commended} (top {n}): {names}.").format(
                commended=ranked.commended,
                n=ranked.ranking.top,
                names=_(", ").join(ranked.ranking.satisfied) or "—",
            )
        )
        if ranked.ranking.tied_at_cut:
            rep.summary.append(
                _("Tied at the cut: {names} share a rank, so all of them are named {commended}.").format(
                    names=_(", ").join(ranked.ranking.tied_at_cut), commended=ranked.commended
                )
            )
        missing = [r.office for r in ranked.ranking.rows if r.score.missing and r.rank]
        if missing:
            rep.summary.append(
                _("Missing evaluator groups (counted as 0, weights not renormalised): {names}.").format(
                    names=_("; ").join(
                        _("{office} ({groups})").format(
                            office=r.office,
                            groups=_(", ").join(ranked.group_titles[g] for g in r.score.missing),
                        )
                        for r in ranked.ranking.rows
                        if r.score.missing and r.rank
                    )
                )
            )
    return rep


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _filings(s: Any, campaign_id: int, definition: Any) -> list[tuple[Any, str]]:
    sections = {sec.id: sec.name for sec in repo.sections(s, campaign_id)}
    rows = repo.campaign_filings(s, campaign_id)
    return [(f, sections.get(f.section_id) or _body_label(definition, f.requirement)) for f in rows]


def _body_label(definition: Any, requirement: str) -> str:
    req = definition.requirements.get(requirement)
    if req is None or not definition.is_central(req):
        return ""
    return str(definition.body_label(definition.body_of(req)))


def require_output(fmt: str, output: Any) -> None:
    if fmt in ("xlsx", "docx") and output is None:
        raise InputError(_("--format {fmt} writes a file: give -o FILE").format(fmt=fmt))
