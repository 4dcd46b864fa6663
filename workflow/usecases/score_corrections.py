"""Correct or withdraw one scorer's stored score, with a reason kept in the history (the rows
the ranking reads change; the event chain keeps both values)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from storage import events_repo, repo, scores_repo
from workflow.engine import text as textcheck
from workflow.errors import InputError
from workflow.i18n import _
from workflow.usecases.context import Context
from workflow.usecases.operators import authorize
from workflow.usecases.scores import check_entry, group_titles, rules_of


@dataclass(frozen=True)
class Corrected:
    campaign: str
    office: str
    group: str
    scorer: str
    before: str
    after: str | None  # None: withdrawn


def correct_score(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    group: str,
    scorer: str,
    score: str | None,
    reason: str,
) -> Corrected:
    """Change (``score``) or withdraw (``score=None``) one scorer's stored score, with a reason.

    The stored row is updated or deleted; the event (``score-correct`` with the new
    and the old value, or ``score-withdraw`` with the value taken out) keeps the history.
    """
    reason = textcheck.name(reason, "--reason")
    scorer = textcheck.name(scorer, "--scorer")
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "score")
        campaign = repo.find_campaign(s, campaign_name)
        repo.require_open(campaign)
        rules, _spec = rules_of(campaign)
        sections = repo.section_ids(s, campaign.id)
        probe = check_entry(rules, sections, "", office, group, scorer, score or "0", None, None)
        title = group_titles(rules)[probe.group]  # as the clerk reads it, in messages and output
        entry = next(
            (
                e
                for e, _n in scores_repo.score_entries(s, campaign.id)
                if e.section_id == probe.section_id and e.grp == probe.group and e.scorer == scorer
            ),
            None,
        )
        if entry is None:
            raise InputError(
                _("no score of {office} / {group} from '{scorer}' is stored").format(
                    office=office, group=title, scorer=scorer
                )
            )
        before = str(Decimal(entry.hundredths or 0) / 100)
        if score is None:
            s.delete(entry)
            detail: dict[str, Any] = {"group": probe.group, "scorer": scorer, "score": before}
            action, after = "score-withdraw", None
        else:
            if probe.hundredths == entry.hundredths:
                raise InputError(
                    _("{office} / {group} / {scorer} is already {score}").format(
                        office=office,
                        group=title,
                        scorer=scorer,
                        score=before,
                    )
                )
            entry.hundredths = probe.hundredths
            entry.actor, entry.at = ctx.actor, now
            s.add(entry)
            after = str(Decimal(probe.hundredths or 0) / 100)
            detail = {"group": probe.group, "scorer": scorer, "score": after, "before": before}
            action = "score-correct"
        s.flush()
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    action, section_id=probe.section_id, office=office, reason=reason, detail=detail
                )
            ],
            ctx.actor,
            now,
        )
        return Corrected(campaign.name, office, title, scorer, before, after)
