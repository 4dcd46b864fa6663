"""Replies as Chinese mail clients write them, byte for byte, for the inbox tests.

Built by hand, not through ``EmailMessage``: the point is the encodings the
standard library would never produce itself (GB18030 encoded-words labelled
gb2312, RFC 2231 file names in GB18030, raw 8-bit GBK headers).
"""

from __future__ import annotations

import base64
import email
import email.policy
import mailbox
from pathlib import Path
from urllib.parse import quote_from_bytes


def _b(text: str, charset: str = "gb18030", label: str = "GB2312") -> str:
    return f"=?{label}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def filename_header(name: str, style: str) -> bytes:
    gb = name.encode("gb18030")
    if style == "2047":  # Foxmail, Outlook: encoded-words inside the quoted parameter
        word = _b(name)
        return (
            f"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n"
            f'\tname="{word}"\r\nContent-Disposition: attachment;\r\n\tfilename="{word}"\r\n'
        ).encode()
    if style == "2231":  # Thunderbird, Coremail: RFC 2231 with continuations
        pct = quote_from_bytes(gb)
        cut = (len(pct) // 2) // 3 * 3
        return (
            f"Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n"
            f" filename*0*=gb18030''{pct[:cut]};\r\n filename*1*={pct[cut:]}\r\n"
        ).encode()
    if style == "raw":  # old web mail: GBK bytes, no encoding at all
        return (
            b'Content-Type: application/octet-stream; name="' + gb + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + gb + b'"\r\n'
        )
    raise ValueError(style)


def reply(
    original: bytes | None,
    sender: str,
    sender_name: str,
    attachments: list[tuple[str, bytes]],
    *,
    subject: str | None = None,
    style: str = "2047",
    message_id: str = "<r1@office.example.gov.cn>",
    to: str = "dcs@example.gov.cn",
    raw_subject: bool = False,
) -> bytes:
    """A reply to ``original`` (the bytes manyi sent) with ``attachments``, as a Chinese client sends it."""
    refs = b""
    if original is not None:
        orig = email.message_from_bytes(original, policy=email.policy.default)
        subject = subject if subject is not None else f"回复：{orig['Subject']}"
        refs = (
            f"In-Reply-To: {orig['Message-ID']}\r\n"
            f"References: {orig.get('References', '')} {orig['Message-ID']}\r\n"
        ).encode()
    subject = subject or ""
    subj = (
        b"Subject: " + subject.encode("gbk") if raw_subject else f"Subject: {_b(subject)}".encode()
    ) + b"\r\n"
    head = (
        (f"From: {_b(sender_name)} <{sender}>\r\nTo: {to}\r\n").encode()
        + subj
        + refs
        + (
            f"Message-ID: {message_id}\r\nDate: Mon, 16 Mar 2026 15:04:00 +0800\r\nMIME-Version: 1.0\r\n"
            "X-Mailer: Foxmail 7.2.25.375[cn]\r\n"
            'Content-Type: multipart/mixed;\r\n\tboundary="----=_NextPart_5F3A_manyi"\r\n\r\n'
        ).encode()
    )
    parts = [
        b'------=_NextPart_5F3A_manyi\r\nContent-Type: text/plain;\r\n\tcharset="gb2312"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes("材料已附上，请查收。".encode("gb2312")).replace(b"\n", b"\r\n")
    ]
    for name, data in attachments:
        parts.append(
            b"------=_NextPart_5F3A_manyi\r\n"
            + filename_header(name, style)
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(data).replace(b"\n", b"\r\n")
        )
    return head + b"".join(parts) + b"------=_NextPart_5F3A_manyi--\r\n"


def deliver_maildir(folder: Path, raw: bytes) -> str:
    """Drop a message into a Maildir's new/ as a delivery agent does."""
    box = mailbox.Maildir(str(folder), create=True)
    return box.add(raw)
