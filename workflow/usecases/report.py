"""The campaign report for the standing committee, as plain tables and chart data.

One use case gathers everything (phase progress, filings, the rectification
ledger, inspections, the ranking) in one read transaction; :mod:`.report_parts`
turns those facts into tables, charts and summary lines, and the renderers in
``cli/exports.py`` and ``cli/docxreport.py`` only lay them out as Markdown, HTML,
xlsx or docx.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from storage import extensions_repo, inbox_repo, ledger_repo, repo
from workflow.calendar import deadlines, schedule
from workflow.errors import InputError
from workflow.i18n import _
from workflow.usecases import board as usecases
from workflow.usecases import ranking
from workflow.usecases.context import Context, definition_of
from workflow.usecases.ledger import items_in
from workflow.usecases.report_model import Facts, Report
from workflow.usecases.report_parts import PARTS


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
        facts = Facts(
            st=st,
            items=items,
            definition=definition,
            plan=plan,
            filings=_filings(s, campaign.id, definition),
            inspections=ledger_repo.inspections(s, campaign.id),
            extensions=extensions_repo.extension_log(s, campaign.id),
            dues=deadlines.due_dates(definition, plan),
            ranked=ranking.ranking_in(s, campaign) if definition.spec.scoring else None,
            pending=inbox_repo.pending(s, campaign.id, campaign.timezone),
            forced=usecases.forced_moves(s, campaign),
            zone=ZoneInfo(campaign.timezone),
            labelled="participant" in definition.spec.labels.model_fields_set,
            who=st.campaign.participant or _("Office"),
        )
    now = ctx.now()
    params = definition.parameters(json.loads(campaign.parameters))
    body = str(params.get("issuing-body") or "").strip() or None
    rep = Report(
        st.campaign.title,
        name,
        st.campaign.start,
        st.campaign.end,
        now.astimezone(facts.zone).strftime("%Y-%m-%d %H:%M ") + campaign.timezone,
        author=body or ctx.actor,
        created=now,
        issuing_body=body,
    )
    for part in PARTS:
        part(rep, facts)
    return rep


def _filings(s: Any, campaign_id: int, definition: Any) -> list[tuple[Any, str]]:
    sections = {sec.id: sec.name for sec in repo.sections(s, campaign_id)}
    rows = repo.campaign_filings(s, campaign_id)
    # A central body's filing has no section: it is shown under the body's name.
    return [
        (
            f,
            (sections.get(f.section_id) if f.section_id is not None else None)
            or _body_label(definition, f.requirement),
        )
        for f in rows
    ]


def _body_label(definition: Any, requirement: str) -> str:
    req = definition.requirements.get(requirement)
    if req is None or not definition.is_central(req):
        return ""
    return str(definition.body_label(definition.body_of(req)))


def require_output(fmt: str, output: Any) -> None:
    if fmt in ("xlsx", "docx") and output is None:
        raise InputError(_("--format {fmt} writes a file: give -o FILE").format(fmt=fmt))
