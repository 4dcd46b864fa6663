"""Bad input: one clear line on stderr, exit 1, and the database byte-for-byte unchanged."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FORMAT1_SEED as SEED  # errors of format 1, which keeps working
from tests.conftest import OFFICES, Run, doc, dump, roster_rows, write_roster


def broken_definition(tmp_path: Path, old: str, new: str) -> str:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def line_of(path: str, needle: str) -> int:
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def assert_refused(run: Run, db_path: Path, args: list[str], message: str) -> None:
    before = dump(db_path)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err == f"Error: {message}"
    assert dump(db_path) == before


def test_malformed_yaml(started: Run, db_path: Path, tmp_path: Path) -> None:
    bad = broken_definition(tmp_path, "  - key: implementation\n", "  - key: [implementation\n")
    line = line_of(bad, "[implementation")
    before = dump(db_path)
    result = started("campaign", "start", bad, "--name", "x", "--start", "2026-01-01")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}:")
    assert "malformed YAML" in result.stderr
    assert int(result.stderr.split(":")[2]) >= line
    assert dump(db_path) == before


def test_exit_condition_on_unknown_requirement(started: Run, db_path: Path, tmp_path: Path) -> None:
    bad = broken_definition(
        tmp_path,
        "      - type: rectification-confirmed\n",
        "      - type: rectification-confirmed\n"
        "      - type: requirement-filed\n        requirement: reserch-report\n",
    )
    line = line_of(bad, "requirement: reserch-report")
    assert_refused(
        started,
        db_path,
        ["definition", "check", bad],
        f"{bad}:{line}: phase 'review': unknown requirement 'reserch-report'",
    )
    assert_refused(
        started,
        db_path,
        ["campaign", "start", bad, "--name", "x", "--start", "2026-01-01"],
        f"{bad}:{line}: phase 'review': unknown requirement 'reserch-report'",
    )


def test_bad_reminder_template_field(started: Run, db_path: Path, tmp_path: Path) -> None:
    bad = broken_definition(
        tmp_path,
        "  warning_days: 3\n",
        '  warning_days: 3\n  templates:\n    item: "{n}. {office} {deadline}"\n',
    )
    line = line_of(bad, "{deadline}")
    message = (
        f"{bad}:{line}: reminders.templates.item: unknown field {{deadline}}; fields: campaign command "
        "days_late days_left due n office reference requirement submit title when"
    )
    assert_refused(started, db_path, ["definition", "check", bad], message)
    assert_refused(
        started, db_path, ["campaign", "start", bad, "--name", "x", "--start", "2026-01-01"], message
    )


def test_duplicate_phase_key(started: Run, db_path: Path, tmp_path: Path) -> None:
    bad = broken_definition(tmp_path, "  - key: summary\n", "  - key: review\n")
    line = line_of(bad, "  - key: review\n".strip()) + 0
    lines = [i for i, ln in enumerate(Path(bad).read_text().splitlines(), 1) if ln == "  - key: review"]
    assert len(lines) == 2 and line == lines[0]
    assert_refused(
        started,
        db_path,
        ["definition", "check", bad],
        f"{bad}:{lines[1]}: phase 'review': duplicate phase key",
    )


def test_unknown_field_and_bad_filer(run: Run, tmp_path: Path) -> None:
    bad = broken_definition(tmp_path, "        exit: true\n", "        exits: true\n")
    result = run("definition", "check", bad)
    line = line_of(bad, "exits: true")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: {bad}:{line}: phase 'mobilization': requirement 'implementation-opinion': "
        "exits: unknown field"
    )


def test_unknown_requirement_when_filing(started: Run, db_path: Path, tmp_path: Path) -> None:
    path = doc(tmp_path, "r.txt")
    before = dump(db_path)
    result = started("file", "秘书科", "reserch-report", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: unknown requirement 'reserch-report'; known: work-plan (Campaign work plan), "
    )
    assert dump(db_path) == before


def test_unknown_office(started: Run, db_path: Path, tmp_path: Path) -> None:
    path = doc(tmp_path, "r.txt")
    for args in (
        ["file", "宣传科", "study-plan", path],
        ["advance", "宣传科"],
        ["history", "宣传科"],
        ["advance", "秘书科", "宣传科"],
    ):
        before = dump(db_path)
        result = started(*args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith("Error: unknown office '宣传科'; known: 市外事侨务办公室, ")
        assert dump(db_path) == before


def test_missing_or_unreadable_document(started: Run, db_path: Path, tmp_path: Path) -> None:
    missing = tmp_path / "无此文件.docx"
    assert_refused(
        started, db_path, ["file", "秘书科", "study-plan", str(missing)], f"document not found: {missing}"
    )
    assert_refused(
        started, db_path, ["file", "秘书科", "study-plan", str(tmp_path)], f"not a file: {tmp_path}"
    )
    if os.geteuid() != 0:  # root reads everything
        locked = Path(doc(tmp_path, "locked.txt"))
        locked.chmod(0)
        assert_refused(
            started, db_path, ["file", "秘书科", "study-plan", str(locked)], f"cannot read document: {locked}"
        )


def test_filing_by_the_wrong_filer(started: Run, db_path: Path, tmp_path: Path) -> None:
    path = doc(tmp_path, "r.txt")
    assert_refused(
        started,
        db_path,
        ["file", "秘书科", "work-plan", path],
        "'work-plan' is filed by Campaign leading group (use '领导小组' as the office)",
    )
    assert_refused(
        started,
        db_path,
        ["file", "领导小组", "study-plan", path],
        "'study-plan' is filed by each office, not by Campaign leading group",
    )


def test_duplicate_office_name(started: Run, db_path: Path, tmp_path: Path) -> None:
    assert_refused(started, db_path, ["office", "add", "秘书科"], "office '秘书科' already exists")
    roster = write_roster(tmp_path / "more.csv", roster_rows(["人秘科", "秘书科"]))
    assert_refused(
        started,
        db_path,
        ["office", "import", str(roster)],
        f"{roster}: office '秘书科' differs from the database (e-mail: office4@example.gov.cn → "
        "office1@example.gov.cn); add --update to apply the roster's values",
    )
    dup = write_roster(tmp_path / "dup.csv", roster_rows(["人秘科", "督查室", "人秘科"]))
    assert_refused(
        started,
        db_path,
        ["office", "import", str(dup)],
        f"{dup} row 4: office '人秘科' already appears in row 2",
    )


def test_roster_missing_column_and_empty(started: Run, db_path: Path, tmp_path: Path) -> None:
    no_head = write_roster(tmp_path / "nohead.csv", [("人秘科", "a@example.gov.cn")], header=("科室", "邮箱"))
    assert_refused(
        started,
        db_path,
        ["office", "import", str(no_head)],
        f"{no_head}: missing column 'head / 负责人 / 科室负责人' (header: 科室,邮箱)",
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_refused(started, db_path, ["office", "import", str(empty)], f"{empty}: the file is empty")
    header_only = write_roster(tmp_path / "header.csv", [])
    assert_refused(
        started,
        db_path,
        ["office", "import", str(header_only)],
        f"{header_only}: no data rows under the header",
    )


def test_bad_email_in_roster(started: Run, db_path: Path, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "bad.csv", [("人秘科", "renmi-at-gov", "周")])
    assert_refused(
        started,
        db_path,
        ["office", "import", str(roster)],
        f"{roster} row 2: e-mail: 'renmi-at-gov' is not an e-mail address "
        "(An email address must have an @-sign)",
    )


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_roster_encodings_import_correctly(run: Run, tmp_path: Path, encoding: str) -> None:
    roster = write_roster(tmp_path / f"{encoding}.csv", roster_rows(OFFICES), encoding=encoding)
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
    )
    assert result.exit_code == 0, result.output
    offices = json.loads(run("office", "list", "--json").stdout)
    assert [o["office"] for o in offices] == OFFICES
    assert offices[2]["head"] == "负责人2"


def test_english_header_and_name_alias(run: Run, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "en.csv", roster_rows(["人秘科"]), header=("name", "email", "head"))
    assert (
        run(
            "campaign",
            "start",
            "people-satisfied-unit",
            "--name",
            "a",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
        ).exit_code
        == 0
    )
    alias = write_roster(tmp_path / "alias.csv", roster_rows(["督查室"]), header=("名称", "邮箱", "负责人"))
    assert run("office", "import", str(alias), "--campaign", "a").exit_code == 0
    names = [o["office"] for o in json.loads(run("office", "list", "--json").stdout)]
    assert names == ["人秘科", "督查室"]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("2026-13-01", "2026-13-01 is a day that does not exist"),
        ("2027-02-30", "2027-02-30 is a day that does not exist"),
        ("2026/03/01", "'2026/03/01' is not a date: expected YYYY-MM-DD"),
        ("20260301", "'20260301' is not a date: expected YYYY-MM-DD"),
        ("2026-W10-1", "'2026-W10-1' is not a date: expected YYYY-MM-DD"),
        ("明天", "'明天' is not a date: expected YYYY-MM-DD"),
        ("0001-01-01", "0001-01-01 is outside the years 1970..2199"),
        ("9999-12-31", "9999-12-31 is outside the years 1970..2199"),
    ],
)
def test_bad_start_date(started: Run, db_path: Path, bad: str, problem: str) -> None:
    assert_refused(
        started,
        db_path,
        ["campaign", "start", "people-satisfied-unit", "--name", "x", "--start", bad],
        f"--start: {problem}",
    )


def test_bad_set_values(started: Run, db_path: Path) -> None:
    base = ["campaign", "start", "people-satisfied-unit", "--name", "x", "--start", "2026-01-01"]
    assert_refused(
        started,
        db_path,
        [*base, "--set", "study-sessions=many"],
        "parameter 'study-sessions': 'many' is not a whole number",
    )
    assert_refused(
        started,
        db_path,
        [*base, "--set", "nonsense=1"],
        "unknown parameter 'nonsense'; known: mobilization-length, implementation-length, "
        "review-length, summary-length, section-plan-due, research-report-due, "
        "study-sessions, satisfied-threshold, basic-threshold, leading-group-email, issuing-body, "
        "leader, deputy-leader, grassroots-research-days, vote-satisfied, vote-basic, "
        "vote-unsatisfied, "
        "satisfied-top, "
        "weight-leading-group, weight-party-delegates, weight-npc-deputies, "
        "weight-questionnaire, drop-high-low-min",
    )
    assert_refused(
        started,
        db_path,
        [*base, "--set", "satisfied-threshold=120"],
        "parameter 'satisfied-threshold': 120 is outside 0..100",
    )
    assert_refused(
        started,
        db_path,
        [*base, "--set", "study-sessions=0"],
        "parameter 'study-sessions': 0 is outside 1..∞",
    )
    assert_refused(
        started,
        db_path,
        [*base, "--set", "review-length=three"],
        "parameter 'review-length': 'three' is not a duration like P1M, P2W, P10D",
    )
    assert_refused(
        started, db_path, [*base, "--set", "study-sessions"], "--set expects KEY=VALUE, got 'study-sessions'"
    )


def test_duplicate_campaign_and_unknown_campaign(started: Run, db_path: Path) -> None:
    assert_refused(
        started,
        db_path,
        ["campaign", "start", "people-satisfied-unit", "--name", "2026", "--start", "2026-01-01"],
        "campaign '2026' already exists",
    )
    assert_refused(started, db_path, ["status", "--campaign", "2025"], "unknown campaign '2025'; known: 2026")


def test_unknown_definition_file(started: Run, db_path: Path) -> None:
    assert_refused(
        started,
        db_path,
        ["campaign", "start", "no-such-plan", "--name", "x", "--start", "2026-01-01"],
        "no definition file 'no-such-plan' (bundled: business-environment-appraisal, people-satisfied-unit)",
    )


def test_advance_usage_errors(started: Run, db_path: Path) -> None:
    assert_refused(started, db_path, ["advance"], "name at least one office, or use --all")
    assert_refused(started, db_path, ["advance", "秘书科", "--all"], "give office names or --all, not both")
    assert_refused(
        started, db_path, ["advance", "秘书科", "--reason", "x"], "--reason is only used with --force"
    )
    assert_refused(
        started,
        db_path,
        ["advance", "秘书科", "--force", "--reason", "  "],
        "--force needs --reason TEXT: say why the guard is overridden",
    )


def test_no_database_yet(run: Run, db_path: Path) -> None:
    result = run("status")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: no manyi database at {db_path}; run `manyi init` or `manyi campaign start`"
    )
    assert not db_path.exists()


def test_bad_manyi_now(started: Run) -> None:
    result = started("status", env={"MANYI_NOW": "next tuesday"})
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: MANYI_NOW: 'next tuesday' is not an ISO 8601 date or time"


def test_usage_error_is_exit_2(started: Run) -> None:
    result = started("advance", "--bogus")
    assert result.exit_code == 2


def test_a_document_store_that_cannot_be_written_is_named_not_the_document(
    started: Run, db_path: Path, tmp_path: Path
) -> None:
    """Something in the way of the store's folder: the store is named, with the reason, and the
    clerk's document is not blamed (it was read fine); nothing is stored."""
    if not isinstance(db_path, Path):
        pytest.skip("PostgreSQL keeps the documents in the database")
    from storage.db import Database

    db = Database(str(db_path))
    root = db.blobs().root
    db.dispose()
    shutil.rmtree(root, ignore_errors=True)
    root.write_text("not a folder")
    path = doc(tmp_path, "plan.txt")
    assert_refused(
        started,
        db_path,
        ["file", "秘书科", "study-plan", path],
        f"cannot store the document in {root}: that is a file, and the document store needs a folder "
        "there; move the file elsewhere and file the document again",
    )
