"""The campaign report as a .docx laid out the way a government office hands documents on.

GB/T 9704-2012 (党政机关公文格式) as far as a report allows:

- A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
- Title in 2号 (22 pt) 方正小标宋简体, centred, Chinese quotation marks “”.
- Body in 3号 (16 pt) 仿宋_GB2312, first line indented two characters, fixed line
  spacing of 28.95 pt (22 lines on the page), nothing added before or after.
- Headings by level, no theme colours: 一、 in 黑体, （一） in 楷体_GB2312.
- Page numbers "— 1 —" in 4号 宋体 at the foot, odd pages right, even pages left.
- Tables sized to their content, numbers right-aligned, the header row repeated
  on every page, rows never split.
- Language zh-CN; the author is the issuing body or the acting user, created now.
- With a campaign parameter ``issuing-body``, a 版头: the body's name in red
  小标宋 above a red rule.

Word takes the East Asian font of a run from its theme unless the theme
attributes (``w:eastAsiaTheme`` and friends) are removed, so every font setting
here writes explicit ``w:ascii``/``w:hAnsi``/``w:eastAsia``/``w:cs`` names and
drops the theme ones. The font table names fallbacks (``w:altName``: 仿宋_GB2312
→ 仿宋 → FangSong) for machines without the GB2312 fonts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cli.cells import cell_text, display_width
from cli.docxstyle import TABLE_PT, add_styles, font_table, letterhead, oxml_element, page_number
from workflow.i18n import _, chinese_quotes, language
from workflow.usecases.report_model import Cell, Report, ReportTable

CN_DIGITS = "〇一二三四五六七八九"

#: How the report's tables are grouped under first-level headings.
GROUPS = (
    ("progress", ("phases", "progress", "filings", "extensions")),
    ("rectification", ("rectification", "ledger", "inspections")),
    ("ranking", ("ranking",)),
)


def group_title(key: str) -> str:
    return {
        "overview": _("Overview"),
        "progress": _("Progress of the work"),
        "rectification": _("Rectification"),
        "ranking": _("Evaluation and ranking"),
        "other": _("Other"),
    }[key]


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (headings never reach a hundred)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_DIGITS[ones]
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


def heading_number(level: int, n: int) -> str:
    if language() == "zh":
        return f"{chinese_number(n)}、" if level == 1 else f"（{chinese_number(n)}）"
    return f"{n}. " if level == 1 else f"({n}) "


# -- tables ----------------------------------------------------------------------
def _numeric(value: Cell) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: Width of a narrow (Latin, digit) character in ems: generous, since the Latin font a reader's
#: machine substitutes for Times New Roman may be wider (DejaVu Serif digits are 0.64 em).
NARROW_EM = 0.62


def text_pt(text: str, char_pt: float) -> float:
    """Points ``text`` takes in one line: a wide (Han) character one em, others :data:`NARROW_EM`."""
    wide = display_width(text) - len(text)  # each wide character counts 2 in display_width
    return (wide + (len(text) - wide) * NARROW_EM) * char_pt


def _unbreakable_pt(text: str, char_pt: float) -> float:
    """The longest piece that must not break (a date, a number, a Latin word up to 16 letters);
    at least one Han character."""
    runs = re.findall(r"[\x21-\x7e]+", text)
    longest = max([text_pt(r, char_pt) for r in runs] + [char_pt if text else 0.0])
    return min(longest, 16 * NARROW_EM * char_pt)  # a longer one (a URL) breaks anywhere


@dataclass(frozen=True)
class TableLayout:
    widths: list[float]  # points, one per column
    char_pt: float  # font size of the table's text
    padding_pt: float  # left + right cell margin


def _fit(
    columns: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    available: float,
    char_pt: float,
    padding_pt: float,
) -> tuple[list[float], bool]:
    full, body, minimum = [], [], []
    for j, name in enumerate(columns):
        texts = [cell_text(r[j]) for r in rows]
        widest = max([text_pt(t, char_pt) for t in texts] + [0.0])
        head = text_pt(name, char_pt)
        full.append(max(widest, head) + padding_pt)
        body.append(max(widest, min(head, 4 * char_pt)) + padding_pt)  # a header may wrap
        keep = min(body[-1] - padding_pt, 5 * char_pt)  # short columns keep their width
        minimum.append(max([keep, *(_unbreakable_pt(t, char_pt) for t in texts)]) + padding_pt)
    if sum(full) <= available:
        return full, True
    for low, high in ((body, full), (minimum, body)):
        if sum(low) <= available:
            spare, want = available - sum(low), [h - lo for h, lo in zip(high, low, strict=True)]
            total = sum(want) or 1.0
            return [lo + spare * w / total for lo, w in zip(low, want, strict=True)], True
    return minimum, False


def column_widths(columns: Sequence[str], rows: Sequence[Sequence[Cell]], available: float) -> TableLayout:
    """Column widths that fit ``available`` points: each column as wide as its widest cell when
    that fits; else headers wrap; else long texts wrap, while short columns (numbers, dates, up to
    five characters) and unbreakable pieces keep their width, so a date never breaks. A table too
    wide even so is set in 小五 (9 pt) with narrower cell margins."""
    for char_pt, padding_pt in ((TABLE_PT, 12.0), (9.0, 12.0), (9.0, 6.0)):
        widths, fits = _fit(columns, rows, available, char_pt, padding_pt)
        if fits:
            break
    return TableLayout(widths, char_pt, padding_pt)


def _table(doc: Any, t: ReportTable, available_pt: float) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    layout = column_widths(t.columns, t.rows, available_pt)
    widths = layout.widths
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tblpr = table._tbl.tblPr
    tblpr.append(oxml_element("w:tblLayout", type="fixed"))
    if layout.padding_pt < 12:
        margins = oxml_element("w:tblCellMar")
        for side in ("left", "right"):
            margins.append(oxml_element(f"w:{side}", w=str(round(layout.padding_pt * 10)), type="dxa"))
        tblpr.append(margins)
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(round(w * 20)))
    header = table.rows[0]
    trpr = header._tr.get_or_add_trPr()
    trpr.append(oxml_element("w:tblHeader"))  # repeated at the top of every page
    trpr.append(oxml_element("w:cantSplit"))
    for cell, name, w in zip(header.cells, t.columns, widths, strict=True):
        cell.width = Pt(w)
        cell.paragraphs[0].style = "Table Heading"
        _sized(cell.paragraphs[0].add_run(name), layout.char_pt)
    for row in t.rows:
        r = table.add_row()
        r._tr.get_or_add_trPr().append(oxml_element("w:cantSplit"))
        for cell, value, w in zip(r.cells, row, widths, strict=True):
            cell.width = Pt(w)
            p = cell.paragraphs[0]
            p.style = "Table Text"
            if _numeric(value):
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _sized(p.add_run(cell_text(value)), layout.char_pt)


def _sized(run: Any, char_pt: float) -> None:
    from docx.shared import Pt

    if char_pt != TABLE_PT:
        run.font.size = Pt(char_pt)


# -- the document ------------------------------------------------------------------
def docx_bytes(rep: Report, *, author: str, created: datetime, issuing_body: str | None = None) -> bytes:
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    font_table(doc)
    add_styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
    sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
    sec.footer_distance = Cm(2.5)  # the number sits about 7 mm under the type area
    doc.settings.odd_and_even_pages_header_footer = True
    page_number(sec.footer, odd=True)
    page_number(sec.even_page_footer, odd=False)
    available = (sec.page_width - sec.left_margin - sec.right_margin) / 12700  # EMU → pt

    if issuing_body:
        letterhead(doc, issuing_body)
    doc.add_paragraph(chinese_quotes(rep.title), style="Report Title")
    meta = _("Campaign {name}: {start} to {end}; report generated {at}.").format(
        name=rep.campaign, start=rep.start, end=rep.end, at=rep.generated
    )
    for part in re.split(r"(?<=[;；])\s*", meta):  # one line each: a date never breaks
        doc.add_paragraph(part, style="Report Meta")

    n = 1
    doc.add_paragraph(heading_number(1, n) + group_title("overview"), style="Heading 1")
    for line in rep.summary:
        doc.add_paragraph(line)
    by_key = {t.key: t for t in rep.tables}
    placed = {k for _g, keys in GROUPS for k in keys}
    groups = [(g, [by_key[k] for k in keys if k in by_key]) for g, keys in GROUPS]
    groups.append(("other", [t for t in rep.tables if t.key not in placed]))
    for group, tables in groups:
        if not tables:
            continue
        n += 1
        if len(tables) == 1:
            doc.add_paragraph(heading_number(1, n) + tables[0].title, style="Heading 1")
            _table_or_none(doc, tables[0], available)
            continue
        doc.add_paragraph(heading_number(1, n) + group_title(group), style="Heading 1")
        for i, t in enumerate(tables, start=1):
            doc.add_paragraph(heading_number(2, i) + t.title, style="Heading 2")
            _table_or_none(doc, t, available)

    props = doc.core_properties
    props.author = props.last_modified_by = author
    props.title = chinese_quotes(rep.title)
    props.subject = rep.campaign
    props.language = "zh-CN"
    props.created = props.modified = created.replace(tzinfo=None)  # docx stores UTC
    props.revision = 1
    props.comments = ""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _table_or_none(doc: Any, t: ReportTable, available: float) -> None:
    if not t.rows:
        doc.add_paragraph(_("(none)"))
        return
    _table(doc, t, available)
    doc.add_paragraph()  # a line between a table and the next heading
