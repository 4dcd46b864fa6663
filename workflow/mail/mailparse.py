"""Reading one incoming message as Chinese mail clients send it. Pure: bytes in, data out.

Mail from offices comes from Foxmail, Outlook, Coremail web mail and phone
clients. What they do that a strict parser trips on:

- encoded-words and RFC 2231 parameters labelled ``gb2312`` that hold GBK
  characters (decoded as GB18030, the superset of both);
- raw GBK/GB18030 bytes in headers and file names, no encoding at all;
- the file name only in ``Content-Type: …; name=`` or split over RFC 2231
  continuations (``filename*0*=…; filename*1*=…``);
- Outlook's ``winmail.dat`` (TNEF), which holds the real attachments in a
  format nothing else reads: it is set aside with a note.

File names are sanitized here (no path, no control or bidi characters, no
leading dot, a bounded length); whether a type may be taken in is
:func:`refused_type`'s to say.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

#: Charset labels Chinese clients use for text that is really GBK or GB18030.
_CHARSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "gb_2312-80": "gb18030",
}
#: Attachment types never taken in unless allowed (MANYI_INBOX_ALLOW_TYPES).
EXECUTABLE = frozenset(
    ".exe .com .bat .cmd .scr .pif .msi .msp .js .jse .vbs .vbe .wsf .wsh .ps1 .psm1 .jar .lnk "
    ".hta .cpl .dll .sys .reg .sh .bash .app .apk .dmg .iso .vb .inf .scf .url .chm .py .pyc".split()
)
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
MAX_NAME_BYTES = 180


@dataclass(frozen=True)
class Attachment:
    filename: str  # sanitized
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Parsed:
    message_id: str
    sender: str  # the From address, lower case ('' when there is none)
    sender_name: str
    subject: str
    sent_at: datetime | None
    references: str  # In-Reply-To and References, as one string
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was set aside, in English keys + names


def _codec(charset: str | None) -> str:
    label = (charset or "").strip().lower()
    return _CHARSETS.get(label, label or "utf-8")


def _bytes_text(data: bytes, charset: str | None = None) -> str:
    """Bytes of a header or name: the declared charset, else UTF-8, else GB18030."""
    for codec in ([_codec(charset)] if charset else []) + ["utf-8", "gb18030"]:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", "replace")


def decode_text(value: object) -> str:
    """A header value (encoded-words, raw 8-bit bytes or both) as text."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    raw = str(value)
    # Raw 8-bit bytes arrive surrogate-escaped (compat32): turn them back into bytes first.
    try:
        raw_bytes = raw.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:  # already text (non-ASCII characters that are not escapes)
        raw_bytes = None
    if raw_bytes is not None and any(b > 127 for b in raw_bytes):
        raw = _bytes_text(raw_bytes)
    if not _ENCODED_WORD.search(raw):
        return _unfold(raw)
    out = []
    try:
        chunks = decode_header(raw)
    except (ValueError, AssertionError):
        return _unfold(raw)
    for chunk, charset in chunks:
        out.append(_bytes_text(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return _unfold("".join(out))


def _unfold(text: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", text).strip()


def sanitize_filename(name: str, fallback: str = "attachment") -> str:
    """A name safe to show and to save: its last path part, no control, bidi or leading dots."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = _BIDI.sub("", name)
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        return fallback
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = name, ""
    ext = f".{ext}" if ext else ""
    while len((stem + ext).encode("utf-8")) > MAX_NAME_BYTES and stem:
        stem = stem[:-1]
    return (stem + ext) or fallback


def extension(name: str) -> str:
    return ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""


def refused_type(name: str, content_type: str, allowed: frozenset[str] = frozenset()) -> bool:
    """True for an executable attachment (by its extension or type) not in ``allowed``."""
    ext = extension(name)
    if ext in allowed:
        return False
    if ext in EXECUTABLE:
        return True
    return (
        content_type
        in (
            "application/x-msdownload",
            "application/x-msdos-program",
            "application/x-executable",
            "application/x-sh",
        )
        and ext not in allowed
    )


def _param(part: Message, name: str, header: str) -> str | None:
    """A parameter (RFC 2231 or RFC 2047 or raw 8-bit) decoded to text."""
    value = part.get_param(name, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded latin-1 text)
        charset, _lang, text = value
        data = text.encode("latin-1", "surrogateescape") if isinstance(text, str) else bytes(text)
        return _bytes_text(data, charset)
    return decode_text(email.utils.unquote(value))


def filename_of(part: Message) -> str | None:
    return _param(part, "filename", "content-disposition") or _param(part, "name", "content-type")


def _message_id(msg: Message, raw: bytes) -> str:
    value = decode_text(msg.get("Message-ID")).strip()
    found = re.search(r"<[^<>\s]+>", value)
    if found:
        return found.group(0)[:250]
    # No Message-ID: the message's own hash stands for it (fetching it twice still finds it).
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@manyi.invalid>"


def _sent_at(msg: Message) -> datetime | None:
    value = msg.get("Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _raw_8bit_to_text(msg: Message) -> None:
    """Headers with raw 8-bit bytes (no encoded-words) become text: UTF-8, else GB18030.

    The parser keeps such bytes surrogate-escaped and would show them as U+FFFD;
    decoding each header once here lets every later lookup (From, Subject, the
    file name parameters) read the characters the client meant.
    """
    for part in msg.walk():
        fixed = []
        headers = vars(part)  # the parsed header list (_headers) has no public setter
        for key, value in headers["_headers"]:
            if isinstance(value, str):
                try:
                    value.encode("ascii")
                except UnicodeEncodeError:
                    data = value.encode("ascii", "surrogateescape") if _has_escapes(value) else None
                    if data is not None:
                        value = _bytes_text(data)
            fixed.append((key, value))
        headers["_headers"] = fixed


def _has_escapes(text: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in text)


_BLANK = re.compile(rb"\r?\n\r?\n")


def oversized(raw: bytes, max_bytes: int) -> list[tuple[str, int]]:
    """Parts that are surely over ``max_bytes`` decoded, as (file name, approximate size).

    A cheap scan between MIME boundary lines (base64 lines never start with
    ``--``): a 50 MB attachment is refused without decoding it, which would
    take the standard library's parser seconds and the memory of a copy.
    """
    if len(raw) * 3 // 4 <= max_bytes:
        return []
    cuts = []
    at = raw.find(b"\n--")
    while at != -1:
        cuts.append(at + 1)
        at = raw.find(b"\n--", at + 3)
    cuts.append(len(raw))
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if (b - a) * 3 // 4 <= max_bytes:
            continue
        blank = _BLANK.search(raw, a, min(b, a + 65536))
        head = raw[raw.find(b"\n", a) + 1 : blank.start() if blank else a]
        part = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)
        _raw_8bit_to_text(part)
        name = sanitize_filename(filename_of(part) or "", fallback="attachment")
        size = (b - (blank.end() if blank else a)) * 57 // 78  # base64: 57 bytes a 76-character line
        if size > max_bytes:
            out.append((name, size))
    return out


def headers_only(raw: bytes) -> bytes:
    """The header block of a message (for a message whose body is not read)."""
    blank = _BLANK.search(raw)
    return raw[: blank.end()] if blank else raw


def parse(raw: bytes) -> Parsed:
    """One message: who sent it, its subject, references and attachments (decoded)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    _raw_8bit_to_text(msg)
    name, addr = "", ""
    pairs = getaddresses([decode_text(msg.get("From"))])
    if pairs:
        name, addr = pairs[0]
    addr = addr.strip().lower() if "@" in addr and " " not in addr.strip() else ""
    out = Parsed(
        message_id=_message_id(msg, raw),
        sender=addr,
        sender_name=name.strip(),
        subject=decode_text(msg.get("Subject")),
        sent_at=_sent_at(msg),
        references=" ".join(str(msg.get(h, "")) for h in ("In-Reply-To", "References")),
    )
    for part in msg.walk():
        if part.is_multipart():
            continue
        raw_name = filename_of(part)
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if raw_name is None and disposition != "attachment":
            continue  # the body text (or an inline part without a name)
        filename = sanitize_filename(raw_name or "", fallback=f"attachment{len(out.attachments) + 1}")
        if filename.lower() == "winmail.dat" or ctype == "application/ms-tnef":
            out.notes.append(f"winmail.dat:{filename}")
            continue
        if ctype == "message/rfc822":
            out.notes.append(f"forwarded-message:{filename}")
            continue
        data = part.get_payload(decode=True)
        out.attachments.append(Attachment(filename, ctype, data if isinstance(data, bytes) else b""))
    return out
