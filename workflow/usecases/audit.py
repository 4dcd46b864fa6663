"""Use cases of the audit trail: verify the hash chain and export it.

``verify`` walks each campaign's chain in seq order (constant memory: see
:class:`storage.audit.ChainWalker`), checks every document an event refers
to against the blob store, and finally checks that the history explains the
stored state (each record's phase, each requirement's number of filings), so
a deleted last event or a state edited behind manyi's back is caught too.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storage import audit, chain, clock, operator_chain, repo
from storage import operators as operator_store
from storage.blobs import BlobStore, DbBlobStore
from storage.models import Campaign
from workflow.errors import OPERATORS_CHAIN, AuditError, InputError
from workflow.i18n import _
from workflow.usecases import audit_derive, audit_rows
from workflow.usecases.context import Context, definition_of
from workflow.usecases.operators import authorize

_CHECKED_CACHE = 4096  # documents remembered as checked (bounded: constant memory)


@dataclass(frozen=True)
class ChainReport:
    campaign: str
    events: int
    head: str
    documents: int
    #: facts that events written by an older manyi do not record, so could not be checked
    unchecked: dict[str, int] = field(default_factory=dict)
    head_at: str | None = None  # the head event's time (canonical UTC text)


_HEX = frozenset("0123456789abcdef")


def parse_anchor(value: str) -> str:
    """An anchor as ``manyi audit anchor`` prints it: the 64 hex digits of a head hash
    (``#SEQ`` before it and spaces around it are allowed)."""
    text = value.strip().lower()
    if text.startswith("#") and " " in text:
        text = text.split(None, 1)[1].strip()
    if len(text) != 64 or not set(text) <= _HEX:
        raise InputError(
            _(
                "--anchor {v}: expected the 64 hex digits of a head hash, as `manyi audit anchor` prints it"
            ).format(v=audit_derive.show(value, 80))
        )
    return text


def campaigns_named(s: Any, name: str | None) -> list[Campaign]:
    if name:
        return [repo.find_campaign(s, name)]
    return repo.list_campaigns(s)


def verify(
    ctx: Context,
    campaign_name: str | None = None,
    *,
    documents: bool = True,
    anchors: list[str] | None = None,
) -> list[ChainReport]:
    """Check every chain (or one); raise :class:`AuditError` at the first broken link.

    ``anchors``: head hashes printed earlier by ``audit anchor``; each must still be in
    a verified chain (at the position its hash binds it to), else the tail was cut.
    """
    wanted = {parse_anchor(a) for a in anchors or ()}
    ctx.db.ensure_ready(create=False)
    blobs = ctx.db.blobs()
    reports = []
    found: set[str] = set()
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        times = _Times(clock.last_recorded(s), clock.is_rehearsal(s))
        for campaign in campaigns_named(s, campaign_name):
            reports.append(_verify_one(s, campaign, blobs if documents else None, times, wanted, found))
        if campaign_name is None:
            operators = _verify_operators(s)
            if operators.events:
                reports.append(operators)
    for anchor in sorted(wanted - found):
        if len(reports) == 1:
            r = reports[0]
            raise AuditError(
                r.campaign,
                None,
                "anchor",
                _("anchor {anchor} is not in it; the chain now ends at #{n} {head}").format(
                    anchor=anchor, n=r.events, head=r.head
                ),
            )
        raise AuditError(
            "*",
            None,
            "anchor",
            _("anchor {anchor} is in none of the {n} chains").format(anchor=anchor, n=len(reports)),
        )
    return reports


def _verify_operators(s: Any) -> ChainReport:
    """The operators' chain, then each operator row against what the chain says of it."""
    walker = audit.ChainWalker(OPERATORS_CHAIN, lambda h: operator_chain.event_by_hash(s, h))
    told: dict[str, tuple[int, dict[str, Any]]] = {}  # name -> (last event, what it says)
    with closing(operator_chain.iter_events(s)) as events:  # type: ignore[type-var]  # a generator, which has close()
        for ev in events:
            brk = walker.feed(ev)
            if brk is not None:
                brk = walker.refine(brk, next(events, None))
                raise AuditError(brk.campaign, brk.position, brk.kind, brk.detail)
            detail = operator_chain.parse_detail(ev.detail)
            name = ev.office or ""
            state = dict(told.get(name, (0, {}))[1])
            if ev.action in ("user-add", "user-role"):
                state.update(role=ev.to_state, office=detail.get("office"), disabled=False)
                if ev.action == "user-add":
                    state["db_login"] = detail.get("db_login")
            elif ev.action == "user-disable":
                state["disabled"] = True
            told[name] = (ev.seq, state)
    for row in operator_store.all_(s):
        found = told.pop(row.name, None)
        if found is None:
            raise AuditError(
                OPERATORS_CHAIN,
                None,
                "state",
                _("operator {name} has no event in the chain (added behind manyi's back)").format(
                    name=row.name
                ),
            )
        seq, state = found
        stored = {
            "role": row.role,
            "office": row.office,
            "db_login": row.db_login,
            "disabled": row.disabled_at is not None,
        }
        for key, value in stored.items():
            if state.get(key) != value:
                raise AuditError(
                    OPERATORS_CHAIN,
                    seq,
                    "state",
                    _("operator {name} has {key} {value} but this event says {told}").format(
                        name=row.name, key=key, value=_shown(value), told=_shown(state.get(key))
                    ),
                )
    for name, (seq, _state) in told.items():
        raise AuditError(
            OPERATORS_CHAIN,
            seq,
            "state",
            _("operator {name} is missing from the operator table").format(name=name),
        )
    return ChainReport(OPERATORS_CHAIN, walker.position, walker.head, 0)


def _shown(value: Any) -> str:
    return "-" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def anchors(ctx: Context, campaign_name: str | None = None) -> list[ChainReport]:
    """Each campaign's head (position, hash, time), to keep outside the database."""
    ctx.db.ensure_ready(create=False)
    out = []
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        for campaign in campaigns_named(s, campaign_name):
            head = chain.head(s, campaign.id)
            if head is None:
                out.append(ChainReport(campaign.name, 0, audit.GENESIS, 0))
            else:
                out.append(
                    ChainReport(campaign.name, head.seq, head.hash, 0, head_at=audit.format_at(head.at))
                )
    return out


#: How far an event's effective time (``at``) may be from the real time it was recorded,
#: outside a rehearsal: a command takes its time once and writes when its work is done.
MAX_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class _Times:
    last: datetime | None  # the database's last recorded time (its high-water mark)
    rehearsal: bool


def _verify_one(
    s: Any,
    campaign: Campaign,
    blobs: BlobStore | DbBlobStore | None,
    times: _Times | None = None,
    wanted: set[str] | None = None,
    found: set[str] | None = None,
) -> ChainReport:
    cid: int = campaign.id
    walker = audit.ChainWalker(campaign.name, lambda h: chain.event_by_hash(s, cid, h))
    tally = _Tally(derived=audit_derive.Derived(campaign.name), times=times or _Times(None, True))
    last_at = None
    with closing(chain.iter_events(s, cid)) as events:
        for ev in events:
            brk = walker.feed(ev)
            if brk is not None:
                brk = walker.refine(brk, next(events, None))
                raise AuditError(brk.campaign, brk.position, brk.kind, brk.detail)
            if wanted and ev.hash in wanted and found is not None:
                found.add(ev.hash)
            tally.add(campaign.name, ev, blobs)
            last_at = ev.at
    _check_state(s, campaign, tally.states, tally.filed)
    names = {sec.id: sec.name for sec in repo.sections(s, cid)}
    audit_rows.compare(s, campaign, tally.derived, names, lambda: definition_of(campaign).spec.timezone)
    return ChainReport(
        campaign.name,
        walker.position,
        walker.head,
        tally.documents,
        dict(tally.derived.unchecked),
        audit.format_at(last_at) if last_at is not None else None,
    )


@dataclass
class _Tally:
    """What the history says about the stored state (bounded by offices x requirements)."""

    derived: audit_derive.Derived
    states: dict[int, str] = field(default_factory=dict)
    filed: dict[tuple[int | None, str], int] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    documents: int = 0
    times: _Times = field(default_factory=lambda: _Times(None, True))
    recorded: tuple[datetime, int] | None = None  # the previous event's real time and seq

    def add(self, campaign: str, ev: audit.StoredEvent, blobs: BlobStore | DbBlobStore | None) -> None:
        if ev.section_id is not None and ev.to_state is not None:
            self.states[ev.section_id] = ev.to_state
        detail = ev.parsed_detail  # parsed once: the walker's hash check read it already
        if not isinstance(detail, dict):
            detail = {}
        if "recorded_at" in detail:
            self._check_time(campaign, ev, detail["recorded_at"])
        self.derived.add(ev, detail)
        sha = detail.get("sha256")
        if not sha:
            return
        if "requirement" in detail and ev.action == "file":
            key = (ev.section_id, detail["requirement"])
            self.filed[key] = self.filed.get(key, 0) + 1
        if blobs is None or sha in self.checked:
            return
        problem = blobs.check(sha)
        if problem is not None:
            raise AuditError(
                campaign, ev.seq, f"document-{problem}", f"{detail.get('filename', '')} sha256 {sha[:12]}"
            )
        if len(self.checked) >= _CHECKED_CACHE:
            self.checked.clear()
        self.checked.add(sha)
        self.documents += 1

    def _check_time(self, campaign: str, ev: audit.StoredEvent, raw: Any) -> None:
        """Real recorded times never go back, nor past the database's last one; outside a
        rehearsal the effective time is the recorded one (give or take MAX_SKEW)."""
        try:
            recorded = audit.parse_at(str(raw))
        except ValueError:
            raise AuditError(
                campaign, ev.seq, "clock", _("recorded_at '{v}' is not a time").format(v=raw)
            ) from None
        shown = audit.format_at(recorded)
        if self.recorded is not None and recorded < self.recorded[0]:
            raise AuditError(
                campaign,
                ev.seq,
                "clock",
                _("recorded {at}, before event #{seq} ({before})").format(
                    at=shown, seq=self.recorded[1], before=audit.format_at(self.recorded[0])
                ),
            )
        if self.times.last is not None and recorded > self.times.last:
            raise AuditError(
                campaign,
                ev.seq,
                "clock",
                _("recorded {at}, after the database's last recorded time {last}").format(
                    at=shown, last=audit.format_at(self.times.last)
                ),
            )
        if not self.times.rehearsal and abs(ev.at - recorded) > MAX_SKEW:
            raise AuditError(
                campaign,
                ev.seq,
                "clock",
                _("dated {at} but recorded {rec}, in a database that is not a rehearsal").format(
                    at=audit.format_at(ev.at), rec=shown
                ),
            )
        self.recorded = (recorded, ev.seq)


def _body_name(campaign: Campaign, requirement: str) -> str:
    """The central body that files ``requirement``, by its own name (a generic word if unknown)."""
    d = definition_of(campaign)
    req = d.requirements.get(requirement)
    if req is None or not d.is_central(req):
        return _("central body")
    return d.body_label(d.body_of(req))


def _check_state(
    s: Any, campaign: Campaign, states: dict[int, str], filed: dict[tuple[int | None, str], int]
) -> None:
    cid: int = campaign.id
    names = {sid: name for sid, name in ((x.id, x.name) for x in repo.sections(s, cid))}
    for sid, state in chain.record_states(s, cid).items():
        told = states.get(sid)
        if told != state:
            raise AuditError(
                campaign.name,
                None,
                "state",
                _("office {office} is in {state} but its history says {told}").format(
                    office=names.get(sid, sid), state=state, told=told or "-"
                ),
            )
    stored = chain.filing_counts(s, cid)
    for key in sorted(set(stored) | set(filed), key=lambda k: (k[0] or 0, k[1])):
        if stored.get(key, 0) != filed.get(key, 0):
            office = names.get(key[0], "-") if key[0] is not None else _body_name(campaign, key[1])
            raise AuditError(
                campaign.name,
                None,
                "state",
                _("{office} has {stored} filings of {req} but its history records {told}").format(
                    office=office, stored=stored.get(key, 0), req=key[1], told=filed.get(key, 0)
                ),
            )
