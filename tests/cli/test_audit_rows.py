"""`manyi audit verify` re-derives every row a decision or a mail rests on from the events:
a direct SQL edit of any of them is caught, naming the row and the event it contradicts.
`manyi audit anchor` / `verify --anchor` catch a cut tail that leaves a consistent chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage import events_repo, repo
from storage.db import Database
from tests.backends import Target, execute
from tests.conftest import Run, doc

ZERO = "0" * 64


def ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def decided(started: Run, tmp_path: Path) -> Run:
    """Every kind of decision row. Events: 1 start, 2-7 office-add, 8-9 file (秘书科),
    10 advance, 11 rectify-add (item 1), 12 inspect, 13 rectify-add (item 2, from the
    inspection), 14 rectify-done 1, 15 rectify-confirm 1, 16-17 score, 18 vote, 19 extend."""
    run = started
    for req in ("study-plan", "implementation-opinion"):
        ok(run, "file", "秘书科", req, doc(tmp_path, f"{req}.txt", req))
    ok(run, "advance", "秘书科")
    ok(run, "rectify", "add", "信息科", "档案管理不规范", "--due", "2026-04-01")
    ok(
        run,
        "inspect",
        "record",
        "信息科",
        "--kind",
        "unannounced",
        "--date",
        "2026-03-01",
        "--finding",
        "窗口无人值守",
        "--rectify",
    )
    ok(run, "rectify", "done", "1", "--evidence", doc(tmp_path, "e.txt", "证明"), "--note", "已改")
    ok(run, "rectify", "confirm", "1")
    ok(run, "score", "add", "秘书科", "--group", "leading-group", "--score", "88", "--scorer", "甲")
    ok(run, "score", "add", "信息科", "--group", "leading-group", "--score", "92.5", "--scorer", "甲")
    ok(run, "score", "vote", "秘书科", "--group", "questionnaire", "--vote", "satisfied", "--count", "30")
    ok(run, "extend", "信息科", "study-plan", "--to", "2026-04-30", "--reason", "人员调整")
    return run


def fails(run: Run, message: str, *args: str) -> None:
    result = run("audit", "verify", *args)
    assert (result.exit_code, result.stdout) == (1, ""), result.output
    sep = ", " if message.startswith("event #") else ": "
    assert result.stderr.strip() == f"Error: audit: campaign '2026'{sep}{message}"


def test_untouched_decisions_verify(decided: Run) -> None:
    out = ok(decided, "audit", "verify")
    assert out.startswith("Campaign '2026': 19 events, chain intact, head #19 ")
    assert "Not checked" not in out
    [report] = json.loads(ok(decided, "audit", "verify", "--json"))
    assert (report["events"], report["unchecked"]) == (19, {})


CONTRADICTS = "a stored row contradicts it; "
# (the direct SQL edit, what verify says). The first six are the edits of issue 11.
EDITS = [
    (
        "UPDATE score_entry SET hundredths = 10000 WHERE hundredths = 8800",
        "event #16: " + CONTRADICTS + "score_entry #1 (秘书科 / leading-group): "
        "score is 100, the event says 88",
    ),
    (
        "UPDATE campaign SET definition_text = replace(definition_text, 'exit: true', 'exit: false')",
        "event #1: " + CONTRADICTS + "campaign #1 (2026): "
        "definition_text is sha256 {new}, the event says sha256 {old}",
    ),
    (
        "UPDATE campaign SET parameters = replace(parameters, '\"satisfied-threshold\": 90', "
        "'\"satisfied-threshold\": 10')",
        "event #1: " + CONTRADICTS + "campaign #1 (2026): "
        "parameters.satisfied-threshold is 10, the event says 90",
    ),
    (
        "UPDATE rectification_item SET status = 'confirmed', confirmed_at = updated_at WHERE id = 2",
        "event #13: " + CONTRADICTS + "rectification_item #2 (信息科): "
        "status is confirmed, the event says published",
    ),
    (
        "UPDATE filing SET sha256 = '" + ZERO + "' WHERE requirement = 'study-plan'",
        "event #8: " + CONTRADICTS + "filing #1 (秘书科 / study-plan): "
        "sha256 is 0000000000000000, the event says {sha}",
    ),
    (
        "UPDATE section SET email = 'outsider@evil.example' WHERE name = '秘书科'",
        "event #6: " + CONTRADICTS + "section #5 (秘书科): "
        "email is outsider@evil.example, the event says office4@example.gov.cn",
    ),
    # ... and the rest of the rows a decision or a mail rests on
    (
        "UPDATE score_entry SET count = 300 WHERE vote = 'satisfied'",
        "event #18: " + CONTRADICTS + "score_entry #3 (秘书科 / questionnaire): "
        "count is 300, the event says 30",
    ),
    (
        "UPDATE section SET head = '外人' WHERE name = '信息科'",
        "event #7: " + CONTRADICTS + "section #6 (信息科): head is 外人, the event says 负责人5",
    ),
    (
        "UPDATE section SET name = '信息科2' WHERE name = '信息科'",
        "event #7: " + CONTRADICTS + "section #6 (信息科): name is 信息科2, the event says 信息科",
    ),
    (
        "UPDATE rectification_item SET evidence_sha256 = '" + ZERO + "' WHERE id = 1",
        "event #15: " + CONTRADICTS + "rectification_item #1 (信息科): evidence_sha256 is 0000000000000000, "
        "the event says {evidence}",
    ),
    (
        "UPDATE rectification_item SET due = NULL WHERE id = 1",
        "event #15: "
        + CONTRADICTS
        + "rectification_item #1 (信息科): due is null, the event says 2026-04-01",
    ),
    (
        "UPDATE rectification_item SET inspection_id = NULL WHERE id = 2",
        "event #13: "
        + CONTRADICTS
        + "rectification_item #2 (信息科): inspection_id is null, the event says 1",
    ),
    (
        "UPDATE deadline_extension SET to_due = '2026-12-31'",
        "event #19: " + CONTRADICTS + "deadline_extension #1 (信息科 / study-plan): to_due is 2026-12-31, "
        "the event says 2026-04-30",
    ),
    (
        "UPDATE inspection SET finding = '一切正常'",
        "event #12: " + CONTRADICTS + "inspection #1 (信息科): "
        "finding is 一切正常, the event says 窗口无人值守",
    ),
    (
        "UPDATE campaign SET status = 'closed'",
        "event #1: " + CONTRADICTS + "campaign #1 (2026): status is closed, the event says active",
    ),
    (
        "UPDATE campaign SET start_date = '2026-01-01'",
        "event #1: "
        + CONTRADICTS
        + "campaign #1 (2026): start_date is 2026-01-01, the event says 2026-03-01",
    ),
    (
        "UPDATE deadline SET due = '2026-12-31' WHERE requirement = 'study-plan' AND section_id = 6",
        "event #19: " + CONTRADICTS + "deadline #{ext_deadline} (信息科 / study-plan): "
        "due is 2026-12-31, the event says 2026-04-30",
    ),
    (
        "UPDATE deadline SET due = '2026-12-31' WHERE requirement = 'study-plan' AND section_id = 5",
        "a stored row has no event in the history; deadline #{plain_deadline} (秘书科 / study-plan): "
        "due 2026-12-31 but original_due {plain_due}, and no extend event",
    ),
    (
        "UPDATE deadline SET due = '2026-12-31' WHERE requirement LIKE 'item:%'",
        "event #15: " + CONTRADICTS + "deadline #1 (信息科 / item:1): due is 2026-12-31, "
        "the event says 2026-04-01",
    ),
    (
        "DELETE FROM score_entry WHERE hundredths = 9250",
        "event #17: the row it wrote is missing; score_entry (信息科 / leading-group)",
    ),
    (
        "INSERT INTO score_entry (campaign_id, section_id, grp, scorer, hundredths, count, actor, at) "
        "SELECT campaign_id, section_id, grp, '乙', 10000, 1, actor, at FROM score_entry WHERE id = 1",
        "a stored row has no event in the history; score_entry #4 (秘书科 / leading-group)",
    ),
    (
        "DELETE FROM rectification_item WHERE id = 2",
        "event #13: the row it wrote is missing; rectification_item (#2, 信息科)",
    ),
]


@pytest.mark.parametrize("sql, message", EDITS, ids=[e[0][:40] for e in EDITS])
def test_direct_sql_edit_is_caught_with_row_and_event(
    decided: Run, db_path: Target, sql: str, message: str
) -> None:
    import hashlib

    [(text,)] = execute(db_path, "SELECT definition_text FROM campaign")
    [(sha,)] = execute(db_path, "SELECT sha256 FROM filing WHERE requirement = 'study-plan'")
    [(evidence,)] = execute(db_path, "SELECT evidence_sha256 FROM rectification_item WHERE id = 1")
    ok(decided, "remind", "preview")  # the first sweep lays out the offices' deadlines
    ok(decided, "remind", "send")
    [(ext_deadline,)] = execute(
        db_path, "SELECT id FROM deadline WHERE requirement = 'study-plan' AND section_id = 6"
    )
    [(plain_deadline, plain_due)] = execute(
        db_path, "SELECT id, due FROM deadline WHERE requirement = 'study-plan' AND section_id = 5"
    )
    if "FROM rectification_item WHERE id = 2" in sql:  # its reminder deadline refers to it
        execute(db_path, "DELETE FROM deadline WHERE key LIKE '%item%'")
    execute(db_path, sql)
    [(edited,)] = execute(db_path, "SELECT definition_text FROM campaign")
    fails(
        decided,
        message.format(
            old=hashlib.sha256(text.encode()).hexdigest()[:16],
            new=hashlib.sha256(edited.encode()).hexdigest()[:16],
            sha=sha[:16],
            evidence=evidence[:16],
            ext_deadline=ext_deadline,
            plain_deadline=plain_deadline,
            plain_due=str(plain_due)[:10],
        ),
    )
    result = decided("audit", "verify", "--json")  # the same one line, for scripts
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.count("\n") == 1 and "audit: campaign '2026'" in result.stderr


def test_the_message_is_chinese_by_default(decided: Run, db_path: Target) -> None:
    execute(db_path, "UPDATE score_entry SET hundredths = 10000 WHERE hundredths = 8800")
    result = decided("--lang", "zh", "audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "错误：审计：活动“2026”，第 16 号事件：存储的数据行与它不符；"
        "score_entry #1（秘书科 / leading-group）：score 为 100，事件记录为 88"
    )


def test_hostile_values_stay_on_one_line(decided: Run, db_path: Target) -> None:
    execute(
        db_path,
        "UPDATE section SET email = :v WHERE name = '秘书科'",
        {"v": "x@evil.example\n\u202eAudit passed"},
    )
    result = decided("audit", "verify")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "email is x@evil.example\\u000a\\u202eAudit passed, the event says" in result.stderr


def test_an_older_event_without_a_fact_is_reported_not_checked(decided: Run, db_path: Target) -> None:
    """An item added by a manyi that did not record the inspection link yet."""
    db = Database(str(db_path))
    try:
        with db.write() as s:
            campaign = repo.find_campaign(s, "2026")
            sid = repo.find_section(s, campaign.id, "秘书科").id  # type: ignore[arg-type]
            now = campaign.created_at
            from storage import ledger_repo

            [item] = ledger_repo.add_items(
                s,
                [
                    {
                        "campaign_id": campaign.id,
                        "section_id": sid,
                        "source": "self",
                        "text": "旧事项",
                        "due": None,
                        "status": "published",
                        "inspection_id": None,
                        "created_at": now,
                        "created_by": "old",
                        "updated_at": now,
                        "updated_by": "old",
                    }
                ],
            )
            events_repo.append_events(
                s,
                campaign,
                [
                    events_repo.NewEvent(
                        "rectify-add",
                        section_id=sid,
                        office="秘书科",
                        detail={"item": item, "source": "self", "text": "旧事项", "due": None},
                    )
                ],
                "old",
                now,
            )
    finally:
        db.dispose()
    out = ok(decided, "audit", "verify")
    assert "  Not checked (events written by an older manyi do not record them): inspection_id ×1.\n" in out
    assert json.loads(ok(decided, "audit", "verify", "--json"))[0]["unchecked"] == {"inspection_id": 1}
    execute(db_path, "UPDATE rectification_item SET text = '改过' WHERE text = '旧事项'")
    fails(
        decided,
        "event #20: " + CONTRADICTS + "rectification_item #3 (秘书科): text is 改过, the event says 旧事项",
    )


# -- anchors ------------------------------------------------------------------------
def test_anchor_prints_each_head(decided: Run, db_path: Target) -> None:
    [(head, seq)] = execute(db_path, "SELECT hash, seq FROM event ORDER BY seq DESC LIMIT 1")
    out = ok(decided, "audit", "anchor")
    assert out.startswith(f"Campaign '2026': head #19 {head}, written 2026-03-01T02:00:00.000000Z.\n")
    assert "`manyi audit verify --anchor HASH`" in out
    assert json.loads(ok(decided, "audit", "anchor", "--json")) == [
        {"campaign": "2026", "seq": 19, "hash": head, "at": "2026-03-01T02:00:00.000000Z"}
    ]
    assert "Anchors found in the chain: 1." in ok(decided, "audit", "verify", "--anchor", head)
    assert ok(decided, "audit", "verify", "--anchor", f"#{seq} {head.upper()}")


def test_a_cut_tail_is_caught_against_the_anchor(decided: Run, db_path: Target) -> None:
    [(anchor,)] = execute(db_path, "SELECT hash FROM event WHERE seq = 19")
    [(kept,)] = execute(db_path, "SELECT hash FROM event WHERE seq = 17")
    # Cut the last two events (the vote, the extension) and their rows, consistently.
    execute(db_path, "DELETE FROM event WHERE seq >= 18")
    execute(db_path, "DELETE FROM score_entry WHERE vote IS NOT NULL")
    execute(db_path, "DELETE FROM deadline_extension")
    execute(db_path, "UPDATE deadline SET due = original_due")
    assert decided("audit", "verify").exit_code == 0  # the chain alone cannot tell
    assert decided("audit", "verify", "--anchor", kept).exit_code == 0
    fails(
        decided,
        "the anchored event is not in the chain (events were cut or rewritten); "
        f"anchor {anchor} is not in it; the chain now ends at #17 {kept}",
        "--anchor",
        anchor,
    )
    fails(
        decided,
        "the anchored event is not in the chain (events were cut or rewritten); "
        f"anchor {anchor} is not in it; the chain now ends at #17 {kept}",
        "--anchor",
        anchor,
        "--json",
    )


@pytest.mark.parametrize("value", ["abc", "g" * 64, ZERO + "0", "#3"])
def test_a_malformed_anchor_is_refused(decided: Run, value: str) -> None:
    result = decided("audit", "verify", "--anchor", value)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.strip().startswith(f"Error: --anchor {value}: expected the 64 hex digits")


def test_an_edited_sender_address_is_caught(decided: Run, db_path: Target) -> None:
    """The further addresses an office's mail is taken in from (`inbox allow`) are decision rows too."""
    ok(decided, "inbox", "allow", "秘书科", "mishu@qq.com")
    assert ok(decided, "audit", "verify").startswith("Campaign '2026': 20 events, chain intact")
    execute(db_path, "UPDATE office_sender SET address = 'outsider@evil.example'")
    fails(
        decided,
        "event #20: "
        + CONTRADICTS
        + "office_sender #1 (秘书科): address is outsider@evil.example, the event says mishu@qq.com",
    )
    execute(db_path, "DELETE FROM office_sender")
    fails(decided, "event #20: the row it wrote is missing; office_sender (秘书科)")
