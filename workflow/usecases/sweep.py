"""The reminder sweep: one pass that turns due reminder slots into mail and delivers it.

``sweep`` is a plain function any runner calls (``manyi remind send``, cron,
the APScheduler runner, a failover wrapper): it lays out the deadlines of new
sections, turns every reminder slot whose moment has come into a reminder row
(its key (campaign, section, requirement, slot) is unique: it exists once
however many sweeps or processes find it), composes one digest per recipient,
and hands them to :func:`workflow.usecases.delivery.deliver`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from storage import deadlines_repo as dr
from storage import extensions_repo, mail_repo, repo
from storage import reminders_repo as rr
from storage.models import Campaign
from workflow.adapters.mailserver import Transport, sender_from_env, sweep_budget, transport_from_env
from workflow.calendar import deadlines as dl
from workflow.engine.definition import split_occurrence
from workflow.i18n import _
from workflow.review.items import OWES_FIX
from workflow.usecases import autoadvance
from workflow.usecases.context import Context, check_role
from workflow.usecases.dates import CampaignDates, active_dates, head_address
from workflow.usecases.deadlines import deadline_row
from workflow.usecases.delivery import deliver
from workflow.usecases.digest import compose_digests
from workflow.usecases.results import Failure, PlannedMail, SweepResult, sentence

__all__ = ["Failure", "PlannedMail", "SweepResult", "sweep"]

BATCH = 2000


def sweep(
    ctx: Context,
    transport: Transport | None = None,
    *,
    preview: bool = False,
    at: datetime | None = None,
    owner: str | None = None,
    require: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """One pass: auto-advance, plan, fire due slots, compose digests, deliver. Safe to run concurrently.

    Args:
        transport: where mail goes; default from ``MANYI_SMTP_URL`` (else the outbox folder).
        preview: compute what would be sent and to whom; change nothing (the same
            transaction, rolled back; nothing is delivered).
        at: the sweep's time (default the context's clock).
        require: the action the operator must be allowed (``manage`` for ``remind send``);
            None for the scheduler's own sweeps (its operator was checked when it started).
        progress: called with (deadlines handled, deadlines due) after each batch.
    """
    if require is not None:
        check_role(ctx, require)
    now = at or ctx.now()
    sender = sender_from_env()
    if transport is None and not preview:
        transport = transport_from_env(ctx.db.outbox)
    ctx.db.ensure_ready(create=False)
    result = SweepResult(now)
    try:
        result.advanced = autoadvance.run(ctx, now, preview=preview)
    except Exception as exc:  # noqa: BLE001  reminders still go out when an automatic advance fails
        result.failures.append(
            Failure("*", None, _("automatic advance failed: {e}").format(e=sentence(exc)), True)
        )
    if preview:  # one transaction, rolled back: every batch fires inside it, nothing is kept
        with ctx.db.write("reminders-queued", dry_run=True) as s:
            cds = _plan(s, result)
            _fire_all(lambda: _same(s), now, cds, result, progress)
            compose_digests(s, now, cds, sender, result)
        return result
    with ctx.db.write("reminders-planned") as s:  # deadlines laid out: nothing to report if interrupted
        cds = _plan(s, result)
    _fire_all(lambda: ctx.db.write("reminders-fired"), now, cds, result, progress)
    # The digests are composed once, after every batch fired: one mail per recipient per sweep,
    # wherever the batches were cut.
    with ctx.db.write("reminders-queued") as s:
        mails = compose_digests(s, now, cds, sender, result)
        mail_repo.add_mails(s, mails)
    assert transport is not None
    deliver(ctx, transport, now=now, owner=owner, result=result, budget=sweep_budget())
    return result


@contextmanager
def _same(s: Any) -> Iterator[Any]:
    yield s


def _fire_all(
    session: Callable[[], Any],
    now: datetime,
    cds: dict[int, CampaignDates],
    result: SweepResult,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Fire every due slot, ``BATCH`` deadlines a transaction, until none is due.

    Every deadline a batch handles moves past ``now`` (or closes), so each batch finds
    new ones; the count taken first bounds the rounds even so.
    """
    if not cds:
        return
    with session() as s:
        total = dr.count_due_deadlines(s, now, list(cds))
    done = 0
    for _round in range(total // BATCH + 2):
        with session() as s:
            batch = _fire(s, now, cds)
        result.reminders += batch.reminders
        done += batch.deadlines
        if progress is not None and total:
            progress(min(done, total), total)
        if batch.deadlines < BATCH:
            return


def _plan(s: Any, result: SweepResult) -> dict[int, CampaignDates]:
    """The active campaigns' dates, with the deadlines of sections added since the last sweep laid out."""

    def unreadable(c: Campaign, exc: Exception) -> None:
        result.failures.append(
            Failure(
                c.name,
                None,
                _("its definition or parameters cannot be read: {e}").format(e=sentence(exc)),
                True,
            )
        )

    cds = active_dates(s, unreadable)
    for cid, cd in list(cds.items()):
        try:
            with s.begin_nested():
                _plan_new_sections(s, cd)
        except Exception as exc:  # noqa: BLE001  one campaign fails alone
            del cds[cid]
            result.failures.append(
                Failure(
                    cd.campaign.name,
                    None,
                    _("its deadlines cannot be laid out: {e}").format(e=sentence(exc)),
                    True,
                )
            )
    return cds


def _plan_new_sections(s: Any, cd: CampaignDates) -> None:
    """Lay out the deadlines of sections added since the last sweep (and the leading group's once)."""
    cid = cd.campaign.id
    through = dr.planned_through(s, cid)
    top = dr.max_section_id(s, cid)
    if through is not None and top <= through:
        return
    first_at = {
        key: next(iter(dl.slots(due.due, cd.definition.policy_of(key), cd.tz))).at
        for key, due in cd.dues.items()
    }
    rows = []
    d = cd.definition
    # A recurring requirement's deadlines are its occurrences' (key@1, key@2, ...).
    section_reqs = [
        k for r in d.requirements.values() if r.filer == "section" for k in d.occurrences(r, cd.params)
    ]
    if through is None:
        for r in d.requirements.values():
            if d.is_central(r):
                for key in d.occurrences(r, cd.params):
                    rows.append(deadline_row(cid, None, key, cd.dues[key].due, first_at[key]))
    # An extension made before the section's deadlines were laid out (e.g. right
    # after `campaign start`, before the first sweep) sets its due date here.
    extended = extensions_repo.extensions(s, cid)
    for sid in dr.new_section_ids(s, cid, through or 0):
        for key in section_reqs:
            ext = extended.get((sid, key))
            if ext is None:
                rows.append(deadline_row(cid, sid, key, cd.dues[key].due, first_at[key]))
            else:
                first = next(iter(dl.slots(ext.to_due, cd.definition.policy_of(key), cd.tz))).at
                row = deadline_row(cid, sid, key, ext.to_due, first)
                row["original_due"] = cd.dues[key].due
                rows.append(row)
    dr.add_deadlines(s, rows)
    dr.set_planned_through(s, cid, top, through is None)


def _applies(cd: CampaignDates, requirement: str, sec: rr.SectionContact) -> bool:
    req = cd.definition.requirement(requirement)
    return not req.only or cd.definition.applies(req, repo.tags_of(sec.tags))


class Fired(NamedTuple):
    deadlines: int  # deadlines handled in this batch
    reminders: int  # reminder rows added


def _fire(s: Any, now: datetime, cds: dict[int, CampaignDates]) -> Fired:
    """Turn one batch of due slots into reminder rows; move each deadline on to its next slot."""
    rows = dr.due_deadlines(s, now, BATCH, list(cds))
    if not rows:
        return Fired(0, 0)
    info = rr.section_info(s, [r.section_id for r in rows if r.section_id is not None])
    filed: dict[tuple[int | None, str], int] = {}
    by_campaign: dict[int, list[dr.DueDeadline]] = defaultdict(list)
    for r in rows:
        by_campaign[r.campaign_id].append(r)
    for cid, group in by_campaign.items():
        reqs = [r for r in group if rr.item_of(r.requirement) is None]
        if reqs:
            filed.update(
                {
                    (k[0], k[1]): n
                    for k, n in rr.filed_counts(
                        s,
                        cid,
                        [r.section_id for r in reqs],
                        [split_occurrence(r.requirement)[0] for r in reqs],
                    ).items()
                }
            )
    items = rr.items_by_id(s, [i for r in rows if (i := rr.item_of(r.requirement)) is not None])
    gone = rr.ItemState("gone", "")
    new = []
    moves: list[tuple[int, datetime | None, datetime | None]] = []  # (id, last_at, next_at)
    timeline: dict[tuple[Any, ...], dl.SlotsBetween] = {}
    for r in rows:
        cd = cds[r.campaign_id]
        final = cd.definition.spec.final.key
        sec = info.get(r.section_id) if r.section_id is not None else None
        item = rr.item_of(r.requirement)
        key = split_occurrence(r.requirement)[0]  # an occurrence's (key@i) requirement
        if item is not None:
            closed = items.get(item, gone).status not in OWES_FIX
        else:
            closed = filed.get((r.section_id, key), 0) >= cd.needed(r.requirement)
        if closed or (sec is not None and sec.state == final):
            moves.append((r.id, None, None))
            continue
        policy = cd.definition.policy_of(r.requirement)  # an item's key falls back to the definition's
        # Offices share due dates and last sweeps: their slots are worked out once per batch.
        when = (r.due, r.last_at, id(policy), cd.tz)
        if (between := timeline.get(when)) is None:
            between = timeline[when] = dl.due_between(r.due, policy, cd.tz, r.last_at, now)
        fired, nxt = between
        if sec is not None and (sec.retired or (item is None and not _applies(cd, key, sec))):
            # Retired, or not its requirement (by its tags): no mail now; the deadline moves
            # on, so reinstating the office or giving it the tag resumes its reminders.
            moves.append((r.id, now, nxt.at))
            continue
        lg = cd.leading_email()
        for slot in fired:
            to: list[str] = []
            if sec is not None:
                to += [sec.email] if sec.email else []
                if slot.escalate:
                    to += [a for a in (head_address(sec.head), lg) if a]
            else:
                body = cd.body_email(cd.definition.requirement(key).filer)
                to += [body] if body else []
            if slot.escalate:
                to += list(policy.cc)
            to = list(dict.fromkeys(to))
            new.append(
                {
                    "key": f"{r.key}:{slot.name}",
                    "campaign_id": r.campaign_id,
                    "section_id": r.section_id,
                    "requirement": r.requirement,
                    "slot": slot.name,
                    "kind": slot.kind,
                    "days": slot.days,
                    "due": r.due,
                    "recipients": json.dumps(to),
                    "status": "pending" if to else "unaddressed",
                    "created_at": now,
                }
            )
        moves.append((r.id, now, nxt.at))
    dr.move_deadlines(s, moves)
    return Fired(len(rows), rr.add_reminders(s, new))
