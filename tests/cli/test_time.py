"""Time cannot be backdated (issue 11, hole 4): every event records the real clock beside the
effective one, monotonic per database; MANYI_NOW writes only to a rehearsal database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import audit
from tests.backends import Target, execute
from tests.conftest import NOW, OFFICES, Run, doc, dump, roster_rows, write_roster

REAL = {"MANYI_NOW": None}  # the real clock: no pretended time
REFUSED = (
    "Error: MANYI_NOW: this database is not a rehearsal, so nothing is written at a "
    "pretended time; unset MANYI_NOW (to rehearse: a new database with "
    "`campaign start --rehearsal`)\n"
)


def start_real(run: Run, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    today = datetime.now(UTC).date().isoformat()
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        today,
        "--offices",
        str(roster),
        env=REAL,
    )
    assert result.exit_code == 0, result.output


def rehash_from(db: Target, seq: int) -> None:
    """What an attacker with SQL access and docs/audit.md does: recompute the chain's hashes
    from event ``seq`` on, so the edited events still link."""
    rows = execute(
        db,
        "SELECT seq, at, actor, office, action, from_state, to_state, reason, detail, "
        "prev_hash FROM event ORDER BY seq",
    )
    prev = None
    for row in rows:
        s, at, actor, office, action, frm, to, reason, detail, stored_prev = row
        if s < seq:
            prev = execute(db, "SELECT hash FROM event WHERE seq = :s", {"s": s})[0][0]
            continue
        at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        body = audit.canonical(
            campaign="2026",
            seq=s,
            at=at,
            actor=actor,
            office=office,
            action=action,
            from_state=frm,
            to_state=to,
            reason=reason,
            detail=json.loads(detail),
            prev=prev or stored_prev,
        )
        digest = audit.digest(body)
        execute(
            db,
            "UPDATE event SET prev_hash = :p, hash = :h WHERE seq = :s",
            {"p": prev or stored_prev, "h": digest, "s": s},
        )
        prev = digest


def test_pretended_time_is_refused_on_a_real_database(run: Run, db_path: Target, tmp_path: Path) -> None:
    start_real(run, tmp_path)
    before = dump(db_path)
    path = doc(tmp_path, "plan.txt", "学习方案")
    for args in (
        ["file", "秘书科", "study-plan", path],
        ["advance", "秘书科", "--force", "--reason", "补", "--from", "mobilization"],
        ["remind", "send"],
        ["office", "add", "人秘科"],
    ):
        result = run(*args, env={"MANYI_NOW": "2026-03-02T09:00"})  # a deadline long gone
        assert result.exit_code == 1, (args, result.output)
        assert result.stdout == "" and result.stderr == REFUSED
    assert dump(db_path) == before
    # Reading at a pretended time is still allowed (what would the board say on a date?).
    assert run("status", env={"MANYI_NOW": "2026-03-02T09:00"}).exit_code == 0
    assert run("file", "秘书科", "study-plan", path, env=REAL).exit_code == 0


def test_a_new_database_is_not_created_under_a_pretended_time(
    run: Run, db_path: Target, tmp_path: Path
) -> None:
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "2026",
        "--start",
        "2026-03-01",
        "--offices",
        str(roster),
        "--rehearsal",
        env={"MANYI_NOW": NOW},
    )
    assert result.exit_code == 0, result.output
    other = tmp_path / "real.db"
    refused = run(
        "--db",
        str(other),
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "x",
        "--start",
        "2026-03-01",
        env={"MANYI_NOW": NOW},
    )
    assert refused.exit_code == 1 and refused.stderr == REFUSED
    assert not other.exists()


def test_rehearsal_writes_at_the_pretended_time_and_records_the_real_one(
    run: Run, db_path: Target, tmp_path: Path
) -> None:
    roster = write_roster(tmp_path / "roster.csv", roster_rows(OFFICES))
    assert (
        run(
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "2026",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
            "--rehearsal",
        ).exit_code
        == 0
    )
    before = datetime.now(UTC) - timedelta(seconds=5)
    filed = run("file", "秘书科", "study-plan", doc(tmp_path, "p.txt"), env={"MANYI_NOW": "2026-03-30T09:00"})
    assert filed.exit_code == 0, filed.output
    after = datetime.now(UTC) + timedelta(seconds=5)
    last = json.loads(run("history", "秘书科", "--json").stdout)[-1]
    assert last["action"] == "file"
    assert last["at"] == "2026-03-30T01:00:00+00:00"  # the effective (pretended) time
    recorded = datetime.strptime(last["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before <= recorded <= after  # the real one, beside it
    board = run("status").stdout.splitlines()
    assert board[2] == "REHEARSAL: a rehearsal database; its times may be pretended (MANYI_NOW)."
    assert run("audit", "verify").exit_code == 0


def test_rehearsal_is_refused_on_a_database_with_real_campaigns(
    run: Run, db_path: Target, tmp_path: Path
) -> None:
    start_real(run, tmp_path)
    before = dump(db_path)
    for args in (
        [
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "again",
            "--start",
            "2026-03-01",
            "--rehearsal",
        ],
        ["init", "--rehearsal"],
    ):
        result = run(*args, env=REAL)
        assert result.exit_code == 1, result.output
        assert result.stderr == (
            "Error: --rehearsal: this database already holds real campaigns; "
            "rehearse in a new database (--db FILE)\n"
        )
    assert dump(db_path) == before
    assert "REHEARSAL" not in run("status", env=REAL).stdout


def test_a_clock_set_back_is_refused(run: Run, db_path: Target, tmp_path: Path) -> None:
    start_real(run, tmp_path)
    # The last event was recorded a day "later" than now: this machine's clock went back.
    ahead = datetime.now(UTC) + timedelta(days=1)
    execute(db_path, "UPDATE database_info SET last_recorded_at = :t", {"t": ahead})
    before = dump(db_path)
    result = run("file", "秘书科", "study-plan", doc(tmp_path, "p.txt"), env=REAL)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the clock reads ")
    assert result.stderr.endswith(
        f"earlier than the last recorded event ({ahead:%Y-%m-%d %H:%M:%S} UTC): "
        "the clock was set back; correct it and retry\n"
    )
    assert dump(db_path) == before


def test_verify_catches_a_backdated_event_even_with_its_hashes_recomputed(
    run: Run, db_path: Target, tmp_path: Path
) -> None:
    """The adversarial run's event #9 dated 03-02 after #8 dated 03-09: rewritten by SQL
    with fresh hashes, so the chain links, and still caught."""
    start_real(run, tmp_path)
    for req in ("study-plan", "implementation-opinion"):
        assert run("file", "秘书科", req, doc(tmp_path, f"{req}.txt", req), env=REAL).exit_code == 0
    assert run("audit", "verify").exit_code == 0
    # Event 9's effective time moved three weeks back.
    execute(db_path, "UPDATE event SET at = :t WHERE seq = 9", {"t": datetime.now(UTC) - timedelta(days=21)})
    rehash_from(db_path, 9)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: audit: campaign '2026', event #9: recorded out of time "
        "order (a clock set back, or a time edited); dated "
    )
    assert "in a database that is not a rehearsal" in result.stderr


def test_verify_catches_a_recorded_time_going_back(run: Run, db_path: Target, tmp_path: Path) -> None:
    start_real(run, tmp_path)
    for req in ("study-plan", "implementation-opinion"):
        assert run("file", "秘书科", req, doc(tmp_path, f"{req}.txt", req), env=REAL).exit_code == 0
    detail = json.loads(execute(db_path, "SELECT detail FROM event WHERE seq = 9")[0][0])
    eight = json.loads(execute(db_path, "SELECT detail FROM event WHERE seq = 8")[0][0])["recorded_at"]
    back = datetime.strptime(eight, "%Y-%m-%dT%H:%M:%S.%fZ") - timedelta(seconds=1)
    detail["recorded_at"] = back.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    execute(db_path, "UPDATE event SET detail = :d WHERE seq = 9", {"d": audit.dumps(detail)})
    rehash_from(db_path, 9)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: audit: campaign '2026', event #9: recorded out of time order (a clock set back, "
        f"or a time edited); recorded {detail['recorded_at']}, before event #8 ({eight})\n"
    )
