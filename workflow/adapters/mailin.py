"""Mail in: the IMAP account named by ``MANYI_IMAP_URL``, or the Maildir named by ``MANYI_INBOX``.

The one module that reads a mailbox (the standard library's ``imaplib`` and
``mailbox``). A source lists the messages not yet taken in, gives each one's
bytes, and is told when one has been committed (``done``): IMAP marks it with
the keyword ``$manyi`` (never ``\\Seen``: a person may read the same mailbox),
a Maildir message is left where it is (a person's client may move it). What
counts for "taken in once" is the Message-ID in the database; the marks only
spare re-reading. imaplib's, ssl's and the socket layer's errors become
:class:`DeliveryError` here, and only here.

``imaps://user:pass@host[:993]/FOLDER`` is implicit TLS; ``imap://…`` upgrades
with STARTTLS, unless ``?starttls=0`` (a server on loopback).
"""

from __future__ import annotations

import imaplib
import mailbox
import os
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from workflow.errors import ConfigError, DeliveryError
from workflow.i18n import _

KEYWORD = "$manyi"
TIMEOUT_S = 30.0
_MSGID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


_DELIVERED = re.compile(r"(\d+)\.(?:[^.]*?M(\d+))?")


def delivery_order(key: str) -> tuple[int, int, str]:
    """A Maildir file name's place in delivery order: its seconds, then its microseconds
    (``1700000000.M98765P12Q3.host``), then the name.

    Sorting the names as text puts ``M100000`` before ``M98765`` (the microseconds are not
    zero-padded), so two messages delivered in one second could be taken in swapped.
    """
    m = _DELIVERED.match(key)
    if m is None:
        return (1 << 62, 0, key)  # not a delivery agent's name: after the ones that are
    return (int(m[1]), int(m[2] or 0), key)


def header_message_id(head: bytes) -> str | None:
    """The Message-ID in a message's header block, as ``<…>``; None when there is none."""
    found = _MSGID.search(head)
    if not found:
        return None
    inner = re.search(rb"<[^<>\s]+>", found.group(1))
    return inner.group(0).decode("ascii", "replace")[:250] if inner else None


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    tls: bool
    starttls: bool
    user: str
    password: str
    folder: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}/{self.folder}"


def parse_imap_url(raw: str) -> ImapConfig:
    """Validate ``MANYI_IMAP_URL``; raise :class:`ConfigError` naming it."""

    def bad(problem: str) -> ConfigError:
        return ConfigError("MANYI_IMAP_URL", problem)

    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError as exc:
        raise bad(
            _("'{v}' is not a URL like imaps://user:pass@host/INBOX ({e})").format(v=raw, e=exc)
        ) from None
    if parts.scheme not in ("imap", "imaps"):
        raise bad(_("'{v}' must start with imap:// or imaps://").format(v=raw))
    if not parts.hostname:
        raise bad(_("'{v}' names no host").format(v=raw))
    if not parts.username:
        raise bad(_("'{v}' names no user (imaps://user:pass@host/INBOX)").format(v=raw))
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise bad(_("unknown option '{o}' (known: starttls)").format(o=sorted(unknown)[0]))
    starttls = query.get("starttls", ["1"])[-1]
    if starttls not in ("0", "1", "true", "false"):
        raise bad(_("starttls must be 1 or 0, not '{v}'").format(v=starttls))
    tls = parts.scheme == "imaps"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    if not folder.isascii() or any(c in folder for c in '"\\\r\n'):
        raise bad(
            _("folder '{f}': use the folder's ASCII name (INBOX, or as the server lists it)").format(f=folder)
        )
    return ImapConfig(
        host=parts.hostname,
        port=port or (993 if tls else 143),
        tls=tls,
        starttls=not tls and starttls in ("1", "true"),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=folder,
    )


class MaildirSource:
    """Every message in ``new/`` and ``cur/`` of a Maildir folder."""

    def __init__(self, path: Path):
        self.path = path
        if not (path / "new").is_dir() or not (path / "cur").is_dir():
            raise ConfigError(
                "MANYI_INBOX", _("{p} is not a Maildir folder (it needs new/ and cur/)").format(p=path)
            )
        self.box = mailbox.Maildir(str(path), factory=None, create=False)

    @property
    def where(self) -> str:
        return f"maildir:{self.path}"

    def headers(self) -> Iterator[tuple[str, str | None]]:
        """(key, Message-ID) of every message, reading only its header block."""
        for key in sorted(self.box.iterkeys(), key=delivery_order):
            try:
                with self.box.get_file(key) as fh:
                    head = b""
                    for line in fh:
                        if line in (b"\n", b"\r\n"):
                            break
                        head += line
                        if len(head) > 1 << 20:
                            break
            except (KeyError, FileNotFoundError):  # moved by a mail client meanwhile
                continue
            yield key, header_message_id(head)

    def fetch(self, key: str) -> bytes | None:
        try:
            return self.box.get_bytes(key)
        except (KeyError, FileNotFoundError):
            return None

    def done(self, key: str) -> None:
        pass  # the Message-ID in the database is the mark; the folder stays the office's

    def close(self) -> None:
        pass


class ImapSource:
    """One IMAP session: messages without the ``$manyi`` keyword, fetched with PEEK (no \\Seen)."""

    def __init__(self, config: ImapConfig):
        self.config = config
        self.conn = self._connect()
        self.keywords = True

    @property
    def where(self) -> str:
        return f"imap:{self.config.where}"

    def _fail(self, exc: BaseException, unreachable: bool = True) -> DeliveryError:
        return DeliveryError("MANYI_IMAP_URL", self.config.where, _describe(exc), unreachable=unreachable)

    def _connect(self) -> imaplib.IMAP4:
        c = self.config
        conn: imaplib.IMAP4 | None = None
        try:
            if c.tls:
                conn = imaplib.IMAP4_SSL(
                    c.host, c.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_S
                )
            else:
                conn = imaplib.IMAP4(c.host, c.port, timeout=TIMEOUT_S)
                if c.starttls:
                    conn.starttls(ssl_context=ssl.create_default_context())
            conn.login(c.user, c.password)
            typ, _data = conn.select(f'"{c.folder}"')
            if typ != "OK":
                raise imaplib.IMAP4.error(_("no folder {f}").format(f=c.folder))
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            if conn is not None:
                try:
                    conn.shutdown()
                except (OSError, imaplib.IMAP4.error):
                    pass
            raise DeliveryError("MANYI_IMAP_URL", c.where, _describe(exc), unreachable=True) from None
        flags = conn.response("PERMANENTFLAGS")[1]
        self.keywords = bool(flags and flags[-1] and b"\\*" in flags[-1])
        return conn

    def headers(self) -> Iterator[tuple[str, str | None]]:
        try:
            criteria = ("UNKEYWORD", KEYWORD) if self.keywords else ("ALL",)
            typ, data = self.conn.uid("SEARCH", *criteria)
            uids = data[0].split() if typ == "OK" and data and data[0] else []
            for i in range(0, len(uids), 200):
                chunk = b",".join(uids[i : i + 200]).decode()
                typ, rows = self.conn.uid("FETCH", chunk, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                for row in rows or []:
                    if isinstance(row, tuple):
                        uid = re.search(rb"UID (\d+)", row[0])
                        if uid:
                            yield uid.group(1).decode(), header_message_id(row[1])
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise self._fail(exc) from None

    def fetch(self, key: str) -> bytes | None:
        try:
            typ, rows = self.conn.uid("FETCH", key, "(BODY.PEEK[])")
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise self._fail(exc) from None
        for row in rows or []:
            if isinstance(row, tuple):
                return bytes(row[1])
        return None

    def done(self, key: str) -> None:
        if not self.keywords:
            return
        try:
            self.conn.uid("STORE", key, "+FLAGS.SILENT", f"({KEYWORD})")
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise self._fail(exc) from None

    def close(self) -> None:
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error, ssl.SSLError):
            pass


Source = MaildirSource | ImapSource


def configured() -> bool:
    return bool(os.environ.get("MANYI_IMAP_URL") or os.environ.get("MANYI_INBOX"))


def source_from_env() -> Source:
    """The mailbox named by ``MANYI_IMAP_URL`` (first) or ``MANYI_INBOX``."""
    url = os.environ.get("MANYI_IMAP_URL")
    if url:
        return ImapSource(parse_imap_url(url))
    folder = os.environ.get("MANYI_INBOX")
    if folder:
        return MaildirSource(Path(folder).expanduser())
    raise ConfigError(
        "MANYI_IMAP_URL",
        _(
            "no mailbox configured: set MANYI_IMAP_URL "
            "(imaps://user:pass@host/INBOX) or MANYI_INBOX (a Maildir folder)"
        ),
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return _("unknown host ({e})").format(e=exc.strerror or exc)
    text = str(exc).strip() or type(exc).__name__
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text.splitlines()[0]
