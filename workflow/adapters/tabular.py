"""Reading CSV files the way Excel writes them, writing CSV a person opens safely, the roster.

Excel on a Chinese Windows saves "CSV" as GBK (GB18030 is its superset),
"CSV UTF-8" with a byte-order mark, and "Unicode text" as tab-separated
UTF-16. We decode by BOM first, then strict UTF-8, then GB18030: a GBK file
is almost never valid UTF-8, so the order is safe.

CSV we write for people (:func:`write_csv`) follows the same habits backwards,
plus OWASP's advice on CSV injection: UTF-8 *with* a BOM (without it Excel on
a Chinese Windows reads GBK: 督查室 becomes 鐫ｆ煡瀹), CRLF line ends, every field
in double quotes (so a ``,`` or ``;`` inside a value can never start a new cell
whatever separator the spreadsheet guesses), and a text that a spreadsheet would
run as a formula (first character ``=``, ``+``, ``-``, ``@``, tab, CR, LF, NUL,
or their full-width forms) gets a leading apostrophe. A CSV has no cell types,
so that apostrophe is the only guard Excel and LibreOffice both honour; it stays
visible. Numbers are written as numbers and never escaped.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from workflow.engine import text
from workflow.errors import InputError, os_reason
from workflow.i18n import _

#: First characters that make Excel, LibreOffice or WPS read a text cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def decode(data: bytes, source: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(_("{src}: not UTF-8 or GBK/GB18030 text; save it as CSV from Excel").format(src=source))


def formula_like(value: object) -> bool:
    """True for a text a spreadsheet would evaluate instead of showing."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: object) -> object:
    """One value as a CSV field a person can open: formula-like text guarded, ``None`` empty."""
    if value is None:
        return ""
    if formula_like(value):
        return "'" + str(value)
    return value


def csv_writer(f: IO[str]) -> Any:
    """A ``csv.writer`` for people's CSV: the caller writes :data:`BOM` first, then rows of
    :func:`csv_cell` values (see the module docstring)."""
    return csv.writer(f, lineterminator="\r\n", quoting=csv.QUOTE_ALL)


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A whole people's CSV as text, BOM included."""
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow([csv_cell(c) for c in header])
    for row in rows:
        w.writerow([csv_cell(c) for c in row])
    return BOM + buf.getvalue()


BOM = "\ufeff"


@dataclass(frozen=True)
class Table:
    """A CSV's rows as dicts keyed by canonical column names; ``line`` numbers for errors."""

    source: str
    rows: list[tuple[int, dict[str, str]]]
    #: Rows whose number of fields is not the header's: (line, fields, header's fields).
    #: Extra fields count only when they hold something (Excel pads rows with commas).
    ragged: tuple[tuple[int, int, int], ...] = ()


def read_table(path: Path, columns: Mapping[str, Sequence[str]], required: Sequence[str]) -> Table:
    """Read a CSV whose header names columns in any of the accepted spellings.

    Args:
        columns: canonical name -> accepted header spellings (English, Chinese).
        required: canonical names that must be present in the header.
    """
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(_("file not found: {p}").format(p=path)) from None
    except IsADirectoryError:
        raise InputError(_("not a file: {p}").format(p=path)) from None
    except OSError as exc:
        raise InputError(_("cannot read {p}: {e}").format(p=path, e=os_reason(exc))) from None
    content = decode(data, source)
    if not content.strip():
        raise InputError(_("{src}: the file is empty").format(src=source))
    first = content.splitlines()[0]
    delimiter = max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    header = next(reader)
    return table_from_rows(source, header, reader, columns, required)


def table_from_rows(
    source: str,
    header: Sequence[str],
    reader: Iterable[Sequence[str]],
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Table:
    """Map a header and its data rows (CSV or a spreadsheet) to a :class:`Table`."""
    lookup = {
        spelling.strip().lower(): canon
        for canon, spellings in columns.items()
        for spelling in (canon, *spellings)
    }
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        canon = lookup.get(name.strip().lower())
        if canon is not None and canon not in index:
            index[canon] = i
    for canon in required:
        if canon not in index:
            spellings = " / ".join((canon, *columns[canon]))
            raise InputError(
                _("{src}: missing column '{col}' (header: {header})").format(
                    src=source, col=spellings, header=",".join(header)
                )
            )
    rows: list[tuple[int, dict[str, str]]] = []
    ragged: list[tuple[int, int, int]] = []
    width = len(header)
    for line_no, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        used = max((i + 1 for i, cell in enumerate(raw) if cell.strip()), default=0)
        if len(raw) < width or used > width:
            ragged.append((line_no, len(raw) if len(raw) < width else used, width))
        rows.append((line_no, {c: (raw[i].strip() if i < len(raw) else "") for c, i in index.items()}))
    if not rows:
        raise InputError(_("{src}: no data rows under the header").format(src=source))
    return Table(source, rows, tuple(ragged))


ROSTER_COLUMNS = {
    "name": ("科室", "名称", "科室名称", "部门", "部门名称", "单位", "单位名称", "office"),
    "email": ("邮箱", "电子邮箱", "e-mail"),
    "head": ("负责人", "科室负责人"),
    "tags": ("标签", "类别", "分类", "tags"),
}


@dataclass(frozen=True)
class RosterEntry:
    name: str
    email: str | None
    head: str | None
    #: Roster categories (sorted, unique) that decide which ``only:`` requirements apply;
    #: None when the roster has no tags column (an import then leaves tags as they are).
    tags: tuple[str, ...] | None = None


def read_xlsx_table(path: Path, columns: Mapping[str, Sequence[str]], required: Sequence[str]) -> Table:
    """The first sheet of an .xlsx workbook, read as :func:`read_table` reads a CSV."""
    from openpyxl import load_workbook

    if not path.is_file():
        raise InputError(_("file not found: {p}").format(p=path))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise InputError(
            _("{src}: not a readable .xlsx workbook ({e})").format(src=path, e=type(exc).__name__)
        ) from None
    try:
        cells = [
            [
                "" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                for v in row
            ]
            for row in wb.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        wb.close()
    if not cells:
        raise InputError(_("{src}: the file is empty").format(src=path))
    return table_from_rows(str(path), cells[0], cells[1:], columns, required)


def read_roster(path: Path, *, strict: bool = False, warnings: list[str] | None = None) -> list[RosterEntry]:
    """Validate a whole roster (CSV or .xlsx); the first bad row stops it with its row number.

    A row with fewer or more fields than the header (a lost comma, a name with a comma
    in it) is read as far as it goes, and a sentence naming its line is added to
    ``warnings``; with ``strict`` it is an error instead.
    """
    if path.suffix.lower() == ".xlsx":
        table = read_xlsx_table(path, ROSTER_COLUMNS, required=("name", "email", "head"))
    else:
        table = read_table(path, ROSTER_COLUMNS, required=("name", "email", "head"))
    for line, got, want in table.ragged:
        if got < want:
            message = _(
                "{src} row {n}: {got} fields where the header has {want}; the missing ones are left empty"
            ).format(src=table.source, n=line, got=got, want=want)
        else:
            message = _(
                "{src} row {n}: {got} fields where the header has {want}; the extra ones are ignored"
            ).format(src=table.source, n=line, got=got, want=want)
        if strict:
            raise InputError(message)
        if warnings is not None:
            warnings.append(message)
    seen: dict[str, int] = {}
    out: list[RosterEntry] = []
    for line, row in table.rows:
        where = _("{src} row {n}: ").format(src=table.source, n=line)
        if not row["name"]:
            raise InputError(_("{src} row {n}: the office name is empty").format(src=table.source, n=line))
        name = text.name(row["name"], where + _("office name"))
        if name in seen:
            raise InputError(
                _("{src} row {n}: office '{name}' already appears in row {m}").format(
                    src=table.source, n=line, name=name, m=seen[name]
                )
            )
        seen[name] = line
        email = text.email(row.get("email"), where + _("e-mail"))
        out.append(
            RosterEntry(
                name,
                email,
                text.optional(row.get("head"), where + _("head")),
                None if "tags" not in row else text.tags(row["tags"], where + _("tags")),
            )
        )
    return out


def check_email(email: str | None, field: str = "--email") -> str | None:
    return text.email(email, field)
