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
from workflow.i18n import _, chinese_quotes, language
from workflow.usecases.report import Cell, Report, ReportTable

LATIN = "Times New Roman"
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
#: Fonts to use when the named one is missing: (name, alternative, GB/T family, pitch).
FONT_TABLE = (
    (TITLE_FONT, "方正小标宋_GBK", "roman"),
    (BODY_FONT, "仿宋", "modern"),
    ("仿宋", "FangSong", "modern"),
    (HEADING1_FONT, "SimHei", "modern"),
    (HEADING2_FONT, "楷体", "modern"),
    ("楷体", "KaiTi", "modern"),
    (PAGE_NUMBER_FONT, "SimSun", "auto"),
)
BODY_PT = 16.0  # 3号
TITLE_PT = 22.0  # 2号
TABLE_PT = 10.5  # 5号
PAGE_NUMBER_PT = 14.0  # 4号
LINE_TWIPS = 579  # 28.95 pt: 22 lines in the 225 mm type area
RED = "FF0000"
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


# -- low-level OOXML helpers ------------------------------------------------------
def _el(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    return el


def set_fonts(rpr: Any, latin: str, east_asian: str, size: float | None = None) -> None:
    """Explicit fonts on an ``w:rPr``, theme fonts removed (Word prefers them otherwise)."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr, name in (("ascii", latin), ("hAnsi", latin), ("eastAsia", east_asian), ("cs", latin)):
        fonts.set(qn(f"w:{attr}"), name)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = _el(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(round(size * 2)))


def _no_colour(rpr: Any) -> None:
    from docx.oxml.ns import qn

    for tag in ("w:color", "w:b", "w:bCs", "w:i", "w:iCs"):
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)


def _language(rpr: Any) -> None:
    from docx.oxml.ns import qn

    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = _el("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def _font_table(doc: Any) -> None:
    """Declare our fonts with alternatives, so a machine without 仿宋_GB2312 uses 仿宋/FangSong."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn

    part = doc.part.part_related_by(RT.FONT_TABLE)
    from lxml import etree

    root = etree.fromstring(part.blob)
    for name, alt, family in FONT_TABLE:
        for old in root.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                root.remove(old)
        font = _el("w:font", name=name)
        font.append(_el("w:altName", val=alt))
        font.append(_el("w:charset", val="86"))  # GB2312
        font.append(_el("w:family", val=family))
        font.append(_el("w:pitch", val="variable" if family == "roman" else "fixed"))
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _paragraph_style(
    style: Any, *, indent: bool, line: int | None = LINE_TWIPS, centred: bool = False
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Pt, Twips

    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if line is None:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Twips(line)
    pf.first_line_indent = Pt(2 * BODY_PT) if indent else Pt(0)
    ind = style.element.get_or_add_pPr().get_or_add_ind()
    ind.set(qn("w:firstLineChars"), "200" if indent else "0")
    pf.widow_control = True
    if centred:
        pf.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _styles(doc: Any) -> Any:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn

    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, LATIN, BODY_FONT, BODY_PT)
    _language(rpr)
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for el in ppr.findall(qn("w:spacing")):
        ppr.remove(el)

    normal = styles["Normal"]
    set_fonts(normal.element.get_or_add_rPr(), LATIN, BODY_FONT, BODY_PT)
    _paragraph_style(normal, indent=True)
    for level, font in ((1, HEADING1_FONT), (2, HEADING2_FONT)):
        h = styles[f"Heading {level}"]
        rpr = h.element.get_or_add_rPr()
        _no_colour(rpr)
        set_fonts(rpr, LATIN, font, BODY_PT)
        _paragraph_style(h, indent=True)
        h.paragraph_format.keep_with_next = True
    title = styles.add_style("Report Title", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    set_fonts(title.element.get_or_add_rPr(), LATIN, TITLE_FONT, TITLE_PT)
    _paragraph_style(title, indent=False, line=None, centred=True)
    title.paragraph_format.space_after = _twips(LINE_TWIPS)
    meta = styles.add_style("Report Meta", WD_STYLE_TYPE.PARAGRAPH)
    meta.base_style = normal
    set_fonts(meta.element.get_or_add_rPr(), LATIN, HEADING2_FONT, BODY_PT)
    _paragraph_style(meta, indent=False, centred=True)
    cell = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    set_fonts(cell.element.get_or_add_rPr(), LATIN, BODY_FONT, TABLE_PT)
    _paragraph_style(cell, indent=False, line=None)
    head = styles.add_style("Table Heading", WD_STYLE_TYPE.PARAGRAPH)
    head.base_style = cell
    set_fonts(head.element.get_or_add_rPr(), LATIN, HEADING1_FONT, TABLE_PT)
    _paragraph_style(head, indent=False, line=None, centred=True)
    page = styles.add_style("Page Number", WD_STYLE_TYPE.PARAGRAPH)
    page.base_style = normal
    set_fonts(page.element.get_or_add_rPr(), PAGE_NUMBER_FONT, PAGE_NUMBER_FONT, PAGE_NUMBER_PT)
    _paragraph_style(page, indent=False, line=None)
    return styles


def _twips(n: int) -> Any:
    from docx.shared import Twips

    return Twips(n)


def _page_number(footer: Any, odd: bool) -> None:
    """ "— 7 —": odd pages at the right, even pages at the left, one character in from the edge."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = footer.paragraphs[0]
    p.style = "Page Number"
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        p.paragraph_format.right_indent = Pt(PAGE_NUMBER_PT)
    else:
        p.paragraph_format.left_indent = Pt(PAGE_NUMBER_PT)
    p.add_run("— ")
    run = p.add_run()
    run._r.append(_el("w:fldChar", fldCharType="begin"))
    instr = _el("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    run._r.append(instr)
    run._r.append(_el("w:fldChar", fldCharType="separate"))
    shown = p.add_run("1")
    end = p.add_run()
    end._r.append(_el("w:fldChar", fldCharType="end"))
    p.add_run(" —")
    del shown


def _letterhead(doc: Any, body: str) -> None:
    """版头: the issuing body in red 小标宋, centred, over a red rule."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph(style="Report Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(body)
    run.font.size = Pt(26)
    run.font.color.rgb = RGBColor.from_string(RED)
    ppr = p._p.get_or_add_pPr()
    border = _el("w:pBdr")
    border.append(_el("w:bottom", val="single", sz="16", space="12", color=RED))
    ppr.append(border)
    p.paragraph_format.space_after = Pt(2 * BODY_PT)


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
    tblpr.append(_el("w:tblLayout", type="fixed"))
    if layout.padding_pt < 12:
        margins = _el("w:tblCellMar")
        for side in ("left", "right"):
            margins.append(_el(f"w:{side}", w=str(round(layout.padding_pt * 10)), type="dxa"))
        tblpr.append(margins)
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(round(w * 20)))
    header = table.rows[0]
    trpr = header._tr.get_or_add_trPr()
    trpr.append(_el("w:tblHeader"))  # repeated at the top of every page
    trpr.append(_el("w:cantSplit"))
    for cell, name, w in zip(header.cells, t.columns, widths, strict=True):
        cell.width = Pt(w)
        cell.paragraphs[0].style = "Table Heading"
        _sized(cell.paragraphs[0].add_run(name), layout.char_pt)
    for row in t.rows:
        r = table.add_row()
        r._tr.get_or_add_trPr().append(_el("w:cantSplit"))
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
    _font_table(doc)
    _styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
    sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
    sec.footer_distance = Cm(2.5)  # the number sits about 7 mm under the type area
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(sec.footer, odd=True)
    _page_number(sec.even_page_footer, odd=False)
    available = (sec.page_width - sec.left_margin - sec.right_margin) / 12700  # EMU → pt

    if issuing_body:
        _letterhead(doc, issuing_body)
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
