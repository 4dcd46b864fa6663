"""The mail table, the outbox: digests queued, claimed in batches, marked sent or failed.

Every query that takes a batch starts from ``ix_mail_status (status, next_attempt_at, id)``,
so a batch costs the same however long the backlog.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlmodel import col

from storage.bulk import among, bind_value, executemany, for_ids, insert_rows
from storage.columns import table_of
from storage.models import Campaign
from storage.reminders_models import Mail, Reminder


def _is_pg(s: Session) -> bool:
    return s.get_bind().dialect.name != "sqlite"


# -- mail --------------------------------------------------------------------
UNSENT = ("pending", "failed")


class MailToSend(NamedTuple):
    """A message waiting to be sent (or retried): what delivery needs of it."""

    id: int
    campaign_id: int
    recipient: str
    raw: str
    items: str  # the stored JSON list of its reminders' ids
    attempts: int
    status: str
    next_attempt_at: datetime


def to_send_query(status: str, now: datetime, limit: int, after: tuple[datetime, int] | None = None) -> Any:
    """The next ``limit`` messages of one status due by ``now``, earliest attempt first.

    One status per query, so ``ix_mail_status (status, next_attempt_at, id)`` serves both the
    filter and the order and the scan stops after ``limit`` rows: taking a batch costs the
    same however long the backlog (``status IN (...) ORDER BY id`` sorted every unsent row
    for every batch of 50, quadratic in a backlog after an SMTP outage).
    """
    q = (
        select(
            Mail.id,
            Mail.campaign_id,
            Mail.recipient,
            Mail.raw,
            Mail.items,
            Mail.attempts,
            Mail.status,
            Mail.next_attempt_at,
        )
        .where(Mail.status == status, Mail.next_attempt_at <= now)
        .order_by(Mail.next_attempt_at, Mail.id)
        .limit(limit)
    )
    if after is not None:
        # Where the last batch ended: the scan starts there. On PostgreSQL the messages already
        # sent leave dead entries at the front of the status's index range until a vacuum;
        # a scan from the front walked them all for every batch (a 100,000-mail backlog took
        # 2.4x as long as 50,000). A row value, which both databases take as the start of the
        # index range.
        q = q.where(tuple_(Mail.next_attempt_at, Mail.id) > tuple(after))  # bound with the columns' types
    return q


def refresh_statistics(s: Session, now: datetime) -> bool:
    """PostgreSQL: analyze the mail table when the planner's idea of how many messages are due
    is far below the truth (a backlog queued faster than autovacuum analyzes, or statistics
    taken before an outage). Believing a batch's range holds a few dozen rows, it reads all of
    it with a bitmap scan and a sort, every batch: quadratic in the backlog. One estimate per
    delivery run; the ANALYZE only when it is off by ten times or more, and only by the table's
    owner (another login's ANALYZE is skipped with a warning). Returns whether it ran."""
    if not _is_pg(s):
        return False
    due = count_to_send(s, now)
    if due < 1000:
        return False
    sql = (
        select(Mail.id)
        .where(*_due(now))
        .compile(dialect=s.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    plan = s.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar()
    estimate = plan[0]["Plan"]["Plan Rows"] if isinstance(plan, list) else 0
    if estimate * 10 >= due:
        return False
    owner = s.execute(
        text("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass('mail')")
    ).scalar()
    if not owner:  # an operator's login may read and write the table, not analyze it
        return False
    try:
        with s.begin_nested():  # waits at most a moment behind a vacuum; the run goes on either way
            s.execute(text("SET LOCAL lock_timeout = '2s'"))
            s.execute(text("ANALYZE mail"))
    except DBAPIError:
        return False
    return True


def mails_to_send(
    s: Session, now: datetime, limit: int, after: tuple[datetime, int] | None = None
) -> list[MailToSend]:
    """The next ``limit`` pending or failed messages due by ``now``, earliest attempt first;
    with ``after``, only those that come after that ``(next_attempt_at, id)``."""
    found: list[MailToSend] = []
    for status in UNSENT:
        q = to_send_query(status, now, limit, after)
        if _is_pg(s):
            q = q.with_for_update(skip_locked=True)
        found += (MailToSend(*row) for row in s.execute(q))
    found.sort(key=lambda m: (m.next_attempt_at, m.id))
    return found[:limit]


def claim_mails(s: Session, ids: Sequence[int], owner: str, now: datetime) -> None:
    """``owner`` is sending these (one statement for the batch)."""
    at = bind_value(s, Mail, "claimed_at", now)
    sql = "UPDATE mail SET status = 'sending', claimed_by = ?, claimed_at = ? WHERE id"
    for_ids(s, sql, (owner, at), ids)


def cancel_mails(s: Session, ids: Sequence[int]) -> None:
    """Every reminder of these messages was cancelled: they are not sent."""
    for_ids(s, "UPDATE mail SET status = 'cancelled' WHERE id", (), ids)


def _due(now: datetime) -> tuple[Any, ...]:
    """The messages waiting to be sent whose attempt is due by ``now``."""
    return (col(Mail.status).in_(UNSENT), Mail.next_attempt_at <= now)


def count_to_send(s: Session, now: datetime) -> int:
    return int(s.execute(select(func.count()).select_from(Mail).where(*_due(now))).scalar() or 0)


def claimed_mails(s: Session) -> list[Mail]:
    return list(s.scalars(select(Mail).where(Mail.status == "sending")))


def reminder_statuses(s: Session, ids: Sequence[int]) -> list[str]:
    return list(s.scalars(select(Reminder.status).where(col(Reminder.id).in_(ids))))


def reminder_status_map(s: Session, ids: Iterable[int]) -> dict[int, str]:
    """Each reminder's status, for a whole batch of mails in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = s.execute(select(Reminder.id, Reminder.status).where(among(s, Reminder.id, wanted)))
    return {rid: status for rid, status in rows}


def add_mails(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows and insert_rows(s, table_of(Mail), rows) is None:
        s.execute(table_of(Mail).insert(), list(rows))


def mark_sent(s: Session, sent: list[tuple[int, str]], owner: str, now: datetime) -> None:
    """Mark ``(mail_id, where)`` sent, if this owner still holds them: one statement, many rows
    (the driver's executemany, as tuples: 500 outbox files a batch)."""
    at = bind_value(s, Mail, "sent_at", now)
    executemany(
        s,
        "UPDATE mail SET status = 'sent', sent_at = ?, sent_via = ?, attempts = attempts + 1, "
        "last_error = NULL WHERE id = ? AND claimed_by = ?",
        [(at, via, mail_id, owner) for mail_id, via in sent],
    )


def mark_failed(
    s: Session, mail_id: int, owner: str, error: str, retry_at: datetime, *, permanent: bool
) -> None:
    s.execute(
        update(Mail)
        .where(Mail.id == mail_id, Mail.claimed_by == owner)
        .values(
            status="undeliverable" if permanent else "failed",
            attempts=Mail.attempts + 1,
            last_error=error[:500],
            next_attempt_at=retry_at,
            claimed_by=None,
        )
    )


def release_claim(s: Session, mail_id: int, owner: str, status: str) -> None:
    """Give a claimed message back untouched: ``status`` is the one it had before the claim."""
    s.execute(
        update(Mail)
        .where(Mail.id == mail_id, Mail.claimed_by == owner)
        .values(status=status, claimed_by=None, claimed_at=None)
    )


def take_back_claim(s: Session, mail_id: int, owner: str | None, error: str, now: datetime) -> None:
    """A claim whose owner is gone: the message is failed (retried now) unless someone finished it."""
    s.execute(
        update(Mail)
        .where(Mail.id == mail_id, Mail.status == "sending", Mail.claimed_by == owner)
        .values(status="failed", last_error=error, next_attempt_at=now, claimed_by=None)
    )


def retry_failed_now(s: Session, now: datetime) -> None:
    s.execute(update(Mail).where(Mail.status == "failed").values(next_attempt_at=now))


def mails(s: Session, statuses: Sequence[str] | None = None) -> list[Mail]:
    q = select(Mail).order_by(Mail.id)
    if statuses:
        q = q.where(col(Mail.status).in_(statuses))
    return list(s.scalars(q))


def campaign_names(s: Session) -> dict[int, str]:
    return {cid: name for cid, name in s.execute(select(Campaign.id, Campaign.name))}
