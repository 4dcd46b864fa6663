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
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

DEFAULT_SUBJECT = "【{tag}】{campaign_title}（{campaign}）：{count}项待办{late_part}"
DEFAULT_BODY = (
    "{recipient_name}：\n\n"
    "{campaign_title}（{campaign}）以下事项需要办理：\n\n"
    "{items}\n"
    "{submission}"
    "报送后提醒自动停止。如需延期，请联系{leading_group}。\n\n"
    "—— manyi 自动催办，{sent_at}\n"
)
DEFAULT_ITEM = (
    "{n}. {office}：{title}（{requirement}）\n"
    "   截止日期：{due}（{when}）\n"
)


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
    copied_to: str = ""  # who an escalation copies (the organizing body's title)

    @property
    def command(self) -> str:
        """The console command a clerk at the supervision office types (custom templates only:
        the offices that receive reminders do not run manyi)."""
        if self.item is not None:
            return "manyi rectify done {i} --evidence 证明材料路径 --campaign {c}".format(
                i=self.item, c=_quote(self.campaign))
        return "manyi file {o} {r} 文件路径 --campaign {c}".format(
            o=_quote(self.office), r=self.requirement, c=_quote(self.campaign))

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


def parse_sender(value: str) -> tuple[str, str]:
    """``"显示名 <addr@host>"`` or ``addr@host`` to (display name, address); '' if not an address."""
    name, addr = parseaddr(value)
    if "@" not in addr or " " in addr:
        return "", ""
    return name, addr


def render(template: str, fields: dict[str, object]) -> str:
    return template.format(**fields)


def compose(
    *, sender: str, recipient: str, recipient_name: str, items: Sequence[Item],
    campaign: str, campaign_title: str, leading_group: str, now: datetime,
    templates: dict[str, str | None] | None = None, submission: str = "",
) -> EmailMessage:
    """One digest message to ``recipient`` listing ``items``."""
    t = templates or {}
    late = [i for i in items if i.days_late]
    lines = [
        render(t.get("item") or DEFAULT_ITEM, {
            "n": n, "office": i.office, "title": i.title, "requirement": i.requirement,
            "due": i.due.isoformat(), "when": i.when, "command": i.command,
            "days_late": i.days_late, "days_left": i.days_left, "campaign": i.campaign,
        })
        for n, i in enumerate(items, start=1)
    ]
    fields: dict[str, object] = {
        "tag": "催办" if late else "提醒", "campaign": campaign, "campaign_title": campaign_title,
        "count": len(items), "late": len(late), "late_part": f"，{len(late)}项已逾期" if late else "",
        "recipient_name": recipient_name, "leading_group": leading_group,
        "items": "\n".join(lines), "sent_at": now.isoformat(timespec="minutes"),
        "submission": submission.strip() + "\n" if submission.strip() else "",
    }
    msg = EmailMessage(policy=SMTP)
    name, addr = parse_sender(sender)
    user, _at, domain = addr.partition("@")
    msg["From"] = Address(display_name=name, username=user, domain=domain)
    msg["To"] = recipient
    msg["Subject"] = render(t.get("subject") or DEFAULT_SUBJECT, fields)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring="manyi", domain=domain or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(render(t.get("body") or DEFAULT_BODY, fields), charset="utf-8", cte="base64")
    return msg


def check_templates(templates: dict[str, str | None]) -> tuple[str, str] | None:
    """The first template that would fail to render, as (template name, problem); None when all render."""
    from workflow.i18n import _

    sample_item = {"n": 1, "office": "x", "title": "x", "requirement": "x", "due": "x", "when": "x",
                   "command": "x", "days_late": 0, "days_left": 0, "campaign": "x"}
    sample = {"tag": "x", "campaign": "x", "campaign_title": "x", "count": 1, "late": 0,
              "late_part": "", "recipient_name": "x", "leading_group": "x", "items": "x",
              "submission": "x",
              "sent_at": "x"}
    for name, fields in (("subject", sample), ("body", sample), ("item", sample_item)):
        text = templates.get(name)
        if text is None:
            continue
        try:
            text.format(**fields)
        except KeyError as exc:
            return name, _("unknown field {{{f}}}; fields: {known}").format(
                f=exc.args[0], known=" ".join(sorted(fields)))
        except (IndexError, ValueError) as exc:
            return name, _("not a valid template: {e}").format(e=exc)
    return None
