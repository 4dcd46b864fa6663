"""Deadlines and reminders: ``calendar``, ``extend``, ``remind``, ``outbox``, ``scheduler``."""

from __future__ import annotations

import sys

import click

from cli.clickext import option
from cli.console import print_json, say, say_lines
from cli.main import EXIT_MAIL_FAILED, HELP, cli
from cli.shared import CAMPAIGN_OPT, JSON_OPT, context, off_day
from workflow.i18n import N_, _


def _local(instant):
    """A sweep's time as the office reads it: China Standard Time, to the minute."""
    from zoneinfo import ZoneInfo

    from cli.main import DEFAULT_TZ

    return instant.astimezone(ZoneInfo(DEFAULT_TZ)).strftime("%Y-%m-%d %H:%M %Z")


@cli.command(help=HELP["calendar"])
@CAMPAIGN_OPT
@JSON_OPT
def calendar(campaign: str | None, as_json: bool) -> None:
    from workflow.usecases import deadlines

    name, rows = deadlines.calendar(context(), campaign)
    if as_json:
        print_json(
            [
                {
                    "phase": r.phase,
                    "phase_title": r.phase_title,
                    "requirement": r.requirement,
                    "title": r.title,
                    "planned": r.planned.isoformat(),
                    "due": r.due.isoformat(),
                    "moved": r.due != r.planned,
                    "estimate": r.estimate,
                }
                for r in rows
            ]
        )
        return
    say(
        _("Campaign '{name}': due dates move off weekends and holidays to the next working day.").format(
            name=name
        )
    )
    from cli.console import paragraph, show
    from cli.tables import TEXT, WRAP, Col

    cells: list[list[str | tuple[str, str]]] = []
    for r in rows:
        note = [_("moved")] if r.due != r.planned else []
        ends = _("(phase ends)")
        what = (f"{r.requirement}\n{r.title}", "") if r.requirement else (f"{r.phase_title}\n{ends}", "bold")
        cells.append(
            [
                r.planned.isoformat(),
                r.due.isoformat() + (" *" if r.estimate else ""),
                _("; ").join(note),
                what,
            ]
        )
    # What is due is last: a long title folds there instead of being cut; a phase's own row
    # (its end) heads the requirements that follow it.
    show(
        [
            Col(_("Planned"), drop=1),
            Col(_("Due"), title=True),
            Col(_("Note"), WRAP),
            Col(_("Requirement"), TEXT, title=True),
        ],
        cells,
    )
    if any(r.estimate for r in rows):
        paragraph(_("* estimate: no official holiday notice for that year yet"))


@cli.command(help=HELP["extend"])
@click.argument("office")
@click.argument("requirement")
@option("--to", "to", required=True, metavar="YYYY-MM-DD", help=N_("The new due date."))
@option("--reason", required=True, metavar="TEXT", help=N_("Why; recorded in history."))
@option("--shorten", is_flag=True, help=N_("Allow a date earlier than the current due date."))
@CAMPAIGN_OPT
def extend(office: str, requirement: str, to: str, reason: str, shorten: bool, campaign: str | None) -> None:
    from workflow.usecases import deadlines

    e = deadlines.extend(context(), campaign, office, requirement, to, reason, shorten=shorten)
    say(
        _("Extended {office} '{r}' from {prev} to {due} (originally {orig}).").format(
            office=e.office, r=e.requirement, prev=e.previous, due=e.due, orig=e.original
        )
    )
    off_day(e.due, e.next_working_day)


# -- remind ------------------------------------------------------------------
@cli.group(help=HELP["remind"])
def remind() -> None:
    pass


def _parse_at(raw: str | None):
    if raw is None:
        return None
    from cli.main import parse_now
    from workflow.errors import ConfigError, InputError

    try:
        return parse_now(raw)
    except ConfigError as exc:
        raise InputError("--at: " + str(exc).split(": ", 1)[-1]) from None


@remind.command("preview", help=N_("Show what a sweep would send and to whom; send nothing."))
@option("--at", "at", metavar="DATETIME", help=N_("Pretend the sweep runs at this time (ISO 8601)."))
@JSON_OPT
def remind_preview(at: str | None, as_json: bool) -> None:
    from cli.progress import working
    from workflow.usecases import sweep

    with working(_("Sweeping reminders…")):
        result = sweep.sweep(context(), preview=True, at=_parse_at(at), require="read")
    if as_json:
        print_json(
            [
                {
                    "campaign": m.campaign,
                    "to": m.recipient,
                    "subject": m.subject,
                    "items": [
                        {
                            "office": i.office,
                            "requirement": i.requirement,
                            "due": i.due.isoformat(),
                            "days_late": i.days_late,
                            "escalated": i.escalated,
                        }
                        for i in m.items
                    ],
                }
                for m in result.mails
            ]
        )
        return
    fmt = _("would auto-advance {office}: {source} → {dest}")
    say_lines([fmt.format(office=m.office, source=m.source, dest=m.dest) for m in result.advanced])
    if not result.mails:
        say(_("Nothing due at {at}.").format(at=_local(result.at)))
        return
    from cli.console import show
    from cli.tables import TEXT, WRAP, Col

    show(
        [
            Col(_("Recipient"), title=True),
            Col(_("Subject"), WRAP, drop=1),
            Col(_("Due or late"), TEXT, least=40),
        ],
        [
            [m.recipient, m.subject, "\n".join(f"{i.office} {i.title} {i.due}（{i.when}）" for i in m.items)]
            for m in result.mails
        ],
    )


def _advanced(result) -> None:
    fmt = _("auto-advanced {office}: {source} → {dest}")
    say_lines([fmt.format(office=m.office, source=m.source, dest=m.dest) for m in result.advanced])


def _report(result) -> None:
    _advanced(result)
    say(
        _("Sweep at {at}: {r} new reminders, {m} messages, {sent} sent, {failed} failed.").format(
            at=_local(result.at),
            r=result.reminders,
            m=len(result.mails),
            sent=result.sent,
            failed=result.failed,
        )
    )
    if result.deferred:
        say(
            _(
                "The sweep's time budget (MANYI_SWEEP_BUDGET) ran out: {n} messages wait for the next sweep."
            ).format(n=result.deferred)
        )


def _failure_lines(result) -> None:
    """One line on stderr per thing that failed, saying why and whether it is retried."""
    from workflow.engine.text import inert

    for f in result.failures:
        click.echo(inert(_("failed: {line}").format(line=f.line()), one_line=True), err=True)


@remind.command("send", help=N_("Run one sweep now: send every reminder that is due."))
def remind_send() -> None:
    from cli.progress import working
    from workflow.usecases import sweep

    with working(_("Sweeping reminders…")) as show:

        def progress(done: int, total: int) -> None:
            show(_("Sweeping reminders… {done}/{total} due deadlines").format(done=done, total=total))

        result = sweep.sweep(context(), require="manage", progress=progress)
    _report(result)
    if result.unreachable is not None:
        raise result.unreachable
    _failure_lines(result)
    if result.failures:
        sys.exit(EXIT_MAIL_FAILED)


# -- outbox ------------------------------------------------------------------
@cli.group(invoke_without_command=True, help=HELP["outbox"])
@option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["pending", "sending", "sent", "failed", "undeliverable", "cancelled"]),
    help=N_("Only messages with this status; repeatable."),
)
@JSON_OPT
@click.pass_context
def outbox(click_ctx: click.Context, statuses: tuple[str, ...], as_json: bool) -> None:
    if click_ctx.invoked_subcommand is not None:
        return
    from workflow.usecases import delivery

    rows = delivery.outbox(context(), list(statuses) or None)
    if as_json:
        print_json(rows)
        return
    from cli.console import show
    from cli.tables import WRAP, Col

    show(
        [
            Col(_("#"), justify="right", title=True),
            Col(_("Status")),
            Col(_("Recipient"), title=True),
            Col(_("Tries"), justify="right", drop=1),
            Col(_("Subject"), WRAP),
            Col(_("Last error"), WRAP),
        ],
        [
            [str(r["id"]), r["status"], r["to"], str(r["attempts"]), r["subject"], r["last_error"] or ""]
            for r in rows
        ],
    )


@outbox.command("retry", help=N_("Retry every failed message now."))
def outbox_retry() -> None:
    from cli.progress import working
    from workflow.usecases import delivery

    with working(_("Sending the outbox…")):
        result = delivery.retry(context())
    say(_("Retried: {sent} sent, {failed} failed.").format(sent=result.sent, failed=result.failed))
    if result.unreachable is not None:
        raise result.unreachable
    _failure_lines(result)
    if result.failures:
        sys.exit(EXIT_MAIL_FAILED)


# -- scheduler ---------------------------------------------------------------
@cli.group(help=HELP["scheduler"])
def scheduler() -> None:
    pass


@scheduler.command("run", help=N_("Sweep at an interval and at each phase end until SIGTERM/SIGINT."))
@option(
    "--interval",
    type=click.FloatRange(min=0.1, max=86400.0),
    default=60.0,
    show_default=True,
    help=N_("Seconds between sweeps."),
)
def scheduler_run(interval: float) -> None:
    from workflow.adapters import apscheduler_runner
    from workflow.adapters.mailserver import transport_from_env
    from workflow.usecases.context import check_role

    ctx = context()
    check_role(ctx, "manage")  # it sends mail and advances offices for the whole campaign
    transport_from_env(ctx.db.outbox)  # a bad MANYI_SMTP_URL stops it before it starts
    from workflow.adapters import mailin

    if mailin.configured():  # so does a bad MANYI_IMAP_URL or MANYI_INBOX
        mailin.source_from_env().close()

    def log(line: str) -> None:
        say(line)
        sys.stdout.flush()

    def report(result) -> None:
        _report(result)
        for f in result.failures:
            say(_("  failed: {e}").format(e=f.line()))
        sys.stdout.flush()

    say(_("Scheduler started: sweeping every {n} s; stop with Ctrl-C or SIGTERM.").format(n=interval))
    sys.stdout.flush()

    def fetched(result) -> None:
        from cli.inbox import fetch_summary

        if result.new:
            say(fetch_summary(result))
            sys.stdout.flush()

    apscheduler_runner.run(ctx, interval, log, report, fetched)
    say(_("Scheduler stopped."))
