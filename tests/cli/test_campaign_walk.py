"""The seed campaign walked end to end through the console, as a supervision office would."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ATTACHED, OFFICES, Run, doc


def status_of(run: Run) -> dict[str, dict]:
    result = run("status", "--json")
    assert result.exit_code == 0, result.output
    return {row["office"]: row for row in json.loads(result.stdout)}


def file_ok(run: Run, tmp_path: Path, office: str, req: str) -> None:
    result = run("file", office, req, doc(tmp_path, f"{office}-{req}.txt", f"{office} {req}"))
    assert result.exit_code == 0, result.output


def test_seed_campaign_end_to_end(started: Run, tmp_path: Path) -> None:
    run = started
    # Everyone starts in mobilization, blocked by the two section filings.
    st = status_of(run)
    assert set(st) == set(OFFICES)
    for row in st.values():
        assert row["state"] == "mobilization"
        assert row["blockers"] == ["implementation-opinion", "study-plan"]
        assert row["next_due"] == "2026-03-23"  # Saturday 03-21 moves to Monday

    # Advancing everyone now moves nobody and exits 3, naming what is missing.
    result = run("advance", "--all")
    assert result.exit_code == 3
    assert "市法制办公室: blocked in Study & mobilization, missing implementation-opinion (Implementation opinion); study-plan (Study plan)" in result.stdout
    assert result.stdout.strip().endswith("0 advanced, 6 blocked.")

    # The leading group files its work plan (a campaign-level filing).
    result = run("file", "领导小组", "work-plan", doc(tmp_path, "plan.txt"))
    assert result.exit_code == 0, result.output
    assert "Filed 'Campaign work plan' for 领导小组" in result.stdout

    # The four attached offices file both; one of the two still blocks.
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "implementation-opinion")
    assert status_of(run)["市法制办公室"]["blockers"] == ["study-plan"]
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "study-plan")

    result = run("advance", *ATTACHED, "秘书科")
    assert result.exit_code == 3  # 秘书科 is named and stays blocked
    st = status_of(run)
    for office in ATTACHED:
        assert st[office]["state"] == "implementation"
        assert st[office]["blockers"] == ["research-report"]
    assert st["秘书科"]["state"] == "mobilization"

    # Implementation needs the research report.
    result = run("advance", "市法制办公室")
    assert result.exit_code == 3
    assert "missing research-report (Research report)" in result.stdout
    file_ok(run, tmp_path, "市法制办公室", "research-report")
    assert run("advance", "市法制办公室").exit_code == 0

    # Review needs the rectification report; summary needs the summary.
    assert status_of(run)["市法制办公室"]["blockers"] == ["rectification-report"]
    assert run("advance", "市法制办公室").exit_code == 3
    file_ok(run, tmp_path, "市法制办公室", "rectification-report")
    assert run("advance", "市法制办公室").exit_code == 0
    assert status_of(run)["市法制办公室"]["blockers"] == ["summary-report"]
    assert run("advance", "市法制办公室").exit_code == 3
    file_ok(run, tmp_path, "市法制办公室", "summary-report")
    result = run("advance", "市法制办公室", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [{
        "office": "市法制办公室", "from": "summary", "to": "completed", "moved": True,
        "forced": False, "blockers": [], "final": False,
    }]
    st = status_of(run)
    assert st["市法制办公室"]["state"] == "completed"
    assert st["市法制办公室"]["blockers"] == [] and st["市法制办公室"]["next_due"] is None

    # A completed section cannot move further; --all leaves it out.
    result = run("advance", "市法制办公室")
    assert result.exit_code == 0 and "already completed" in result.stdout

    # A leader forces 秘书科 on, with a reason; without one it is refused.
    result = run("advance", "秘书科", "--force")
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: --force needs --reason TEXT: say why the guard is overridden"
    result = run("advance", "秘书科", "--force", "--reason", "经领导小组同意后补", actor="王组长")
    assert result.exit_code == 0
    assert "forced; overrode implementation-opinion, study-plan" in result.stdout

    # The full history of 秘书科 and 市法制办公室: every transition, actor and reason.
    hist = json.loads(run("history", "秘书科", "--json").stdout)
    assert [(h["action"], h["from"], h["to"]) for h in hist] == [
        ("office-add", None, "mobilization"),
        ("force-advance", "mobilization", "implementation"),
    ]
    assert hist[1]["actor"] == "王组长" and hist[1]["reason"] == "经领导小组同意后补"
    assert hist[1]["detail"] == {"overridden": ["implementation-opinion", "study-plan"]}
    assert hist[1]["at"] == "2026-03-01T02:00:00+00:00"

    hist = json.loads(run("history", "市法制办公室", "--json").stdout)
    moves = [(h["from"], h["to"]) for h in hist if h["action"] == "advance"]
    assert moves == [
        ("mobilization", "implementation"), ("implementation", "review"),
        ("review", "summary"), ("summary", "completed"),
    ]
    assert all(h["actor"] == "tester" for h in hist)
    files = [h["detail"]["requirement"] for h in hist if h["action"] == "file"]
    assert files == ["implementation-opinion", "study-plan", "research-report",
                     "rectification-report", "summary-report"]

    # The leading group's own history holds its filing.
    group = json.loads(run("history", "领导小组", "--json").stdout)
    assert [h["action"] for h in group] == ["campaign-start", "file"]

    # The other three attached offices: research reports, then the review phase,
    # where a People's Congress opinion becomes a rectification item that blocks
    # 市外事侨务办公室 until the supervision office confirms it.
    rest = ATTACHED[:3]
    for office in rest:
        file_ok(run, tmp_path, office, "research-report")
    result = run("advance", "--all")
    assert result.exit_code == 3  # 秘书科 (research report) and 信息科 (mobilization) stay
    st = status_of(run)
    assert {o: st[o]["state"] for o in rest} == {o: "review" for o in rest}
    assert st["秘书科"]["blockers"] == ["research-report"]
    assert st["信息科"]["blockers"] == ["implementation-opinion", "study-plan"]
    result = run("rectify", "add", rest[0], "窗口办事指南未及时更新", "--source", "review")
    assert result.exit_code == 0, result.output
    for office in rest:
        file_ok(run, tmp_path, office, "rectification-report")
    assert status_of(run)[rest[0]]["blockers"] == ["rectification-items"]
    result = run("advance", *rest)
    assert result.exit_code == 3 and "missing rectification-items" in result.stdout
    item = json.loads(run("rectify", "list", rest[0], "--json").stdout)[0]["id"]
    assert run("rectify", "done", str(item), "--evidence", doc(tmp_path, "guide.txt")).exit_code == 0
    assert status_of(run)[rest[0]]["blockers"] == ["rectification-items"]  # done is not confirmed
    assert run("rectify", "confirm", str(item)).exit_code == 0
    assert run("advance", rest[0]).exit_code == 0
    st = status_of(run)
    assert {o: (st[o]["state"], st[o]["blockers"]) for o in rest} == {
        o: ("summary", ["summary-report"]) for o in rest}
    for office in rest:
        file_ok(run, tmp_path, office, "summary-report")
    assert run("advance", *rest).exit_code == 0

    # The two internal sections catch up: 信息科 from the start, 秘书科 from implementation.
    for req in ("implementation-opinion", "study-plan", "research-report", "rectification-report"):
        file_ok(run, tmp_path, "信息科", req)
    for req in ("research-report", "rectification-report"):
        file_ok(run, tmp_path, "秘书科", req)
    steps = []
    while (result := run("advance", "--all", "--json")).exit_code in (0, 3) and any(
            o["moved"] for o in json.loads(result.stdout)):
        steps.append({o["office"]: o["to"] for o in json.loads(result.stdout) if o["moved"]})
    assert steps == [{"秘书科": "review", "信息科": "implementation"}, {"秘书科": "summary", "信息科": "review"},
                     {"信息科": "summary"}]
    assert result.exit_code == 3  # both wait for their summaries
    assert {o: st["blockers"] for o, st in status_of(run).items() if st["state"] != "completed"} == {
        "秘书科": ["summary-report"], "信息科": ["summary-report"]}
    for office in ("秘书科", "信息科"):
        file_ok(run, tmp_path, office, "summary-report")
    assert run("advance", "--all").exit_code == 0
    assert {o: r["state"] for o, r in status_of(run).items()} == {o: "completed" for o in OFFICES}
    moves = [(h["from"], h["to"]) for h in json.loads(run("history", "信息科", "--json").stdout)
             if h["action"] == "advance"]
    assert moves == [("mobilization", "implementation"), ("implementation", "review"),
                     ("review", "summary"), ("summary", "completed")]
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_dry_run_changes_nothing(started: Run, tmp_path: Path, db_path: Path) -> None:
    from tests.conftest import dump

    file_ok(started, tmp_path, "信息科", "implementation-opinion")
    file_ok(started, tmp_path, "信息科", "study-plan")
    before = dump(db_path)
    result = started("advance", "--all", "--dry-run")
    assert result.exit_code == 3
    assert "[dry run] 信息科: Study & mobilization → Organization & implementation" in result.stdout
    assert dump(db_path) == before


def test_history_table_and_status_table_render_chinese(started: Run) -> None:
    result = started("status")
    assert result.exit_code == 0
    assert "市口岸与海防委员会办公室" in result.stdout
    assert "Study plan" in result.stdout
    result = started("history", "信息科")
    assert result.exit_code == 0
    assert "office-add" in result.stdout


def test_campaign_and_office_lists(started: Run) -> None:
    camps = json.loads(started("campaign", "list", "--json").stdout)
    assert [(c["name"], c["definition"], c["start"], c["offices"]) for c in camps] == [
        ("2026", "people-satisfied-unit", "2026-03-01", 6)
    ]
    assert camps[0]["end"] == "2027-03-31"  # 1 + 7 + 3 + 2 months
    offices = json.loads(started("office", "list", "--json").stdout)
    assert [o["office"] for o in offices] == OFFICES
    assert offices[0]["email"] == "office0@example.gov.cn" and offices[0]["head"] == "负责人0"
    result = started("office", "add", "人秘科", "--email", "renmi@example.gov.cn", "--head", "周科长")
    assert result.exit_code == 0
    assert result.stdout.strip() == "Added office '人秘科' to campaign '2026'."
    st = status_of(started)
    assert st["人秘科"]["state"] == "mobilization"


def test_set_overrides_parameters(run: Run) -> None:
    result = run("campaign", "start", "people-satisfied-unit", "--name", "短期", "--start",
                 "2026-01-01", "--set", "mobilization-length=P2W", "--set", "study-sessions=6")
    assert result.exit_code == 0, result.output
    camp = json.loads(run("campaign", "list", "--json").stdout)[0]
    assert camp["parameters"]["study-sessions"] == 6
    assert camp["parameters"]["mobilization-length"] == "P2W"


def test_init_is_idempotent(run: Run, db_path: Path) -> None:
    first = run("init")
    assert first.exit_code == 0 and "Created database" in first.stdout
    second = run("init")
    assert second.exit_code == 0 and "is up to date" in second.stdout


def test_bundled_definition_check(run: Run) -> None:
    result = run("definition", "check", "people-satisfied-unit")
    assert result.exit_code == 0
    assert "valid definition 'people-satisfied-unit'" in result.stdout
    for key in ("implementation-opinion", "study-plan", "research-report",
                "rectification-report", "summary-report"):
        assert key[:9] in result.stdout


def test_close_a_campaign_started_by_mistake(started: Run, db_path: Path) -> None:
    from tests.conftest import dump

    assert started("campaign", "start", "people-satisfied-unit", "--name", "x9", "--start",
                   "2026-03-01").exit_code == 0
    result = started("status")
    assert result.exit_code == 1 and "several campaigns are active (2026, x9)" in result.stderr
    before = dump(db_path)
    refused = started("campaign", "close", "x9", "--reason", " ")
    assert refused.exit_code == 1 and dump(db_path) == before
    assert started("campaign", "close", "x9", "--reason", "误建，重复").exit_code == 0
    assert started("status").exit_code == 0  # 2026 is the only active one again
    camps = {c["name"]: c["status"] for c in json.loads(started("campaign", "list", "--json").stdout)}
    assert camps == {"2026": "active", "x9": "closed"}
    again = started("campaign", "close", "x9", "--reason", "r")
    assert again.exit_code == 1 and again.stderr.strip() == "Error: campaign 'x9' is already closed"
    group = json.loads(started("history", "领导小组", "--campaign", "x9", "--json").stdout)
    assert [(h["action"], h["reason"]) for h in group][-1] == ("campaign-close", "误建，重复")
    verify = started("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert started("remind", "send", env={"MANYI_NOW": "2026-04-02T10:00"}).exit_code == 0
    mails = json.loads(started("outbox", "--json").stdout)
    assert mails and {m["campaign"] for m in mails} == {"2026"}  # the closed one sends nothing
