"""A real SMTP server on loopback for the tests (aiosmtpd), SMTPUTF8 off.

With SMTPUTF8 off the client must send RFC 2047 encoded headers; the tests
decode what arrived and compare it with the exact Chinese text.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """Handler that keeps every message (envelope + parsed message)."""

    def __init__(
        self,
        delay: float = 0.0,
        refuse: dict[str, str] | None = None,
        hold: tuple[str, int] | None = None,
    ):
        self.delay = delay  # before accepting each recipient: lets a test kill a sender mid-run
        self.refuse = refuse or {}  # recipient -> the reply it gets instead of 250 (e.g. a 550)
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        # ("RCPT", n): the n-th recipient waits, unanswered, until ``release`` is set (the
        # messages before it were answered 250). ("DATA", n): the n-th message is kept (it is in
        # ``received``) and its 250 waits: the sender cannot know it was accepted.
        self.hold = hold
        self.held = threading.Event()  # set once the server waits at the hold point
        self.release = threading.Event()
        self.rcpts = 0

    async def _wait_if_held(self, verb: str, count: int) -> None:
        if self.hold == (verb, count):
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        self.rcpts += 1
        await self._wait_if_held("RCPT", self.rcpts)
        if self.delay:
            await asyncio.sleep(self.delay)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
            count = len(self.received)
        await self._wait_if_held("DATA", count)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [m for _f, _t, m in self.received]


class SmtpServer:
    def __init__(
        self,
        port: int | None = None,
        delay: float = 0.0,
        refuse: dict[str, str] | None = None,
        hold: tuple[str, int] | None = None,
    ):
        self.port = port or free_port()
        self.inbox = Inbox(delay, refuse, hold)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=False)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.inbox.release.set()
        self.controller.stop()


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return part.get_content()  # type: ignore[no-any-return]
