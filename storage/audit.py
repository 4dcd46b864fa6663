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
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

GENESIS = "0" * 64


@lru_cache(maxsize=64)  # a bulk append stamps thousands of events with one instant
def format_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
