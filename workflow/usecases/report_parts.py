"""The parts of the campaign report, each a function of what one read transaction gathered
(:class:`~workflow.usecases.report_model.Facts`): tables, charts and summary lines appended to the
:class:`~workflow.usecases.report_model.Report` in the order the report shows them."""

from __future__ import annotations

from datetime import datetime

from workflow.i18n import N_, _, language, pick
from workflow.review.scoring import round2
from workflow.usecases.report_model import Bar, Chart, Facts, Report, ReportTable


def progress(rep: Report, facts: Facts) -> None:
    """Phases, each office's progress and forced advances, with the progress chart."""
    st, definition, plan, forced, zone, who = (
        facts.st,
        facts.definition,
        facts.plan,
        facts.forced,
        facts.zone,
        facts.who,
    )
    titles = dict(st.states)
    rep.tables.append(
        ReportTable(
            "phases",
            _("Campaign phases"),
            (_("Phase"), _("Start"), _("End"), _heading(facts, N_("Sections in it"), N_("{noun} in it"))),
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
            _heading(facts, N_("Phase progress per section"), N_("Phase progress per {noun}")),
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


def filings(rep: Report, facts: Facts) -> None:
    """Every filing with its document's sha256."""
    definition, filings, zone, who = facts.definition, facts.filings, facts.zone, facts.who
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


def extensions(rep: Report, facts: Facts) -> None:
    """Deadline extensions (延期), each beside the definition's own date."""
    definition, extensions, dues, zone, who = (
        facts.definition,
        facts.extensions,
        facts.dues,
        facts.zone,
        facts.who,
    )
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


def rectification(rep: Report, facts: Facts) -> None:
    """The rectification ledger: counts per office, every item, the completion chart."""
    st, items, who = facts.st, facts.items, facts.who
    per: dict[str, dict[str, int]] = {r.office: {} for r in st.rows}
    for v in items:
        c = per.setdefault(v.office, {})
        c[v.status] = c.get(v.status, 0) + 1
        if v.late:
            c["late"] = c.get("late", 0) + 1
    rep.tables.append(
        ReportTable(
            "rectification",
            _heading(facts, N_("Rectification by section"), N_("Rectification by {noun}")),
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


def submissions(rep: Report, facts: Facts) -> None:
    """Mail submissions not yet accepted (they count for nothing until they are); only when there are."""
    definition, pending, who = facts.definition, facts.pending, facts.who
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


def inspections(rep: Report, facts: Facts) -> None:
    """Inspections (明查暗访) and their findings."""
    inspections, who = facts.inspections, facts.who
    rep.tables.append(
        ReportTable(
            "inspections",
            _("Inspections"),
            (_("Date"), who, _("Kind"), _("Finding")),
            [(i.on, office, _(i.kind), i.finding) for i, office in inspections],
        )
    )


def summary(rep: Report, facts: Facts) -> None:
    """The summary lines: who completed, who retired, the items' state."""
    st, items, definition, labelled, who = facts.st, facts.items, facts.definition, facts.labelled, facts.who
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


def ranking(rep: Report, facts: Facts) -> None:
    """The ranking table and chart, the commended and the ties at the cut, missing groups."""
    ranked, who = facts.ranked, facts.who
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


def _heading(facts: Facts, plain: str, labelled: str) -> str:
    """A heading in the definition's own word for a participant (各部门阶段进度) when it names
    one; the format-1 heading (各科室阶段进度) when it does not."""
    if not facts.labelled:
        return _(plain)
    noun = facts.who if language() == "zh" else facts.who.lower()
    return _(labelled).format(noun=noun)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


#: The parts in the order the report shows them.
PARTS = (progress, filings, extensions, rectification, submissions, inspections, summary, ranking)
