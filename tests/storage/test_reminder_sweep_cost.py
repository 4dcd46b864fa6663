"""An idle sweep reads through indexes only, whatever the number of sections."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import repo
from storage.db import Database
from workflow.adapters.mailserver import OutboxTransport
from workflow.usecases import campaigns, sweep
from workflow.usecases.context import Context

LATER = datetime(2026, 3, 2, 2, tzinfo=UTC)  # no slot falls due on the campaign's second day


@pytest.mark.slow
def test_idle_sweep_over_many_sections_is_cheap(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "m.db"))
    try:
        ctx = Context(db, "tester", lambda: datetime(2026, 3, 1, 2, tzinfo=UTC))
        campaigns.start_campaign(ctx, "people-satisfied-unit", "2026", "2026-03-01", rehearsal=True)
        with db.write() as s:
            campaign = repo.find_campaign(s, "2026")
            repo.add_sections(
                s,
                campaign.id,
                [
                    repo.NewSection(f"科室{i}", f"o{i}@x.cn")  # type: ignore[arg-type]
                    for i in range(20000)
                ],
                "mobilization",
                "tester",
                ctx.now(),
            )
        sweep.sweep(ctx, OutboxTransport(tmp_path / "outbox"), at=LATER)  # lays out deadlines once
        started = time.perf_counter()
        result = sweep.sweep(ctx, OutboxTransport(tmp_path / "outbox"), at=LATER)
        elapsed = time.perf_counter() - started
        assert (result.reminders, result.mails, result.sent) == (0, [], 0)
        print(f"idle sweep over 20,000 offices: {elapsed:.3f} s")  # timing lives in benchmarks/
        with db.read() as s:
            for sql in (
                "SELECT * FROM deadline WHERE next_at <= :t ORDER BY next_at LIMIT 10",
                "SELECT * FROM reminder WHERE status = 'pending'",
                "SELECT * FROM mail WHERE status IN ('pending', 'failed') AND next_attempt_at <= :t",
            ):
                plan = " ".join(
                    str(r[-1]) for r in s.execute(text("EXPLAIN QUERY PLAN " + sql), {"t": LATER})
                )
                assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (sql, plan)
    finally:
        db.dispose()
