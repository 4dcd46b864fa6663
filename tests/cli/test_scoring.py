"""Scores, votes, imports and the ranking through the console."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import OFFICES, Run, dump
from tests.workflow.test_scoring import EXPECTED, RAW

NAMES = dict(zip("ABCDEF", OFFICES, strict=True))  # A..F of the hand-computed table


def csv_rows() -> list[list[str]]:
    rows = []
    for key, entries in RAW.items():
        for e in entries:
            if e.vote is None:
                rows.append([NAMES[key], e.group, e.scorer or "", f"{float(e.points):g}", "", ""])
            else:
                rows.append([NAMES[key], e.group, "", "", e.vote, str(e.count)])
    return rows


def write_csv(
    path: Path,
    rows: list[list[str]],
    encoding: str = "utf-8-sig",
    header: str = "office,group,scorer,score,vote,count",
) -> Path:
    path.write_bytes(("\r\n".join([header, *(",".join(r) for r in rows)]) + "\r\n").encode(encoding))
    return path


def expected_json() -> list[dict]:
    return [
        {
            "office": NAMES[o],
            "total": float(total),
            "rank": rank,
            "tier": tier,
            "satisfied": sat,
            "tie_at_cut": tie,
            "missing_groups": list(missing),
        }
        for o, total, rank, tier, sat, tie, missing in EXPECTED
    ]


def ranked(run: Run) -> list[dict]:
    result = run("rank", "--json")
    assert result.exit_code == 0, result.output
    keys = ("office", "total", "rank", "tier", "satisfied", "tie_at_cut", "missing_groups")
    return [{k: row[k] for k in keys} for row in json.loads(result.stdout)]


@pytest.fixture
def scored(started: Run, tmp_path: Path) -> Run:
    path = write_csv(tmp_path / "scores.csv", csv_rows())
    result = started("score", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Imported {len(csv_rows())} score rows into campaign '2026'.\n"
    return started


def test_rank_json_matches_the_hand_computed_table(scored: Run) -> None:
    assert ranked(scored) == expected_json()


def test_rank_table_names_the_missing_group_and_commends_only_the_satisfied_tier(scored: Run) -> None:
    result = scored("rank")
    assert result.exit_code == 0
    # C and D share third place but are basically satisfied: never commended.
    assert f"Commended (top 3): {NAMES['A']}, {NAMES['B']}\n" in result.stdout
    assert "Tied at the cut" not in result.stdout
    rows = {r["office"]: r for r in json.loads(scored("rank", "--json").stdout)}
    assert all(not r["satisfied"] for r in rows.values() if r["tier"] != "satisfied")
    assert (
        "1 sections lack a whole evaluator group; their totals count it as 0 (weights are not renormalised)."
    ) in result.stdout
    assert "People's" in result.stdout and "deputies" in result.stdout  # the missing group's title


def test_a_tie_at_the_cut_inside_the_satisfied_tier_names_everyone_tied(run: Run, tmp_path: Path) -> None:
    from tests.conftest import FORMAT1_SEED, roster_rows, write_roster

    roster = write_roster(tmp_path / "r.csv", roster_rows(OFFICES))
    assert (
        run(
            "campaign",
            "start",
            str(FORMAT1_SEED),
            "--name",
            "low",
            "--start",
            "2026-03-01",
            "--offices",
            str(roster),
            "--set",
            "satisfied-threshold=80",
        ).exit_code
        == 0
    )
    assert run("score", "import", str(write_csv(tmp_path / "s.csv", csv_rows()))).exit_code == 0
    result = run("rank")
    c, d = NAMES["C"], NAMES["D"]
    assert (f"Commended (top 3): {NAMES['A']}, {NAMES['B']}, {c}, {d}") in result.stdout
    assert (
        f"* Tied at the cut: {c}, {d} share a rank, so all of them are named Commended (4 instead of 3)."
    ) in result.stdout


def test_explain_shows_each_group(scored: Run) -> None:
    result = scored("score", "explain", NAMES["D"], "--json")
    data = json.loads(result.stdout)
    lg = data["explain"][0]
    assert (lg["group"], lg["dropped"], lg["mean"]) == ("leading-group", [99.0, 60.0], 77.5)
    assert data["explain"][3]["mean"] == 88.125
    text = scored("score", "explain", NAMES["A"]).stdout
    assert text.startswith(f"{NAMES['A']}: total 90.81, rank 1, tier Satisfied\n")
    assert "10 values, 5" in text and "left out" in text  # the table wraps the rest
    assert "total = Σ weight × mean ÷ Σ weights (1) = 90.81" in text


def test_commands_one_by_one_give_the_same_result(started: Run) -> None:
    for key, entries in RAW.items():
        for e in entries:
            if e.vote is None:
                args = [
                    "score",
                    "add",
                    NAMES[key],
                    "--group",
                    e.group,
                    "--score",
                    f"{float(e.points):g}",
                    "--scorer",
                    e.scorer,
                ]
            else:
                args = [
                    "score",
                    "vote",
                    NAMES[key],
                    "--group",
                    e.group,
                    "--vote",
                    e.vote,
                    "--count",
                    str(e.count),
                ]
            result = started(*args)
            assert result.exit_code == 0, result.output
    assert ranked(started) == expected_json()
    hist = json.loads(started("history", NAMES["A"], "--json").stdout)
    assert [h["detail"].get("score") for h in hist if h["action"] == "score"] == [
        "95",
        "90",
        "85",
        "80",
        "100",
        "90",
        "80",
    ]
    votes = [h for h in hist if h["action"] == "vote"]
    assert votes and {h["detail_titles"]["vote"] for h in votes} <= {
        "satisfied",
        "basically satisfied",
        "unsatisfied",
        "don't know",
    }
    assert {h["detail_titles"]["group"] for h in hist if h["action"] == "score"} >= {"Leading group"}
    table = started("--lang", "zh", "history", NAMES["A"], env={"COLUMNS": "200"}).stdout
    assert "leading-group" not in table and "satisfied" not in table


def test_gb18030_and_xlsx_imports(started: Run, tmp_path: Path) -> None:
    from openpyxl import Workbook

    rows = csv_rows()
    half = len(rows) // 2
    gbk = write_csv(
        tmp_path / "评分.csv", rows[:half], encoding="gb18030", header="科室,评价主体,评分人,分数,评价,票数"
    )
    assert started("score", "import", str(gbk)).exit_code == 0
    wb = Workbook()
    ws = wb.active
    ws.append(["office", "group", "scorer", "score", "vote", "count"])
    for r in rows[half:]:
        ws.append(
            [
                r[0],
                r[1],
                r[2] or None,
                float(r[3]) if r[3] else None,
                r[4] or None,
                int(r[5]) if r[5] else None,
            ]
        )
    wb.save(tmp_path / "scores.xlsx")
    result = started("score", "import", str(tmp_path / "scores.xlsx"))
    assert result.exit_code == 0, result.output
    assert ranked(started) == expected_json()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("市法制办公室,leading-group,王,101,,", "score 101 is outside 0–100"),
        ("市法制办公室,leading-group,王,-1,,", "score -1 is outside 0–100"),
        ("市法制办公室,leading-group,王,九十,,", "'九十' is not a number"),
        (
            "市法制办公室,mayor,王,90,,",
            "unknown group 'mayor'; known: leading-group (Leading group), "
            "party-delegates (Party congress delegates), npc-deputies (People's Congress deputies), "
            "questionnaire (Democratic-evaluation questionnaires)",
        ),
        ("无此科,leading-group,王,90,,", "unknown office '无此科'"),
        (
            "市法制办公室,leading-group,张,90,,",
            "duplicate score 市法制办公室 / Leading group / 张 (also in {path} row 2)",
        ),
        ("市法制办公室,questionnaire,,90,,", "group 'questionnaire' takes votes, not scores"),
        ("市法制办公室,leading-group,,,satisfied,", "group 'leading-group' takes scores, not votes"),
        (
            "市法制办公室,npc-deputies,,,maybe,",
            "unknown vote 'maybe'; use one of satisfied, basic, unsatisfied, unknown",
        ),
        ("市法制办公室,npc-deputies,,90,satisfied,", "give either a score or a vote"),
        ("市法制办公室,npc-deputies,,,satisfied,0", "count must be a whole number of at least 1, got '0'"),
    ],
)
def test_score_import_with_a_bad_row_stores_nothing(
    started: Run, db_path: Path, tmp_path: Path, row: str, problem: str
) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["市法制办公室", "leading-group", "张", "90", "", ""],
            ["秘书科", "questionnaire", "", "", "basic", "3"],
            row.split(","),
        ],
    )
    before = dump(db_path)
    result = started("score", "import", str(path))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {path} row 4: {problem.format(path=path)}"
    assert dump(db_path) == before


def test_duplicate_against_stored_scores_is_refused(started: Run, db_path: Path, tmp_path: Path) -> None:
    assert (
        started(
            "score", "add", "秘书科", "--group", "leading-group", "--score", "90", "--scorer", "张"
        ).exit_code
        == 0
    )
    before = dump(db_path)
    result = started("score", "add", "秘书科", "--group", "leading-group", "--score", "80", "--scorer", "张")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: score '秘书科 / Leading group / 张' already exists\n",
    )
    path = write_csv(tmp_path / "dup.csv", [["秘书科", "leading-group", "张", "70", "", ""]])
    result = started("score", "import", str(path))
    assert result.stderr == (
        f"Error: {path} row 2: duplicate score 秘书科 / Leading group / 张 (already stored)\n"
    )
    assert dump(db_path) == before
