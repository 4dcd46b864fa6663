"""Mail delivery: the SMTP server named by ``MANYI_SMTP_URL``, or the database's outbox folder.

The one module that talks to a mail server. ``smtp://user:pass@host:port``
(plain, port 25 by default), ``?starttls=1`` to upgrade, ``smtps://`` for
implicit TLS (port 465). With no URL the embedded default writes each message
as an ``.eml`` file into the database's own outbox folder (``<db>.outbox/``), so nothing is
lost and the demo works offline. smtplib's and the socket layer's errors
become :class:`DeliveryError` here, and only here.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from workflow.errors import ConfigError, DeliveryError
from workflow.i18n import _
from workflow.mailtext import parse_sender

DEFAULT_FROM = "manyi <manyi@localhost>"
TIMEOUT_S = 20.0


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool  # implicit TLS (smtps)
    starttls: bool
    user: str | None
    password: str | None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def parse_smtp_url(raw: str) -> SmtpConfig:
    """Validate ``MANYI_SMTP_URL``; raise :class:`ConfigError` naming it."""
    def bad(problem: str) -> ConfigError:
        return ConfigError("MANYI_SMTP_URL", problem)

    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError as exc:
        raise bad(_("'{v}' is not a URL like smtp://user:pass@host:port ({e})").format(
            v=raw, e=exc)) from None
    if parts.scheme not in ("smtp", "smtps"):
        raise bad(_("'{v}' must start with smtp:// or smtps://").format(v=raw))
    if not parts.hostname:
        raise bad(_("'{v}' names no host").format(v=raw))
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise bad(_("unknown option '{o}' (known: starttls)").format(o=sorted(unknown)[0]))
    starttls = query.get("starttls", ["0"])[-1]
    if starttls not in ("0", "1", "true", "false"):
        raise bad(_("starttls must be 1 or 0, not '{v}'").format(v=starttls))
    tls = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname, port=port or (465 if tls else 25), tls=tls,
        starttls=starttls in ("1", "true"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def sender_from_env() -> str:
    raw = os.environ.get("MANYI_MAIL_FROM") or DEFAULT_FROM
    if not parse_sender(raw)[1]:
        raise ConfigError("MANYI_MAIL_FROM", _("'{v}' is not an address like 名称 <addr@host>").format(v=raw))
    return raw


class OutboxTransport:
    """Writes each message as ``<outbox>/<n>-<recipient>.eml``.

    SMTP needs CRLF line ends; a file on disk uses the platform's LF, as mbox and Maildir
    do, so mutt, Thunderbird, ``mail -f`` and ``git am``-style tools read it as-is (with
    CRLF mutt shows ``^M`` at the end of every header line). Sending the file later through
    SMTP is the mailer's job: it converts line ends again.
    """

    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, sender: str, recipient: str, raw: bytes, mail_id: int) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in recipient)
        path = self.folder / f"{mail_id:06d}-{safe}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw.replace(b"\r\n", b"\n"))
        tmp.replace(path)  # a crash never leaves half a message behind
        return str(path)

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP session per sweep, opened on the first message."""

    name = "smtp"

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            if c.tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT_S,
                                                      context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT_S)
            if c.starttls:
                conn.starttls(context=ssl.create_default_context())
            if c.user:
                conn.login(c.user, c.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError("MANYI_SMTP_URL", c.where, _describe(exc), unreachable=True) from None
        return conn

    def send(self, sender: str, recipient: str, raw: bytes, mail_id: int) -> str:
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.sendmail(parse_sender(sender)[1], [recipient], raw)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError("MANYI_SMTP_URL", self.config.where, _describe(exc)) from None
        return self.config.where

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._conn = None


Transport = OutboxTransport | SmtpTransport


def transport_from_env(outbox: Path) -> Transport:
    raw = os.environ.get("MANYI_SMTP_URL")
    sender_from_env()
    if not raw:
        return OutboxTransport(outbox)
    return SmtpTransport(parse_smtp_url(raw))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {msg}".strip()
    if isinstance(exc, socket.gaierror):
        return _("unknown host ({e})").format(e=exc.strerror or exc)
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
