"""Re-derive from the events every row a decision or a mail rests on, and compare.

``audit verify`` feeds each event of a campaign's (already verified) chain to
:class:`~workflow.usecases.audit_derive.Derived`, which keeps what the history says the stored rows must be;
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
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from storage import chain
from storage.audit import dumps
from storage.models import Campaign
from storage.reminders_repo import ITEM_PREFIX
from workflow.errors import AuditError
from workflow.i18n import _
from workflow.usecases.audit_derive import (
    FAMILIES,
    SECTION_FIELDS,
    UNKNOWN,
    Bag,
    Derived,
    Elem,
    Family,
    Key,
    norm,
    show,
)


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
    stored: dict[Key, Bag] = {}
    for _rid, key, elem in family.rows(s, cid, None):
        stored.setdefault(key, Bag()).add(elem)
    for key in sorted(set(told) | set(stored), key=lambda k: tuple((v is not None, str(v)) for v in k)):
        a, b = stored.get(key, Bag()), told.get(key, Bag())
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
        if req.startswith(ITEM_PREFIX):
            number = req[len(ITEM_PREFIX) :]
            item = derived.items.get(int(number)) if number.isdigit() else None
            if item is None:
                continue  # an item row without its event is reported with the items
            seq, facts = item
            for fld, stored in (("due", due), ("original_due", original)):
                if stored != norm(facts["due"]):
                    raise _contradicts(
                        derived.campaign, seq, "deadline", rid, _label(office, req), fld, stored, facts["due"]
                    )
            continue
        ext = derived.extended.get((sid, req))
        if ext is not None:
            seq, to, was = ext
            if due != to:
                raise _contradicts(
                    derived.campaign, seq, "deadline", rid, _label(office, req), "due", due, to
                )
            if was is not None and original != was:
                raise _contradicts(
                    derived.campaign, seq, "deadline", rid, _label(office, req), "original_due", original, was
                )
        elif due != original:
            raise AuditError(
                derived.campaign,
                None,
                "row-orphan",
                _(
                    "deadline #{id} ({label}): due {due} but original_due {original}, and no extend event"
                ).format(id=rid, label=_label(office, req), due=due, original=original),
            )


def _label(office: str, req: str) -> str:
    """A deadline's office and requirement for a message (made only when one is needed)."""
    return f"{show(office)} / {show(req)}"


def unchecked_lines(derived: Derived) -> Iterable[tuple[str, int]]:
    return sorted(derived.unchecked.items())
