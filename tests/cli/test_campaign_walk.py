"""The seed campaign walked end to end through the console, as a supervision office would."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ATTACHED, OFFICES, Run, doc


def status_of(run: Run, day: str | None = None) -> dict[str, dict]:
    result = run("status", "--json", env=on(day) if day else None)
    assert result.exit_code == 0, result.output
    return {row["office"]: row for row in json.loads(result.stdout)}


def file_ok(run: Run, tmp_path: Path, office: str, req: str) -> None:
    result = run("file", office, req, doc(tmp_path, f"{office}-{req}.txt", f"{office} {req}"))
    assert result.exit_code == 0, result.output


MOB_END, IMPL_END, REVIEW_END, SUMMARY_END = "2026-03-31", "2026-10-31", "2027-01-31", "2027-03-31"
LEADING = {
    "mobilization": ("work-plan", "working-group", "mobilization-meeting"),
    "implementation": ("evaluation-meeting", "questionnaire"),
    "review": ("report-to-review-group", "rectification-notice", "evaluation-forms"),
    "summary": ("report-to-standing-committee",),
}
OWN = ("implementation-opinion", "study-plan", "research-report", "rectification-report", "summary-report")


def on(day: str) -> dict[str, str]:
    return {"MANYI_NOW": f"{day}T10:00:00+08:00"}


def group_files(run: Run, tmp_path: Path, phase: str, day: str = "2026-03-01") -> None:
    for req in LEADING[phase]:
        result = run("file", "领导小组", req, doc(tmp_path, f"lg-{req}.txt", req), env=on(day))
        assert result.exit_code == 0, result.output


def score_everyone(run: Run, offices: list[str], day: str) -> None:
    for i, office in enumerate(offices):
        for group, score in (("leading-group", 95 - i), ("party-delegates", 90)):
            assert (
                run(
                    "score",
                    "add",
                    office,
                    "--group",
                    group,
                    "--score",
                    str(score),
                    "--scorer",
                    "评委甲",
                    env=on(day),
                ).exit_code
                == 0
            )
        for group in ("npc-deputies", "questionnaire"):
            assert (
                run("score", "vote", office, "--group", group, "--vote", "satisfied", env=on(day)).exit_code
                == 0
            )


def test_a_section_with_everything_filed_on_day_one_cannot_complete_that_day(
    seed_started: Run, tmp_path: Path
) -> None:
    """Done when (issue 13): the seed's process, not only its pipeline, holds on the first day."""
    run = seed_started
    for req in OWN:
        file_ok(run, tmp_path, "市法制办公室", req)
    result = run("advance", "市法制办公室")
    assert result.exit_code == 3
    assert (
        "市法制办公室: blocked in Study & mobilization, missing work-plan (Campaign work plan, "
        "Campaign leading group files it)"
    ) in result.stdout
    assert "not-before (not before the phase window's last day, 2026-03-31)" in result.stdout
    for phase in LEADING:
        group_files(run, tmp_path, phase)
    # Everything is filed by everyone, yet the phase window holds: four tries, no move.
    for _ in range(4):
        result = run("advance", "市法制办公室")
        assert result.exit_code == 3 and "last day, 2026-03-31" in result.stdout
    assert status_of(run)["市法制办公室"]["state"] == "mobilization"
    assert status_of(run)["市法制办公室"]["blockers"] == ["not-before"]
    # Only a forced advance, with its reason, moves it; one phase at a time.
    result = run(
        "advance",
        "市法制办公室",
        "--force",
        "--reason",
        "经领导小组同意提前进入下一阶段",
        "--from",
        "mobilization",
    )
    assert result.exit_code == 0 and "forced; overrode not-before" in result.stdout
    result = run("advance", "市法制办公室")
    assert result.exit_code == 3 and "last day, 2026-10-31" in result.stdout
    assert status_of(run)["市法制办公室"]["state"] == "implementation"


def test_seed_campaign_end_to_end(seed_started: Run, tmp_path: Path) -> None:
    run = seed_started
    # Everyone starts in mobilization, blocked by the leading group's three steps, the two
    # section filings and the phase's month.
    st = status_of(run)
    assert set(st) == set(OFFICES)
    for row in st.values():
        assert row["state"] == "mobilization"
        assert row["blockers"] == [
            "work-plan",
            "working-group",
            "mobilization-meeting",
            "implementation-opinion",
            "study-plan",
            "not-before",
        ]
        assert row["next_due"] == "2026-03-23"  # Saturday 03-21 moves to Monday

    result = run("advance", "--all")
    assert result.exit_code == 3
    assert result.stdout.strip().endswith("0 advanced, 6 blocked.")

    # The leading group deploys; the four attached offices file both of their documents.
    group_files(run, tmp_path, "mobilization")
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "implementation-opinion")
    assert status_of(run)["市法制办公室"]["blockers"] == ["study-plan", "not-before"]
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "study-plan")

    # At the end of the phase's month the four move on; the internal sections stay.
    result = run("advance", "--all", env=on(MOB_END))
    assert result.exit_code == 3 and result.stdout.strip().endswith("4 advanced, 2 blocked.")
    st = status_of(run)
    for office in ATTACHED:
        assert st[office]["state"] == "implementation"
    assert st["秘书科"]["state"] == "mobilization"

    # A leader forces 秘书科 on, with a reason; without one it is refused.
    result = run("advance", "秘书科", "--force", env=on(MOB_END))
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: --force needs --reason TEXT: say why the guard is overridden"
    result = run(
        "advance",
        "秘书科",
        "--force",
        "--reason",
        "经领导小组同意后补",
        "--from",
        "mobilization",
        actor="王组长",
        env=on(MOB_END),
    )
    assert result.exit_code == 0
    assert "forced; overrode implementation-opinion, study-plan" in result.stdout
    hist = json.loads(run("history", "秘书科", "--json").stdout)
    assert [(h["action"], h["from"], h["to"]) for h in hist] == [
        ("office-add", None, "mobilization"),
        ("force-advance", "mobilization", "implementation"),
    ]
    assert hist[1]["actor"] == "王组长" and hist[1]["reason"] == "经领导小组同意后补"
    assert hist[1]["detail"] == {"overridden": ["implementation-opinion", "study-plan"]}

    # Implementation: research reports, and the democratic evaluation before review.
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "research-report")
    result = run("advance", *ATTACHED, env=on(IMPL_END))
    assert result.exit_code == 3
    assert "missing evaluation-meeting" in result.stdout and "questionnaire" in result.stdout
    group_files(run, tmp_path, "implementation", IMPL_END)
    assert run("advance", *ATTACHED, env=on(IMPL_END)).exit_code == 0

    # Review: a People's Congress opinion becomes an item that blocks 市外事侨务办公室;
    # nobody leaves before the items are published and every evaluator group has results.
    first = ATTACHED[0]
    assert (
        run(
            "rectify", "add", first, "窗口办事指南未及时更新", "--source", "review", env=on(IMPL_END)
        ).exit_code
        == 0
    )
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "rectification-report")
    result = run("advance", *ATTACHED, env=on(REVIEW_END))
    assert result.exit_code == 3
    assert "rectification-notice (Rectification items published" in result.stdout
    assert "all-scored (every evaluator group has given its results" in result.stdout
    group_files(run, tmp_path, "review", REVIEW_END)
    score_everyone(run, ATTACHED, REVIEW_END)
    assert status_of(run, REVIEW_END)[first]["blockers"] == ["rectification-items"]
    item = json.loads(run("rectify", "list", first, "--json").stdout)[0]["id"]
    assert run("rectify", "done", str(item), "--evidence", doc(tmp_path, "guide.txt")).exit_code == 0
    assert status_of(run, REVIEW_END)[first]["blockers"] == ["rectification-items"]  # not confirmed
    assert run("rectify", "confirm", str(item)).exit_code == 0
    assert run("advance", *ATTACHED, env=on(REVIEW_END)).exit_code == 0

    # Summary: 边评边改 — an item opened now still blocks completion.
    for office in ATTACHED:
        file_ok(run, tmp_path, office, "summary-report")
    group_files(run, tmp_path, "summary", SUMMARY_END)
    assert (
        run(
            "rectify", "add", ATTACHED[1], "总结阶段发现的问题", "--source", "inspection", env=on(SUMMARY_END)
        ).exit_code
        == 0
    )
    result = run("advance", *ATTACHED, "--json", env=on(SUMMARY_END))
    assert result.exit_code == 3
    moved = {o["office"]: (o["to"], o["blockers"]) for o in json.loads(result.stdout)}
    assert moved[ATTACHED[1]] == (None, ["rectification-items"])
    assert {moved[o][0] for o in ATTACHED if o != ATTACHED[1]} == {"completed"}
    st = status_of(run)
    assert st["市法制办公室"]["state"] == "completed"
    assert st["市法制办公室"]["blockers"] == [] and st["市法制办公室"]["next_due"] is None

    # The full history of 市法制办公室: every transition, actor and filing.
    hist = json.loads(run("history", "市法制办公室", "--json").stdout)
    moves = [(h["from"], h["to"]) for h in hist if h["action"] == "advance"]
    assert moves == [
        ("mobilization", "implementation"),
        ("implementation", "review"),
        ("review", "summary"),
        ("summary", "completed"),
    ]
    files = [h["detail"]["requirement"] for h in hist if h["action"] == "file"]
    assert files == list(OWN)
    group = json.loads(run("history", "领导小组", "--json").stdout)
    assert [h["action"] for h in group] == ["campaign-start"] + ["file"] * 9
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_dry_run_changes_nothing(seed_started: Run, tmp_path: Path, db_path: Path) -> None:
    started = seed_started
    from tests.conftest import dump

    file_ok(started, tmp_path, "信息科", "implementation-opinion")
    file_ok(started, tmp_path, "信息科", "study-plan")
    group_files(started, tmp_path, "mobilization")
    before = dump(db_path)
    result = started("advance", "--all", "--dry-run", env=on(MOB_END))
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
    result = run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "短期",
        "--start",
        "2026-01-01",
        "--set",
        "mobilization-length=P2W",
        "--set",
        "study-sessions=6",
    )
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
    for key in (
        "implementation-opinion",
        "study-plan",
        "research-report",
        "rectification-report",
        "summary-report",
    ):
        assert key[:9] in result.stdout


def test_close_a_campaign_started_by_mistake(started: Run, db_path: Path) -> None:
    from tests.conftest import dump

    assert (
        started(
            "campaign", "start", "people-satisfied-unit", "--name", "x9", "--start", "2026-03-01"
        ).exit_code
        == 0
    )
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
