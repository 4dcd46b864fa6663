"""The pure parts of mail in: references, file names, types, size scan, Chinese encodings."""

from __future__ import annotations

import pytest

from tests.mailmaker import reply
from workflow.mail.mailparse import headers_only, oversized, parse, refused_type, sanitize_filename
from workflow.mail.mailtext import parse_msgids, parse_references, reference

HOSTILE = ["秘书科", "a/b", "x]y[z", "100%", "带 空格", "tab\tname", "‮evil", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("office", HOSTILE)
def test_a_reference_round_trips_whatever_the_names(office: str) -> None:
    ref = reference("2026/第三批", office, "study-plan")
    assert "\t" not in ref and " " not in ref and ref.count("/") == 2
    assert parse_references(f"回复：【提醒】… {ref} 其他") == [("2026/第三批", office, "study-plan")]


def test_references_in_subject_and_message_ids() -> None:
    assert parse_references("Re: [manyi:2026/秘书科] and [manyi:2026/信息科/summary-report]") == [
        ("2026", "秘书科", None),
        ("2026", "信息科", "summary-report"),
    ]
    assert parse_references("[manyi:2026] [manyi:] [other:2026/x]") == []
    refs = "<1.2.3.manyi.4.17.study-plan@example.gov.cn> <thread.manyi.4.17.-@x> <abc@qq.com>"
    assert parse_msgids(refs) == [(4, 17, "study-plan"), (4, 17, None)]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\王\\桌面\\计划.docx", "计划.docx"),
        ("...hidden.docx", "hidden.docx"),
        ("报告\u202egpj.exe", "报告gpj.exe"),  # the bidi override that shows it as …exe.jpg is gone
        ("a\r\nBcc: x@y.docx", "aBcc: x@y.docx"),
        ("", "attachment"),
        ("   ", "attachment"),
    ],
)
def test_file_names_are_sanitized(raw: str, clean: str) -> None:
    assert sanitize_filename(raw) == clean


def test_long_names_keep_their_extension_within_180_bytes() -> None:
    name = sanitize_filename("长" * 200 + ".docx")
    assert name.endswith(".docx") and len(name.encode()) <= 180


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("计划.docx", False),
        ("计划.pdf", False),
        ("安装.exe", True),
        ("计划.docx.exe", True),
        ("脚本.JS", True),
        ("快捷方式.lnk", True),
        ("a.SCR", True),
        ("表格.xlsx", False),
    ],
)
def test_executable_types(name: str, refused: bool) -> None:
    assert refused_type(name, "application/octet-stream") is refused
    assert refused_type(name, "application/octet-stream", frozenset({".exe", ".js", ".lnk", ".scr"})) is False


@pytest.mark.parametrize("style", ["2047", "2231", "raw"])
def test_gb18030_names_headers_and_winmail(style: str) -> None:
    name = "学习计划（秘书科）𠀀.docx"  # U+20000 exists only in GB18030, not in GBK
    raw = reply(
        None,
        "MiShu@Example.gov.cn",
        "秘书科",
        [(name, b"PK"), ("winmail.dat", b"x")],
        subject="回复：学习计划",
        style=style,
        raw_subject=False,
    )
    p = parse(raw)
    assert (p.sender, p.sender_name, p.subject) == ("mishu@example.gov.cn", "秘书科", "回复：学习计划")
    assert [(a.filename, a.data) for a in p.attachments] == [(name, b"PK")]
    assert p.notes == ["winmail.dat:winmail.dat"]


def test_raw_gbk_subject_and_a_message_without_message_id() -> None:
    raw = reply(None, "m@x.cn", "秘书科", [], subject="回复：学习计划", raw_subject=True)
    raw = raw.replace(b"Message-ID: <r1@office.example.gov.cn>\r\n", b"")
    p = parse(raw)
    assert p.subject == "回复：学习计划"
    assert p.message_id.startswith("<sha256.") and parse(raw).message_id == p.message_id


def test_oversized_parts_are_found_without_decoding() -> None:
    big = b"\x00" * (3 * 1024 * 1024)
    raw = reply(
        None, "m@x.cn", "x", [("small.docx", b"x" * 1000), ("大文件.zip", big)], subject="s", style="2231"
    )
    ((name, size),) = oversized(raw, 2 * 1024 * 1024)
    assert name == "大文件.zip" and abs(size - len(big)) < 64 * 1024
    assert oversized(raw, 4 * 1024 * 1024) == []
    assert parse(headers_only(raw)).attachments == [] and parse(headers_only(raw)).subject == "s"
