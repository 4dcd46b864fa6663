"""workflow.adapters.tabular: reading CSV as Excel writes it, the roster, and CSV people open safely."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from workflow.adapters import tabular
from workflow.errors import InputError

HEADER = "科室,邮箱,负责人"
ROWS = "秘书科,office1@example.gov.cn,负责人1\r\n信息科,office2@example.gov.cn,\r\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("gbk"),
        lambda s: s.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode text"
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "utf-16-tabs"],
)
def test_roster_in_every_encoding_excel_writes(tmp_path: Path, encode: object) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(encode(f"{HEADER}\r\n{ROWS}"))  # type: ignore[operator]
    assert tabular.read_roster(path) == [
        tabular.RosterEntry("秘书科", "office1@example.gov.cn", "负责人1"),
        tabular.RosterEntry("信息科", "office2@example.gov.cn", None),
    ]


def test_decode_refuses_what_is_neither_utf8_nor_gb18030() -> None:
    with pytest.raises(InputError, match="x.csv: not UTF-8 or GBK/GB18030 text"):
        tabular.decode(b"\x80\x80\xff", "x.csv")


def test_header_spellings_in_english_and_chinese_and_any_column_order(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("E-mail;Office;科室负责人\noffice1@example.gov.cn;秘书科;王\n", encoding="utf-8")
    assert tabular.read_roster(path) == [tabular.RosterEntry("秘书科", "office1@example.gov.cn", "王")]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("科室,邮箱\n秘书科,a@b.cn\n", "missing column 'head / 负责人 / 科室负责人' (header: 科室,邮箱)"),
        (f"{HEADER}\n,,\n", "no data rows under the header"),
        (f"{HEADER}\n,a@b.cn,x\n", "row 2: the office name is empty"),
        (f"{HEADER}\n秘书科,a@b.cn,x\n秘书科,c@d.cn,y\n", "row 3: office '秘书科' already appears in row 2"),
        (f"{HEADER}\n秘书科,not-mail,x\n", "row 2: e-mail: 'not-mail' is not an e-mail address"),
        (f"{HEADER}\n秘\x1b科,a@b.cn,x\n", "row 2: office name: contains U+001B"),
    ],
)
def test_roster_errors_name_the_file_row_and_problem(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        tabular.read_roster(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_missing_file_and_folder_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        tabular.read_roster(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="not a file"):
        tabular.read_roster(tmp_path)


def test_ragged_rows_warn_or_in_strict_mode_refuse(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f"{HEADER}\n秘书科,a@b.cn\n信息科,c@d.cn,x,extra\n办公室,e@f.cn,y,,\n", encoding="utf-8")
    warnings: list[str] = []
    entries = tabular.read_roster(path, warnings=warnings)
    assert [e.name for e in entries] == ["秘书科", "信息科", "办公室"]
    assert entries[0].head is None
    assert warnings == [  # Excel's padding commas (row 4) are not extra fields
        f"{path} row 2: 2 fields where the header has 3; the missing ones are left empty",
        f"{path} row 3: 4 fields where the header has 3; the extra ones are ignored",
    ]
    with pytest.raises(InputError, match="row 2: 2 fields where the header has 3"):
        tabular.read_roster(path, strict=True)


def test_roster_from_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["科室", "邮箱", "负责人"])
    ws.append(["秘书科", "office1@example.gov.cn", None])
    ws.append([2026.0, "office2@example.gov.cn", "王"])  # a number cell reads as its digits
    path = tmp_path / "r.xlsx"
    wb.save(path)
    assert tabular.read_roster(path) == [
        tabular.RosterEntry("秘书科", "office1@example.gov.cn", None),
        tabular.RosterEntry("2026", "office2@example.gov.cn", "王"),
    ]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        tabular.read_roster(bad)


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("秘书科", "秘书科"),
        (-3, -3),
        (1.5, 1.5),
        (None, ""),
    ],
)
def test_csv_cell_guards_formula_like_text_but_not_numbers(value: object, cell: object) -> None:
    assert tabular.csv_cell(value) == cell


def test_csv_text_has_a_bom_crlf_and_quotes_every_field() -> None:
    out = tabular.csv_text(["科室", "分数"], [["秘书科", 95], ['=HYPERLINK("x")', None]])
    assert out == '\ufeff"科室","分数"\r\n"秘书科","95"\r\n"\'=HYPERLINK(""x"")",""\r\n'


def test_roster_tags_column_is_optional_and_none_when_absent(tmp_path: Path) -> None:
    with_tags = tmp_path / "a.csv"
    with_tags.write_text(
        "科室,邮箱,负责人,类别\n甲,a@example.cn,,涉企部门、窗口单位\n乙,,,\n", encoding="utf-8"
    )
    assert [e.tags for e in tabular.read_roster(with_tags)] == [("涉企部门", "窗口单位"), ()]
    without = tmp_path / "b.csv"
    without.write_text("科室,邮箱,负责人\n甲,a@example.cn,\n", encoding="utf-8")
    assert [e.tags for e in tabular.read_roster(without)] == [None]
