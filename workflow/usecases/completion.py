"""Names for shell completion (click's, bash and zsh), read from the database.

Completion must never fail loudly or create a database: any error gives no names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from storage import repo
from storage.db import Database
from workflow.usecases.context import definition_of


def _read(db_url: str | None, campaign: str | None, read: Callable[[Any, Any], Iterable[str]]) -> list[str]:
    db = None
    try:
        db = Database(db_url)
        db.ensure_ready(create=False)
        with db.read() as s:
            return sorted(read(s, repo.find_campaign(s, campaign)))
    except Exception:  # noqa: BLE001  completion offers nothing rather than an error
        return []
    finally:
        if db is not None:
            db.dispose()


def offices(db_url: str | None, campaign: str | None) -> list[str]:
    return _read(db_url, campaign, lambda s, c: repo.section_names(s, c.id))


def offices_and_bodies(db_url: str | None, campaign: str | None) -> list[str]:
    """Office names plus each central body's name (they file and have a history too)."""

    def read(s: Any, c: Any) -> Iterable[str]:
        d = definition_of(c)
        return [*repo.section_names(s, c.id), *(d.body_label(b) for b in d.bodies.values())]

    return _read(db_url, campaign, read)


def requirements(db_url: str | None, campaign: str | None) -> list[str]:
    return _read(db_url, campaign, lambda s, c: definition_of(c).requirements)


def states(db_url: str | None, campaign: str | None) -> list[str]:
    return _read(db_url, campaign, lambda s, c: definition_of(c).states)


def campaigns(db_url: str | None) -> list[str]:
    db = None
    try:
        db = Database(db_url)
        db.ensure_ready(create=False)
        with db.read() as s:
            return sorted(c.name for c in repo.list_campaigns(s))
    except Exception:  # noqa: BLE001  completion offers nothing rather than an error
        return []
    finally:
        if db is not None:
            db.dispose()
