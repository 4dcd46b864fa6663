"""Tamper-evident history: `manyi audit verify` catches every kind of tampering, by position;
`manyi audit export` can be verified offline with the procedure in docs/audit.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from storage import audit
from tests.backends import Target, execute, tamper_document
from tests.conftest import Run, doc

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"
CAMPAIGN_EVENTS = 12  # see walked()


def walked(run: Run, tmp_path: Path) -> Run:
    """Events: 1 campaign-start, 2-7 office-add, 8-9 file (秘书科), 10 advance, 11 file
    research-report (秘书科), 12 file work-plan (领导小组)."""
    for req in ("study-plan", "implementation-opinion"):
        assert run("file", "秘书科", req, doc(tmp_path, f"{req}.txt", req)).exit_code == 0
    assert run("advance", "秘书科").exit_code == 0
    assert run("file", "秘书科", "research-report", doc(tmp_path, "r.txt", "调研报告")).exit_code == 0
    assert run("file", "领导小组", "work-plan", doc(tmp_path, "w.txt", "工作方案")).exit_code == 0
    return run


def verify_fails(run: Run, message: str) -> None:
    result = run("audit", "verify")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == f"Error: audit: campaign '2026', {message}"


def hash_of(db_path: Target, seq: int) -> str:
    return execute(db_path, "SELECT hash FROM event WHERE seq = :s", {"s": seq})[0][0]


def test_untouched_history_verifies(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    head = hash_of(db_path, CAMPAIGN_EVENTS)
    assert result.stdout == (
        f"Campaign '2026': 12 events, chain intact, head #12 {head}; 4 documents checked.\n"
        "Audit passed: 1 campaigns verified.\n"
    )


@pytest.mark.parametrize(
    "column, value, seq",
    [
        ("reason", "补记", 10),
        ("actor", "someone-else", 10),
        ("office", "信息科", 8),
        ("to_state", "completed", 10),
        ("detail", '{"filename":"x.txt","requirement":"study-plan","sha256":"00","size":1}', 8),
        ("detail", "not json", 9),
    ],
)
def test_edited_event_is_named(
    started: Run, db_path: Target, tmp_path: Path, column: str, value: str, seq: int
) -> None:
    run = walked(started, tmp_path)
    execute(db_path, f"UPDATE event SET {column} = :v WHERE seq = :s", {"v": value, "s": seq})
    verify_fails(run, f"event #{seq}: edited (its content no longer matches its hash)")


def test_edited_time_is_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    execute(db_path, "UPDATE event SET at = (SELECT at FROM event WHERE seq = 1) WHERE seq = 11")
    assert run("audit", "verify").exit_code == 0  # same instant: nothing changed
    execute(db_path, "UPDATE event SET seq = seq WHERE seq = 11")
    execute(db_path, "UPDATE event SET prev_hash = :h WHERE seq = 11", {"h": "f" * 64})
    verify_fails(run, "event #11: edited (its content no longer matches its hash)")


def test_deleted_event_is_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    execute(db_path, "DELETE FROM event WHERE seq = 9")
    verify_fails(run, "event #9: deleted (missing from the chain)")


def test_deleted_events_renumbered_are_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    execute(db_path, "DELETE FROM event WHERE seq = 9")
    execute(db_path, "UPDATE event SET seq = seq + 1000 WHERE seq > 9")
    execute(db_path, "UPDATE event SET seq = seq - 1001 WHERE seq > 1000")
    verify_fails(run, "event #9: deleted (missing from the chain); later events renumbered")


def test_deleted_last_event_is_caught_by_state(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    execute(db_path, "DELETE FROM event WHERE seq = 12")
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: audit: campaign '2026': history and stored state disagree; "
        "领导小组 has 1 filings of work-plan but its history records 0"
    )


def test_deleted_last_advance_is_caught_by_state(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = started
    for req in ("study-plan", "implementation-opinion"):
        assert run("file", "信息科", req, doc(tmp_path, f"{req}.txt", req)).exit_code == 0
    assert run("advance", "信息科").exit_code == 0
    execute(db_path, "DELETE FROM event WHERE action = 'advance'")
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: audit: campaign '2026': history and stored state disagree; "
        "office 信息科 is in implementation but its history says mobilization"
    )


def test_state_changed_behind_manyis_back(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    execute(
        db_path,
        "UPDATE record SET state = 'summary' WHERE section_id = "
        "(SELECT id FROM section WHERE name = '秘书科')",
    )
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("office 秘书科 is in summary but its history says implementation")


def _swap(db_path: Target, a: int, b: int) -> None:
    execute(db_path, "UPDATE event SET seq = -1 WHERE seq = :a", {"a": a})
    execute(db_path, "UPDATE event SET seq = :a WHERE seq = :b", {"a": a, "b": b})
    execute(db_path, "UPDATE event SET seq = :b WHERE seq = -1", {"b": b})


def test_swapped_events_are_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    _swap(db_path, 9, 10)
    verify_fails(
        run, "event #9: reordered (it does not follow the event before it); it follows the event now at #10"
    )


def test_swapped_distant_events_are_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    _swap(db_path, 3, 11)
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: audit: campaign '2026', event #3: reordered")


def _insert_at(db_path: Target, seq: int, *, forge: bool) -> None:
    """Shift events from ``seq`` on and put a new event at ``seq``, hashed correctly when ``forge``."""
    execute(db_path, "UPDATE event SET seq = seq + 1000 WHERE seq >= :s", {"s": seq})
    execute(db_path, "UPDATE event SET seq = seq - 999 WHERE seq >= 1000")
    prev = hash_of(db_path, seq - 1)
    cid, at = execute(db_path, "SELECT campaign_id, at FROM event WHERE seq = 1")[0]
    row = audit.StoredEvent(
        seq,
        _aware(at),
        "tester",
        "秘书科",
        "advance",
        "mobilization",
        "implementation",
        None,
        "{}",
        prev,
        "0" * 64,
    )
    digest = audit.digest(row.body("2026")) if forge else "e" * 64
    execute(
        db_path,
        "INSERT INTO event (campaign_id, seq, at, actor, office, action, from_state, "
        "to_state, detail, prev_hash, hash) VALUES (:c, :s, :at, 'tester', '秘书科', "
        "'advance', 'mobilization', 'implementation', '{}', :p, :h)",
        {"c": cid, "s": seq, "at": at, "p": prev, "h": digest},
    )


def _aware(at):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@pytest.mark.parametrize("forge", [True, False], ids=["rehashed", "sloppy"])
def test_inserted_event_is_named(started: Run, db_path: Target, tmp_path: Path, forge: bool) -> None:
    run = walked(started, tmp_path)
    _insert_at(db_path, 9, forge=forge)
    verify_fails(run, "event #9: inserted (it does not belong to the chain)")


def _sha(db_path: Target, seq: int) -> str:
    detail = json.loads(execute(db_path, "SELECT detail FROM event WHERE seq = :s", {"s": seq})[0][0])
    return str(detail["sha256"])


def test_replaced_document_is_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    sha = _sha(db_path, 11)
    tamper_document(db_path, sha, "另一份报告".encode())
    verify_fails(run, f"event #11: its document was altered in the blob store; r.txt sha256 {sha[:12]}")
    assert run("audit", "verify", "--skip-documents").exit_code == 0


def test_missing_document_is_named(started: Run, db_path: Target, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    sha = _sha(db_path, 12)
    tamper_document(db_path, sha, None)
    verify_fails(run, f"event #12: its document is missing from the blob store; w.txt sha256 {sha[:12]}")


def test_verify_one_campaign_and_unknown_campaign(started: Run, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    assert (
        run("campaign", "start", "people-satisfied-unit", "--name", "2027", "--start", "2027-03-01").exit_code
        == 0
    )
    result = run("audit", "verify", "--campaign", "2027")
    assert result.exit_code == 0
    assert result.stdout.startswith("Campaign '2027': 1 events, chain intact")
    assert run("audit", "verify").stdout.endswith("Audit passed: 2 campaigns verified.\n")
    data = json.loads(run("audit", "verify", "--json").stdout)
    assert [(d["campaign"], d["events"], d["intact"]) for d in data][1] == ("2027", 1, True)
    assert data[0]["events"] > 1 and len(data[0]["head"]) == 64
    bad = run("audit", "verify", "--campaign", "2025")
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "Error: unknown campaign '2025'; known: 2026, 2027"


# -- export and the documented offline procedure ------------------------------
def offline_verifier(tmp_path: Path) -> Path:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    script = tmp_path / "verify_export.py"
    script.write_text(blocks[0], encoding="utf-8")
    return script


def run_offline(tmp_path: Path, export: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(offline_verifier(tmp_path)), str(export)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_export_verifies_offline(started: Run, db_path: Target, tmp_path: Path) -> None:
    """The jsonl export is the machine format (the CSV is for people: tests/cli/test_documents.py)."""
    fmt = "jsonl"
    run = walked(started, tmp_path)
    assert run("file", "信息科", "study-plan", doc(tmp_path, "n.txt"), "--note", "").exit_code == 0
    out = tmp_path / f"audit.{fmt}"
    result = run("audit", "export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    head = hash_of(db_path, 13)
    assert result.stdout == f"Campaign '2026': 13 events exported, head {head}.\nWrote {out}.\n"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 14  # a header and 13 events
    checked = run_offline(tmp_path, out)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout == f"OK campaign '2026': 13 events, head #13 {head}\n"

    # An edited line, a deleted line, two swapped lines: each caught by the offline check.
    def tampered(new_lines: list[str]) -> str:
        bad = tmp_path / f"bad.{fmt}"
        bad.write_text("\n".join(new_lines) + "\n", encoding="utf-8")
        res = run_offline(tmp_path, bad)
        assert res.returncode == 1
        return res.stderr.strip()

    edited = [ln.replace("秘书科", "信息科") if i == 10 else ln for i, ln in enumerate(lines)]
    assert tampered(edited) == "BROKEN campaign '2026', event #10: content does not match its hash (edited)"
    assert tampered(lines[:9] + lines[10:]) == (
        "BROKEN campaign '2026', event #9: found seq 10 (deleted or reordered)"
    )
    assert tampered(lines[:9] + [lines[10], lines[9]] + lines[11:]) == (
        "BROKEN campaign '2026', event #9: found seq 10 (deleted or reordered)"
    )


def test_export_rows_are_the_canonical_encoding(started: Run, tmp_path: Path) -> None:
    run = walked(started, tmp_path)
    out = tmp_path / "a.jsonl"
    assert run("audit", "export", "-o", str(out)).exit_code == 0
    header, *events = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(header) == {"encoding": "manyi-event-v1", "manyi_audit_export": 1}
    for line in events:
        ev = json.loads(line)
        body = {k: v for k, v in ev.items() if k != "hash"}
        assert audit.dumps(body) + "" == line.replace(f',"hash":"{ev["hash"]}"', "")
        assert audit.digest(audit.dumps(body).encode()) == ev["hash"]


def test_export_bad_target_stores_nothing(started: Run, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "a.jsonl"
    result = started("audit", "export", "-o", str(missing))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {missing}: ")
    assert not missing.parent.exists()
