"""The per-campaign hash chain over events.

Canonical encoding (documented in docs/audit.md): the JSON object

    {"action", "actor", "at", "campaign", "detail", "from", "office",
     "prev", "reason", "seq", "to"}

with keys sorted, no insignificant whitespace (separators ``,`` and ``:``),
non-ASCII kept as UTF-8, ``at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC,
absent values as ``null``; ``detail`` is itself a JSON object (a filed
document's ``sha256`` lives there, which binds the document into the chain).
``hash = sha256(canonical bytes)``; the first event's ``prev`` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any

GENESIS = "0" * 64


@lru_cache(maxsize=64)  # a bulk append stamps thousands of events with one instant
@lru_cache(maxsize=64)  # a bulk change stamps thousands of events with one time
def format_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CANONICAL_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def parse_at(raw: str) -> datetime:
    """A time as :func:`format_at` writes it (ValueError otherwise), as an aware UTC datetime.

    ``strptime`` with the same format accepts the same strings; the canonical shape (what
    manyi writes) takes the C parser, ten times faster over a long chain."""
    if _CANONICAL_AT.fullmatch(raw):
        return datetime.fromisoformat(raw[:-1]).replace(tzinfo=UTC)
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def canonical(
    *,
    campaign: str,
    seq: int,
    at: datetime,
    actor: str,
    office: str | None,
    action: str,
    from_state: str | None,
    to_state: str | None,
    reason: str | None,
    detail: dict[str, Any],
    prev: str,
) -> bytes:
    body = {
        "action": action,
        "actor": actor,
        "at": format_at(at),
        "campaign": campaign,
        "detail": detail,
        "from": from_state,
        "office": office,
        "prev": prev,
        "reason": reason,
        "seq": seq,
        "to": to_state,
    }
    return dumps(body).encode("utf-8")


# One encoder for every call: ``json.dumps`` with arguments builds a new one each time
# (a third of the cost of hashing an event); the output is the same.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    return _CANONICAL_JSON.encode(value)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- verification ------------------------------------------------------------
# The walker below is pure: it is fed one stored event at a time, in seq
# order, and keeps only the previous hash plus a few counters, so checking a
# chain of any length needs constant memory. Looking up an event by its hash
# (to tell a reordered event from an inserted one) is a callback, asked only
# once the chain is already broken.


@dataclass(frozen=True)
class StoredEvent:
    """One event row as stored (``detail`` still the stored JSON text)."""

    seq: int
    at: datetime
    actor: str
    office: str | None
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: str
    prev_hash: str
    hash: str
    section_id: int | None = None

    @cached_property
    def parsed_detail(self) -> Any:
        """``detail`` parsed, once per event however many checks read it (None if not JSON)."""
        try:
            return json.loads(self.detail) if self.detail else {}
        except ValueError:
            return None

    def body(self, campaign: str, seq: int | None = None) -> bytes | None:
        """The canonical bytes this row claims to hash to (None if ``detail`` is not JSON)."""
        detail = self.parsed_detail
        if detail is None:
            return None
        return canonical(
            campaign=campaign,
            seq=self.seq if seq is None else seq,
            at=self.at,
            actor=self.actor,
            office=self.office,
            action=self.action,
            from_state=self.from_state,
            to_state=self.to_state,
            reason=self.reason,
            detail=detail,
            prev=self.prev_hash,
        )

    def self_consistent(self, campaign: str, seq: int | None = None) -> bool:
        body = self.body(campaign, seq)
        return body is not None and digest(body) == self.hash


@dataclass(frozen=True)
class Break:
    """The first broken link of a chain: where (1-based position) and what."""

    campaign: str
    position: int
    kind: str  # edited | deleted | inserted | reordered | document-missing | document-altered | state
    detail: str = ""


class ChainWalker:
    """Checks one campaign's chain, event by event, in constant memory."""

    def __init__(self, campaign: str, find_by_hash: Callable[[str], StoredEvent | None]):
        self.campaign = campaign
        self.find_by_hash = find_by_hash
        self.position = 0  # events accepted so far
        self.head = GENESIS

    def feed(self, ev: StoredEvent) -> Break | None:
        expected = self.position + 1
        if ev.seq > expected:
            gone = ev.seq - expected
            return Break(
                self.campaign,
                expected,
                "deleted",
                f"{gone} events, #{expected}..#{ev.seq - 1}" if gone > 1 else "",
            )
        linked = ev.prev_hash == self.head
        if linked and ev.self_consistent(self.campaign):
            self.position = expected
            self.head = ev.hash
            return None
        if linked:
            return Break(self.campaign, expected, "edited")
        # The event does not follow its predecessor: it was moved here, put here,
        # or its predecessor (or its own prev link) was rewritten.
        before = self.find_by_hash(ev.prev_hash)
        if before is not None and before.seq != expected - 1:
            if before.seq == expected - 2:
                # It follows the event two back: something was put in between.
                return Break(self.campaign, expected - 1, "inserted")
            return Break(self.campaign, expected, "reordered", f"it follows the event now at #{before.seq}")
        if ev.self_consistent(self.campaign, seq=expected):
            return Break(self.campaign, expected, "inserted")
        if before is None and ev.self_consistent(self.campaign, seq=ev.seq + 1):
            # Written as the next event: its predecessor was removed and the rest renumbered.
            return Break(self.campaign, expected, "deleted", "later events renumbered")
        return Break(self.campaign, expected, "edited")

    def refine(self, brk: Break, following: StoredEvent | None) -> Break:
        """Look one event past a break: if that one links to the last good event,
        the broken row was put in between, not edited."""
        if brk.kind == "edited" and following is not None and following.prev_hash == self.head:
            return Break(brk.campaign, brk.position, "inserted")
        return brk


def with_db_user(detail: dict[str, Any], db_user: str | None) -> dict[str, Any]:
    """``detail`` with the database login recorded (PostgreSQL), so --as cannot hide who it was."""
    if not db_user:
        return detail
    return {**detail, "db_user": db_user}
