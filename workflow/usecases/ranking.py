"""The ranking of a campaign's offices (weighted total, rank, tier, satisfied, missing groups) and
one office's score explained, read from the stored scores and votes."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from storage import events_repo, repo, scores_repo
from storage.models import Campaign
from workflow.errors import InputError
from workflow.i18n import _, pick
from workflow.review import scoring, scoring_rules
from workflow.usecases.context import Context, definition_of
from workflow.usecases.operators import authorize
from workflow.usecases.scores import group_titles, rules_of


# -- ranking -------------------------------------------------------------------
@dataclass(frozen=True)
class RankResult:
    campaign: str
    rules: scoring_rules.Rules
    ranking: scoring.Ranking
    group_titles: dict[str, str]
    tier_titles: dict[str, str]
    commended: str = ""  # the definition's title for the commended (满意科室, 群众满意单位, ...)
    participant: str = ""  # the definition's word for a participant when it names one (部门, 科室)


def _entries(rows: list[tuple[Any, str]]) -> dict[str, list[scoring.Entry]]:
    out: dict[str, list[scoring.Entry]] = {}
    for e, office in rows:
        out.setdefault(office, []).append(
            scoring.Entry(
                e.grp,
                e.scorer,
                None if e.hundredths is None else Fraction(e.hundredths, 100),
                e.vote,
                e.count,
            )
        )
    return out


def ranking(ctx: Context, campaign_name: str | None) -> RankResult:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        return ranking_in(s, campaign)


def ranking_in(s: Any, campaign: Campaign) -> RankResult:
    rules, _spec = rules_of(campaign)
    entries = _entries(scores_repo.score_entries(s, campaign.id))
    sections = [sec for sec in repo.sections(s, campaign.id) if sec.retired_at is None]
    offices = [sec.name for sec in sections]
    scores = [scoring.score_section(rules, o, entries.get(o, [])) for o in offices]
    vetoed = events_repo.vetoes(s, campaign.id)
    excluded = {sec.name for sec in sections if sec.id in vetoed}
    return RankResult(
        campaign.name,
        rules,
        scoring.rank(rules, scores, excluded),
        group_titles(rules),
        {t.key: pick(t.titles) for t in rules.tiers},
        pick(definition_of(campaign).spec.labels.commended.as_dict()),
        _participant(definition_of(campaign)),
    )


def _participant(definition: Any) -> str:
    """The definition's own word for a participant, capitalised for a column ("" when it names none)."""
    if "participant" not in definition.spec.labels.model_fields_set:
        return ""
    noun = str(definition.noun())
    return noun[:1].upper() + noun[1:]


def explain(ctx: Context, campaign_name: str | None, office: str) -> tuple[RankResult, scoring.Ranked]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        section = repo.find_section(s, campaign.id, office)
        result = ranking_in(s, campaign)
    row = next((r for r in result.ranking.rows if r.office == section.name), None)
    if row is None:
        raise InputError(
            _("office '{name}' is retired from the campaign; it is not ranked").format(name=section.name)
        )
    return result, row
