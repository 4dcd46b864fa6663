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
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests import office

# Slow: opens every artifact in LibreOffice and Chromium (pytest -m 'not slow' leaves it out).
pytestmark = pytest.mark.slow

NOW = "2026-12-02T10:00:00+08:00"
HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
#: Texts a spreadsheet would run as formulas, each one in the ledger and in the history.
FORMULAS = (HYPERLINK, "-2+3 接待记录不全", "+1+1 窗口", "@SUM(1+1)", "\uff1d1+1 全角等号")


MARKUP = '<b onclick="x()">加粗</b><script>alert(1)</script> | 分栏'


@dataclass
class Demo:
    folder: Path
    db: Path

    def run(self, *args: str, lang: str = "zh") -> str:
        result = CliRunner().invoke(
            cli, ["--db", str(self.db), "--lang", lang, "--as", "督查室", *args], catch_exceptions=False
        )
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
        d.run("advance", "信息科", "--force", "--reason", HYPERLINK, "--from", "mobilization")
        d.run("rectify", "add", "信息科", MARKUP)
        d.run("office", "add", LONG_NAME)
        yield d


@pytest.fixture(scope="module")
def csv_files(demo: Demo) -> dict[str, Path]:
    out = {"audit": demo.folder / "audit.csv", "ledger": demo.folder / "ledger.csv"}
    demo.run("audit", "export", "--format", "csv", "--campaign", "2026", "-o", str(out["audit"]))
    demo.run("rectify", "list", "--format", "csv", "--campaign", "2026", "-o", str(out["ledger"]))
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
    assert rows[0] == [
        "campaign",
        "seq",
        "at",
        "actor",
        "office",
        "action",
        "from",
        "to",
        "reason",
        "detail",
        "prev",
        "hash",
    ]
    assert all(r[2].endswith("+08:00") and len(r[2]) == len("2026-12-02 10:00:00+08:00") for r in rows[1:])
    assert rows[-1][2] == "2026-12-02 10:00:00+08:00"  # MANYI_NOW, in Asia/Shanghai
    assert [r[8] for r in rows if r[5] == "force-advance"][-1] == "'" + HYPERLINK
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
ISSUER = "某某市人民政府办公室"
LONG_NAME = "市口岸与海防委员会办公室驻外联络处综合科"  # 20 characters: longer than a chart label was


@pytest.fixture(scope="module")
def report_files(demo: Demo) -> dict[str, Path]:
    out = {
        "docx": demo.folder / "报告-docx.docx",
        "xlsx": demo.folder / "报告-xlsx.xlsx",
        "letterhead": demo.folder / "报告-版头.docx",
    }
    for fmt in ("docx", "xlsx"):
        demo.run("report", "--format", fmt, "--campaign", "2026", "-o", str(out[fmt]))
    # A second campaign that names its issuing body: the report gets a letterhead (版头).
    demo.run(
        "campaign",
        "start",
        "people-satisfied-unit",
        "--name",
        "版头",
        "--start",
        "2026-11-02",
        "--set",
        f"issuing-body={ISSUER}",
    )
    demo.run("report", "--campaign", "版头", "--format", "docx", "-o", str(out["letterhead"]))
    return out


@pytest.fixture(scope="module")
def report_pdfs(report_files: dict[str, Path], demo: Demo) -> dict[str, Path]:
    """Both reports printed to PDF by one soffice run."""
    pdfs = office.convert(list(report_files.values()), "pdf", demo.folder / "pdf")
    return dict(zip(report_files, pdfs, strict=True))


def test_xlsx_sheets_are_set_up_to_print_on_a4(report_files: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(report_files["xlsx"])
    assert len(wb.worksheets) == 9  # with 强制推进 (the forced advance in the fixture)
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
    # Widths by display width: 市口岸与海防委员会办公室 is 12 Han characters, 24 columns (+2);
    # the 20-character name makes its column as wide as allowed (40), and wraps.
    assert wb["报送材料"].column_dimensions["A"].width == 26
    assert ranking.column_dimensions["B"].width == 40
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


def test_xlsx_prints_one_page_per_sheet_with_chinese_fonts(
    report_pdfs: dict[str, Path], report_files: dict[str, Path]
) -> None:
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


def _rfonts(rpr: object) -> dict[str, str]:
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    return {k.split("}")[1]: v for k, v in fonts.attrib.items()}


def test_docx_follows_gbt_9704(report_files: dict[str, Path]) -> None:
    from datetime import datetime

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = Document(str(report_files["docx"]))
    sec = d.sections[0]
    assert [
        round(x.mm)
        for x in (
            sec.page_width,
            sec.page_height,
            sec.top_margin,
            sec.bottom_margin,
            sec.left_margin,
            sec.right_margin,
        )
    ] == [210, 297, 37, 35, 28, 26]
    defaults = d.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert _rfonts(defaults) == {
        "ascii": "Times New Roman",
        "hAnsi": "Times New Roman",
        "eastAsia": "仿宋_GB2312",
        "cs": "Times New Roman",
        "hint": "eastAsia",
    }
    lang = defaults.find(qn("w:lang"))
    assert (lang.get(qn("w:val")), lang.get(qn("w:eastAsia"))) == ("zh-CN", "zh-CN")
    normal = d.styles["Normal"]
    assert _rfonts(normal.element.rPr)["eastAsia"] == "仿宋_GB2312" and normal.font.size == Pt(16)
    pf = normal.paragraph_format
    assert pf.line_spacing_rule == WD_LINE_SPACING.EXACTLY and 28 <= pf.line_spacing.pt <= 29
    assert pf.first_line_indent == Pt(32) and (pf.space_before, pf.space_after) == (Pt(0), Pt(0))
    assert normal.element.pPr.ind.get(qn("w:firstLineChars")) == "200"
    for level, font in ((1, "黑体"), (2, "楷体_GB2312")):
        rpr = d.styles[f"Heading {level}"].element.rPr
        assert _rfonts(rpr)["eastAsia"] == font and "eastAsiaTheme" not in _rfonts(rpr)
        assert rpr.find(qn("w:color")) is None and rpr.find(qn("w:b")) is None  # no theme colour
    # The font table names the fallbacks for machines without the GB2312 fonts.
    table = d.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
    ).blob.decode("utf-8")
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in table
    assert '<w:font w:name="仿宋"><w:altName w:val="FangSong"/>' in table

    paras = [p for p in d.paragraphs if p.text]
    title = paras[0]
    assert title.text == "创建“人民满意单位”活动" and title.style.name == "Report Title"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER or title.style.paragraph_format.alignment == 1
    assert title.style.font.size == Pt(22)
    assert _rfonts(title.style.element.rPr)["eastAsia"] == "方正小标宋简体"
    assert title.style.font.size == Pt(22)
    headings = [(p.style.name, p.text) for p in paras if p.style.name.startswith("Heading")]
    assert headings[:3] == [
        ("Heading 1", "一、总体情况"),
        ("Heading 1", "二、工作进展"),
        ("Heading 2", "（一）活动阶段"),
    ]
    assert ("Heading 1", "四、考评排名") in headings

    # Page numbers: "— PAGE —", odd pages right, even pages left.
    assert d.settings.odd_and_even_pages_header_footer
    odd, even = sec.footer.paragraphs[0], sec.even_page_footer.paragraphs[0]
    assert odd.text == "— 1 —" and even.text == "— 1 —"
    assert (odd.alignment, even.alignment) == (WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT)
    assert "PAGE" in "".join(t.text for t in odd._p.iter(qn("w:instrText")))

    # Tables: fixed to widths that fit the type area, header rows repeated, numbers right.
    area = (sec.page_width - sec.left_margin - sec.right_margin) / 12700
    for t in d.tables:
        grid = [int(c.get(qn("w:w"))) / 20 for c in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) <= area + 1
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    phases = d.tables[0]
    assert [c.text for c in phases.rows[1].cells][1:3] == [
        "2026-10-28",
        "2026-11-27",
    ]  # the demo starts five weeks back
    assert phases.rows[1].cells[3].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert phases.rows[1].cells[1].paragraphs[0].alignment is None  # text stays left

    props = d.core_properties
    assert (props.author, props.language) == ("督查室", "zh-CN")
    assert props.created == datetime.fromisoformat(NOW)  # stored in UTC, the same instant


def test_docx_letterhead_from_the_issuing_body(report_files: dict[str, Path]) -> None:
    from docx import Document
    from docx.oxml.ns import qn

    d = Document(str(report_files["letterhead"]))
    head = d.paragraphs[0]
    assert head.text == ISSUER and str(head.runs[0].font.color.rgb) == "FF0000"
    rule = head._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000"
    assert d.core_properties.author == ISSUER
    assert d.paragraphs[1].text == "创建“人民满意单位”活动"


def test_docx_prints_in_libreoffice_with_chinese_fonts(report_pdfs: dict[str, Path]) -> None:
    pdf = report_pdfs["docx"]
    assert office.pdf_page_size(pdf) == pytest.approx((595.3, 841.9), abs=0.5)  # A4 portrait
    pages = office.pdf_pages(pdf)
    assert 2 <= pages <= 6
    text = office.pdf_text(pdf)
    assert "创建“人民满意单位”活动" in text and "一、总体情况" in text
    for n in range(1, pages + 1):
        assert re.search(rf"—\s*{n}\s*—\s*\f?$", office.pdf_text(pdf, n, n))
    # Sized to content: no date or office name is broken over two lines.
    for piece in (
        "2026-10-28",
        "2026-11-27",
        "2027-06-27",
        "2026-12-02 10:00",
        "市法制办公室",
        "报告生成于 2026-12-02 10:00 Asia/Shanghai",
    ):
        assert piece in text, piece
    assert "整改台账" in office.pdf_text(pdf, 2, pages)  # the table headers repeat past page 1
    fonts = office.pdf_fonts(pdf)
    assert fonts and all(office.cjk(f) for f in fonts), fonts
    letterhead = office.pdf_text(report_pdfs["letterhead"], 1, 1)
    assert letterhead.lstrip().startswith(ISSUER)


# -- HTML and Markdown ---------------------------------------------------------------
def test_markdown_keeps_html_in_names_as_text(demo: Demo) -> None:
    md = demo.run("report", "--format", "md", "--campaign", "2026")
    assert md.startswith("# 创建“人民满意单位”活动 — 2026\n")
    assert "<" not in md and "&lt;script&gt;alert(1)&lt;/script&gt; \\| 分栏 |" in md


def test_html_report_prints_on_a4_with_whole_labels_and_axes(demo: Demo) -> None:
    import subprocess

    out = demo.folder / "报告.html"
    demo.run("report", "--format", "html", "--campaign", "2026", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert "@page{size:A4" in page and "&lt;script&gt;" in page and "<script>" not in page
    for unit in ("已完成阶段数（共 4 个）", "整改事项数", "得分（满分 100）"):
        assert f'class="unit">{unit}</text>' in page
    browser = office.need("chromium")
    pdf = demo.folder / "html.pdf"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={demo.folder / 'chromium'}",
            f"--print-to-pdf={pdf}",
            out.as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    assert office.pdf_page_size(pdf) == pytest.approx((595, 842), abs=1)  # A4, not Letter
    text = re.sub(r"\s+", "", office.pdf_text(pdf, 1, 1))
    assert LONG_NAME in text  # the chart's label is printed whole (wrapped, not cut)
    assert "创建“人民满意单位”活动" in text
