"""What every use case is given, and what they share.

Each use case takes a :class:`Context` (database, actor, clock) and plain
arguments, orchestrates the pure parts (definition, machine, schedule) over
one transaction and returns plain data for the CLI to render. Nothing in
``workflow/usecases`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

from storage.blobs import BlobStore, DbBlobStore, StoredBlob
from storage.db import Database
from storage.models import Campaign
from workflow.adapters import holiday_cache
from workflow.calendar import workdays
from workflow.engine import text
from workflow.engine import validate as defs
from workflow.engine.definition import Definition
from workflow.engine.values import parse_date as _strict_date
from workflow.i18n import _
from workflow.usecases.operators import authorize

# The working-day calendar keeps the holiday package's answers between processes.
workdays.use_cache(holiday_cache.FileCache())


@dataclass(frozen=True)
class Context:
    db: Database
    actor: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def now(self) -> datetime:
        return self.clock()


def open_context(
    db_url: str | None,
    actor: str,
    explicit: bool,
    clock: Callable[[], datetime],
    *,
    simulated_clock: bool,
    os_user: str | None,
) -> Context:
    """The context a command runs in: its database, the acting operator (resolved from
    ``actor`` and the database's login; see :func:`workflow.usecases.operators.acting`)
    and its clock."""
    from workflow.usecases.operators import acting

    db = Database(db_url)
    db.simulated_clock = simulated_clock
    db.os_user = os_user
    try:
        return Context(db, acting(db, actor, explicit), clock)
    except BaseException:
        db.dispose()
        raise


def committed() -> dict[str, int]:
    """What this process committed so far, by kind (nothing when no database was opened)."""
    import sys

    if "storage.db" not in sys.modules:
        return {}
    from storage.db import COMMITTED

    return dict(COMMITTED)


@lru_cache(maxsize=32)
def _definition_from_text(text: str, source: str) -> Definition:
    return defs.parse(text, source)


def definition_of(campaign: Campaign) -> Definition:
    """The campaign's own snapshot of its definition (immune to later edits of the file)."""
    return _definition_from_text(campaign.definition_text, campaign.definition_source)


def parse_date(value: str, what: str) -> date:
    """Exactly ``YYYY-MM-DD``, a real day within the sane years (see :mod:`workflow.engine.values`)."""
    return _strict_date(value, what)


def read_document(
    ctx: Context, path: Path, *, allow_empty: bool = False
) -> tuple[BlobStore | DbBlobStore, StoredBlob]:
    """A document to file: its name checked at the door (it will be shown), read and checked
    by the database's store. The caller keeps it (``store.keep(s, blob)``) in the write
    transaction of the event that refers to it."""
    text.name(path.name, _("file name"))
    store = ctx.db.blobs()
    return store, store.put(path, allow_empty=allow_empty)


def check_role(ctx: Context, action: str) -> None:
    """Refuse before anything runs unless the operator may ``action`` (no operators: allowed)."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, action)
