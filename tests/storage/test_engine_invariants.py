"""Invariants of the engine over a real SQLite file, driven by Hypothesis.

Random sequences of file / advance / forced advance never leave the phase
order, never pass a guard without force, and replaying the event history
reproduces every record's state. Part-way through, the database is closed
and reopened and nothing changes (save/restore).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from storage import audit, repo
from storage.db import Database
from storage.event_models import Event
from tests.conftest import FORMAT1_SEED
from workflow.errors import InputError
from workflow.usecases import advancing, board, campaigns, filings
from workflow.usecases.context import Context

# Slow: hypothesis drives the engine through many runs (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow

OFFICES = ["市法制办公室", "秘书科", "信息科"]
STATES = ["mobilization", "implementation", "review", "summary", "completed"]
SECTION_REQS = [
    "implementation-opinion",
    "study-plan",
    "research-report",
    "rectification-report",
    "summary-report",
]
EXITS = {
    "mobilization": ["implementation-opinion", "study-plan"],
    "implementation": ["research-report"],
    "review": ["rectification-report"],
    "summary": ["summary-report"],
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 2, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="manyi-hypo-"))
        self.path = self.tmpdir / "manyi.db"
        self.clock = Clock()
        self.ctx = Context(Database(str(self.path)), "hypo", self.clock)
        roster = self.tmpdir / "r.csv"
        roster.write_text("name,email,head\n" + "".join(f"{o},,\n" for o in OFFICES), "utf-8")
        # The format-1 seed: its guards are the filings this model replays.
        campaigns.start_campaign(self.ctx, str(FORMAT1_SEED), "h", "2026-03-01", (), roster, rehearsal=True)
        self.doc = self.tmpdir / "doc.txt"
        self.doc.write_text("x", "utf-8")
        self.model = {o: "mobilization" for o in OFFICES}
        self.filed: dict[str, set[str]] = {o: set() for o in OFFICES}

    def teardown(self) -> None:
        self.ctx.db.dispose()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    @rule(office=st.sampled_from(OFFICES), req=st.sampled_from(SECTION_REQS))
    def file(self, office: str, req: str) -> None:
        filings.file_document(self.ctx, None, office, req, self.doc)
        self.filed[office].add(req)

    @rule(office=st.sampled_from(OFFICES))
    def advance(self, office: str) -> None:
        state = self.model[office]
        if state == "completed":
            [out] = advancing.advance(self.ctx, None, [office])
            assert out.final and out.dest is None
            return
        [out] = advancing.advance(self.ctx, None, [office])
        guards_hold = all(r in self.filed[office] for r in EXITS[state])
        assert (out.dest is not None) == guards_hold
        if guards_hold:
            self.model[office] = STATES[STATES.index(state) + 1]
            assert out.dest == self.model[office]

    @rule(
        office=st.sampled_from(OFFICES),
        reason=st.text(
            st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
            min_size=1,
            max_size=8,
        ).filter(str.strip),
    )
    def force(self, office: str, reason: str) -> None:
        state = self.model[office]
        [out] = advancing.advance(self.ctx, None, [office], force=True, reason=reason, expect=state)
        if state == "completed":
            assert out.final
            return
        self.model[office] = STATES[STATES.index(state) + 1]
        assert out.dest == self.model[office]

    @rule(office=st.sampled_from(OFFICES))
    def force_without_reason_is_refused(self, office: str) -> None:
        try:
            advancing.advance(self.ctx, None, [office], force=True, reason=None)
        except InputError:
            return
        raise AssertionError("force without a reason was accepted")

    @rule()
    def save_and_restore(self) -> None:
        before = self._snapshot()
        self.ctx.db.dispose()
        self.ctx = Context(Database(str(self.path)), "hypo", self.clock)
        assert self._snapshot() == before

    def _snapshot(self) -> tuple:
        st_ = board.status(self.ctx, None)
        return tuple((r.office, r.state, r.blockers) for r in st_.rows)

    @invariant()
    def states_match_model_and_replay(self) -> None:
        rows = {r.office: r.state for r in board.status(self.ctx, None).rows}
        assert rows == self.model
        with self.ctx.db.read() as s:
            camp = repo.find_campaign(s, None)
            events = list(s.query(Event).filter(Event.campaign_id == camp.id).order_by(Event.seq))
        replay: dict[str, str] = {}
        prev = audit.GENESIS
        for i, e in enumerate(events, start=1):
            assert e.seq == i and e.prev_hash == prev
            body = audit.canonical(
                campaign=camp.name,
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                office=e.office,
                action=e.action,
                from_state=e.from_state,
                to_state=e.to_state,
                reason=e.reason,
                detail=json.loads(e.detail),
                prev=e.prev_hash,
            )
            assert hashlib.sha256(body).hexdigest() == e.hash
            prev = e.hash
            if e.action in ("office-add", "advance", "force-advance"):
                assert replay.get(e.office) == e.from_state
                if e.from_state is not None:  # never skips a phase
                    assert STATES.index(e.to_state) == STATES.index(e.from_state) + 1
                replay[e.office] = e.to_state
            if e.action == "force-advance":
                assert e.reason and json.loads(e.detail)["overridden"]
        assert replay == self.model


TestEngine = EngineMachine.TestCase
TestEngine.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
