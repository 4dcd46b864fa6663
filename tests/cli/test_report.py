"""The campaign report in every format, checked by reading each file back.

The HTML report is rendered by Debian's headless chromium; without chromium
the rendering test is skipped locally and fails under CI (where .ci/run
installs it), so a missing browser is never mistaken for a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli.test_scoring import NAMES, csv_rows, write_csv
from tests.conftest import Run, doc, dump


def ok(run: Run, *args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def campaign(started: Run, tmp_path: Path) -> Run:
    run = started
    ok(run, "score", "import", str(write_csv(tmp_path / "scores.csv", csv_rows())))
    ok(run, "rectify", "add", NAMES["A"], "办事指南更新不及时", "--due", "2026-02-20")
    ok(run, "rectify", "add", NAMES["A"], "=1+1 公式注入")
    ok(run, "rectify", "add", NAMES["B"], "窗口服务不规范")
    ok(run, "rectify", "done", "3", "--evidence", doc(tmp_path, "ev.txt"))
    ok(run, "rectify", "confirm", "3")
    ok(
        run,
        "inspect",
        "record",
        NAMES["C"],
        "--kind",
        "unannounced",
        "--date",
        "2026-03-01",
        "--finding",
        "窗口人员离岗",
    )
    ok(run, "file", NAMES["A"], "study-plan", doc(tmp_path, "plan.txt"))
    ok(run, "extend", NAMES["B"], "study-plan", "--to", "2026-04-10", "--reason", "领导批准延期")
    ok(run, "extend", NAMES["B"], "study-plan", "--to", "2026-04-17", "--reason", "再次延期")
    return run


class Tables(HTMLParser):
    """Collect every <table id=...> as a list of rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svgs: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or "?"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "svg":
            self.svgs.append(a.get("data-chart") or "")
        elif tag in ("script", "link", "img", "iframe"):
            raise AssertionError(f"report is not self-contained: <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rank_json(run: Run) -> list[dict]:
    return json.loads(ok(run, "rank", "--json"))


def check_tables(tables: dict[str, list[list[str]]], ranked: list[dict]) -> None:
    ranking = tables["ranking"]
    assert ranking[0][:3] == ["Rank", "Office", "Total"]
    assert [(r[0], r[1], r[2]) for r in ranking[1:]] == [
        (str(x["rank"]), x["office"], f"{x['total']:.2f}") for x in ranked
    ]
    sat = ranking[0].index("Commended")
    assert [r[1] for r in ranking[1:] if r[sat] == "yes"] == [NAMES[k] for k in "AB"]
    missing = ranking[0].index("Missing groups")
    assert ranking[5][1] == NAMES["E"] and ranking[5][missing] == "People's Congress deputies"
    rect = {r[0]: r[1:] for r in tables["rectification"][1:]}
    # items, open, done, confirmed, late
    assert rect[NAMES["A"]] == ["2", "2", "0", "0", "1"]
    assert rect[NAMES["B"]] == ["1", "0", "0", "1", "0"]
    assert tables["inspections"][1] == ["2026-03-01", NAMES["C"], "unannounced", "窗口人员离岗"]
    assert tables["filings"][1][:3] == [NAMES["A"], "Study plan", "plan.txt"]
    assert tables["filings"][1][-1] == "2026-03-01 10:00"  # filed 02:00 UTC: shown in the campaign's zone
    # each extension, with the definition's own date kept beside it
    assert tables["extensions"][1:] == [
        [
            NAMES["B"],
            "Study plan",
            "2026-03-23",
            "2026-03-23",
            "2026-04-10",
            "领导批准延期",
            "tester",
            "2026-03-01",
        ],
        [
            NAMES["B"],
            "Study plan",
            "2026-03-23",
            "2026-04-10",
            "2026-04-17",
            "再次延期",
            "tester",
            "2026-03-01",
        ],
    ]
    progress = {r[0]: r[1:] for r in tables["progress"][1:]}
    assert progress[NAMES["A"]] == ["Study & mobilization", "Implementation opinion", "", "2"]


def test_html_report_is_self_contained_with_tables_and_charts(campaign: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert ok(campaign, "report", "--format", "html", "-o", str(out)) == (
        f"Wrote the html report of campaign '2026' to {out}.\n"
    )
    page = Tables()
    page.feed(out.read_text(encoding="utf-8"))
    assert page.svgs == ["progress", "rectification", "ranking"]
    check_tables(page.tables, rank_json(campaign))
    assert "Tied at the cut" not in out.read_text("utf-8")  # C and D tie below the satisfied tier


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
def test_html_report_renders_in_headless_chromium(campaign: Run, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing under CI: .ci/run must `apt-get install -y chromium`")
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    out = tmp_path / "report.html"
    ok(campaign, "report", "--format", "html", "-o", str(out))
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [*flags, "--window-size=1200,2400", f"--screenshot={shot}", out.as_uri()],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    # The DOM as chromium parsed and laid it out holds the same tables.
    dom = subprocess.run([*flags, "--dump-dom", out.as_uri()], capture_output=True, timeout=180, check=False)
    assert dom.returncode == 0
    page = Tables()
    page.feed(dom.stdout.decode("utf-8"))
    check_tables(page.tables, rank_json(campaign))


def test_xlsx_report_holds_the_numbers_of_rank_json(campaign: Run, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "report.xlsx"
    ok(campaign, "report", "--format", "xlsx", "-o", str(out))
    wb = load_workbook(out)
    assert wb.sheetnames == [
        "Campaign phases",
        "Phase progress per section",
        "Forced advances",
        "Filings",
        "Deadline extensions",
        "Rectification by section",
        "Rectification ledger",
        "Inspections",
        "Ranking",
    ]
    rows = list(wb["Ranking"].iter_rows(values_only=True))
    head = rows[0]
    got = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    assert [(g["Office"], g["Total"], g["Rank"]) for g in got] == [
        (x["office"], x["total"], x["rank"]) for x in rank_json(campaign)
    ]
    assert all(isinstance(g["Total"], (int, float)) for g in got)  # numbers, not text
    assert got[0]["Leading group"] == 90 and got[3]["Democratic-evaluation questionnaires"] == 88.13
    # A cell that would run as a formula is stored as a string, its text unchanged.
    ledger = wb["Rectification ledger"]
    cell = next(c for c in ledger["D"] if c.value and "公式注入" in str(c.value))
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1 公式注入", "s", True)


def test_docx_report_sets_chinese_fonts(campaign: Run, tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn

    out = tmp_path / "report.docx"
    ok(campaign, "report", "--format", "docx", "-o", str(out))
    d = Document(str(out))
    normal = d.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    title = d.paragraphs[0]
    assert title.text == "People-Satisfied Unit campaign"
    assert title.style.element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    # In English the headings are numbered 1. and (1) (the Chinese report: tests/cli/test_documents.py).
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["1. Overview", "2. Progress of the work", "(1) Campaign phases"]
    ranking = d.tables[-1]
    assert [c.text for c in ranking.rows[1].cells[:3]] == ["1", NAMES["A"], "90.81"]
    assert d.sections[0].top_margin.cm == pytest.approx(3.7, abs=0.01)


def test_markdown_report_to_stdout(campaign: Run) -> None:
    text = ok(campaign, "report")
    assert text.startswith("# People-Satisfied Unit campaign — 2026\n")
    assert "## Ranking" in text
    assert f"| 1 | {NAMES['A']} | 90.81 | 90.00 | 85.00 | 93.75 | 95.00 | Satisfied | yes |  |" in text
    assert "- Commended (top 3): " in text
    assert "## Deadline extensions" in text
    assert "report generated 2026-03-01 10:00 Asia/Shanghai." in text  # the campaign's own time
    history = campaign("history", NAMES["B"], env={"COLUMNS": "200"}).stdout
    assert "Study plan: 2026-03-23 → 2026-04-10" in history
    assert "再次延期 · Study plan: 2026-04-10 → 2026-04-17" in history


def test_ledger_alone_as_xlsx_and_binary_formats_need_a_file(
    campaign: Run, db_path: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "ledger.xlsx"
    assert ok(campaign, "rectify", "list", "--format", "xlsx", "-o", str(out)) == (
        f"Wrote 3 items to {out}.\n"
    )
    wb = load_workbook(out)
    assert wb.sheetnames == ["Rectification ledger"]
    rows = list(wb.active.iter_rows(values_only=True))
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [
        (1, NAMES["A"], "published"),
        (2, NAMES["A"], "published"),
        (3, NAMES["B"], "confirmed"),
    ]
    before = dump(db_path)
    for args in (
        ["report", "--format", "xlsx"],
        ["report", "--format", "docx"],
        ["rectify", "list", "--format", "xlsx"],
    ):
        result = campaign(*args)
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: --format ") and "give -o FILE" in result.stderr
    assert dump(db_path) == before
