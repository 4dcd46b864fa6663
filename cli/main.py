"""The ``manyi`` console: global options, error translation, command registry.

Start-up stays light: this module imports click and our i18n only; each
command imports the database stack when it runs.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, NoReturn

import click

from workflow.errors import CampaignError, ConfigError
from workflow.i18n import N_, _, click_gettext, click_ngettext, detect_language, set_language

if TYPE_CHECKING:
    from workflow.usecases import Context

EXIT_ERROR = 1
EXIT_BLOCKED = 3
DEFAULT_TZ = "Asia/Shanghai"


def parse_now(raw: str) -> datetime:
    """``MANYI_NOW`` as an aware UTC instant; naive values are Asia/Shanghai time."""
    from zoneinfo import ZoneInfo

    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ConfigError(
            "MANYI_NOW", _("'{v}' is not an ISO 8601 date or time").format(v=raw)
        ) from None
    if len(raw.strip()) == 10:  # a bare date: midnight
        value = datetime.combine(value.date(), time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(DEFAULT_TZ))
    return value.astimezone(UTC)


@dataclass
class Settings:
    db: str | None
    actor: str
    _context: Context | None = None

    def context(self) -> Context:
        """The use-case context; imports the storage stack on first use."""
        if self._context is None:
            from storage.db import Database
            from workflow.usecases import Context

            raw_now = os.environ.get("MANYI_NOW")
            if raw_now:
                fixed = parse_now(raw_now)
                clock = lambda: fixed  # noqa: E731
            else:
                clock = lambda: datetime.now(UTC)  # noqa: E731
            self._context = Context(Database(self.db), self.actor, clock)
        return self._context


def _route_click_messages() -> None:
    """Make click's built-in strings (Usage:, Options:, its errors) follow ``--lang``.

    click looks its messages up with ``from gettext import gettext as _`` in each
    module, i.e. in the process-wide default domain and the OS locale. Rebinding
    those names to our translator puts them in the ``click`` catalog we ship and
    under the same language switch as everything else.
    """
    import importlib

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types",
                 "termui", "shell_completion", "utils", "_termui_impl"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]


_route_click_messages()


class _TranslatedHelp:
    """Help text stored as an English msgid and translated when it is shown.

    Click reads ``help`` only when rendering, so a property is enough to make
    ``--lang`` (parsed after the commands are defined) apply to every help text.
    """

    __slots__ = ()
    _help_msgid: str | None = None

    @property
    def help(self) -> str | None:
        return _(self._help_msgid) if self._help_msgid else self._help_msgid

    @help.setter
    def help(self, value: str | None) -> None:
        self._help_msgid = value


class TOption(_TranslatedHelp, click.Option):
    pass


def option(*decls: str, **attrs: Any) -> Any:
    """``click.option`` whose help is translated when shown."""
    return click.option(*decls, cls=TOption, **attrs)


class _TranslatedCommand(_TranslatedHelp):
    """A command whose ``--help`` option text also follows the language.

    click (8.2+) builds the help option once per command and keeps it, with its
    text translated at that moment; refresh the text each time it is asked for.
    """

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        opt = super().get_help_option(ctx)  # type: ignore[misc]
        if opt is not None:
            opt.help = click_gettext("Show this message and exit.")
        return opt


class TCommand(_TranslatedCommand, click.Command):
    pass


class ManyiGroup(_TranslatedCommand, click.Group):
    """A group that turns our errors into one line on stderr and exit 1."""

    command_class = TCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CampaignError as exc:
            fail(str(exc))
        finally:
            # A console command is one process doing one thing: give its
            # connections back now (a server has a connection limit).
            obj = ctx.obj
            if isinstance(obj, Settings) and obj._context is not None:
                obj._context.db.dispose()


ManyiGroup.group_class = ManyiGroup


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(code)


def _default_actor() -> str:
    env = os.environ.get("MANYI_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    lang = detect_language(value)
    set_language(lang)
    return lang


@click.group(cls=ManyiGroup, context_settings={"help_option_names": ["-h", "--help"]})
@option("--db", metavar="URL", help="Database URL or SQLite file path (env MANYI_DB; default manyi.db).")
@option("--as", "actor", metavar="NAME", help="Who is acting, recorded in history (env MANYI_USER; default the login name).")
@option("--lang", type=click.Choice(["zh", "en"]), callback=_set_lang, is_eager=True,
              expose_value=False, help="Language of messages (env MANYI_LANG; default from the locale, Chinese first).")
@click.version_option(package_name="manyi", cls=TOption, help=N_("Show the version and exit."))
@click.pass_context
def cli(ctx: click.Context, db: str | None, actor: str | None) -> None:
    """manyi (满意): run multi-phase campaigns such as 创建"人民满意单位"活动 as state machines."""
    ctx.obj = Settings(db=db, actor=(actor or _default_actor()).strip() or "unknown")


def settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def main() -> None:
    set_language(detect_language())
    cli.main(prog_name="manyi")


from cli import commands  # noqa: E402,F401  (registers the commands on `cli`)
