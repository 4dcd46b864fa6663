"""Delivering the outbox table: claim → send → mark sent (alone over SMTP, per batch to a folder).

The transport (SMTP server or outbox folder, :mod:`workflow.adapters.mailserver`)
does the sending; this module decides what to send and records what happened.
A crash between claim and send leaves the message claimed by a dead owner
(:mod:`workflow.adapters.processes` tells), which the next run takes back; a
failed send is kept with its error and retried with backoff.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from storage import mail_repo
from workflow.adapters.mailserver import Transport, sender_from_env, sweep_budget, transport_from_env
from workflow.adapters.processes import owner_gone, owner_id
from workflow.engine import text
from workflow.errors import DeliveryError, InputError
from workflow.i18n import _
from workflow.usecases.context import Context
from workflow.usecases.operators import authorize
from workflow.usecases.results import Failure, SweepResult, sentence

LEASE = timedelta(minutes=10)  # a claim by an owner we cannot check (another host) expires after this
BACKOFF_MAX = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * 2 ** max(0, attempts - 1), BACKOFF_MAX)


class _Claim(NamedTuple):
    """A message this run has claimed, with what it needs to send it or give it back."""

    mail_id: int
    recipient: str
    raw: str
    attempts: int
    status: str  # before the claim: what it goes back to if not sent
    campaign: str


def _release_abandoned(ctx: Context, now: datetime, owner: str) -> None:
    """Claims whose owner died between claim and send become retryable now."""
    with ctx.db.read() as s:
        stale = [
            (m.id, m.claimed_by)
            for m in mail_repo.claimed_mails(s)
            if m.claimed_by != owner
            and (owner_gone(m.claimed_by) or (m.claimed_at and m.claimed_at < now - LEASE))
        ]
    if not stale:
        return
    with ctx.db.write() as s:
        for mid, was in stale:
            mail_repo.take_back_claim(
                s, mid, was, _("interrupted while sending (owner {o} gone)").format(o=was), now
            )


def _claim(
    ctx: Context,
    now: datetime,
    owner: str,
    result: SweepResult,
    after: tuple[datetime, int] | None,
    limit: int,
) -> tuple[list[_Claim], tuple[datetime, int] | None]:
    """Claim the next ``limit`` messages due after ``after`` (where this run's previous batch ended:
    a message of this run that fails is due again only later); a message whose reminders were all
    cancelled is cancelled. Returns the claims and where this batch ended (None: nothing was due)."""
    with ctx.db.write("mail-claimed") as s:  # bookkeeping: a later sweep releases abandoned claims
        batch = mail_repo.mails_to_send(s, now, limit, after)
        end = (batch[-1].next_attempt_at, batch[-1].id) if batch else None
        names = mail_repo.campaign_names(s) if batch else {}
        items_of = {m.id: json.loads(m.items) for m in batch}
        statuses = mail_repo.reminder_status_map(s, (i for items in items_of.values() for i in items))
        claimed, cancelled = [], []
        for m in batch:
            items = items_of[m.id]
            if items and all(statuses.get(i) == "cancelled" for i in items if i in statuses):
                cancelled.append(m.id)
                continue
            claimed.append(
                _Claim(m.id, m.recipient, m.raw, m.attempts, m.status, names.get(m.campaign_id, "?"))
            )
        mail_repo.cancel_mails(s, cancelled)
        mail_repo.claim_mails(s, [c.mail_id for c in claimed], owner, now)
        result.cancelled += len(cancelled)
    return claimed, end


def deliver(
    ctx: Context,
    transport: Transport,
    *,
    now: datetime | None = None,
    owner: str | None = None,
    result: SweepResult | None = None,
    budget: float | None = None,
) -> SweepResult:
    """Send every pending or due-for-retry message: claim, send, mark sent (or failed).

    Each message fails alone: a refused recipient or a 5xx reply is recorded as
    ``undeliverable`` (not retried), a 4xx or a dropped connection as ``failed``
    (retried with backoff), and the next message is sent. ``budget``: seconds this
    call may take (default ``MANYI_SWEEP_BUDGET``); messages not reached are
    released for the next sweep.
    """
    now = now or ctx.now()
    owner = owner or owner_id()
    result = result or SweepResult(now)
    stop_at = time.monotonic() + (sweep_budget() if budget is None else budget)
    sender = sender_from_env()
    _release_abandoned(ctx, now, owner)
    with ctx.db.read() as s:  # the planner's statistics only: no data changes
        mail_repo.refresh_statistics(s, now)
    after: tuple[datetime, int] | None = None
    try:
        while True:
            if time.monotonic() >= stop_at:
                _defer_rest(ctx, now, result)
                return result
            claimed, end = _claim(ctx, now, owner, result, after, transport.batch)
            if end is None:  # nothing due after where the last batch ended
                if after is None:
                    return result
                # Once more from the front: messages another run let go of, or held locked while
                # this one passed them, are due there; what this run sent or failed is not.
                after = None
                continue
            after = end
            if not claimed:  # every message of the batch was cancelled
                continue
            sent: list[tuple[int, str]] = []  # written but not yet marked (idempotent transports)
            for i, claim in enumerate(claimed):
                left = stop_at - time.monotonic()
                if left <= 0:
                    _mark_sent(ctx, owner, now, sent, result)
                    _release(ctx, owner, claimed[i:])
                    result.deferred += len(claimed) - i
                    _defer_rest(ctx, now, result)
                    return result
                try:
                    data = claim.raw.encode("ascii")
                    text.email(claim.recipient, _("recipient"))
                except (UnicodeError, InputError) as bad:
                    problem = _("not sent: {e}").format(e=sentence(bad))
                    _mark_failed(ctx, claim, owner, problem, now, permanent=True)
                    result.failed += 1
                    result.errors.append(problem)
                    result.failures.append(Failure(claim.campaign, claim.recipient, problem, False))
                    continue
                try:
                    where = transport.send(sender, claim.recipient, data, claim.mail_id, timeout=left)
                except DeliveryError as exc:
                    _mark_failed(ctx, claim, owner, str(exc), now, permanent=exc.permanent)
                    result.failed += 1
                    result.errors.append(str(exc))
                    result.failures.append(
                        Failure(claim.campaign, claim.recipient, exc.sentence, not exc.permanent)
                    )
                    if exc.unreachable:  # the server is down: the rest of the batch waits too
                        _mark_sent(ctx, owner, now, sent, result)
                        result.unreachable = exc
                        for other in claimed[i + 1 :]:
                            _mark_failed(ctx, other, owner, str(exc), now)
                            result.failed += 1
                        return result
                    continue
                sent.append((claim.mail_id, where))
                if not transport.idempotent:
                    _mark_sent(ctx, owner, now, sent, result)
            _mark_sent(ctx, owner, now, sent, result)
    finally:
        transport.close()


def _mark_sent(
    ctx: Context, owner: str, now: datetime, sent: list[tuple[int, str]], result: SweepResult
) -> None:
    """Mark the messages sent, in one transaction, and empty ``sent``.

    A message handed to an SMTP server is marked alone, right after (a crash before the mark
    would send it twice). An idempotent transport (the outbox folder: the same file again)
    is marked once per claimed batch: a crash in between rewrites those files, nothing more.
    """
    if not sent:
        return
    with ctx.db.write("mail-sent", count=len(sent)) as s:
        mail_repo.mark_sent(s, sent, owner, now)
    result.sent += len(sent)
    sent.clear()


def _mark_failed(
    ctx: Context, claim: _Claim, owner: str, error: str, now: datetime, *, permanent: bool = False
) -> None:
    with ctx.db.write() as s:
        mail_repo.mark_failed(
            s, claim.mail_id, owner, error, now + backoff(claim.attempts + 1), permanent=permanent
        )


def _release(ctx: Context, owner: str, claims: list[_Claim]) -> None:
    """Give claimed messages back untouched (their status before the claim) for the next sweep."""
    with ctx.db.write() as s:
        for claim in claims:
            mail_repo.release_claim(s, claim.mail_id, owner, claim.status)


def _defer_rest(ctx: Context, now: datetime, result: SweepResult) -> None:
    """Count what the time budget left for the next sweep."""
    with ctx.db.read() as s:
        result.deferred = max(result.deferred, mail_repo.count_to_send(s, now))


def outbox(ctx: Context, statuses: list[str] | None = None) -> list[dict[str, Any]]:
    """The outgoing messages (optionally of the given statuses), oldest first."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        names = mail_repo.campaign_names(s)
        return [
            {
                "id": m.id,
                "campaign": names.get(m.campaign_id),
                "status": m.status,
                "to": m.recipient,
                "subject": m.subject,
                "message_id": m.message_id,
                "attempts": m.attempts,
                "last_error": m.last_error,
                "created_at": m.created_at.isoformat(timespec="seconds"),
                "sent_at": m.sent_at.isoformat(timespec="seconds") if m.sent_at else None,
                "sent_via": m.sent_via,
                "next_attempt_at": m.next_attempt_at.isoformat(timespec="seconds")
                if m.status == "failed"
                else None,
            }
            for m in mail_repo.mails(s, statuses)
        ]


def retry(ctx: Context, transport: Transport | None = None) -> SweepResult:
    """Retry every failed message now, whatever its backoff says."""
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    transport = transport or transport_from_env(ctx.db.outbox)
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        mail_repo.retry_failed_now(s, now)
    return deliver(ctx, transport, now=now)
