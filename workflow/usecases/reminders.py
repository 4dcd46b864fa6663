"""Deadlines, traffic lights and reminder sweeps: the use cases.

``sweep`` is a plain function any runner calls (``manyi remind send``, cron,
the APScheduler runner, a failover wrapper): it lays out the deadlines of new
sections, turns every reminder slot whose moment has come into a reminder row
(its key (campaign, section, requirement, slot) is unique: it exists once
however many sweeps or processes find it), composes one digest per recipient,
and delivers: claim → send → mark sent. A crash between claim and send leaves
the message claimed by a dead owner, which the next sweep takes back; a
failed send is kept with its error and retried with backoff.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from storage import reminders_repo as rr
from storage import repo
from storage.models import Campaign
from storage.reminders_models import Deadline, Extension, Mail, Reminder
from workflow.usecases import autoadvance
from workflow.calendar import schedule
from workflow.engine import text
from workflow.calendar import deadlines as dl
from workflow.engine.definition import Definition
from workflow.errors import CampaignError, DeliveryError, InputError
from workflow.i18n import _, pick
from workflow.adapters.mailserver import Transport, sender_from_env, sweep_budget, transport_from_env
from workflow.mail.mailtext import Item, compose
from workflow.usecases.operators import authorize
from workflow.usecases.campaign import Context, definition_of, parse_date

BATCH = 2000
MAIL_BATCH = 50
LEASE = timedelta(minutes=10)  # a claim by an owner we cannot check (another host) expires after this
BACKOFF_MAX = timedelta(hours=1)


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * 2 ** max(0, attempts - 1), BACKOFF_MAX)


# -- the campaign's dates ------------------------------------------------------
@dataclass(frozen=True)
class CampaignDates:
    campaign: Campaign
    definition: Definition
    params: dict[str, Any]
    plan: schedule.Plan
    dues: dict[str, dl.DueDate]

    @property
    def tz(self) -> str:
        return self.campaign.timezone

    def leading_email(self) -> str | None:
        """The organizing body's address (the first central body), copied on escalations."""
        return self.body_email(next(iter(self.definition.bodies)))

    def body_email(self, key: str) -> str | None:
        """A central body's address: its ``email``, or the parameter it names."""
        value = self.definition.bodies[key].email
        if value and value.startswith("$"):
            value = str(self.params.get(value[1:], "") or "")
        return value or None

    def organizer(self) -> Any:
        return next(iter(self.definition.bodies.values()))

    def needed(self, requirement: str) -> int:
        return self.definition.count_of(self.definition.requirement(requirement), self.params)


def dates_of(campaign: Campaign) -> CampaignDates:
    d = definition_of(campaign)
    params = json.loads(campaign.parameters)
    plan = schedule.resolve(d, campaign.start_date, params)
    return CampaignDates(campaign, d, params, plan, dl.due_dates(d, plan))


def _head_address(head: str | None) -> str | None:
    if not head:
        return None
    _name, addr = parseaddr(head)
    return addr if "@" in addr else None


# -- status: lights and next due -------------------------------------------------
@dataclass(frozen=True)
class Light:
    light: str | None
    next_due: date | None
    next_requirement: str | None


class Lights:
    """Per section: the worst light of its open requirements and its next due date.

    Open: a section requirement of the current or an earlier phase not yet filed
    as often as needed. The due date honours the working-day rule and extensions.
    """

    def __init__(self, s: Any, cd: CampaignDates, today: date):
        d = cd.definition
        self.cd = cd
        self.today = today
        self.warn = d.spec.reminders.warning_days
        self.order = {p.key: i for i, p in enumerate(d.spec.phases)}
        self.reqs = [(self.order[p.key], r.key, d.count_of(r, cd.params))
                     for p in d.spec.phases for r in p.requirements if r.filer == "section"]
        self.ext: dict[int, dict[str, date]] = defaultdict(dict)
        for (sid, req), e in rr.extensions(s, cd.campaign.id).items():  # type: ignore[arg-type]
            self.ext[sid][req] = e.to_due

    def extended(self, section_id: int) -> tuple[tuple[str, date], ...]:
        return tuple(sorted(self.ext[section_id].items())) if section_id in self.ext else ()

    def of(self, section_id: int, state: str, filings: dict[str, int]) -> Light:
        if state not in self.order:  # final
            return Light(None, None, None)
        here = self.order[state]
        ext = self.ext.get(section_id, {})
        found: list[tuple[date, str, str]] = []
        for idx, key, need in self.reqs:
            if idx > here or filings.get(key, 0) >= need:
                continue
            due = ext.get(key) or self.cd.dues[key].due
            found.append((due, key, dl.light(due, self.today, self.warn)))
        found.sort()
        nxt = next(((due, key) for due, key, _l in found), (None, None))
        return Light(dl.worst([x[2] for x in found]) or dl.GREEN, *nxt)


# -- calendar --------------------------------------------------------------------
@dataclass(frozen=True)
class CalendarRow:
    phase: str
    requirement: str | None
    title: str  # the requirement's, or on a phase-end row the phase's
    planned: date
    due: date
    estimate: bool
    filer: str
    phase_title: str = ""


def calendar(ctx: Context, campaign_name: str | None) -> tuple[str, list[CalendarRow]]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        campaign = repo.find_campaign(s, campaign_name)
        cd = dates_of(campaign)
    cal = dl.calendar_of(cd.definition)
    rows = []
    for p in cd.definition.spec.phases:
        w = cd.plan.windows[p.key]
        end = cal.next_working_day(w.end)
        phase_title = pick(p.title.as_dict())
        rows.append(CalendarRow(p.key, None, phase_title, w.end, end,
                                cal.is_estimate(w.start) or cal.is_estimate(end), "", phase_title))
        for r in p.requirements:
            due = cd.dues[r.key]
            rows.append(CalendarRow(p.key, r.key, pick(r.title.as_dict()), due.planned, due.due,
                                    due.estimate, r.filer, phase_title))
    return campaign.name, rows


# -- extensions ------------------------------------------------------------------
@dataclass(frozen=True)
class Extended:
    campaign: str
    office: str
    requirement: str
    original: date
    previous: date
    due: date
    #: When the new date is not a working day: the first working day after it.
    next_working_day: date | None = None


def extend(ctx: Context, campaign_name: str | None, office: str, requirement: str, to: str,
           reason: str, *, shorten: bool = False) -> Extended:
    """Move one section's due date (延期); the original date stays in history.

    A date earlier than the current one needs ``shorten``: a typo must not silently
    take days away from an office.
    """
    new_due = parse_date(to, "--to")
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say why the deadline moves"))
    reason = text.name(reason, "--reason")
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        campaign = repo.find_campaign(s, campaign_name)
        cd = dates_of(campaign)
        req = cd.definition.requirement(requirement)
        if req.filer != "section":
            raise InputError(_("'{r}' is filed by {body}; only office deadlines are extended").format(
                r=req.key, body=cd.definition.filer_title(req)))
        section = repo.find_section(s, campaign.id, office)  # type: ignore[arg-type]
        original = cd.dues[req.key].due
        prev_ext = rr.extensions(s, campaign.id).get((section.id, req.key))  # type: ignore[arg-type]
        previous = prev_ext.to_due if prev_ext else original
        if new_due == previous:
            raise InputError(_("{office} '{r}' is already due on {d}").format(
                office=section.name, r=req.key, d=new_due))
        if new_due < previous and not shorten:
            raise InputError(_("--to {d} is earlier than the current due date {p} of {office} '{r}'; "
                               "add --shorten to move it earlier").format(
                d=new_due, p=previous, office=section.name, r=req.key))
        if new_due < cd.campaign.start_date:
            raise InputError(_("--to {d} is before the campaign starts ({s})").format(
                d=new_due, s=cd.campaign.start_date))
        s.add(Extension(campaign_id=campaign.id, section_id=section.id, requirement=req.key,  # type: ignore[arg-type]
                        from_due=previous, to_due=new_due, reason=reason.strip(), actor=ctx.actor, at=now))
        row = rr.find_deadline(s, campaign.id, section.id, req.key)  # type: ignore[arg-type]
        if row is not None:
            rr.cancel_reminders(s, campaign.id, section.id, req.key)  # type: ignore[arg-type]
            row.due = new_due
            if row.next_at is not None:
                # Reminders of the new date start from now: none of its past slots is sent late.
                _fired, nxt = dl.slots_between(new_due, cd.definition.policy_of(req.key), cd.tz, now, now)
                row.last_at, row.next_at = now, nxt.at
        repo.append_events(s, campaign, [repo.NewEvent(
            "extend", section_id=section.id, office=section.name, reason=reason.strip(),
            detail={"requirement": req.key, "from": previous.isoformat(), "to": new_due.isoformat(),
                    "original": original.isoformat()},
        )], ctx.actor, now)
        return Extended(campaign.name, section.name, req.key, original, previous, new_due,
                        dl.calendar_of(cd.definition).next_if_off(new_due))


# -- rectification items --------------------------------------------------------
OPEN_ITEM = ("published", "returned")


def plan_items(s: Any, campaign: Campaign, items: list[tuple[int, int, date | None]]) -> None:
    """Reminders for new rectification items ``(item id, section id, due)`` that have a due date.

    An item's deadline sits beside the requirements' ones (its key names the
    item), so the same sweep reminds, escalates and digests it.
    """
    policy = definition_of(campaign).spec.reminders
    rr.add_deadlines(s, [
        _deadline_row(campaign.id, sid, rr.item_requirement(iid), due,  # type: ignore[arg-type]
                      next(iter(dl.slots(due, policy, campaign.timezone))).at)
        for iid, sid, due in items if due is not None])


def stop_item(s: Any, campaign_id: int, section_id: int, item_id: int) -> None:
    """Reported done (or confirmed): no more reminders; the ones not yet mailed are cancelled."""
    rr.close_deadline(s, campaign_id, section_id, rr.item_requirement(item_id))


def resume_item(s: Any, campaign: Campaign, section_id: int, item_id: int, now: datetime) -> None:
    """Returned to its office: reminders start again from now (no past slot is sent late)."""
    row = rr.find_deadline(s, campaign.id, section_id, rr.item_requirement(item_id))  # type: ignore[arg-type]
    if row is None:
        return
    policy = definition_of(campaign).spec.reminders
    _fired, nxt = dl.slots_between(row.due, policy, campaign.timezone, now, now)
    row.last_at, row.next_at = now, nxt.at


# -- the sweep -----------------------------------------------------------------
@dataclass
class PlannedMail:
    campaign: str
    recipient: str
    subject: str
    items: list[Item]


@dataclass(frozen=True)
class Failure:
    """One thing a sweep could not do, alone: a campaign, or one message to one recipient."""

    campaign: str
    recipient: str | None
    problem: str  # a sentence
    retried: bool  # False: permanent (a 5xx reply, an address or message that cannot be sent)

    def line(self) -> str:
        what = (_("campaign '{c}' → {r}").format(c=self.campaign, r=self.recipient) if self.recipient
                else _("campaign '{c}'").format(c=self.campaign))
        tail = _("retried later") if self.retried else _("not retried")
        return _("{what}: {problem} ({tail})").format(what=what, problem=self.problem, tail=tail)


@dataclass
class SweepResult:
    at: datetime
    reminders: int = 0
    mails: list[PlannedMail] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)
    unreachable: DeliveryError | None = None
    failures: list[Failure] = field(default_factory=list)
    deferred: int = 0  # messages left for the next sweep when the time budget ran out
    advanced: list[Any] = field(default_factory=list)  # autoadvance.Moved: sections the scheduler moved


class _Preview(Exception):
    def __init__(self, result: SweepResult):
        self.result = result


def _plan_new_sections(s: Any, cd: CampaignDates) -> None:
    """Lay out the deadlines of sections added since the last sweep (and the leading group's once)."""
    cid = cd.campaign.id
    through = rr.planned_through(s, cid)
    top = rr.max_section_id(s, cid)
    if through is not None and top <= through:
        return
    first_at = {key: next(iter(dl.slots(due.due, cd.definition.policy_of(key), cd.tz))).at
                for key, due in cd.dues.items()}
    rows = []
    section_reqs = [r.key for r in cd.definition.requirements.values() if r.filer == "section"]
    if through is None:
        for r in cd.definition.requirements.values():
            if cd.definition.is_central(r):
                rows.append(_deadline_row(cid, None, r.key, cd.dues[r.key].due, first_at[r.key]))  # type: ignore[arg-type]
    # An extension made before the section's deadlines were laid out (e.g. right
    # after `campaign start`, before the first sweep) sets its due date here.
    extended = rr.extensions(s, cid)  # type: ignore[arg-type]
    for sid in rr.new_section_ids(s, cid, through or 0):  # type: ignore[arg-type]
        for key in section_reqs:
            ext = extended.get((sid, key))
            if ext is None:
                rows.append(_deadline_row(cid, sid, key, cd.dues[key].due, first_at[key]))  # type: ignore[arg-type]
            else:
                first = next(iter(dl.slots(ext.to_due, cd.definition.policy_of(key), cd.tz))).at
                row = _deadline_row(cid, sid, key, ext.to_due, first)  # type: ignore[arg-type]
                row["original_due"] = cd.dues[key].due
                rows.append(row)
    rr.add_deadlines(s, rows)
    rr.set_planned_through(s, cid, top, through is None)  # type: ignore[arg-type]


def _deadline_row(cid: int, sid: int | None, req: str, due: date, first: datetime) -> dict[str, Any]:
    return {"key": rr.deadline_key(cid, sid, req), "campaign_id": cid, "section_id": sid,
            "requirement": req, "due": due, "original_due": due, "last_at": None, "next_at": first}


def _fire(s: Any, now: datetime, cds: dict[int, CampaignDates]) -> int:
    """Turn due slots into reminder rows; move each deadline on to its next slot."""
    rows = rr.due_deadlines(s, now, BATCH)
    rows = [r for r in rows if r.campaign_id in cds]
    if not rows:
        return 0
    info = rr.section_info(s, [r.section_id for r in rows if r.section_id is not None])
    filed: dict[tuple[int | None, str], int] = {}
    by_campaign: dict[int, list[Deadline]] = defaultdict(list)
    for r in rows:
        by_campaign[r.campaign_id].append(r)
    for cid, group in by_campaign.items():
        reqs = [r for r in group if rr.item_of(r.requirement) is None]
        if reqs:
            filed.update({(k[0], k[1]): n for k, n in rr.filed_counts(
                s, cid, [r.section_id for r in reqs], [r.requirement for r in reqs]).items()})
    items = rr.items_by_id(s, [i for r in rows if (i := rr.item_of(r.requirement)) is not None])
    new = []
    for r in rows:
        cd = cds[r.campaign_id]
        final = cd.definition.spec.final.key
        sec = info.get(r.section_id) if r.section_id is not None else None
        item = rr.item_of(r.requirement)
        if item is not None:
            closed = items.get(item, ("gone", ""))[0] not in OPEN_ITEM
        else:
            closed = filed.get((r.section_id, r.requirement), 0) >= cd.needed(r.requirement)
        if closed or (sec is not None and sec[3] == final):
            r.next_at = None
            continue
        policy = cd.definition.policy_of(r.requirement)  # an item's key falls back to the definition's
        fired, nxt = dl.slots_between(r.due, policy, cd.tz, r.last_at, now)
        lg = cd.leading_email()
        for slot in dl.coalesce(fired):
            to: list[str] = []
            if sec is not None:
                to += [sec[1]] if sec[1] else []
                if slot.escalate:
                    to += [a for a in (_head_address(sec[2]), lg) if a]
            else:
                body = cd.body_email(cd.definition.requirement(r.requirement).filer)
                to += [body] if body else []
            if slot.escalate:
                to += list(policy.cc)
            to = list(dict.fromkeys(to))
            new.append({
                "key": f"{r.key}:{slot.name}", "campaign_id": r.campaign_id, "section_id": r.section_id,
                "requirement": r.requirement, "slot": slot.name, "kind": slot.kind, "days": slot.days,
                "due": r.due, "recipients": json.dumps(to), "status": "pending" if to else "unaddressed",
                "created_at": now,
            })
        r.last_at, r.next_at = now, nxt.at
    s.flush()
    return rr.insert_ignoring_duplicates(s, Reminder.__table__, new)


def _compose(s: Any, now: datetime, cds: dict[int, CampaignDates], sender: str,
             result: SweepResult) -> list[dict[str, Any]]:
    """One digest per (campaign, recipient) for every pending reminder."""
    pending = rr.pending_reminders(s)
    if not pending:
        return []
    info = rr.section_info(s, [r.section_id for r in pending if r.section_id is not None])
    digests: dict[tuple[int, str], list[tuple[Reminder, Item]]] = defaultdict(list)
    names: dict[tuple[int, str], str] = {}
    texts = rr.items_by_id(s, [i for r in pending if (i := rr.item_of(r.requirement)) is not None])
    for rem in pending:
        cd = cds.get(rem.campaign_id)
        if cd is None:
            continue
        d = cd.definition
        lg_title = pick(cd.organizer().title.as_dict())
        item_id = rr.item_of(rem.requirement)
        if item_id is None:
            title = d.requirement(rem.requirement).title.zh
        else:
            title = "整改事项#{i}：{t}".format(i=item_id, t=texts.get(item_id, ("", ""))[1])
        office = info[rem.section_id][0] if rem.section_id is not None else d.body_label(
            d.body_of(d.requirement(rem.requirement)))
        today = dl.local_day(now, cd.tz)
        recipients = json.loads(rem.recipients)
        # The digest says "copied to the leading group" only when it really was.
        copied = rem.kind == "escalate" and cd.leading_email() in recipients
        item = Item(cd.campaign.name, office, rem.requirement, title, rem.due, dl.days_late(rem.due, today),
                    max(0, (rem.due - today).days), copied, item_id, d.body_label(cd.organizer()))
        sec = info.get(rem.section_id) if rem.section_id is not None else None
        for addr in recipients:
            key = (rem.campaign_id, addr)
            digests[key].append((rem, item))
            if sec is not None and addr == sec[1]:
                names.setdefault(key, sec[0])
            elif sec is not None and addr == _head_address(sec[2]):
                names.setdefault(key, parseaddr(sec[2] or "")[0] or sec[2] or addr)
            elif addr == cd.leading_email():
                names.setdefault(key, lg_title)
        rem.status = "queued"
    mails = []
    for (cid, addr), pairs in digests.items():
        cd = cds[cid]
        d = cd.definition
        # one line per requirement: an escalation and a plain reminder of the same thing merge
        merged: dict[tuple[str, str], Item] = {}
        for _rem, item in pairs:
            k = (item.office, item.requirement)
            merged[k] = item if k not in merged or item.escalated else merged[k]
        items = sorted(merged.values(), key=lambda i: (i.due, i.office, i.requirement))
        t = d.spec.reminders.templates
        sids = {rem.section_id for rem, _i in pairs}
        row = {"campaign_id": cid, "recipient": addr,
               "items": json.dumps(sorted({rem.id for rem, _i in pairs})), "status": "pending",
               "attempts": 0, "next_attempt_at": now, "created_at": now}
        try:
            text.email(addr, _("recipient"))
            msg = compose(
                sender=sender, recipient=addr, recipient_name=names.get((cid, addr), addr), items=items,
                campaign=cd.campaign.name, campaign_title=d.spec.title.zh,
                leading_group=cd.organizer().title.zh, now=now.astimezone(ZoneInfo(cd.tz)),
                templates={"subject": t.subject, "body": t.body, "item": t.item},
                submission=submission_text(d), campaign_id=cid,
                section_id=next(iter(sids)) if len(sids) == 1 else None,
            )
            raw = msg.as_bytes().decode("ascii")
        except Exception as exc:  # noqa: BLE001  one digest fails alone: recorded, reported, never retried
            problem = _("cannot compose the reminder: {e}").format(e=_sentence(exc))
            result.failures.append(Failure(cd.campaign.name, addr, problem, False))
            mails.append({**row, "subject": "", "message_id": make_msgid(idstring="manyi-unsent"),
                          "raw": "", "status": "undeliverable", "last_error": problem[:500]})
            continue
        result.mails.append(PlannedMail(cd.campaign.name, addr, str(msg["Subject"]), items))
        mails.append({**row, "subject": str(msg["Subject"]), "message_id": str(msg["Message-ID"]),
                      "raw": raw, "last_error": None})
    s.flush()
    return mails


def submission_text(d: Definition) -> str | None:
    """The definition's own words on how to submit by mail (format 2 ``submission``), if any."""
    text = getattr(d.spec, "submission", None)
    if text is None:
        return None
    return getattr(text, "zh", None) or str(text)


def _sentence(exc: BaseException) -> str:
    """An exception as the one-line sentence kept in ``last_error`` and shown (never a repr)."""
    if isinstance(exc, CampaignError):
        return str(exc)
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _active(s: Any, result: SweepResult | None = None) -> dict[int, CampaignDates]:
    """The active campaigns' dates; a campaign whose definition or parameters cannot be read is
    left out (and reported in ``result``) instead of stopping everyone's reminders."""
    out = {}
    for c in repo.list_campaigns(s):
        if c.status != "active":
            continue
        try:
            out[c.id] = dates_of(c)
        except Exception as exc:  # noqa: BLE001  isolation: one broken campaign fails alone
            if result is None:
                raise
            result.failures.append(Failure(c.name, None, _(
                "its definition or parameters cannot be read: {e}").format(e=_sentence(exc)), True))
    return out  # type: ignore[return-value]


def check_role(ctx: Context, action: str) -> None:
    """Refuse before anything runs unless the operator may ``action`` (no operators: allowed)."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, action)


def sweep(ctx: Context, transport: Transport | None = None, *, preview: bool = False,
          at: datetime | None = None, owner: str | None = None, require: str | None = None) -> SweepResult:
    """One pass: auto-advance, plan, fire due slots, compose digests, deliver. Safe to run concurrently.

    Args:
        transport: where mail goes; default from ``MANYI_SMTP_URL`` (else the outbox folder).
        preview: compute what would be sent and to whom; change nothing.
        at: the sweep's time (default the context's clock).
        require: the action the operator must be allowed (``manage`` for ``remind send``);
            None for the scheduler's own sweeps (its operator was checked when it started).
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
        result.failures.append(Failure("*", None, _("automatic advance failed: {e}").format(
            e=_sentence(exc)), True))
    try:
        with ctx.db.write("reminders-queued") as s:
            cds = _active(s, result)
            for cid, cd in list(cds.items()):
                try:
                    with s.begin_nested():
                        _plan_new_sections(s, cd)
                except Exception as exc:  # noqa: BLE001  one campaign fails alone
                    del cds[cid]
                    result.failures.append(Failure(cd.campaign.name, None, _(
                        "its deadlines cannot be laid out: {e}").format(e=_sentence(exc)), True))
            result.reminders = _fire(s, now, cds)
            mails = _compose(s, now, cds, sender, result)
            if preview:
                raise _Preview(result)
            if mails:
                s.execute(Mail.__table__.insert(), mails)
    except _Preview as p:
        return p.result
    assert transport is not None
    deliver(ctx, transport, now=now, owner=owner, result=result, budget=sweep_budget())
    return result


# -- delivery --------------------------------------------------------------------
def _owner_dead(owner: str | None) -> bool:
    if not owner:
        return True
    host, _sep, rest = owner.partition(":")
    if host != socket.gethostname():
        return False
    try:
        pid = int(rest.split(":")[0])
    except ValueError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[-1].split()[0] == "Z":
                return True
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _release_abandoned(ctx: Context, now: datetime, owner: str) -> None:
    """Claims whose owner died between claim and send become retryable now."""
    with ctx.db.read() as s:
        stale = [(m.id, m.claimed_by) for m in rr.claimed_mails(s)
                 if m.claimed_by != owner and (_owner_dead(m.claimed_by)
                                                or (m.claimed_at and m.claimed_at < now - LEASE))]
    if not stale:
        return
    with ctx.db.write() as s:
        for mid, was in stale:
            s.execute(update(Mail).where(Mail.id == mid, Mail.status == "sending", Mail.claimed_by == was)
                      .values(status="failed", last_error=_("interrupted while sending (owner {o} gone)").format(
                          o=was), next_attempt_at=now, claimed_by=None))


def deliver(ctx: Context, transport: Transport, *, now: datetime | None = None, owner: str | None = None,
            result: SweepResult | None = None, budget: float | None = None) -> SweepResult:
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
    try:
        while True:
            if time.monotonic() >= stop_at:
                _defer_rest(ctx, now, result)
                return result
            with ctx.db.write("mail-claimed") as s:  # bookkeeping: a later sweep releases abandoned claims
                batch = rr.mails_to_send(s, now, MAIL_BATCH)
                names = rr.campaign_names(s) if batch else {}
                claimed = []
                for m in batch:
                    items = json.loads(m.items)
                    if items and all(st == "cancelled" for st in rr.reminder_statuses(s, items)):
                        m.status = "cancelled"
                        result.cancelled += 1
                        continue
                    claimed.append((m.id, m.recipient, m.raw, m.attempts, m.status,
                                    names.get(m.campaign_id, "?")))
                    m.status, m.claimed_by, m.claimed_at = "sending", owner, now
            if not claimed:
                return result
            for i, (mid, rcpt, raw, attempts, _was, cname) in enumerate(claimed):
                left = stop_at - time.monotonic()
                if left <= 0:
                    _release(ctx, owner, [(c[0], c[4]) for c in claimed[i:]])
                    result.deferred += len(claimed) - i
                    _defer_rest(ctx, now, result)
                    return result
                try:
                    data = raw.encode("ascii")
                    text.email(rcpt, _("recipient"))
                except (UnicodeError, InputError) as bad:
                    problem = _("not sent: {e}").format(e=_sentence(bad))
                    _mark_failed(ctx, mid, owner, attempts, problem, now, permanent=True)
                    result.failed += 1
                    result.errors.append(problem)
                    result.failures.append(Failure(cname, rcpt, problem, False))
                    continue
                try:
                    where = transport.send(sender, rcpt, data, mid, timeout=left)
                except DeliveryError as exc:
                    _mark_failed(ctx, mid, owner, attempts, str(exc), now, permanent=exc.permanent)
                    result.failed += 1
                    result.errors.append(str(exc))
                    result.failures.append(Failure(cname, rcpt, exc.sentence, not exc.permanent))
                    if exc.unreachable:  # the server is down: the rest of the batch waits too
                        result.unreachable = exc
                        for other, _r, _raw, tries, _w, _c in claimed[i + 1:]:
                            _mark_failed(ctx, other, owner, tries, str(exc), now)
                            result.failed += 1
                        return result
                    continue
                with ctx.db.write("mail-sent") as s:
                    s.execute(update(Mail).where(Mail.id == mid, Mail.claimed_by == owner).values(
                        status="sent", sent_at=now, sent_via=where, attempts=Mail.attempts + 1,
                        last_error=None))
                result.sent += 1
    finally:
        transport.close()


def _mark_failed(ctx: Context, mid: int, owner: str, attempts: int, error: str, now: datetime,
                 *, permanent: bool = False) -> None:
    with ctx.db.write() as s:
        s.execute(update(Mail).where(Mail.id == mid, Mail.claimed_by == owner).values(
            status="undeliverable" if permanent else "failed", attempts=Mail.attempts + 1,
            last_error=error[:500], next_attempt_at=now + backoff(attempts + 1), claimed_by=None))


def _release(ctx: Context, owner: str, claims: list[tuple[int, str]]) -> None:
    """Give claimed messages back untouched (their status before the claim) for the next sweep."""
    with ctx.db.write() as s:
        for mid, was in claims:
            s.execute(update(Mail).where(Mail.id == mid, Mail.claimed_by == owner).values(
                status=was, claimed_by=None, claimed_at=None))


def _defer_rest(ctx: Context, now: datetime, result: SweepResult) -> None:
    """Count what the time budget left for the next sweep."""
    with ctx.db.read() as s:
        result.deferred = max(result.deferred, rr.count_to_send(s, now))


# -- outbox ----------------------------------------------------------------------
def outbox(ctx: Context, statuses: list[str] | None = None) -> list[dict[str, Any]]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        names = rr.campaign_names(s)
        return [{
            "id": m.id, "campaign": names.get(m.campaign_id), "status": m.status, "to": m.recipient,
            "subject": m.subject, "message_id": m.message_id, "attempts": m.attempts,
            "last_error": m.last_error, "created_at": m.created_at.isoformat(timespec="seconds"),
            "sent_at": m.sent_at.isoformat(timespec="seconds") if m.sent_at else None,
            "sent_via": m.sent_via,
            "next_attempt_at": m.next_attempt_at.isoformat(timespec="seconds") if m.status == "failed" else None,
        } for m in rr.mails(s, statuses)]


def retry(ctx: Context, transport: Transport | None = None) -> SweepResult:
    """Retry every failed message now, whatever its backoff says."""
    ctx.db.ensure_ready(create=False)
    now = ctx.now()
    transport = transport or transport_from_env(ctx.db.outbox)
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        s.execute(update(Mail).where(Mail.status == "failed").values(next_attempt_at=now))
    return deliver(ctx, transport, now=now)


def phase_ends(ctx: Context) -> list[datetime]:
    """The instants active campaigns' phase windows end (for runners to sweep at)."""
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        out = []
        for cd in _active(s).values():
            for w in cd.plan.windows.values():
                out.append(dl.end_of(w.end, cd.tz))
        return sorted(out)


