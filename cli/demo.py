"""``manyi demo``: a narrated tour of a bundled campaign into a fresh demo database.

The tour runs the real commands (the same code paths a user types), printing
each command line before its output, so every step can be repeated by hand.
What it runs is data: ``definitions/tours/<definition>.yaml`` (see :mod:`cli.tour`);
nothing here knows a campaign.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from cli.console import console, say
from cli.main import HELP, cli, settings
from workflow.errors import InputError
from workflow.i18n import _, language
from workflow.usecases import demo as demo_usecases

DEMO_DB = "manyi-demo.db"


@contextmanager
def _offline() -> Iterator[None]:
    """The tour's mail goes to its own outbox, never to a configured SMTP server, and it reads
    only its own Maildir, never a configured mailbox."""
    names = ("MANYI_SMTP_URL", "MANYI_IMAP_URL", "MANYI_INBOX")
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@cli.command(help=HELP["demo"])
@click.argument("tour_name", metavar="[DEFINITION]", required=False)
@click.pass_context
def demo(click_ctx: click.Context, tour_name: str | None) -> None:
    from cli import tour

    opts = settings(click_ctx)
    db_path = Path(opts.db or DEMO_DB).expanduser().resolve()
    if "://" in (opts.db or ""):
        raise InputError(_("the demo writes a SQLite file; give --db a file path"))
    plan = tour.load(tour_name)
    demo_usecases.prepare(db_path)
    with _offline():
        _tour(opts, db_path, plan)
    demo_usecases.stamp(db_path)


def _tour(opts: Any, db_path: Path, plan: Any) -> None:
    from rich.rule import Rule

    from cli import tour
    from workflow.i18n import pick

    files = Path(str(db_path) + ".files")
    files.mkdir()
    now = opts.context().now()
    today = (now + timedelta(hours=8)).date()
    roster = tour.write_roster(plan, files)
    values = tour.Values(plan.campaign, today - timedelta(days=plan.start_days_ago), today, roster, files)

    def run(args: list[str]) -> None:
        shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
        console.print(f"$ manyi {shown}", style="bold", markup=False)
        # --lang: each command speaks the tour's language, whatever MANYI_LANG or the locale say.
        base = ["--db", str(db_path), "--as", opts.actor, "--lang", language()]
        try:
            cli.main(args=[*base, *args], prog_name="manyi", standalone_mode=False)
        except SystemExit:
            pass
        except click.ClickException as exc:  # pragma: no cover - the tour's own commands are valid
            exc.show()

    say(pick(plan.intro.as_dict()))
    for n, step in enumerate(plan.steps, 1):
        console.print(Rule(f"{n}. {pick(step.title.as_dict())}", style="cyan"))
        if step.reply is not None:
            maildir = files / "Maildir"
            _office_reply(Path(str(db_path) + ".outbox"), maildir, plan.campaign, step.reply)
            os.environ["MANYI_INBOX"] = str(maildir)  # inside _offline(): the user's settings are put back
        try:
            for args in step.run:
                run(tour.expand(args, values))
        finally:
            os.environ.pop("MANYI_INBOX", None)
    console.print(Rule(style="cyan"))
    outbox = Path(str(db_path) + ".outbox")
    say(_("Reminder mail was written as .eml files into {folder}.").format(folder=outbox))
    if plan.report:
        say(_("The report is {path}.").format(path=files / plan.report))
    say(_("The demo database is {db}. Keep exploring, for example:").format(db=db_path))
    say(f"  export MANYI_DB={db_path}")
    for args in plan.explore:
        say("  manyi " + " ".join(args))


def _office_reply(outbox: Path, maildir: Path, campaign: str, reply: Any) -> None:
    """What the office's mail client sends: a reply to manyi's reminder with a document attached."""
    import email
    import email.policy
    import mailbox
    import mimetypes
    from email.message import EmailMessage
    from email.utils import make_msgid

    from workflow.mail.mailtext import reference

    office, address = reply.office, reply.address
    sent = next(p for p in sorted(outbox.glob("*.eml")) if address in p.name)
    original = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    msg = EmailMessage()
    msg["From"] = f"{office} <{address}>"
    msg["To"] = str(original["From"])
    # As the reminder asks: reply, keeping (or adding) the item's reference in the subject.
    msg["Subject"] = f"回复：{original['Subject']} {reference(campaign, office, reply.requirement)}"
    msg["In-Reply-To"] = str(original["Message-ID"])
    msg["References"] = f"{original.get('References', '')} {original['Message-ID']}".strip()
    msg["Message-ID"] = make_msgid(domain=address.split("@")[1])
    msg.set_content(reply.text)
    ctype = mimetypes.guess_type(reply.attachment.name)[0] or "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    msg.add_attachment(
        reply.attachment.text.encode(), maintype=maintype, subtype=subtype, filename=reply.attachment.name
    )
    mailbox.Maildir(str(maildir), create=True).add(msg.as_bytes())
