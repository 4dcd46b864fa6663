"""Every document manyi writes, opened the way its reader opens it.

One demo campaign (``manyi demo``, in Chinese) plus hostile texts is built
once for the module; its CSV, xlsx and docx files are converted by LibreOffice
in as few ``soffice`` runs as possible (see :mod:`tests.office`) and the results
are read back with openpyxl and poppler.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests import office

NOW = "2026-12-02T10:00:00+08:00"
HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
#: Texts a spreadsheet would run as formulas, each one in the ledger and in the history.
FORMULAS = (HYPERLINK, "-2+3 接待记录不全", "+1+1 窗口", "@SUM(1+1)", "\uff1d1+1 全角等号")


@dataclass
class Demo:
    folder: Path
    db: Path

    def run(self, *args: str, lang: str = "zh") -> str:
        result = CliRunner().invoke(cli, ["--db", str(self.db), "--lang", lang, "--as", "督查室", *args],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for var in ("MANYI_DB", "MANYI_SMTP_URL", "MANYI_MAIL_FROM", "MANYI_USER", "MANYI_LANG"):
            mp.delenv(var, raising=False)
        mp.setenv("MANYI_NOW", NOW)
        result = CliRunner().invoke(cli, ["--lang", "zh", "--as", "督查室", "demo"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        d = Demo(folder, folder / "manyi-demo.db")
        for i, text in enumerate(FORMULAS):
            d.run("rectify", "add", ("市法制办公室", "秘书科")[i % 2], "--", text)
        d.run("advance", "信息科", "--force", "--reason", HYPERLINK)
        yield d


@pytest.fixture(scope="module")
def csv_files(demo: Demo) -> dict[str, Path]:
    out = {"audit": demo.folder / "audit.csv", "ledger": demo.folder / "ledger.csv"}
    demo.run("audit", "export", "--format", "csv", "-o", str(out["audit"]))
    demo.run("rectify", "list", "--format", "csv", "-o", str(out["ledger"]))
    return out


@pytest.fixture(scope="module")
def csv_in_calc(csv_files: dict[str, Path], demo: Demo) -> dict[str, list[list[tuple[object, str]]]]:
    """Each CSV as LibreOffice Calc reads it (UTF-8, comma, default options: formulas evaluated),
    saved as xlsx and read back: rows of (value, openpyxl data type)."""
    from openpyxl import load_workbook

    files = list(csv_files.values())
    converted = office.convert(files, "xlsx", demo.folder / "calc", infilter="CSV:44,34,76")
    sheets = {}
    for key, path in zip(csv_files, converted, strict=True):
        ws = load_workbook(path).active
        sheets[key] = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    return sheets


def test_csv_for_people_has_a_bom_quotes_and_local_times(csv_files: dict[str, Path]) -> None:
    for path in csv_files.values():
        data = path.read_bytes()
        assert data.startswith(codecs.BOM_UTF8)
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(csv_files["audit"].read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["campaign", "seq", "at", "actor", "office", "action", "from", "to", "reason",
                       "detail", "prev", "hash"]
    assert all(r[2].endswith("+08:00") and len(r[2]) == len("2026-12-02 10:00:00+08:00") for r in rows[1:])
    assert rows[-1][2] == "2026-12-02 10:00:00+08:00"  # MANYI_NOW, in Asia/Shanghai
    assert rows[-1][8] == "'" + HYPERLINK
    assert "督查室" in {r[3] for r in rows[1:]}
    # Every field is quoted: a separator inside a value never starts a cell, whatever the
    # spreadsheet guesses the separator to be.
    first = csv_files["ledger"].read_bytes().decode("utf-8-sig").splitlines()[1]
    assert first.startswith('"') and first.endswith('"')


Sheets = dict[str, list[list[tuple[object, str]]]]


def test_no_csv_cell_becomes_a_formula_in_libreoffice(csv_in_calc: Sheets) -> None:
    for key, rows in csv_in_calc.items():
        assert [t for row in rows for v, t in row if t == "f"] == [], key
        texts = {v for row in rows for v, t in row if isinstance(v, str)}
        assert not any(t.startswith("\ufeff") or "ï»¿" in t for t in texts), key  # BOM read as such
        assert "督查室" in texts or key == "ledger"
    ledger = {v for row in csv_in_calc["ledger"] for v, _t in row}
    for text in FORMULAS:
        assert "'" + text in ledger  # shown as the text, with OWASP's apostrophe in front
    audit = csv_in_calc["audit"]
    assert audit[0][2][0] == "at"
    reason = [row[8][0] for row in audit[1:] if row[5][0] == "force-advance"]
    assert reason[-1] == "'" + HYPERLINK
    # Numbers stay numbers.
    assert all(isinstance(row[1][0], int) for row in audit[1:])


# -- the report as .xlsx and .docx, printed by LibreOffice ---------------------------------
@pytest.fixture(scope="module")
def report_files(demo: Demo) -> dict[str, Path]:
    out = {"docx": demo.folder / "报告-docx.docx", "xlsx": demo.folder / "报告-xlsx.xlsx"}
    for fmt, path in out.items():
        demo.run("report", "--format", fmt, "-o", str(path))
    return out


@pytest.fixture(scope="module")
def report_pdfs(report_files: dict[str, Path], demo: Demo) -> dict[str, Path]:
    """Both reports printed to PDF by one soffice run."""
    pdfs = office.convert(list(report_files.values()), "pdf", demo.folder / "pdf")
    return dict(zip(report_files, pdfs, strict=True))


def test_xlsx_sheets_are_set_up_to_print_on_a4(report_files: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(report_files["xlsx"])
    assert len(wb.worksheets) == 8
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert (ps.paperSize, ps.orientation, ps.fitToWidth, ps.fitToHeight) == (9, "landscape", 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1" and ws.freeze_panes == "A2"
        assert ws["A1"].font.bold


def test_xlsx_widths_numbers_dates_and_inert_formulas(report_files: dict[str, Path]) -> None:
    from datetime import datetime

    from openpyxl import load_workbook

    wb = load_workbook(report_files["xlsx"])
    ranking = wb["考评排名"]
    # Widths by display width: 市口岸与海防委员会办公室 is 12 Han characters, 24 columns (+2).
    assert ranking.column_dimensions["B"].width == 26
    assert wb["报送材料"].column_dimensions["D"].width == 18  # 16 hex digits of sha256
    totals = [ranking.cell(row=i, column=3) for i in range(2, 5)]
    assert all(isinstance(c.value, float) and c.number_format == "0.00" for c in totals)
    ledger = wb["整改台账"]
    head = [c.value for c in ledger[1]]
    due = ledger.cell(row=2, column=head.index("期限") + 1)
    assert isinstance(due.value, datetime) and due.number_format == "yyyy-mm-dd"
    filed = wb["报送材料"].cell(row=2, column=5)
    assert isinstance(filed.value, datetime) and filed.number_format == "yyyy-mm-dd hh:mm"
    texts = {c.value: c for row in ledger.iter_rows() for c in row if isinstance(c.value, str)}
    for text in FORMULAS:
        assert texts[text].data_type == "s"  # the text unchanged, stored as a string


def test_xlsx_prints_one_page_per_sheet_with_chinese_fonts(report_pdfs: dict[str, Path],
                                                            report_files: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    pdf = report_pdfs["xlsx"]
    sheets = load_workbook(report_files["xlsx"]).sheetnames
    assert office.pdf_pages(pdf) == len(sheets)  # the seed demo: one page per sheet
    w, h = office.pdf_page_size(pdf)
    assert (round(w), round(h)) == (842, 595)  # A4 landscape
    for page, name in enumerate(sheets, start=1):
        assert f"— {name}" in office.pdf_text(pdf, page, page)  # the page header names its sheet
    text = office.pdf_text(pdf)
    assert "市口岸与海防委员会办公室" in text and "93.41" in text
    assert HYPERLINK in text  # printed as typed: Calc did not run it (it would print 点我)
    assert all(office.cjk(f) or "DejaVu" in f or "Liberation" in f for f in office.pdf_fonts(pdf))
    assert any(office.cjk(f) for f in office.pdf_fonts(pdf))
