"""Mail in: ``manyi inbox fetch|list|accept|reject|allow``."""

from __future__ import annotations

import click

from cli import completion
from cli.clickext import option
from cli.console import print_json, say
from cli.main import HELP, cli
from cli.shared import CAMPAIGN_OPT, JSON_OPT, context
from workflow.i18n import N_, _


@cli.group(help=HELP["inbox"])
def inbox() -> None:
    pass


def fetch_summary(r) -> str:
    return _(
        "Mailbox: {seen} messages, {new} new ({matched} matched, {unmatched} unmatched, "
        "{quarantined} quarantined, {refused} refused), {subs} submissions received, "
        "{notices} notices mailed back."
    ).format(
        seen=r.seen,
        new=r.new,
        matched=r.matched,
        unmatched=r.unmatched,
        quarantined=r.quarantined,
        refused=r.refused,
        subs=r.submissions,
        notices=r.notices,
    )


@inbox.command(
    "fetch",
    help=N_(
        "Read new mail from MANYI_IMAP_URL or the Maildir MANYI_INBOX; each new message is taken in once."
    ),
)
def inbox_fetch() -> None:
    from cli.progress import working
    from workflow.usecases import inbox as uc

    with working(_("Reading the mailbox…")):
        result = uc.fetch(context())
    say(fetch_summary(result))


@inbox.command("list", help=N_("Submissions received by mail and mail kept aside, with the reason."))
@JSON_OPT
def inbox_list(as_json: bool) -> None:
    from workflow.usecases import inbox_desk as uc

    rows = uc.list_inbox(context())
    if as_json:
        print_json(rows)
        return
    if not rows:
        say(_("No mail taken in yet (manyi inbox fetch)."))
        return
    # One line per row and its reason under it: readable at any width, and greppable.
    for r in rows:
        ident = str(r["id"]) if r["id"] is not None else f"m{r['message']}"
        what = r["filename"] or _("mail “{s}”").format(s=r["subject"])
        say(
            "{id}  {status}  {office}  {req}  {what}  {sender}  {at}".format(
                id=ident,
                status=_(r["status"]),
                office=r["office"] or "—",
                req=r["requirement"] or "?",
                what=what,
                sender=r["from"] or "—",
                at=(r["received_at"] or "")[:16].replace("T", " "),
            )
        )
        for line in [r["reason"], *r["notes"]]:
            if line:
                say(f"    {line}")


@inbox.command("accept", help=N_("File a received submission (guards, counts and history as `manyi file`)."))
@click.argument("submission", type=click.IntRange(min=1), metavar="ID")
@option(
    "--requirement",
    metavar="KEY",
    shell_complete=completion.requirements,
    help=N_("The requirement it answers, when the mail did not say (or said wrongly)."),
)
def inbox_accept(submission: int, requirement: str | None) -> None:
    from workflow.usecases import inbox_desk as uc

    a = uc.accept(context(), submission, requirement)
    f = a.filed
    counted = f" ({f.count}/{f.needed})" if f.needed > 1 else ""
    say(
        _(
            "Accepted submission {id}: filed '{title}' for {office}{counted}: {filename} (sha256 {sha}), "
            "from mail {mail}."
        ).format(
            id=a.submission,
            title=f.requirement_title,
            office=f.office,
            counted=counted,
            filename=f.filename,
            sha=f.sha256[:12],
            mail=a.message_id,
        )
    )


@inbox.command("reject", help=N_("Reject a received submission; the office is told why by mail."))
@click.argument("submission", type=click.IntRange(min=1), metavar="ID")
@option("--reason", required=True, metavar="TEXT", help=N_("Why; mailed to the office."))
def inbox_reject(submission: int, reason: str) -> None:
    from workflow.usecases import inbox_desk as uc

    to, sent = uc.reject(context(), submission, reason)
    say(
        _("Rejected submission {id}; the reason was mailed to {to}.").format(id=submission, to=to)
        if sent
        else _("Rejected submission {id}; the notice to {to} is in the outbox.").format(id=submission, to=to)
    )


@inbox.command("allow", help=N_("Take an office's mail also from this address (besides its roster address)."))
@click.argument("office", shell_complete=completion.offices)
@click.argument("address")
@CAMPAIGN_OPT
def inbox_allow(office: str, address: str, campaign: str | None) -> None:
    from workflow.usecases import inbox_desk as uc

    name = uc.allow(context(), campaign, office, address)
    say(_("Mail from {a} is now taken in for {office}.").format(a=address.strip().lower(), office=name))
