"""Re-derive from the events every row a decision or a mail rests on, and compare.

``audit verify`` feeds each event of a campaign's (already verified) chain to
:class:`Derived`, which keeps what the history says the stored rows must be;
:func:`compare` then streams the stored rows and names the first one that
contradicts its event (or has none, or whose event has no row).

What is compared (docs/audit.md has the table):

- ``campaign``: the definition text (its sha256 against the start event's
  ``definition_sha256``), definition key, parameters (each by name), start
  date, time zone (from the verified definition), creator, status (closed
  exactly when a ``campaign-close`` event exists);
- ``section``: name, e-mail, head, tags (``office-add``, and ``office-edit`` events
  carrying the new values under the same keys) and retirement (``office-retire``,
  ``office-reinstate``);
- ``filing``, ``score_entry``, ``deadline_extension``, ``inspection``, ``office_sender``
  (addresses an office's mail is also taken from): the rows
  of each (section, requirement / group) key as a multiset of their facts;
- ``rectification_item``: each item's fields as its events leave them;
- ``deadline``: the due date reminders are mailed for (an item's, an extended one's).

Memory is bounded by offices × (requirements + groups) + items: a multiset is
kept as a count and a sum of element digests per key, and only a key whose
sums differ is read again, row by row, to name the row and the event.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storage import chain
from storage.audit import StoredEvent, dumps, format_at
from storage.models import Campaign
from storage.reminders_repo import ITEM_PREFIX
from storage.repo import tags_json
from workflow.errors import AuditError
from workflow.i18n import _

_MOD = 1 << 128
UNKNOWN = object()  # a fact the events did not record

Key = tuple[Any, ...]
Elem = tuple[Any, ...]


def norm(value: Any) -> Any:
    """A stored or recorded value in one comparable form ("" and None alike, instants as text)."""
    if isinstance(value, datetime):
        return format_at(value)
    if isinstance(value, date):
        return value.isoformat()
    if value == "":
        return None
    return value


def _elem_digest(elem: Elem) -> int:
    return int.from_bytes(hashlib.sha256(dumps(list(elem)).encode("utf-8")).digest()[:16], "big")


def show(value: Any, limit: int = 48) -> str:
    """A value for a one-line message: control and bidi characters escaped, long text cut."""
    if value is None:
        return "null"
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return "".join(
        c if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") else f"\\u{ord(c):04x}" for c in text
    )


def _score_text(hundredths: Any) -> str | None:
    if hundredths is None:
        return None
    return str(Decimal(int(hundredths)) / 100)


def _hundredths(text: Any) -> str | None:
    if text is None:
        return None
    try:
        return _score_text(int(Decimal(str(text)) * 100))
    except (InvalidOperation, ValueError):
        return str(text)


# -- multiset families ----------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """One table whose rows are kept as given, each row standing for one event."""

    table: str
    actions: tuple[str, ...]
    fields: tuple[str, ...]
    #: ``(event, detail) -> (key, element)``, or None when the event is not about this table.
    of_event: Callable[[StoredEvent, dict[str, Any]], tuple[Key, Elem] | None]
    #: ``(session, campaign id, key or None) -> rows (id, key, element)``.
    rows: Callable[[Any, int, Key | None], Iterator[tuple[int, Key, Elem]]]
    #: the key's section id (None: the leading group)
    section_of: Callable[[Key], int | None] = lambda key: key[0]


def _filing_event(ev: StoredEvent, d: dict[str, Any]) -> tuple[Key, Elem] | None:
    if "requirement" not in d:
        return None
    return (
        (ev.section_id, d["requirement"]),
        tuple(
            norm(v) for v in (d.get("sha256"), d.get("filename"), d.get("size"), ev.reason, ev.actor, ev.at)
        ),
    )


def _filing_rows(s: Any, cid: int, key: Key | None) -> Iterator[tuple[int, Key, Elem]]:
    for rid, sid, req, *rest in chain.filing_rows(s, cid, key):
        yield rid, (sid, req), tuple(norm(v) for v in rest)


def _score_event(ev: StoredEvent, d: dict[str, Any]) -> tuple[Key, Elem] | None:
    if ev.section_id is None or "group" not in d:
        return None
    return (
        (ev.section_id, d["group"]),
        tuple(
            norm(v)
            for v in (
                d.get("scorer"),
                _hundredths(d.get("score")),
                d.get("vote"),
                d.get("count"),
                ev.actor,
                ev.at,
            )
        ),
    )


def _score_rows(s: Any, cid: int, key: Key | None) -> Iterator[tuple[int, Key, Elem]]:
    for rid, sid, grp, scorer, hundredths, vote, count, actor, at in chain.score_rows(s, cid, key):
        yield (
            rid,
            (sid, grp),
            tuple(norm(v) for v in (scorer, _score_text(hundredths), vote, count, actor, at)),
        )


def _extension_event(ev: StoredEvent, d: dict[str, Any]) -> tuple[Key, Elem] | None:
    if ev.section_id is None or "requirement" not in d:
        return None
    return (
        (ev.section_id, d["requirement"]),
        tuple(norm(v) for v in (d.get("from"), d.get("to"), ev.reason, ev.actor, ev.at)),
    )


def _extension_rows(s: Any, cid: int, key: Key | None) -> Iterator[tuple[int, Key, Elem]]:
    for rid, sid, req, *rest in chain.extension_rows(s, cid, key):
        yield rid, (sid, req), tuple(norm(v) for v in rest)


def _inspection_event(ev: StoredEvent, d: dict[str, Any]) -> tuple[Key, Elem] | None:
    if ev.section_id is None or "inspection" not in d:
        return None
    return (
        (ev.section_id,),
        tuple(
            norm(v)
            for v in (d.get("inspection"), d.get("kind"), d.get("date"), d.get("text"), ev.actor, ev.at)
        ),
    )


def _inspection_rows(s: Any, cid: int, key: Key | None) -> Iterator[tuple[int, Key, Elem]]:
    for rid, sid, *rest in chain.inspection_rows(s, cid, key):
        yield rid, (sid,), tuple(norm(v) for v in rest)


def _sender_event(ev: StoredEvent, d: dict[str, Any]) -> tuple[Key, Elem] | None:
    if ev.section_id is None or "address" not in d:
        return None
    return (ev.section_id,), tuple(norm(v) for v in (d.get("address"), ev.actor, ev.at))


def _sender_rows(s: Any, cid: int, key: Key | None) -> Iterator[tuple[int, Key, Elem]]:
    for rid, sid, *rest in chain.sender_rows(s, cid, key):
        yield rid, (sid,), tuple(norm(v) for v in rest)


FAMILIES = (
    Family(
        "filing",
        ("file",),
        ("sha256", "filename", "size", "note", "actor", "at"),
        _filing_event,
        _filing_rows,
    ),
    Family(
        "score_entry",
        ("score", "vote"),
        ("scorer", "score", "vote", "count", "actor", "at"),
        _score_event,
        _score_rows,
    ),
    Family(
        "deadline_extension",
        ("extend",),
        ("from_due", "to_due", "reason", "actor", "at"),
        _extension_event,
        _extension_rows,
    ),
    Family(
        "inspection",
        ("inspect",),
        ("id", "kind", "on", "finding", "actor", "at"),
        _inspection_event,
        _inspection_rows,
    ),
    Family("office_sender", ("sender-add",), ("address", "actor", "at"), _sender_event, _sender_rows),
)
_BY_ACTION = {a: f for f in FAMILIES for a in f.actions}

SECTION_ACTIONS = ("office-add", "office-edit", "office-retire", "office-reinstate")
#: The section row's fields that events decide, in the order of ``Derived.sections``' facts.
SECTION_FIELDS = ("name", "email", "head", "tags", "retired")
#: A named score changed (``score-correct``: new ``score``) or taken out (``score-withdraw``).
SCORE_CHANGES = ("score-correct", "score-withdraw")
ITEM_ACTIONS = ("rectify-add", "rectify-done", "rectify-confirm", "rectify-return")


@dataclass
class _Bag:
    n: int = 0
    total: int = 0
    seq: int = 0  # the first event of the key

    def add(self, elem: Elem, seq: int = 0) -> None:
        self.n += 1
        self.total = (self.total + _elem_digest(elem)) % _MOD
        self.seq = self.seq or seq

    def remove(self, elem: Elem) -> None:
        """Take out an element added before (a corrected or withdrawn score)."""
        self.n -= 1
        self.total = (self.total - _elem_digest(elem)) % _MOD


# -- what the history says --------------------------------------------------------
@dataclass
class Derived:
    """The rows as the events of one campaign leave them."""

    campaign: str
    start: tuple[int, str, datetime, dict[str, Any]] | None = None  # seq, actor, at, detail
    closed: int | None = None  # seq of the campaign-close event
    #: section id -> (seq, (name, email, head, tags, retired)); a tuple, not a dict: there may be 100,000
    sections: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    bags: dict[str, dict[Key, _Bag]] = field(default_factory=lambda: {f.table: {} for f in FAMILIES})
    items: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    #: (section id, requirement) -> (seq, to, original) of its latest extension
    extended: dict[Key, tuple[int, Any, Any]] = field(default_factory=dict)
    #: facts the events of an older manyi did not record, so verify could not check them
    unchecked: Counter[str] = field(default_factory=Counter)
    #: (section id, group, scorer) -> the element of that scorer's score, for corrections
    named: dict[Key, Elem] = field(default_factory=dict)

    def add(self, ev: StoredEvent, detail: dict[str, Any]) -> None:
        action = ev.action
        if action == "campaign-start" and self.start is None:
            self.start = (ev.seq, ev.actor, ev.at, detail)
        elif action == "campaign-close":
            self.closed = ev.seq
        elif action in SECTION_ACTIONS and ev.section_id is not None:
            self._section(ev, detail)
        elif action in ITEM_ACTIONS:
            self._item(ev, detail)
        elif action == "extend" and ev.section_id is not None and "requirement" in detail:
            self.extended[(ev.section_id, detail["requirement"])] = (
                ev.seq,
                norm(detail.get("to")),
                norm(detail.get("original")),
            )
        elif action in SCORE_CHANGES and ev.section_id is not None and "group" in detail:
            self._score_change(ev, detail)
        family = _BY_ACTION.get(action)
        if family is not None:
            found = family.of_event(ev, detail)
            if found is not None:
                key, elem = found
                self.bags[family.table].setdefault(key, _Bag()).add(elem, ev.seq)
                if family.table == "score_entry" and detail.get("scorer"):
                    self.named[(*key, detail["scorer"])] = elem

    def _score_change(self, ev: StoredEvent, d: dict[str, Any]) -> None:
        key = (ev.section_id, d["group"])
        bag = self.bags["score_entry"].setdefault(key, _Bag())
        old = self.named.pop((*key, d.get("scorer")), None)
        if old is not None:
            bag.remove(old)
        if ev.action == "score-correct":
            found = _score_event(
                ev,
                {
                    "group": d["group"],
                    "scorer": d.get("scorer"),
                    "score": d.get("score"),
                    "count": old[3] if old is not None else 1,
                },
            )
            if found is not None:
                bag.add(found[1], ev.seq)
                self.named[(*key, d.get("scorer"))] = found[1]

    def _section(self, ev: StoredEvent, d: dict[str, Any]) -> None:
        _seq, (name, email, head, tags, retired) = self.sections.get(
            ev.section_id,  # type: ignore[arg-type]  # events of a section always carry its id
            (0, (UNKNOWN,) * len(SECTION_FIELDS)),
        )
        if ev.office is not None:
            name = ev.office
        if ev.action == "office-retire":
            retired = True
        elif ev.action == "office-reinstate":
            retired = False
        else:
            if "email" in d:
                email = norm(d["email"])
            if "head" in d:
                head = norm(d["head"])
            # An add or an edit states the office's whole data: no tags recorded means none.
            tags = tags_json(d.get("tags", ()))
            if ev.action == "office-add":
                retired = False
                for k in ("email", "head"):
                    if k not in d:
                        self.unchecked[k] += 1
        self.sections[ev.section_id] = (ev.seq, (name, email, head, tags, retired))  # type: ignore[index]  # events of a section always carry its id

    def _item(self, ev: StoredEvent, d: dict[str, Any]) -> None:
        item = d.get("item")
        if not isinstance(item, int):
            return
        at = format_at(ev.at)
        if ev.action == "rectify-add":
            facts: dict[str, Any] = {
                "section_id": ev.section_id,
                "source": d.get("source"),
                "text": norm(d.get("text")),
                "due": norm(d.get("due")),
                "status": "published",
                "evidence_sha256": None,
                "evidence_filename": None,
                "note": None,
                "return_reason": None,
                "created_by": ev.actor,
                "created_at": at,
                "done_at": None,
                "confirmed_at": None,
            }
            if "inspection" in d:
                facts["inspection_id"] = d["inspection"]
            else:
                self.unchecked["inspection_id"] += 1
        else:
            known = self.items.get(item)
            if known is None:
                return  # an event about an item the history never added: its row is reported
            facts = known[1]
            if ev.action == "rectify-done":
                facts.update(
                    status="done",
                    evidence_sha256=d.get("sha256"),
                    evidence_filename=d.get("filename"),
                    note=norm(ev.reason),
                    done_at=at,
                )
            elif ev.action == "rectify-confirm":
                facts.update(status="confirmed", confirmed_at=at)
            else:
                facts.update(status="returned", return_reason=norm(ev.reason))
        facts.update(updated_by=ev.actor, updated_at=at)
        self.items[item] = (ev.seq, facts)


# -- comparing with the stored rows ----------------------------------------------------
def _contradicts(
    campaign: str, seq: int | None, table: str, rid: Any, label: str, fld: str, stored: Any, told: Any
) -> AuditError:
    if fld.endswith("sha256"):  # enough of a hash to tell the two apart
        stored, told = (v if v is None else str(v)[:16] for v in (stored, told))
    return AuditError(
        campaign,
        seq,
        "row",
        _("{table} #{id} ({label}): {field} is {stored}, the event says {told}").format(
            table=table, id=rid, label=label, field=fld, stored=show(stored), told=show(told)
        ),
    )


def _orphan(campaign: str, table: str, rid: Any, label: str) -> AuditError:
    return AuditError(
        campaign, None, "row-orphan", _("{table} #{id} ({label})").format(table=table, id=rid, label=label)
    )


def _missing(campaign: str, seq: int, table: str, label: str) -> AuditError:
    return AuditError(campaign, seq, "row-missing", _("{table} ({label})").format(table=table, label=label))


def compare(
    s: Any,
    campaign: Campaign,
    derived: Derived,
    names: dict[int, str],
    definition_timezone: Callable[[], str],
) -> None:
    """Raise :class:`AuditError` at the first stored row the history does not explain."""
    cid: int = campaign.id
    _compare_campaign(campaign, derived, definition_timezone)
    _compare_sections(s, cid, derived, names)
    for family in FAMILIES:
        _compare_family(s, cid, derived, family, names)
    _compare_items(s, cid, derived, names)
    _compare_deadlines(s, cid, derived, names)


def _compare_campaign(c: Campaign, derived: Derived, definition_timezone: Callable[[], str]) -> None:
    name = derived.campaign
    label = name
    if derived.start is None:
        raise _orphan(name, "campaign", c.id, label)
    seq, actor, at, d = derived.start
    sha = hashlib.sha256(c.definition_text.encode("utf-8")).hexdigest()

    def check(fld: str, stored: Any, told: Any, at_seq: int = seq) -> None:
        if norm(stored) != norm(told):
            raise _contradicts(name, at_seq, "campaign", c.id, label, fld, stored, told)

    if "definition_sha256" in d:
        if sha != d["definition_sha256"]:
            raise _contradicts(
                name,
                seq,
                "campaign",
                c.id,
                label,
                "definition_text",
                f"sha256 {sha[:16]}",
                f"sha256 {str(d['definition_sha256'])[:16]}",
            )
        check("timezone", c.timezone, definition_timezone())
    else:
        derived.unchecked["definition_text"] += 1
    check("definition_key", c.definition_key, d.get("definition"))
    check("start_date", c.start_date, d.get("start"))
    check("created_by", c.created_by, actor)
    check("created_at", c.created_at, at)
    try:
        stored_params = json.loads(c.parameters)
    except ValueError:
        stored_params = None
    told_params = d.get("parameters")
    if not isinstance(stored_params, dict) or not isinstance(told_params, dict):
        check("parameters", c.parameters, dumps(told_params))
    else:
        for k in sorted(set(stored_params) | set(told_params)):
            if k not in stored_params or k not in told_params or stored_params[k] != told_params[k]:
                raise _contradicts(
                    name,
                    seq,
                    "campaign",
                    c.id,
                    label,
                    f"parameters.{k}",
                    stored_params.get(k),
                    told_params.get(k),
                )
    check("status", c.status, "closed" if derived.closed else "active", derived.closed or seq)


def _compare_sections(s: Any, cid: int, derived: Derived, names: dict[int, str]) -> None:
    seen = 0
    for sid, name, email, head, tags, retired in chain.section_rows(s, cid):
        known = derived.sections.get(sid)
        if known is None:
            raise _orphan(derived.campaign, "section", sid, show(name))
        seq, facts = known
        seen += 1
        stored_row = (name, email, head, tags, bool(retired))
        for fld, stored, told in zip(SECTION_FIELDS, stored_row, facts, strict=True):
            if told is not UNKNOWN and norm(stored) != told:
                raise _contradicts(derived.campaign, seq, "section", sid, show(facts[0]), fld, stored, told)
    if seen != len(derived.sections):
        for sid, (seq, facts) in sorted(derived.sections.items(), key=lambda kv: kv[1][0]):
            if sid not in names:
                raise _missing(derived.campaign, seq, "section", show(facts[0]))


def _key_label(family: Family, key: Key, names: dict[int, str]) -> str:
    sid = family.section_of(key)
    office = names.get(sid, str(sid)) if sid is not None else _("central body")
    return " / ".join(show(p) for p in (office, *key[1:]))


def _compare_family(s: Any, cid: int, derived: Derived, family: Family, names: dict[int, str]) -> None:
    told = derived.bags[family.table]
    stored: dict[Key, _Bag] = {}
    for _rid, key, elem in family.rows(s, cid, None):
        stored.setdefault(key, _Bag()).add(elem)
    for key in sorted(set(told) | set(stored), key=lambda k: tuple((v is not None, str(v)) for v in k)):
        a, b = stored.get(key, _Bag()), told.get(key, _Bag())
        if (a.n, a.total) != (b.n, b.total):
            _drill_down(s, cid, derived.campaign, family, key, names)


def _drill_down(s: Any, cid: int, campaign: str, family: Family, key: Key, names: dict[int, str]) -> None:
    """Read one key's rows and events again and name the first row that does not match."""
    label = _key_label(family, key, names)
    events: list[tuple[int, Elem]] = []
    for ev in chain.section_events(s, cid, family.section_of(key), family.actions):
        try:
            detail = json.loads(ev.detail) if ev.detail else {}
        except ValueError:
            continue
        found = family.of_event(ev, detail if isinstance(detail, dict) else {})
        if found is not None and found[0] == key:
            events.append((ev.seq, found[1]))
    waiting = Counter(elem for _seq, elem in events)
    odd_rows: list[tuple[int, Elem]] = []
    for rid, _key, elem in family.rows(s, cid, key):
        if waiting[elem] > 0:
            waiting[elem] -= 1
        else:
            odd_rows.append((rid, elem))
    odd_events = []
    for seq, elem in events:
        if waiting[elem] > 0:
            waiting[elem] -= 1
            odd_events.append((seq, elem))
    if odd_rows and odd_events:
        (rid, row), (seq, told) = odd_rows[0], odd_events[0]
        for fld, stored, recorded in zip(family.fields, row, told, strict=True):
            if stored != recorded:
                raise _contradicts(campaign, seq, family.table, rid, label, fld, stored, recorded)
    if odd_rows:
        raise _orphan(campaign, family.table, odd_rows[0][0], label)
    if odd_events:
        raise _missing(campaign, odd_events[0][0], family.table, label)


def _compare_items(s: Any, cid: int, derived: Derived, names: dict[int, str]) -> None:
    seen = 0
    for rid, *values in chain.item_rows(s, cid):
        row = dict(zip(chain.ITEM_FIELDS, (norm(v) for v in values), strict=True))
        known = derived.items.get(rid)
        label = show(names.get(row["section_id"], row["section_id"]))
        if known is None:
            raise _orphan(derived.campaign, "rectification_item", rid, label)
        seen += 1
        seq, facts = known
        for fld in chain.ITEM_FIELDS:
            if fld in facts and row[fld] != norm(facts[fld]):
                raise _contradicts(
                    derived.campaign, seq, "rectification_item", rid, label, fld, row[fld], facts[fld]
                )
    if seen != len(derived.items):
        stored = {rid for rid, *_rest in chain.item_rows(s, cid)}
        for item, (seq, facts) in sorted(derived.items.items()):
            if item not in stored:
                raise _missing(
                    derived.campaign,
                    seq,
                    "rectification_item",
                    f"#{item}, {show(names.get(facts['section_id'], '-'))}",
                )


def _compare_deadlines(s: Any, cid: int, derived: Derived, names: dict[int, str]) -> None:
    """The due date reminders are mailed for: an item's is the item's own; an office's is its
    latest extension's, or (never extended) the date it was laid out with. That planned date
    comes from the definition and the working-day calendar and is not re-computed here."""
    for rid, sid, req, due, original in chain.deadline_rows(s, cid):
        due, original = norm(due), norm(original)
        office = names.get(sid, str(sid)) if sid is not None else _("central body")
        label = f"{show(office)} / {show(req)}"
        if req.startswith(ITEM_PREFIX):
            number = req[len(ITEM_PREFIX) :]
            item = derived.items.get(int(number)) if number.isdigit() else None
            if item is None:
                continue  # an item row without its event is reported with the items
            seq, facts = item
            for fld, stored in (("due", due), ("original_due", original)):
                if stored != norm(facts["due"]):
                    raise _contradicts(
                        derived.campaign, seq, "deadline", rid, label, fld, stored, facts["due"]
                    )
            continue
        ext = derived.extended.get((sid, req))
        if ext is not None:
            seq, to, was = ext
            if due != to:
                raise _contradicts(derived.campaign, seq, "deadline", rid, label, "due", due, to)
            if was is not None and original != was:
                raise _contradicts(
                    derived.campaign, seq, "deadline", rid, label, "original_due", original, was
                )
        elif due != original:
            raise AuditError(
                derived.campaign,
                None,
                "row-orphan",
                _(
                    "deadline #{id} ({label}): due {due} but original_due {original}, and no extend event"
                ).format(id=rid, label=label, due=due, original=original),
            )


def unchecked_lines(derived: Derived) -> Iterable[tuple[str, int]]:
    return sorted(derived.unchecked.items())
