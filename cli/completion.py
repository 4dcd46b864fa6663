"""Shell completion (click's, for bash and zsh) of names kept in the database.

Each function is a click ``shell_complete`` callback. Completion must never fail
loudly or create a database, so any error simply yields no candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click
from click.shell_completion import CompletionItem


def _with_campaign(ctx: click.Context, read: Callable[[Any, Any], Iterable[str]]) -> list[str]:
    from storage import repo
    from storage.db import Database

    db = None
    try:
        db = Database(ctx.find_root().params.get("db"))
        db.ensure_ready(create=False)
        with db.read() as s:
            campaign = repo.find_campaign(s, ctx.params.get("campaign"))
            return sorted(read(s, campaign))
    except Exception:
        return []
    finally:
        if db is not None:
            db.dispose()


def _items(values: Iterable[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(v) for v in values if v.startswith(incomplete)]


def offices(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from storage import repo

    names = _with_campaign(ctx, lambda s, c: repo.section_names(s, c.id))
    return _items(names, incomplete)


def offices_and_group(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Office names plus each central body's name (they file and have a history too)."""
    from storage import repo
    from workflow.usecases.context import definition_of

    def read(s: Any, c: Any) -> Iterable[str]:
        d = definition_of(c)
        return [*repo.section_names(s, c.id), *(d.body_label(b) for b in d.bodies.values())]

    return _items(_with_campaign(ctx, read), incomplete)


def requirements(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from workflow.usecases.context import definition_of

    keys = _with_campaign(ctx, lambda s, c: definition_of(c).requirements)
    return _items(keys, incomplete)


def states(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from workflow.usecases.context import definition_of

    return _items(_with_campaign(ctx, lambda s, c: definition_of(c).states), incomplete)


def campaigns(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from sqlalchemy import select

    from storage.db import Database
    from storage.models import Campaign

    db = None
    try:
        db = Database(ctx.find_root().params.get("db"))
        db.ensure_ready(create=False)
        with db.read() as s:
            names = sorted(s.scalars(select(Campaign.name)))
    except Exception:
        names = []
    finally:
        if db is not None:
            db.dispose()
    return _items(names, incomplete)
