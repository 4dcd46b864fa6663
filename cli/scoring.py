"""Commands of scoring, ranking and the report: score add/vote/import/correct/withdraw/explain,
rank, report."""

from __future__ import annotations

from pathlib import Path

import click

from cli.clickext import option
from cli.console import print_json, say
from cli.main import HELP, cli
from cli.shared import CAMPAIGN_OPT, FILE_PATH, JSON_OPT, OUT_OPT, context, offices_matching, row_filters
from workflow.engine.values import MAX_INT
from workflow.i18n import N_, _

# -- score ---------------------------------------------------------------------
AGAIN_OPT = option(
    "--again",
    is_flag=True,
    help=N_(
        "Store an entry without a scorer even though an identical one is stored (a second, separate batch)."
    ),
)

GROUP_OPT = option(
    "--group",
    required=True,
    metavar="GROUP",
    help=N_("Evaluator group key (manyi definition check --verbose lists them)."),
)


@cli.group(help=HELP["score"])
def score() -> None:
    pass


@score.command("add", help=N_("Record one scorer's score (0–100) for an office."))
@click.argument("office")
@GROUP_OPT
@option("--score", "value", required=True, metavar="N", help=N_("The score, 0–100."))
@option("--scorer", metavar="NAME", help=N_("Who gave it (one score per scorer)."))
@AGAIN_OPT
@CAMPAIGN_OPT
def score_add(
    office: str, group: str, value: str, scorer: str | None, again: bool, campaign: str | None
) -> None:
    from workflow.usecases import scores

    r = scores.add_score(context(), campaign, office, group, value, scorer, again=again)
    say(
        _("Recorded score {score} for {office} from {group}.").format(
            score=value, office=r.office, group=r.group_title
        )
    )


@score.command("vote", help=N_("Record votes (satisfied / basic / unsatisfied / unknown) for an office."))
@click.argument("office")
@GROUP_OPT
@option(
    "--vote",
    required=True,
    metavar="VOTE",
    help=N_(
        "The vote: a level of the definition's scale (key, alias or title), e.g. satisfied, basic, "
        "unsatisfied or unknown."
    ),
)
@option(
    "--count", default=1, type=click.IntRange(1, MAX_INT), show_default=True, help=N_("How many such votes.")
)
@AGAIN_OPT
@CAMPAIGN_OPT
def score_vote(office: str, group: str, vote: str, count: int, again: bool, campaign: str | None) -> None:
    from workflow.usecases import scores

    r = scores.add_vote(context(), campaign, office, group, vote, count, again=again)
    say(
        _("Recorded {n} '{vote}' votes for {office} from {group}.").format(
            n=count, vote=scores.vote_word(vote), office=r.office, group=r.group_title
        )
    )


@score.command(
    "import",
    help=N_(
        "Import scores/votes from CSV or .xlsx (office,group,scorer,score|vote[,count]); all rows or none."
    ),
)
@click.argument("file", type=FILE_PATH)
@AGAIN_OPT
@CAMPAIGN_OPT
def score_import(file: Path, again: bool, campaign: str | None) -> None:
    from cli.progress import working
    from workflow.usecases import scores

    with working(_("Importing scores…")):
        name, n = scores.import_scores(context(), campaign, file, again=again)
    say(_("Imported {n} score rows into campaign '{campaign}'.").format(n=n, campaign=name))


@score.command("correct", help=N_("Correct one scorer's stored score, with a reason (kept in history)."))
@click.argument("office")
@option("--group", required=True, metavar="GROUP", help=N_("Evaluator group (key or title)."))
@option("--scorer", required=True, metavar="NAME", help=N_("Whose score it is."))
@option("--score", "value", required=True, metavar="N", help=N_("The corrected score, 0–100."))
@option("--reason", required=True, metavar="TEXT", help=N_("Why; recorded in history."))
@CAMPAIGN_OPT
def score_correct(
    office: str, group: str, scorer: str, value: str, reason: str, campaign: str | None
) -> None:
    from workflow.usecases import score_corrections

    c = score_corrections.correct_score(context(), campaign, office, group, scorer, value, reason)
    say(
        _("Corrected the score of {office} from {scorer} ({group}): {before} → {after}.").format(
            office=c.office, scorer=c.scorer, group=c.group, before=c.before, after=c.after
        )
    )


@score.command("withdraw", help=N_("Withdraw one scorer's stored score, with a reason (kept in history)."))
@click.argument("office")
@option("--group", required=True, metavar="GROUP", help=N_("Evaluator group (key or title)."))
@option("--scorer", required=True, metavar="NAME", help=N_("Whose score it is."))
@option("--reason", required=True, metavar="TEXT", help=N_("Why; recorded in history."))
@CAMPAIGN_OPT
def score_withdraw(office: str, group: str, scorer: str, reason: str, campaign: str | None) -> None:
    from workflow.usecases import score_corrections

    c = score_corrections.correct_score(context(), campaign, office, group, scorer, None, reason)
    say(
        _("Withdrew the score {before} of {office} from {scorer} ({group}).").format(
            office=c.office, scorer=c.scorer, group=c.group, before=c.before
        )
    )


def _num(value) -> str:
    from workflow.review.scoring import round2

    return "—" if value is None else f"{round2(value):.2f}"


@score.command("explain", help=N_("How an office's total was computed, group by group."))
@click.argument("office")
@CAMPAIGN_OPT
@JSON_OPT
def score_explain(office: str, campaign: str | None, as_json: bool) -> None:
    from workflow.usecases import ranking

    result, row = ranking.explain(context(), campaign, office)
    rules = result.rules
    if as_json:
        print_json(
            {
                **row.as_json(),
                "explain": [
                    {
                        "group": g.key,
                        "weight": float(g.weight),
                        "values": [float(v) for v in g.values],
                        "dropped": [float(v) for v in g.dropped],
                        "unknown_votes": g.unknown_votes,
                        "mean": None if g.mean is None else float(g.mean),
                    }
                    for g in row.score.groups
                ],
            }
        )
        return
    if row.rank is None:
        say(_("{office}: not scored yet").format(office=row.office))
        return
    say(
        _("{office}: total {total}, rank {rank}, tier {tier}").format(
            office=row.office, total=row.score.total, rank=row.rank, tier=result.tier_titles[row.tier or ""]
        )
    )  # ranked rows always have a tier
    from cli.console import show
    from cli.tables import WRAP, Col

    cells = []
    for g in row.score.groups:
        counted = _("{n} values").format(n=len(g.values))
        if g.unknown_votes:
            counted += _(", {n} don't know left out").format(n=g.unknown_votes)
        cells.append(
            [
                f"{g.key}\n{result.group_titles[g.key]}",
                f"{float(g.weight):g}",
                counted,
                ", ".join(_num(v) for v in g.dropped) or "—",
                _num(g.mean),
                _num(g.contribution / rules.weight_sum),
            ]
        )
    show(
        [
            Col(_("Group"), title=True),
            Col(_("Weight"), justify="right"),
            Col(_("Counted"), WRAP),
            Col(_("Dropped (high, low)"), WRAP),
            Col(_("Mean"), justify="right"),
            Col(_("Weighted"), justify="right"),
        ],
        cells,
    )
    say(
        _("total = Σ weight × mean ÷ Σ weights ({w}) = {total}").format(
            w=f"{float(rules.weight_sum):g}", total=row.score.total
        )
    )
    if row.score.missing:
        say(
            _("Missing groups (counted as 0, weights not renormalised): {g}").format(
                g=_(", ").join(result.group_titles[g] for g in row.score.missing)
            )
        )


# -- rank ----------------------------------------------------------------------
@cli.command(help=HELP["rank"])
@CAMPAIGN_OPT
@row_filters
@JSON_OPT
def rank(
    campaign: str | None,
    offices: tuple[str, ...],
    phases: tuple[str, ...],
    lights: tuple[str, ...],
    as_json: bool,
) -> None:
    from workflow.usecases import ranking

    result = ranking.ranking(context(), campaign)
    keep = offices_matching(campaign, offices, phases, lights)
    rows = [
        r for r in result.ranking.rows if keep is None or r.office in keep
    ]  # ranks stay the whole campaign's
    if as_json:
        print_json([r.as_json() for r in rows])
        return
    from cli.console import show
    from cli.tables import WRAP, Col

    cells = []
    for r in rows:
        if r.rank is None:
            cells.append(["—", r.office, "—", "—", "", _("not scored")])
            continue
        cells.append(
            [
                str(r.rank),
                r.office,
                f"{r.score.total:.2f}",
                result.tier_titles[r.tier or ""],
                ("✓" + (" *" if r.tie_at_cut else "")) if r.satisfied else "",
                _(", ").join(result.group_titles[g] for g in r.score.missing),
            ]
        )
    show(
        [
            Col(_("Rank"), justify="right", title=True),
            Col(result.participant or _("Office"), title=True),
            Col(_("Total"), justify="right"),
            Col(_("Tier")),
            # The line under the table names the commended too: this column goes first.
            Col(result.commended, justify="center", drop=1),
            Col(_("Missing groups"), WRAP),
        ],
        cells,
    )
    say(
        _("{commended} (top {n}): {names}").format(
            commended=result.commended,
            n=result.ranking.top,
            names=_(", ").join(result.ranking.satisfied) or "—",
        )
    )
    if result.ranking.tied_at_cut:
        say(
            _(
                "* Tied at the cut: {names} share a rank, so all of them are named {commended} "
                "({k} instead of {n})."
            ).format(
                names=_(", ").join(result.ranking.tied_at_cut),
                k=len(result.ranking.satisfied),
                n=result.ranking.top,
                commended=result.commended,
            )
        )
    flagged = [r for r in result.ranking.rows if r.score.missing and r.rank is not None]
    if flagged:
        say(
            _(
                "{n} sections lack a whole evaluator group; their totals count it as 0 "
                "(weights are not renormalised)."
            ).format(n=len(flagged))
        )


# -- report --------------------------------------------------------------------
@cli.command(help=HELP["report"])
@option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "xlsx", "docx"]),
    default="md",
    show_default=True,
    help=N_("Output format."),
)
@OUT_OPT
@CAMPAIGN_OPT
def report(fmt: str, output: Path | None, campaign: str | None) -> None:
    from cli import exports
    from cli.progress import working
    from workflow.usecases import report as reports

    reports.require_output(fmt, output)
    with working(_("Writing the report…")):
        rep = reports.build(context(), campaign)
        if output is not None:
            exports.write_report(rep, fmt, output)
    if output is None:  # to stdout: after the progress display is gone
        exports.write_report(rep, fmt, output)
    if output is not None:
        say(
            _("Wrote the {fmt} report of campaign '{name}' to {path}.").format(
                fmt=fmt, name=rep.campaign, path=output
            )
        )
