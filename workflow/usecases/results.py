"""What a reminder sweep or a delivery run reports: counts, the mail planned, and each failure alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.errors import CampaignError, DeliveryError
from workflow.i18n import _
from workflow.mail.mailtext import Item


@dataclass
class PlannedMail:
    campaign: str
    recipient: str
    subject: str
    items: list[Item]


@dataclass(frozen=True)
class Failure:
    """One thing a sweep could not do, alone: a campaign, or one message to one recipient."""

    campaign: str
    recipient: str | None
    problem: str  # a sentence
    retried: bool  # False: permanent (a 5xx reply, an address or message that cannot be sent)

    def line(self) -> str:
        what = (
            _("campaign '{c}' → {r}").format(c=self.campaign, r=self.recipient)
            if self.recipient
            else _("campaign '{c}'").format(c=self.campaign)
        )
        tail = _("retried later") if self.retried else _("not retried")
        return _("{what}: {problem} ({tail})").format(what=what, problem=self.problem, tail=tail)


@dataclass
class SweepResult:
    at: datetime
    reminders: int = 0
    mails: list[PlannedMail] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)
    unreachable: DeliveryError | None = None
    failures: list[Failure] = field(default_factory=list)
    deferred: int = 0  # messages left for the next sweep when the time budget ran out
    advanced: list[Any] = field(default_factory=list)  # autoadvance.Moved: sections the scheduler moved


def sentence(exc: BaseException) -> str:
    """An exception as the one-line sentence kept in ``last_error`` and shown (never a repr)."""
    if isinstance(exc, CampaignError):
        return str(exc)
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
