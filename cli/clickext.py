"""click, made to speak the user's language and to check what it is given: help texts stored as
English msgids and translated when shown, click's own strings routed to the shipped catalogue, and
every text a command receives checked once at the door (control and invisible characters refused,
names in NFC).
"""

from __future__ import annotations

from typing import Any

import click

from workflow.i18n import _, click_gettext, click_ngettext

#: click's modules that look up their messages through gettext (``_``/``ngettext``): routed to our
#: catalogue here, and extracted from by :mod:`cli.catalog`.
CLICK_MODULES = (
    "core",
    "decorators",
    "exceptions",
    "formatting",
    "parser",
    "types",
    "termui",
    "shell_completion",
    "utils",
    "_termui_impl",
)


def route_click_messages() -> None:
    """Make click's built-in strings (Usage:, Options:, its errors) follow ``--lang``.

    click looks its messages up with ``from gettext import gettext as _`` in each
    module, i.e. in the process-wide default domain and the OS locale. Rebinding
    those names to our translator puts them in the ``click`` catalog we ship and
    under the same language switch as everything else.
    """
    import importlib

    for name in CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = click_gettext  # type: ignore[attr-defined]  # patching click's module-level gettext
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]  # patching click's module-level gettext


class _TranslatedHelp:
    """Help text stored as an English msgid and translated when it is shown.

    Click reads ``help`` only when rendering, so a property is enough to make
    ``--lang`` (parsed after the commands are defined) apply to every help text.
    """

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


class TranslatedCommand(_TranslatedHelp):
    """A command whose ``--help`` option text also follows the language.

    click (8.2+) builds the help option once per command and keeps it, with its
    text translated at that moment; refresh the text each time it is asked for.
    """

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        opt = super().get_help_option(ctx)  # type: ignore[misc]  # click's help option factory is untyped
        if opt is not None:
            opt.help = click_gettext("Show this message and exit.")
        return opt


def _door(ctx: click.Context, params: list[click.Parameter]) -> None:
    """Every text a command received, checked once (and names in NFC) before it runs.

    Names, notes, reasons and file names all arrive here: a control or invisible
    formatting character is refused naming the option and the character. File
    paths are checked but not normalised (the file system keeps bytes as they are).
    """
    from pathlib import Path

    from workflow.engine import text

    for param in params:
        value = ctx.params.get(param.name or "")
        label = max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name
        if isinstance(value, str):
            ctx.params[param.name or ""] = text.clean(value, label)
        elif isinstance(value, Path):
            text.clean(str(value), label)
        elif isinstance(value, tuple):
            checked = []
            for v in value:
                if isinstance(v, Path):
                    text.clean(str(v), label)
                checked.append(text.clean(v, label) if isinstance(v, str) else v)
            ctx.params[param.name or ""] = tuple(checked)


class TCommand(TranslatedCommand, click.Command):
    def invoke(self, ctx: click.Context) -> Any:
        _door(ctx, self.params)
        return super().invoke(ctx)
