"""Error messages a person can act on."""

from __future__ import annotations

from datetime import UTC, datetime

from workflow.errors import ConflictError


def test_conflict_names_who_and_when_in_the_campaigns_time_zone() -> None:
    at = datetime(2026, 3, 1, 2, 0, 5, tzinfo=UTC)
    assert str(ConflictError("秘书科", "clerk1", at, "Asia/Shanghai")) == (
        "秘书科 was changed by clerk1 at 2026-03-01 10:00:05; re-check and retry"
    )
    assert ConflictError("x", "y", at, "Europe/Berlin").at == "2026-03-01 03:00:05"
    assert ConflictError("x", "?", None).at == "?"
