"""The GB/T 9704-2012 page of a .docx report: fonts with explicit East Asian names and
fallbacks (no theme fonts), paragraph and heading styles, the page number "— 1 —" and the red
版头 letterhead. Used by :mod:`cli.docxreport`."""

from __future__ import annotations

from typing import Any

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


# -- low-level OOXML helpers ------------------------------------------------------
def oxml_element(tag: str, **attrs: str) -> Any:
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
                el = oxml_element(tag)
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
        lang = oxml_element("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def font_table(doc: Any) -> None:
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
        font = oxml_element("w:font", name=name)
        font.append(oxml_element("w:altName", val=alt))
        font.append(oxml_element("w:charset", val="86"))  # GB2312
        font.append(oxml_element("w:family", val=family))
        font.append(oxml_element("w:pitch", val="variable" if family == "roman" else "fixed"))
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


def add_styles(doc: Any) -> Any:
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
    title.paragraph_format.space_after = twips(LINE_TWIPS)
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


def twips(n: int) -> Any:
    from docx.shared import Twips

    return Twips(n)


def page_number(footer: Any, odd: bool) -> None:
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
    run._r.append(oxml_element("w:fldChar", fldCharType="begin"))
    instr = oxml_element("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    run._r.append(instr)
    run._r.append(oxml_element("w:fldChar", fldCharType="separate"))
    shown = p.add_run("1")
    end = p.add_run()
    end._r.append(oxml_element("w:fldChar", fldCharType="end"))
    p.add_run(" —")
    del shown


def letterhead(doc: Any, body: str) -> None:
    """版头: the issuing body in red 小标宋, centred, over a red rule."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph(style="Report Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(body)
    run.font.size = Pt(26)
    run.font.color.rgb = RGBColor.from_string(RED)
    ppr = p._p.get_or_add_pPr()
    border = oxml_element("w:pBdr")
    border.append(oxml_element("w:bottom", val="single", sz="16", space="12", color=RED))
    ppr.append(border)
    p.paragraph_format.space_after = Pt(2 * BODY_PT)
