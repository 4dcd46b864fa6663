"""The rectification ledger and inspections, through the console, on the seed campaign."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.backends import stored_document
from tests.conftest import Run, doc, dump

OFFICE = "市法制办公室"


def ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def status_row(run: Run, office: str) -> dict:
    rows = json.loads(ok(run, "status", "--json"))
    return next(r for r in rows if r["office"] == office)


def to_review(run: Run, tmp_path: Path, office: str) -> None:
    for req in ("implementation-opinion", "study-plan"):
        ok(run, "file", office, req, doc(tmp_path, f"{req}.txt", req))
    ok(run, "advance", office)
    ok(run, "file", office, "research-report", doc(tmp_path, "research.txt", "调研"))
    ok(run, "advance", office)
    assert status_row(run, office)["state"] == "review"


def assert_refused(run: Run, db_path: Path, args: list[str], message: str) -> None:
    before = dump(db_path)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"Error: {message}"
    assert dump(db_path) == before


def test_review_waits_for_every_item_confirmed(started: Run, db_path: Path, tmp_path: Path) -> None:
    run = started
    # An item published while the section is still mobilizing (边评边改) already counts.
    assert (
        ok(run, "rectify", "add", OFFICE, "窗口服务不规范", "--source", "self", "--due", "2026-12-31")
        == "Published item #1 for 市法制办公室 (due 2026-12-31).\n"
    )
    assert status_row(run, OFFICE)["open_items"] == 1
    to_review(run, tmp_path, OFFICE)
    ok(run, "rectify", "add", OFFICE, "办事流程公开不到位")
    ok(run, "file", OFFICE, "rectification-report", doc(tmp_path, "rect.txt", "整改报告"))
    row = status_row(run, OFFICE)
    assert (row["blockers"], row["open_items"]) == (["rectification-items"], 2)

    result = run("advance", OFFICE)
    assert result.exit_code == 3
    assert (
        f"{OFFICE}: blocked in Review & rectification, missing rectification-items "
        "(all rectification items confirmed, 2 open)"
    ) in result.stdout

    # Reported done is not enough: the supervision office must confirm.
    evidence = tmp_path / "整改佐证.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence")
    sha = hashlib.sha256(evidence.read_bytes()).hexdigest()
    out = ok(run, "rectify", "done", "1", "--evidence", str(evidence), "--note", "已整改")
    assert out == f"Item #1 of {OFFICE} reported done: 整改佐证.pdf (sha256 {sha[:12]}).\n"
    ok(run, "rectify", "done", "2", "--evidence", str(evidence))
    assert status_row(run, OFFICE)["open_items"] == 2
    assert run("advance", OFFICE).exit_code == 3

    assert ok(run, "rectify", "confirm", "1") == f"Item #1 of {OFFICE} confirmed.\n"
    assert ok(run, "rectify", "return", "2", "--reason", "缺少公示照片") == (
        f"Item #2 of {OFFICE} returned: 缺少公示照片\n"
    )
    # A returned item is open again and re-blocks the section.
    row = status_row(run, OFFICE)
    assert (row["blockers"], row["open_items"]) == (["rectification-items"], 1)
    result = run("advance", OFFICE)
    assert result.exit_code == 3 and "1 open" in result.stdout
    items = json.loads(ok(run, "rectify", "list", OFFICE, "--open", "--json"))
    assert [(i["id"], i["status"], i["return_reason"]) for i in items] == [(2, "returned", "缺少公示照片")]

    ok(run, "rectify", "done", "2", "--evidence", doc(tmp_path, "photo.txt", "照片"))
    ok(run, "rectify", "confirm", "2")
    assert status_row(run, OFFICE)["blockers"] == []
    assert (
        ok(run, "advance", OFFICE)
        == f"{OFFICE}: Review & rectification → Summary & improvement\n1 advanced, 0 blocked.\n"
    )

    # The history keeps every step; the evidence is bound into the chain by its sha256.
    hist = json.loads(ok(run, "history", OFFICE, "--json"))
    actions = [h["action"] for h in hist if h["action"].startswith("rectify")]
    assert actions == [
        "rectify-add",
        "rectify-add",
        "rectify-done",
        "rectify-done",
        "rectify-confirm",
        "rectify-return",
        "rectify-done",
        "rectify-confirm",
    ]
    done = next(h for h in hist if h["action"] == "rectify-done")
    assert done["detail"]["sha256"] == sha and done["detail"]["filename"] == "整改佐证.pdf"
    assert next(h for h in hist if h["action"] == "rectify-return")["reason"] == "缺少公示照片"
    assert stored_document(db_path, sha) == evidence.read_bytes()


def test_other_sections_are_not_blocked_by_someone_elses_items(started: Run, tmp_path: Path) -> None:
    ok(started, "rectify", "add", "秘书科", "文件归档不及时")
    to_review(started, tmp_path, OFFICE)
    ok(started, "file", OFFICE, "rectification-report", doc(tmp_path, "r.txt"))
    assert started("advance", OFFICE).exit_code == 0
    assert status_row(started, "秘书科")["open_items"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rectify", "confirm", "1"], "item #1 is published; only done items can be confirmed"),
        (
            ["rectify", "return", "1", "--reason", "x"],
            "item #1 is published; only done items can be returned",
        ),
        (["rectify", "done", "9", "--evidence", "x"], "unknown rectification item '9'"),
        (
            ["rectify", "done", "1", "--evidence", "/nonexistent/evidence.pdf"],
            "document not found: /nonexistent/evidence.pdf",
        ),
        (
            ["rectify", "add", "无此科", "x"],
            "unknown office '无此科'; known: 市外事侨务办公室, "
            "市支前双拥工作办公室, 市口岸与海防委员会办公室, 市法制办公室, 秘书科, 信息科",
        ),
        (["rectify", "add", OFFICE, "  "], "the item text is empty"),
        (
            ["rectify", "add", OFFICE, "x", "--due", "2026-13-01"],
            "--due: 2026-13-01 is a day that does not exist",
        ),
        (
            ["inspect", "record", OFFICE, "--kind", "announced", "--date", "tomorrow", "--finding", "x"],
            "--date: 'tomorrow' is not a date: expected YYYY-MM-DD",
        ),
    ],
)
def test_bad_ledger_input_changes_nothing(started: Run, db_path: Path, args: list[str], message: str) -> None:
    ok(started, "rectify", "add", OFFICE, "整改事项")
    assert_refused(started, db_path, args, message)


def test_confirmed_item_cannot_be_reported_again(started: Run, db_path: Path, tmp_path: Path) -> None:
    ok(started, "rectify", "add", OFFICE, "整改事项")
    ok(started, "rectify", "done", "1", "--evidence", doc(tmp_path, "e.txt"))
    ok(started, "rectify", "confirm", "1")
    assert_refused(
        started,
        db_path,
        ["rectify", "done", "1", "--evidence", doc(tmp_path, "e.txt")],
        "item #1 is confirmed; only published / returned items can be reported done",
    )


def write_items(
    path: Path, rows: list[str], encoding: str = "utf-8", header: str = "科室,整改内容,来源,期限"
) -> Path:
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return path


def test_import_gbk_ledger(started: Run, tmp_path: Path) -> None:
    path = write_items(
        tmp_path / "台账.csv",
        [
            f"{OFFICE},办事指南更新不及时,评议意见,2026-06-30",
            "秘书科,会议纪要归档不规范,自查,",
            "信息科,网站栏目长期未更新,明查暗访,2026/07/15",
        ],
        encoding="gbk",
    )
    assert ok(started, "rectify", "import", str(path)) == (
        "Imported 3 rectification items into campaign '2026'.\n"
    )
    items = json.loads(ok(started, "rectify", "list", "--json"))
    assert [(i["office"], i["text"], i["source"], i["due"], i["status"]) for i in items] == [
        (OFFICE, "办事指南更新不及时", "review", "2026-06-30", "published"),
        ("秘书科", "会议纪要归档不规范", "self", None, "published"),
        ("信息科", "网站栏目长期未更新", "inspection", "2026-07-15", "published"),
    ]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("无此科,内容,review,", "unknown office '无此科'"),
        (f"{OFFICE},,review,", "the item text is empty"),
        (
            f"{OFFICE},内容,hearsay,",
            "unknown source 'hearsay'; use one of review, evaluation, inspection, self",
        ),
        (f"{OFFICE},内容,review,下周", "due: '下周' is not a date: expected YYYY-MM-DD"),
    ],
)
def test_import_with_a_bad_row_stores_nothing(
    started: Run, db_path: Path, tmp_path: Path, row: str, problem: str
) -> None:
    path = write_items(tmp_path / "items.csv", [f"{OFFICE},第一项,review,", "秘书科,第二项,self,", row])
    assert_refused(started, db_path, ["rectify", "import", str(path)], f"{path} row 4: {problem}")


def test_inspection_with_rectify_makes_items_and_shows_in_history(started: Run) -> None:
    out = ok(
        started,
        "inspect",
        "record",
        "信息科",
        "--kind",
        "unannounced",
        "--date",
        "2026-03-05",
        "--finding",
        "窗口人员离岗",
        "--finding",
        "未佩戴工作牌",
        "--rectify",
        "--due",
        "2026-04-01",
    )
    assert out == (
        "Recorded unannounced inspection of 信息科 on 2026-03-05: 2 findings.\nPublished items #1, #2.\n"
    )
    ok(
        started,
        "inspect",
        "record",
        "秘书科",
        "--kind",
        "announced",
        "--date",
        "2026-03-06",
        "--finding",
        "学习记录完整",
    )
    items = json.loads(ok(started, "rectify", "list", "--json"))
    assert [(i["office"], i["source"], i["text"], i["due"]) for i in items] == [
        ("信息科", "inspection", "窗口人员离岗", "2026-04-01"),
        ("信息科", "inspection", "未佩戴工作牌", "2026-04-01"),
    ]
    hist = json.loads(ok(started, "history", "信息科", "--json"))
    assert [(h["action"], h["detail"].get("text")) for h in hist[1:]] == [
        ("inspect", "窗口人员离岗"),
        ("rectify-add", "窗口人员离岗"),
        ("inspect", "未佩戴工作牌"),
        ("rectify-add", "未佩戴工作牌"),
    ]
    assert hist[1]["detail"]["kind"] == "unannounced" and hist[1]["detail"]["date"] == "2026-03-05"
    table = ok(started, "history", "秘书科")
    assert "inspect" in table and "学习记录完整" in table


def test_list_marks_late_items_and_exports_csv_escaped(started: Run, tmp_path: Path) -> None:
    # The CLI clock is 2026-03-01: an item due in February is late.
    ok(started, "rectify", "add", OFFICE, '=HYPERLINK("http://x")', "--due", "2026-02-15")
    ok(started, "rectify", "add", "--due", "2026-03-15", "--", OFFICE, "-1 整改")
    items = json.loads(ok(started, "rectify", "list", "--json"))
    assert [i["late"] for i in items] == [True, False]
    out = tmp_path / "ledger.csv"
    assert ok(started, "rectify", "list", "--format", "csv", "-o", str(out)) == f"Wrote 2 items to {out}.\n"
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith(
        '"1","市法制办公室","review","\'=HYPERLINK(""http://x"")","2026-02-15","published","yes"'
    )
    assert lines[2].startswith('"2","市法制办公室","review","\'-1 整改","2026-03-15","published","",')
