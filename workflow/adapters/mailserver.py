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

from workflow.errors import ConfigError, DeliveryError, OutboxError, mask_password
from workflow.i18n import _
from workflow.mail.mailtext import parse_sender

DEFAULT_FROM = "manyi <manyi@localhost>"
TIMEOUT_S = 20.0
#: Seconds one sweep may spend delivering (MANYI_SWEEP_BUDGET); what is left waits for the next.
SWEEP_BUDGET_S = 300.0


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

    shown = mask_password(raw)
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        # Not the parser's words: they may quote a piece of the password.
        raise bad(_("'{v}' is not a URL like smtp://user:pass@host:port").format(v=shown)) from None
    if parts.scheme not in ("smtp", "smtps"):
        raise bad(_("'{v}' must start with smtp:// or smtps://").format(v=shown))
    if not parts.hostname:
        raise bad(_("'{v}' names no host").format(v=shown))
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise bad(_("unknown option '{o}' (known: starttls)").format(o=sorted(unknown)[0]))
    starttls = query.get("starttls", ["0"])[-1]
    if starttls not in ("0", "1", "true", "false"):
        raise bad(_("starttls must be 1 or 0, not '{v}'").format(v=starttls))
    tls = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        tls=tls,
        starttls=starttls in ("1", "true"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def sweep_budget() -> float:
    """``MANYI_SWEEP_BUDGET``: seconds one sweep may spend sending (default 300)."""
    raw = os.environ.get("MANYI_SWEEP_BUDGET")
    if not raw:
        return SWEEP_BUDGET_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 1 <= value <= 86400:
        raise ConfigError(
            "MANYI_SWEEP_BUDGET", _("'{v}' is not a number of seconds from 1 to 86400").format(v=raw)
        )
    return value


def sender_from_env() -> str:
    """``MANYI_MAIL_FROM``; required when mail goes to a server (``manyi@localhost`` is refused there)."""
    configured = os.environ.get("MANYI_MAIL_FROM")
    url = os.environ.get("MANYI_SMTP_URL")
    if url:
        parse_smtp_url(url)  # a broken URL is the first thing to fix
    if not configured and url:
        raise ConfigError(
            "MANYI_MAIL_FROM",
            _(
                "must be set when MANYI_SMTP_URL is: the address reminders come from, like "
                "督查室 <dcs@example.gov.cn> (mail servers refuse manyi@localhost)"
            ),
        )
    raw = configured or DEFAULT_FROM
    if "\r" in raw or "\n" in raw or not parse_sender(raw)[1]:
        raise ConfigError(
            "MANYI_MAIL_FROM",
            _("'{v}' is not an address like 名称 <addr@host>").format(
                v=raw.splitlines()[0] if raw.strip() else raw
            ),
        )
    if configured:
        from workflow.engine import text
        from workflow.errors import InputError

        try:
            text.email(parse_sender(raw)[1], "MANYI_MAIL_FROM")
        except InputError as exc:
            raise ConfigError("MANYI_MAIL_FROM", str(exc).partition(": ")[2]) from None
    return raw


class OutboxTransport:
    """Writes each message as ``<outbox>/<n>-<recipient>.eml``.

    SMTP needs CRLF line ends; a file on disk uses the platform's LF, as mbox and Maildir
    do, so mutt, Thunderbird, ``mail -f`` and ``git am``-style tools read it as-is (with
    CRLF mutt shows ``^M`` at the end of every header line). Sending the file later through
    SMTP is the mailer's job: it converts line ends again.
    """

    name = "outbox"
    #: Sending a message again writes the same file (named by the message's id): a sweep killed
    #: after writing and before marking rewrites it, so marks may be batched.
    idempotent = True
    #: Messages claimed (and marked) per transaction: a file is written in well under a
    #: millisecond, so a claim's statements would otherwise cost more than its writes.
    batch = 500

    def __init__(self, folder: Path):
        self.folder = folder

    def send(
        self, sender: str, recipient: str, raw: bytes, mail_id: int, timeout: float | None = None
    ) -> str:
        # The id keeps names unique; the address is cut so the name stays within a file
        # system's 255 bytes (an address may have 254 characters).
        safe = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in recipient)[:200]
        path = os.path.join(self.folder, f"{mail_id:06d}-{safe}.eml")
        tmp = path[:-4] + ".tmp"
        data = raw.replace(b"\r\n", b"\n")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)  # LF stays LF
        try:
            try:
                fd = os.open(tmp, flags, 0o666)
            except FileNotFoundError:  # the first message, or the folder removed during the run
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, flags, 0o666)
            with open(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)  # a crash never leaves half a message behind
        except OSError as exc:  # a full disk, a folder not ours: no message can be written now
            raise OutboxError(str(self.folder), exc) from None
        return path

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP session per sweep, opened on the first message."""

    name = "smtp"
    #: A message handed to the server is delivered: each is marked sent alone, right after.
    idempotent = False
    #: Messages claimed per transaction: a slow server holds no more than this many claimed.
    batch = 50

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            if c.tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT_S)
            if c.starttls:
                conn.starttls(context=ssl.create_default_context())
            if c.user:
                conn.login(c.user, c.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError("MANYI_SMTP_URL", c.where, _describe(exc), unreachable=True) from None
        return conn

    def send(
        self, sender: str, recipient: str, raw: bytes, mail_id: int, timeout: float | None = None
    ) -> str:
        """Hand one message over; ``timeout`` bounds each reply (the sweep's remaining budget).

        Raises:
            DeliveryError: ``permanent`` for a 5xx reply or an address that cannot be sent,
                ``unreachable`` when the server or our sender is refused for every message.
        """
        where = self.config.where
        if not recipient.isascii():
            raise DeliveryError(
                "MANYI_SMTP_URL",
                where,
                _("recipient {r}: not an ASCII address (cannot be sent without SMTPUTF8)").format(
                    r=recipient
                ),
                permanent=True,
            )
        if self._conn is None:
            self._conn = self._connect()
        if timeout is not None and self._conn.sock is not None:
            self._conn.sock.settimeout(max(0.5, min(TIMEOUT_S, timeout)))
        try:
            self._conn.sendmail(parse_sender(sender)[1], [recipient], raw)
        except smtplib.SMTPRecipientsRefused as exc:
            # smtplib has reset the transaction: the session goes on with the next message.
            code, reply = exc.recipients.get(recipient, next(iter(exc.recipients.values()), (0, b"")))
            raise DeliveryError(
                "MANYI_SMTP_URL",
                where,
                _("recipient {r}: {reply}").format(r=recipient, reply=_reply(code, reply)),
                permanent=500 <= code < 600,
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise DeliveryError(
                "MANYI_SMTP_URL",
                where,
                _("sender {s} (MANYI_MAIL_FROM): {reply}").format(
                    s=exc.sender, reply=_reply(exc.smtp_code, exc.smtp_error)
                ),
                unreachable=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryError(
                "MANYI_SMTP_URL", where, _describe(exc), permanent=500 <= exc.smtp_code < 600
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError("MANYI_SMTP_URL", where, _describe(exc)) from None
        return where

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


def _reply(code: int, message: bytes | str) -> str:
    """A server's reply as one line: ``550 5.1.1 no such user``."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}".strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, socket.gaierror):
        return _("unknown host ({e})").format(e=exc.strerror or exc)
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
