"""Writing tables out: CSV, xlsx (openpyxl), Markdown, self-contained HTML, docx (python-docx).

Text that a spreadsheet would run as a formula (see :mod:`workflow.adapters.tabular`) is
kept inert: in CSV by OWASP's leading apostrophe, in xlsx by the cell's type
(a string, shown exactly as typed). Numbers stay numbers, dates stay dates.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cli.cells import cell_text, display_width
from workflow.adapters import tabular
from workflow.errors import InputError, os_reason
from workflow.i18n import _, chinese_quotes
from workflow.usecases.report_model import Cell, Chart, Report, ReportTable


def ledger_table(items: Sequence[Any]) -> ReportTable:
    return ReportTable(
        "ledger",
        _("Rectification ledger"),
        (
            _("#"),
            _("Office"),
            _("Source"),
            _("Item"),
            _("Due"),
            _("Status"),
            _("Late"),
            _("Evidence"),
            _("Evidence sha256"),
            _("Return reason"),
        ),
        [
            (
                v.id,
                v.office,
                _(v.source),
                v.text,
                v.due,
                _(v.status),
                _("yes") if v.late else "",
                v.evidence or "",
                v.evidence_sha256 or "",
                v.return_reason or "",
            )
            for v in items
        ],
    )


def write_text(output: Path | None, text: str) -> None:
    if output is None:
        import click

        click.echo(text, nl=False)
        return
    write_bytes(output, text.encode("utf-8"))


def write_bytes(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise InputError(_("cannot write {p}: {e}").format(p=output, e=os_reason(exc))) from None


def to_csv(table: ReportTable) -> str:
    """A table as CSV for people (BOM, every field quoted, formulas guarded: see
    :mod:`workflow.adapters.tabular`)."""
    return tabular.csv_text(table.columns, table.rows)


# -- xlsx ----------------------------------------------------------------------
def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    base, i = name, 2
    while name in used:
        name = f"{base[:28]}~{i}"
        i += 1
    used.add(name)
    return name


XLSX_MAX_WIDTH = 40  # wider texts wrap inside their column


def _xlsx_set(cell: Any, value: Cell) -> None:
    """Store ``value`` with its real type: numbers as numbers (scores with two decimals), dates and
    times as dates, and every text as a string, shown exactly as typed. openpyxl would store a text
    starting with ``=`` as a formula: setting the type to string keeps it inert without changing it
    (Excel's own "quote prefix" flag is set too, so editing the cell keeps it text)."""
    from datetime import date, datetime

    if isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)  # already the campaign's local time
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, float):
        cell.value = value
        cell.number_format = "0.00"
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if tabular.formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def xlsx_bytes(tables: Sequence[ReportTable], title: str | None = None) -> bytes:
    """One sheet per table, each set up to print: A4 landscape, one page wide, the header row
    repeated on every page and frozen on screen, columns as wide as their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    thin = Side(style="thin", color="999999")
    for t in tables:
        ws = wb.create_sheet(_sheet_name(t.title, used))
        for j, name in enumerate(t.columns, start=1):
            cell = ws.cell(row=1, column=j)
            _xlsx_set(cell, name)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.border = Border(bottom=thin)
        for i, row in enumerate(t.rows, start=2):
            for j, value in enumerate(row, start=1):
                cell = ws.cell(row=i, column=j)
                _xlsx_set(cell, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for j, name in enumerate(t.columns, start=1):
            widest = max([display_width(name)] + [display_width(cell_text(r[j - 1])) for r in t.rows])
            ws.column_dimensions[get_column_letter(j)].width = min(XLSX_MAX_WIDTH, max(6, widest) + 2)
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages long as it takes
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.horizontalCentered = True
        ws.oddHeader.center.text = f"{title} — {t.title}" if title else t.title
        ws.oddFooter.center.text = "&P / &N"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_xlsx(output: Path, tables: Sequence[ReportTable], title: str | None = None) -> None:
    write_bytes(output, xlsx_bytes(tables, title))


# -- markdown ------------------------------------------------------------------
def _md(text: str) -> str:
    """Text for Markdown: HTML in a name stays text (``<b>`` is shown, never run), a ``|`` does
    not split a table cell, a line break does not end a row."""
    text = text.replace("<", "&lt;").replace(">", "&gt;")  # no tag can start: HTML stays text
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _md_cell(c: Cell) -> str:
    return _md(cell_text(c))


def to_markdown(rep: Report) -> str:
    out = [
        f"# {_md(chinese_quotes(rep.title))} — {_md(rep.campaign)}",
        "",
        _md(
            _("Campaign {start} to {end}; report generated {at}.").format(
                start=rep.start, end=rep.end, at=rep.generated
            )
        ),
        "",
    ]
    out += [f"- {_md(line)}" for line in rep.summary] + [""]
    for t in rep.tables:
        out += [f"## {_md(t.title)}", ""]
        if not t.rows:
            out += [_("(none)"), ""]
            continue
        out.append("| " + " | ".join(_md(c) for c in t.columns) + " |")
        out.append("|" + "---|" * len(t.columns))
        out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
        out.append("")
    return "\n".join(out)


# -- html ----------------------------------------------------------------------
COLOURS = ("#2e7d32", "#f9a825", "#c62828", "#1565c0")
CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",SimSun,sans-serif;
margin:2em auto;max-width:1100px;color:#222;line-height:1.5}
h1{text-align:center;font-size:1.6em}h2{border-bottom:2px solid #c62828;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta{text-align:center;color:#555}.charts svg{display:block;margin:1em 0;max-width:100%;height:auto}
@page{size:A4;margin:18mm 15mm}
@media print{body{margin:0;max-width:none;font-size:10.5pt}h2{break-after:avoid}
tr,svg{break-inside:avoid}thead{display:table-header-group}}
"""


def _text_px(text: str, size: float) -> float:
    """Pixels ``text`` takes at ``size`` px: a Han character one em, others about 0.6 em."""
    wide = display_width(text) - len(text)
    return (wide + (len(text) - wide) * 0.6) * size


def _wrap_px(text: str, size: float, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` pixels (at most three, the last one whole)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if line and _text_px(line + ch, size) > width and len(lines) < 2:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line]


def _ticks(top: float) -> list[float]:
    """Round axis ticks from 0 to ``top`` (about five, whole numbers: counts are never halved)."""
    if top <= 0:
        return [0.0]
    raw = top / 5
    step = min(m * 10**e for e in range(0, 6) for m in (1, 2, 5) if m * 10**e >= raw)
    n = int(top / step + 1e-9)
    return [i * step for i in range(n + 1)] + ([top] if abs(n * step - top) > 1e-9 else [])


def _svg_chart(chart: Chart, width: int = 900) -> str:
    """A horizontal (stacked) bar chart as inline SVG, with an axis and its unit: no script, no
    network. Labels are never cut: the label column is as wide as the longest label needs (up to
    a third of the chart), and a longer label wraps onto more lines."""
    size, bar_h, gap, top = 13, 22, 10, 44
    label_w = min(width / 3, max([_text_px(b.label, size) for b in chart.bars] + [60.0]) + 12)
    wrapped = [_wrap_px(b.label, size, label_w - 12) for b in chart.bars]
    rows_h = [max(bar_h, len(w) * (size + 3) + 4) for w in wrapped]
    axis_y = top + sum(rows_h) + gap * len(rows_h)
    height = axis_y + 48
    scale_max = chart.max or max([sum(b.values) for b in chart.bars] + [1.0])
    plot_w = width - label_w - 70
    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height:.0f}" viewBox="0 0 {width} {height:.0f}" data-chart="{e(chart.key)}">',
        f"<title>{e(chart.title)}</title>",
        f'<text x="0" y="18" font-size="16" font-weight="bold">{e(chart.title)}</text>',
    ]
    x = label_w
    for i, name in enumerate(chart.series if len(chart.series) > 1 else ()):
        parts.append(
            f'<rect x="{x:.1f}" y="28" width="10" height="10" fill="{COLOURS[i % 4]}"/>'
            f'<text x="{x + 14:.1f}" y="37" font-size="12">{e(name)}</text>'
        )
        x += 30 + _text_px(name, 12)
    for t in _ticks(scale_max):
        tx = label_w + plot_w * t / scale_max
        parts.append(
            f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{axis_y:.0f}" '
            f'stroke="#ddd"/><text x="{tx:.1f}" y="{axis_y + 16:.0f}" font-size="11" '
            f'text-anchor="middle" class="tick">{t:g}</text>'
        )
    parts.append(
        f'<line x1="{label_w:.1f}" y1="{axis_y:.0f}" x2="{label_w + plot_w:.1f}" '
        f'y2="{axis_y:.0f}" stroke="#333"/>'
    )
    if chart.unit:
        parts.append(
            f'<text x="{label_w + plot_w / 2:.1f}" y="{axis_y + 36:.0f}" font-size="12" '
            f'text-anchor="middle" class="unit">{e(chart.unit)}</text>'
        )
    y = float(top)
    for bar, lines, row_h in zip(chart.bars, wrapped, rows_h, strict=True):
        first = y + row_h / 2 - (len(lines) - 1) * (size + 3) / 2 + size / 2 - 2
        parts.append(
            f'<text x="{label_w - 8:.1f}" y="{first:.1f}" font-size="{size}" '
            'text-anchor="end" class="label">'
            + "".join(
                f'<tspan x="{label_w - 8:.1f}" dy="{0 if i == 0 else size + 3}">{e(line)}</tspan>'
                for i, line in enumerate(lines)
            )
            + "</text>"
        )
        x0 = float(label_w)
        by = y + (row_h - bar_h) / 2
        for i, v in enumerate(bar.values):
            w = plot_w * v / scale_max if scale_max else 0
            if w > 0:
                parts.append(
                    f'<rect x="{x0:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{COLOURS[i % 4]}"/>'
                )
            x0 += w
        total = sum(bar.values)
        shown = f"{total:.2f}" if chart.key == "ranking" else f"{total:g}"
        parts.append(f'<text x="{x0 + 4:.1f}" y="{by + bar_h - 6:.1f}" font-size="12">{shown}</text>')
        y += row_h + gap
    parts.append("</svg>")
    return "".join(parts)


def to_html(rep: Report) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(chinese_quotes(rep.title))} — {e(rep.campaign)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(chinese_quotes(rep.title))}</h1>",
        '<p class="meta">'
        + e(
            _("Campaign {name}: {start} to {end}; report generated {at}.").format(
                name=rep.campaign, start=rep.start, end=rep.end, at=rep.generated
            )
        )
        + "</p>",
        "<ul>" + "".join(f"<li>{e(s)}</li>" for s in rep.summary) + "</ul>",
        '<section class="charts">' + "".join(_svg_chart(c) for c in rep.charts) + "</section>",
    ]
    for t in rep.tables:
        out.append(f"<h2>{e(t.title)}</h2>")
        if not t.rows:
            out.append(f"<p>{e(_('(none)'))}</p>")
            continue
        out.append(
            f'<table id="{e(t.key)}"><thead><tr>'
            + "".join(f"<th>{e(c)}</th>" for c in t.columns)
            + "</tr></thead><tbody>"
        )
        for row in t.rows:
            cells = []
            for c in row:
                if isinstance(c, (int, float)):
                    cells.append(
                        f'<td class="num">{c:.2f}</td>'
                        if isinstance(c, float)
                        else f'<td class="num">{c}</td>'
                    )
                else:
                    cells.append(f"<td>{e(cell_text(c))}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(rep: Report, fmt: str, output: Path | None) -> None:
    if fmt == "md":
        write_text(output, to_markdown(rep))
    elif fmt == "html":
        write_text(output, to_html(rep))
    elif fmt == "xlsx":
        assert output is not None
        write_xlsx(output, rep.tables, f"{rep.title} {rep.campaign}")
    else:
        assert output is not None
        from datetime import UTC, datetime

        from cli.docxreport import docx_bytes

        created = rep.created or datetime.now(UTC)
        write_bytes(
            output,
            docx_bytes(
                rep, author=rep.author, created=created.astimezone(UTC), issuing_body=rep.issuing_body
            ),
        )
