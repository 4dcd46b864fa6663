"""What the history says the stored rows must be: each event of a campaign's (verified) chain is
fed to :class:`Derived`, which keeps, per table, the rows the events leave behind (a multiset per
key as a count and a sum of element digests, so memory is bounded by offices x keys + items).
:mod:`.audit_rows` compares these with the stored rows.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from storage import chain
from storage.audit import StoredEvent, dumps, format_at
from storage.repo import tags_json

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
class Bag:
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
    bags: dict[str, dict[Key, Bag]] = field(default_factory=lambda: {f.table: {} for f in FAMILIES})
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
                self.bags[family.table].setdefault(key, Bag()).add(elem, ev.seq)
                if family.table == "score_entry" and detail.get("scorer"):
                    self.named[(*key, detail["scorer"])] = elem

    def _score_change(self, ev: StoredEvent, d: dict[str, Any]) -> None:
        key = (ev.section_id, d["group"])
        bag = self.bags["score_entry"].setdefault(key, Bag())
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
