"""Shell completion (click's, for bash and zsh) of names kept in the database.

Each function is a click ``shell_complete`` callback over a use case of
:mod:`workflow.usecases.completion`, which never fails loudly or creates a database.
"""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem


def _where(ctx: click.Context) -> tuple[str | None, str | None]:
    return ctx.find_root().params.get("db"), ctx.params.get("campaign")


def _items(values: list[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(v) for v in values if v.startswith(incomplete)]


def offices(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from workflow.usecases import completion

    return _items(completion.offices(*_where(ctx)), incomplete)


def offices_and_group(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Office names plus each central body's name (they file and have a history too)."""
    from workflow.usecases import completion

    return _items(completion.offices_and_bodies(*_where(ctx)), incomplete)


def requirements(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from workflow.usecases import completion

    return _items(completion.requirements(*_where(ctx)), incomplete)


def states(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from workflow.usecases import completion

    return _items(completion.states(*_where(ctx)), incomplete)


def campaigns(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from workflow.usecases import completion

    return _items(completion.campaigns(ctx.find_root().params.get("db")), incomplete)
