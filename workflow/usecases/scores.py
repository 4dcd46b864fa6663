"""Use cases of scoring and ranking: store raw scores and votes, rank, explain.

The arithmetic is in :mod:`workflow.review.scoring`; this module validates input
against the campaign's rules, stores rows exactly as given (so any total can
be recomputed) and feeds them back to the pure ranking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from storage import events_repo, repo, scores_repo
from storage.models import Campaign
from workflow.adapters.tabular import Table, read_table, read_xlsx_table
from workflow.engine import text as textcheck
from workflow.engine.values import MAX_INT
from workflow.errors import DuplicateError, InputError
from workflow.i18n import N_, _, pick
from workflow.review import scoring_rules
from workflow.usecases.context import Context, definition_of
from workflow.usecases.operators import authorize

#: The vote keys as words (JSON and the database keep the keys).
VOTE_WORDS = {
    "satisfied": N_("satisfied"),
    "basic": N_("basically satisfied"),
    "unsatisfied": N_("unsatisfied"),
    "unknown": N_("don't know"),
}
SCORE_COLUMNS = {
    "office": ("科室", "名称", "科室名称", "name"),
    "group": ("评价主体", "评分组", "组别"),
    "scorer": ("评分人", "评议人"),
    "score": ("分数", "得分", "评分"),
    "vote": ("评价", "投票", "测评结果"),
    "count": ("票数", "人数"),
}


def vote_word(key: str) -> str:
    """The vote ``key`` in the user's language (the key itself if unknown)."""
    return _(VOTE_WORDS[key]) if key in VOTE_WORDS else key


def group_titles(rules: scoring_rules.Rules) -> dict[str, str]:
    """Each evaluator group's title in the user's language, by key."""
    return {g.key: pick(g.titles) for g in rules.groups}


@dataclass(frozen=True)
class Recorded:
    """What ``add_score``/``add_vote`` stored, with the group's title for messages."""

    campaign: str
    office: str
    group: str
    group_title: str


def rules_of(campaign: Campaign) -> tuple[scoring_rules.Rules, Any]:
    definition = definition_of(campaign)
    spec = definition.spec.scoring
    if spec is None:
        raise InputError(_("definition '{key}' has no scoring rules").format(key=definition.key))
    return scoring_rules.rules_from(spec, json.loads(campaign.parameters)), spec


@dataclass(frozen=True)
class _Row:
    office: str
    section_id: int
    group: str
    scorer: str | None
    hundredths: int | None
    vote: str | None
    count: int


def check_entry(
    rules: scoring_rules.Rules,
    sections: dict[str, int],
    where: str,
    office: str,
    group: str,
    scorer: str | None,
    score: str | None,
    vote: str | None,
    count: str | int | None,
) -> _Row:
    if office not in sections:
        raise InputError(where + _("unknown office '{name}'").format(name=office))
    spec = rules.group(group) or next(
        (g for g in rules.groups if group.strip().casefold() in {t.casefold() for t in g.titles.values()}),
        None,
    )
    if spec is None:
        raise InputError(
            where
            + _("unknown group '{g}'; known: {k}").format(
                g=group, k=", ".join(f"{g.key} ({pick(g.titles)})" for g in rules.groups)
            )
        )
    group = spec.key
    if bool(score) == bool(vote):
        raise InputError(where + _("give either a score or a vote"))
    hundredths = None
    vote_key = None
    if score:
        if "score" not in spec.accepts:
            raise InputError(where + _("group '{g}' takes votes, not scores").format(g=group))
        try:
            value = Decimal(score.strip())
        except InvalidOperation:
            raise InputError(where + _("'{v}' is not a number").format(v=score)) from None
        if not value.is_finite() or not 0 <= value <= rules.scale:
            raise InputError(where + _("score {v} is outside 0–{max}").format(v=score, max=rules.scale))
        if value != value.quantize(Decimal("0.01")):
            raise InputError(where + _("score {v} has more than two decimals").format(v=score))
        hundredths = int(value * 100)
    else:
        if "vote" not in spec.accepts:
            raise InputError(where + _("group '{g}' takes scores, not votes").format(g=group))
        vote_key = rules.vote_key(str(vote))
        if vote_key is None:
            raise InputError(
                where
                + _("unknown vote '{v}'; use one of {k}").format(
                    v=vote, k=", ".join([*rules.vote_points, rules.unknown_vote])
                )
            )
    try:
        n = int(count) if count not in (None, "") else 1
    except ValueError:
        n = 0
    if n < 1 or n > MAX_INT:
        raise InputError(where + _("count must be a whole number of at least 1, got '{v}'").format(v=count))
    if score and n != 1:
        raise InputError(where + _("--count is for votes only"))
    return _Row(
        office, sections[office], group, textcheck.optional(scorer, where + "scorer"), hundredths, vote_key, n
    )


def _store(
    ctx: Context, campaign_name: str | None, build: Any, again: bool = False
) -> tuple[str, list[_Row], dict[str, str]]:
    """Validate with ``build(rules, sections)`` inside the write transaction, then store all.

    A row without a scorer (an anonymous score, a batch of votes) identical to one
    already stored is refused unless ``again``: entered twice by mistake, it would
    count twice and could change who is satisfied.
    """
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "score")
        campaign = repo.find_campaign(s, campaign_name)
        rules, _spec = rules_of(campaign)
        titles = group_titles(rules)  # messages name a group as the clerk reads it, not by its key
        sections = repo.section_ids(s, campaign.id)
        rows: list[tuple[str, _Row]] = build(rules, sections)
        retired = {sections[name] for name in repo.retired_names(s, campaign.id)}
        for where, r in rows:
            if r.section_id in retired:
                raise InputError(
                    where
                    + _("office '{name}' is retired from the campaign; it takes no scores").format(
                        name=r.office
                    )
                )
        if not again:
            anonymous = {
                (e.section_id, e.grp, e.hundredths, e.vote, e.count)
                for e, _n in scores_repo.score_entries(s, campaign.id)
                if e.scorer is None
            }
            for where, r in rows:
                if r.scorer is None and (r.section_id, r.group, r.hundredths, r.vote, r.count) in anonymous:
                    what = (
                        str(Decimal(r.hundredths or 0) / 100)
                        if r.vote is None
                        else f"{r.count} × {vote_word(r.vote)}"
                    )
                    raise InputError(
                        where
                        + _(
                            "{office} / {group}: {what} is already stored; if this is a second, separate "
                            "entry, add --again"
                        ).format(office=r.office, group=titles[r.group], what=what)
                    )
        stored = scores_repo.scorer_keys(s, campaign.id)
        seen: dict[tuple[int, str, str], str] = {}
        for where, r in rows:
            if r.scorer is None:
                continue
            key = (r.section_id, r.group, r.scorer)
            label = f"{r.office} / {titles[r.group]} / {r.scorer}"
            if key in stored and not where:
                raise DuplicateError("score", label)
            if key in stored or key in seen:
                prev = _("already stored") if key in stored else _("also in {where}").format(where=seen[key])
                raise InputError(where + _("duplicate score {label} ({prev})").format(label=label, prev=prev))
            seen[key] = where.rstrip(": ")
        scores_repo.add_scores(
            s,
            [
                {
                    "campaign_id": campaign.id,
                    "section_id": r.section_id,
                    "grp": r.group,
                    "scorer": r.scorer,
                    "hundredths": r.hundredths,
                    "vote": r.vote,
                    "count": r.count,
                    "actor": ctx.actor,
                    "at": now,
                }
                for _w, r in rows
            ],
        )
        events_repo.append_events(
            s,
            campaign,
            [
                events_repo.NewEvent(
                    "score" if r.vote is None else "vote",
                    section_id=r.section_id,
                    office=r.office,
                    detail={
                        "group": r.group,
                        "scorer": r.scorer,
                        "count": r.count,
                        **(
                            {"score": str(Decimal(r.hundredths or 0) / 100)}
                            if r.vote is None
                            else {"vote": r.vote}
                        ),
                    },
                )
                for _w, r in rows
            ],
            ctx.actor,
            now,
        )
        return campaign.name, [r for _w, r in rows], titles


def add_score(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    group: str,
    score: str,
    scorer: str | None = None,
    *,
    again: bool = False,
) -> Recorded:
    def build(rules: scoring_rules.Rules, sections: dict[str, int]) -> list[tuple[str, _Row]]:
        return [("", check_entry(rules, sections, "", office, group, scorer, score, None, None))]

    return _recorded(*_store(ctx, campaign_name, build, again))


def add_vote(
    ctx: Context,
    campaign_name: str | None,
    office: str,
    group: str,
    vote: str,
    count: int = 1,
    *,
    again: bool = False,
) -> Recorded:
    def build(rules: scoring_rules.Rules, sections: dict[str, int]) -> list[tuple[str, _Row]]:
        return [("", check_entry(rules, sections, "", office, group, None, None, vote, count))]

    return _recorded(*_store(ctx, campaign_name, build, again))


def _recorded(campaign: str, rows: list[_Row], titles: dict[str, str]) -> Recorded:
    (row,) = rows
    return Recorded(campaign, row.office, row.group, titles[row.group])


def read_scores_file(path: Path) -> Table:
    """A CSV (UTF-8, UTF-8 BOM, GB18030) or the first sheet of an .xlsx workbook."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx_table(path, SCORE_COLUMNS, required=("office", "group"))
    return read_table(path, SCORE_COLUMNS, required=("office", "group"))


def import_scores(
    ctx: Context, campaign_name: str | None, path: Path, *, again: bool = False
) -> tuple[str, int]:
    """Validate every row first (offices, groups, 0–100, duplicates); store all or none."""
    table = read_scores_file(path)

    def build(rules: scoring_rules.Rules, sections: dict[str, int]) -> list[tuple[str, _Row]]:
        out = []
        for line, row in table.rows:
            where = _("{src} row {n}: ").format(src=table.source, n=line)
            out.append(
                (
                    where,
                    check_entry(
                        rules,
                        sections,
                        where,
                        row["office"],
                        row["group"],
                        row.get("scorer"),
                        row.get("score"),
                        row.get("vote"),
                        row.get("count"),
                    ),
                )
            )
        return out

    name, rows, _titles = _store(ctx, campaign_name, build, again)
    return name, len(rows)
