"""The ``manyi`` console: global options, error translation, command registry.

Start-up stays light: this module imports click and our i18n only; each
command imports the database stack when it runs.
"""

from __future__ import annotations

import gc
import getpass
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

from cli.clickext import TCommand, TOption, TranslatedCommand, option, route_click_messages
from cli.language import LOCALE_DIR, detect_language, unknown_language
from workflow.errors import CampaignError, ConfigError
from workflow.i18n import N_, _, click_gettext, set_language, use_catalogues

use_catalogues(str(LOCALE_DIR))

if TYPE_CHECKING:
    from workflow.usecases.context import Context

#: The top-level commands: the module that defines each, and its help text.
#: ``manyi --help`` lists them from here; a command's module is imported only
#: when that command runs (or its own --help is asked for), so start-up does
#: not pay for defining forty commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("cli.campaigns", N_("Create or upgrade the database; safe to repeat.")),
    "definition": ("cli.definition", N_("Campaign definition files.")),
    "campaign": ("cli.campaigns", N_("Start and list campaigns.")),
    "office": ("cli.offices", N_("The offices (sections) taking part in a campaign.")),
    "status": (
        "cli.commands",
        N_("The board: one row per office, a column per phase, blockers, next due date."),
    ),
    "file": (
        "cli.commands",
        N_("File a document for a requirement (a central body files under its name or alias as OFFICE)."),
    ),
    "advance": ("cli.commands", N_("Move offices to their next phase where every exit condition holds.")),
    "history": (
        "cli.commands",
        N_("Every change of one office, oldest first (a central body's name for its own filings)."),
    ),
    "veto": (
        "cli.commands",
        N_(
            "Record (or lift) a veto (一票否决) against an office: it blocks 'veto' conditions and "
            "drops the office from commendation."
        ),
    ),
    "demo": (
        "cli.demo",
        N_(
            "A narrated tour of a bundled campaign (default: the seed) into a fresh demo database "
            "(manyi-demo.db); its steps are definitions/tours/DEFINITION.yaml."
        ),
    ),
    "timeline": ("cli.timeline", N_("The campaign's phases and due dates as a chart, with today marked.")),
    "audit": ("cli.audit", N_("Verify or export the tamper-evident history (hash chain).")),
    "rectify": ("cli.ledger", N_("The rectification ledger (整改台账): items, evidence, confirmation.")),
    "inspect": ("cli.ledger", N_("Announced and unannounced inspections (明查暗访).")),
    "score": ("cli.scoring", N_("Scores and votes of the evaluator groups (百分制).")),
    "rank": ("cli.scoring", N_("Rank the offices: weighted total, rank, tier, satisfied, missing groups.")),
    "report": ("cli.scoring", N_("The campaign report for the standing committee (md, html, xlsx or docx).")),
    "calendar": ("cli.reminders", N_("Resolved phase ends and due dates on working days; estimates marked.")),
    "extend": (
        "cli.reminders",
        N_("Extend one office's deadline for a requirement (延期); the original date is kept."),
    ),
    "remind": ("cli.reminders", N_("Reminder sweeps by hand (for cron, or to rehearse with MANYI_NOW).")),
    "outbox": ("cli.reminders", N_("Outgoing reminder mail: pending, sent, failed.")),
    "scheduler": ("cli.reminders", N_("The long-running reminder scheduler.")),
    "inbox": ("cli.inbox", N_("Offices' replies by mail: fetch them, list, accept (files them) or reject.")),
    "user": ("cli.operators", N_("Operators and their roles (none configured: single-user mode).")),
    "backup": (
        "cli.backup",
        N_("Copy a SQLite database and its documents (to FILE.blobs) while others keep working."),
    ),
}
HELP = {name: text for name, (_module, text) in COMMANDS.items()}


EXIT_ERROR = 1
EXIT_BLOCKED = 3
EXIT_MAIL_FAILED = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
DEFAULT_TZ = "Asia/Shanghai"


def parse_now(raw: str) -> datetime:
    """``MANYI_NOW`` as an aware UTC instant; naive values are Asia/Shanghai time."""
    from workflow.engine.values import parse_instant
    from workflow.errors import InputError

    try:
        return parse_instant(raw, "MANYI_NOW", DEFAULT_TZ).astimezone(UTC)
    except InputError as exc:
        raise ConfigError("MANYI_NOW", str(exc).removeprefix("MANYI_NOW: ")) from None


@dataclass
class Settings:
    db: str | None
    actor: str
    explicit: bool = False  # --as or MANYI_USER given (not just the OS login)
    _context: Context | None = None

    def context(self) -> Context:
        """The use-case context; imports the storage stack on first use."""
        if self._context is None:
            from workflow.usecases.context import open_context

            raw_now = os.environ.get("MANYI_NOW")
            if raw_now:
                fixed = parse_now(raw_now)
                clock = lambda: fixed  # noqa: E731
            else:
                clock = lambda: datetime.now(UTC)  # noqa: E731
            self._context = open_context(
                self.db,
                self.actor,
                self.explicit,
                clock,
                simulated_clock=bool(raw_now),
                os_user=_os_login(),
            )
            if CONSOLE_PROCESS:
                # The storage stack is imported: its classes live as long as the process, so
                # the collector need not walk them again at each full collection (~0.1 s of
                # `advance --all` at 10,000 offices). Not when a test or a tool calls the
                # group in its own process: its garbage of that moment would be kept for good.
                gc.freeze()
        return self._context


#: True when this process is the ``manyi`` console command (:func:`main`), which runs one
#: command and exits.
CONSOLE_PROCESS = False

route_click_messages()


class ManyiGroup(TranslatedCommand, click.Group):
    """A group that turns our errors into one line on stderr and exit 1.

    The root group also loads its commands lazily (see ``COMMANDS``).
    """

    command_class = TCommand
    #: name -> (module, help msgid) of commands defined on first use (root only).
    lazy: dict[str, tuple[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            import importlib

            importlib.import_module(self.lazy[cmd_name][0])
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with the short help of commands not loaded yet taken from ``lazy``."""
        names = [n for n in self.list_commands(ctx) if n in self.lazy or not self.commands[n].hidden]
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                stand_in = click.Command(name, help=_(self.lazy[name][1]))
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section(click_gettext("Commands")):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            interrupted()
        finally:
            # A console command is one process doing one thing: give its
            # connections back now (a server has a connection limit).
            obj = ctx.obj
            if isinstance(obj, Settings) and obj._context is not None:
                obj._context.db.dispose()


ManyiGroup.group_class = ManyiGroup


def interrupted() -> NoReturn:
    """Ctrl-C: one line saying what, if anything, had been saved; exit 130.

    A command is one transaction, so an interrupt before its commit saved nothing. The
    exceptions commit step by step on purpose (a sweep marks each mail sent as it goes);
    ``storage.db.COMMITTED`` counts what this process committed, by kind.
    """
    committed: dict[str, int] = {}
    if "storage.db" in sys.modules:  # nothing imported the database yet: nothing was written
        from workflow.usecases.context import committed as committed_so_far

        committed = committed_so_far()
    if not any(n for kind, n in committed.items() if kind not in ("mail-claimed", "reminders-planned")):
        message = _("Interrupted: nothing was saved.")
    else:
        parts = []
        if committed.get("mail-sent"):
            parts.append(
                _(
                    "{n} reminder mails sent and marked so (the rest wait in the outbox for the next sweep)"
                ).format(n=committed["mail-sent"])
            )
        if committed.get("reminders-queued"):
            parts.append(_("the due reminders, queued in the outbox"))
        elif committed.get("reminders-fired"):
            parts.append(_("the due reminders found so far (the next sweep mails them)"))
        if committed.get("change"):
            parts.append(
                _("{n} earlier steps of this command (see manyi history and manyi outbox)").format(
                    n=committed["change"]
                )
            )
        message = _("Interrupted: already saved: {what}; nothing after that.").format(
            what=_("; ").join(parts)
        )
    try:
        click.echo(message, err=True)
    finally:
        sys.exit(EXIT_INTERRUPTED)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    from workflow.engine.text import inert

    click.echo(inert(_("Error: {message}").format(message=message), one_line=True), err=True)
    sys.exit(code)


def _default_actor() -> str:
    env = os.environ.get("MANYI_USER")
    if env:
        from workflow.engine import text

        return text.name(env, "MANYI_USER")
    return _os_login()


def _os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    lang = detect_language(value)
    set_language(lang)
    if value is None and not ctx.resilient_parsing and (unknown := unknown_language()) is not None:
        click.echo(
            _("Warning: MANYI_LANG={value} is not a language of manyi (zh, en); using Chinese.").format(
                value=unknown
            ),
            err=True,
        )
    return lang


@click.group(cls=ManyiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@option("--db", metavar="URL", help="Database URL or SQLite file path (env MANYI_DB; default manyi.db).")
@option(
    "--as",
    "actor",
    metavar="NAME",
    help="Who is acting, recorded in history (env MANYI_USER; default the login name).",
)
@option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    callback=_set_lang,
    is_eager=True,
    expose_value=False,
    help="Language of messages (env MANYI_LANG; default from the locale, Chinese first).",
)
@click.version_option(package_name="manyi", cls=TOption, help=N_("Show the version and exit."))
@click.pass_context
def cli(ctx: click.Context, db: str | None, actor: str | None) -> None:
    """manyi (满意): run multi-phase campaigns such as 创建"人民满意单位"活动 as state machines."""
    from cli import console
    from workflow.engine import text

    console.reset()

    if actor is not None:
        actor = text.name(actor, "--as")
    if db is not None:
        text.clean(db, "--db")
    ctx.obj = Settings(
        db=db,
        actor=(actor or _default_actor()).strip() or "unknown",
        explicit=bool(actor or os.environ.get("MANYI_USER")),
    )


cli.lazy = COMMANDS


def load_all() -> click.Group:
    """Define every command now (for tools that walk the whole tree: docs, catalog)."""
    import importlib

    for module in dict.fromkeys(module for module, _help in COMMANDS.values()):
        importlib.import_module(module)
    return cli


def settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def main() -> None:
    global CONSOLE_PROCESS
    CONSOLE_PROCESS = True
    try:
        set_language(detect_language())
        # Not standalone: click would turn Ctrl-C into "Aborted!" and exit 1. Commands stopped
        # by Ctrl-C are caught in ManyiGroup.invoke; this catches the moments around them.
        code = cli.main(prog_name="manyi", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        interrupted()
    finally:
        # The command is over and its connections given back (ManyiGroup.invoke): leave what
        # it built (sqlalchemy's and pydantic's classes, ~90,000 objects) to the process's end.
        # Otherwise the interpreter's shutdown walks them all in repeated collections: ~0.25 s
        # of a 0.7 s `manyi status`. Output is flushed and files closed as usual.
        gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)
