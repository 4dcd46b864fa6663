"""Reminder mail: the text of one digest message per recipient, as proper MIME.

Pure: everything (sender, recipient, items, the clock's time, templates) is
passed in. Headers with Chinese are RFC 2047 encoded-words (UTF-8) through
the standard library's ``email.policy.SMTP``; the body is UTF-8 text.
Templates are ``str.format`` strings a campaign can override in its
definition (``reminders.templates``); the defaults below are in Chinese, the
language of the offices that receive them.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from functools import cached_property, lru_cache

from workflow.mail.wire import body_bytes, folded_header

DEFAULT_SUBJECT = "【{tag}】{campaign_title}（{campaign}）：{count}项待办{late_part}"
DEFAULT_BODY = (
    "{recipient_name}：\n\n"
    "{campaign_title}（{campaign}）以下事项需要办理：\n\n"
    "{items}\n"
    "报送后提醒自动停止。如需延期，请联系{leading_group}。\n\n"
    "—— manyi 自动催办，{sent_at}\n"
)
DEFAULT_ITEM = (
    "{n}. {office}：{title}（{requirement}）\n   截止日期：{due}（{when}）\n   报送方式：{submit}\n"
)
#: How an office submits by mail (a definition's ``submission`` text replaces it).
DEFAULT_SUBMIT = "直接回复本邮件并附上文件，主题中须含 {reference}"


@dataclass(frozen=True)
class Item:
    """One requirement or rectification item that is due or late, as a line of a digest."""

    campaign: str
    office: str
    requirement: str
    title: str
    due: date
    days_late: int
    days_left: int
    escalated: bool
    item: int | None = None  # a rectification item's id (then ``requirement`` is "item:ID")
    copied_to: str = ""  # who an escalation copies (the organizing body, by its own name)

    @property
    def command(self) -> str:
        """The console command a clerk at the supervision office types (custom templates only:
        the offices that receive reminders do not run manyi)."""
        if self.item is not None:
            return (
                f"manyi rectify done {self.item} --evidence 证明材料路径 --campaign {_quote(self.campaign)}"
            )
        return (
            f"manyi file {_quote(self.office)} {self.requirement} 文件路径 --campaign {_quote(self.campaign)}"
        )

    @cached_property  # asked three or four times per line of a digest
    def reference(self) -> str:
        return reference(self.campaign, self.office, self.requirement)

    @property
    def when(self) -> str:
        if self.days_late:
            extra = f"，已抄送{self.copied_to}" if self.escalated and self.copied_to else ""
            return f"已逾期{self.days_late}天{extra}"
        if self.days_left == 0:
            return "今天到期"
        return f"还有{self.days_left}天"


def _quote(word: str) -> str:
    """Shell-quote only what needs it (Chinese names stay readable)."""
    return word if re.fullmatch(r"[\w@%+=:,./-]+", word) else shlex.quote(word)


# -- reply references -----------------------------------------------------------
#: ``[manyi:CAMPAIGN/OFFICE/REQUIREMENT]`` (requirement optional) in a subject or body.
REFERENCE_RE = re.compile(r"\[manyi:([^\]\s/]+)/([^\]\s/]+)(?:/([^\]\s/]+))?\]")
#: ``manyi.CAMPAIGN_ID.SECTION_ID.REQUIREMENT`` inside a Message-ID or References id.
MSGID_RE = re.compile(r"\.manyi\.(\d+)\.(\d+|-)\.([a-z][a-z0-9-]*|-)@")


#: What :func:`_part` encodes (``\\s`` is ``str.isspace()``: both use the same Unicode table).
_REFERENCE_SPECIAL = re.compile(r"[%/\[\]\s\x00-\x1f]")


def _part(word: str) -> str:
    """A name inside a reference: ``%``, ``/``, ``]``, ``[`` and white space percent-encoded."""
    if not _REFERENCE_SPECIAL.search(word):  # most names: nothing to encode, no per-character look
        return word
    return "".join(f"%{ord(c):02X}" if c in "%/[]" or c.isspace() or ord(c) < 32 else c for c in word)


def reference(campaign: str, office: str, requirement: str | None = None) -> str:
    """The reply reference a reminder carries, e.g. ``[manyi:2026/秘书科/study-plan]``."""
    tail = f"/{_part(requirement)}" if requirement else ""
    return f"[manyi:{_part(campaign)}/{_part(office)}{tail}]"


def parse_references(text: str) -> list[tuple[str, str, str | None]]:
    """Every reply reference in ``text`` as (campaign, office, requirement or None)."""
    from urllib.parse import unquote

    return [(unquote(c), unquote(o), unquote(r) if r else None) for c, o, r in REFERENCE_RE.findall(text)]


def parse_msgids(text: str) -> list[tuple[int, int | None, str | None]]:
    """(campaign id, section id, requirement) of every manyi Message-ID in a References header."""
    return [
        (int(c), None if s == "-" else int(s), None if r == "-" else r) for c, s, r in MSGID_RE.findall(text)
    ]


def message_id(
    now: datetime, domain: str, campaign_id: int, section_id: int | None, requirement: str | None
) -> str:
    """``<UNIQUE.manyi.CAMPAIGN.SECTION.REQUIREMENT@domain>``, short enough never to be folded.

    A header line over 78 characters is folded, and a folded Message-ID comes back
    with a leading space from some parsers; the requirement is left out ("-") when
    it would make the line too long (the subject still names it).
    """
    unique = f"{int(now.timestamp() * 1000):x}{secrets.token_hex(4)}"
    base = f"{unique}.manyi.{campaign_id}.{section_id if section_id is not None else '-'}"
    req = requirement if requirement and re.fullmatch(r"[a-z][a-z0-9-]*", requirement) else "-"
    full = f"<{base}.{req}@{domain}>"
    if len("Message-ID: ") + len(full) > 78:
        full = f"<{base}.-@{domain}>"
    return full


@lru_cache(maxsize=64)  # one sender for every digest of a sweep
def parse_sender(value: str) -> tuple[str, str]:
    """``"显示名 <addr@host>"`` or ``addr@host`` to (display name, address); '' if not an address."""
    name, addr = parseaddr(value)
    if "@" not in addr or " " in addr:
        return "", ""
    return name, addr


def render(template: str, fields: dict[str, object]) -> str:
    return template.format(**fields)


def compose(
    *,
    sender: str,
    recipient: str,
    recipient_name: str,
    items: Sequence[Item],
    campaign: str,
    campaign_title: str,
    leading_group: str,
    now: datetime,
    templates: dict[str, str | None] | None = None,
    submission: str | None = None,
    campaign_id: int | None = None,
    section_id: int | None = None,
) -> Digest:
    """One digest message to ``recipient`` listing ``items``.

    Every item carries its reply reference and a line saying how to submit by
    mail (``submission``, with ``{reference}`` in it, or the default); the
    subject carries the reference of what all items share (the office, and
    the requirement when there is one), and so does the Message-ID
    (``…manyi.CAMPAIGN_ID.SECTION_ID.REQUIREMENT@…``), which a reply quotes
    in In-Reply-To and References.
    """
    t = templates or {}
    late = [i for i in items if i.days_late]
    lines = []
    item_template = t.get("item") or DEFAULT_ITEM
    wants_command = "command" in item_template  # the default does not: no shell quoting per line
    for n, i in enumerate(items, start=1):
        submit = (submission or DEFAULT_SUBMIT).replace("{reference}", i.reference)
        if i.reference not in submit:
            submit = f"{submit} {i.reference}"
        line = render(
            item_template,
            {
                "n": n,
                "office": i.office,
                "title": i.title,
                "requirement": i.requirement,
                "due": i.due.isoformat(),
                "when": i.when,
                "command": i.command if wants_command else "",
                "days_late": i.days_late,
                "days_left": i.days_left,
                "campaign": i.campaign,
                "reference": i.reference,
                "submit": submit,
            },
        )
        if i.reference not in line:  # a campaign's own item template still carries the reference
            line = line.rstrip("\n") + f"\n   {submit}\n"
        lines.append(line)
    offices = {i.office for i in items}
    reqs = {i.requirement for i in items}
    common = ""
    if len(offices) == 1 and items:
        common = reference(campaign, items[0].office, items[0].requirement if len(reqs) == 1 else None)
    fields: dict[str, object] = {
        "tag": "催办" if late else "提醒",
        "campaign": campaign,
        "campaign_title": campaign_title,
        "count": len(items),
        "late": len(late),
        "late_part": f"，{len(late)}项已逾期" if late else "",
        "recipient_name": recipient_name,
        "leading_group": leading_group,
        "items": "\n".join(lines),
        "sent_at": now.isoformat(timespec="minutes"),
    }
    name, addr = parse_sender(sender)
    user, _at, domain = addr.partition("@")
    subject = render(t.get("subject") or DEFAULT_SUBJECT, fields)
    one_req = next(iter(reqs)) if len(reqs) == 1 and len(offices) == 1 else None
    headers: list[tuple[str, object]] = [
        ("From", Address(display_name=name, username=user, domain=domain)),
        ("To", recipient),
        ("Subject", f"{subject} {common}" if common else subject),
        ("Date", format_datetime(now)),
        (
            "Message-ID",
            message_id(
                now,
                domain or "localhost",
                campaign_id or 0,
                section_id if len(offices) == 1 else None,
                one_req,
            ),
        ),
    ]
    if len(offices) == 1 and section_id is not None and campaign_id is not None:
        # one thread per office: mail clients group its reminders, and a reply names it
        headers.append(("References", f"<thread.manyi.{campaign_id}.{section_id}.-@{domain or 'localhost'}>"))
    headers.append(("Auto-Submitted", "auto-generated"))
    return Digest(headers, render(t.get("body") or DEFAULT_BODY, fields))


@dataclass(frozen=True)
class Digest:
    """A composed reminder digest: its headers in order and its plain-text body."""

    headers: list[tuple[str, object]]
    body: str

    def __getitem__(self, name: str) -> str | None:
        """A header's value as text (``digest["Subject"]``; None when absent), as ``message()`` reads."""
        return next((str(value) for key, value in self.headers if key.lower() == name.lower()), None)

    def message(self) -> EmailMessage:
        """The message as the standard library builds it (SMTP policy, base64 UTF-8 body)."""
        msg = EmailMessage(policy=SMTP)
        for name, value in self.headers:
            msg[name] = value
        msg.set_content(self.body, charset="utf-8", cte="base64")
        return msg

    def as_bytes(self) -> bytes:
        """The same bytes as ``message().as_bytes()``, without the library's per-message cost.

        Folding a header through the SMTP policy parses it (RFC 2047 encoded words cost
        most): a short ASCII header folds to itself, and any other is folded once per
        distinct value (the sender's Chinese name is the same in every digest). A test
        compares both paths byte for byte.
        """
        out = [folded_header(name, str(value)) for name, value in self.headers]
        return b"".join(out) + body_bytes(self.body)


def check_templates(templates: dict[str, str | None]) -> tuple[str, str] | None:
    """The first template that would fail to render, as (template name, problem); None when all render."""
    from workflow.i18n import _

    sample_item = {
        "n": 1,
        "office": "x",
        "title": "x",
        "requirement": "x",
        "due": "x",
        "when": "x",
        "command": "x",
        "days_late": 0,
        "days_left": 0,
        "campaign": "x",
        "reference": "x",
        "submit": "x",
    }
    sample = {
        "tag": "x",
        "campaign": "x",
        "campaign_title": "x",
        "count": 1,
        "late": 0,
        "late_part": "",
        "recipient_name": "x",
        "leading_group": "x",
        "items": "x",
        "sent_at": "x",
    }
    for name, fields in (("subject", sample), ("body", sample), ("item", sample_item)):
        text = templates.get(name)
        if text is None:
            continue
        try:
            text.format(**fields)
        except KeyError as exc:
            return name, _("unknown field {{{f}}}; fields: {known}").format(
                f=exc.args[0], known=" ".join(sorted(fields))
            )
        except (IndexError, ValueError) as exc:
            return name, _("not a valid template: {e}").format(e=exc)
    return None


def compose_notice(
    *,
    sender: str,
    recipient: str,
    subject: str,
    text: str,
    now: datetime,
    in_reply_to: str | None,
    ref: str,
    campaign_id: int,
    section_id: int | None,
) -> EmailMessage:
    """A reply to an office's mail (refused or rejected), threaded under it, carrying its reference."""
    msg = EmailMessage(policy=SMTP)
    name, addr = parse_sender(sender)
    user, _at, domain = addr.partition("@")
    msg["From"] = Address(display_name=name, username=user, domain=domain)
    msg["To"] = recipient
    base = subject if subject.startswith(("回复：", "Re:", "RE:", "答复：")) else f"回复：{subject}"
    msg["Subject"] = base if ref in base else f"{base} {ref}"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(now, domain or "localhost", campaign_id, section_id, None)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(text, charset="utf-8", cte="base64")
    return msg
