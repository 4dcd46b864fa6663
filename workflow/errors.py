"""Every error manyi raises on purpose.

Each exception builds its own sentence, in the user's language, so the CLI
can print ``str(exc)`` on one line and exit 1.

Hierarchy::

    CampaignError                     root: the CLI catches only this
    ├── DefinitionError               a definition file is wrong (file:line: field: problem)
    ├── InputError                    a bad argument, date, roster, CSV row or document path
    ├── NotFoundError                 an unknown campaign, office, requirement or item
    ├── DuplicateError                a name that already exists
    ├── GuardError                    a transition whose exit conditions do not hold
    ├── ConflictError                 someone else changed the record first
    ├── PermissionDenied              the operator's role does not allow the action
    ├── IdentityError                 --as names someone the database login is not; a disabled operator
    ├── AuditError                    the audit chain or a filed document was tampered with
    ├── ClockError                    the real clock reads earlier than the last recorded event
    ├── ConfigError                   a bad setting (MANYI_DB, MANYI_SMTP_URL, MANYI_NOW, ...)
    │   └── DeliveryError             the mail server named by MANYI_SMTP_URL refused or is unreachable
    │       └── OutboxError           the outbox folder cannot be written
    └── StorageError                  the database refused (schema too new, unreachable, ...)
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from workflow.i18n import N_, _

#: The ``kind`` words that NotFoundError and DuplicateError translate into their sentence.
KINDS = (N_("campaign"), N_("office"), N_("phase"), N_("requirement"))


class CampaignError(Exception):
    """Root of manyi's errors; ``str()`` is the one-line message for the user."""


class DefinitionError(CampaignError):
    """A definition file is invalid; carries file, line and field."""

    def __init__(self, source: str, line: int | None, field: str, problem: str):
        self.source = source
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


class InputError(CampaignError):
    """Bad input from the user; the message says what and where."""


class NotFoundError(CampaignError):
    def __init__(self, kind: str, name: str, hint: str = ""):
        self.kind = kind
        self.name = name
        msg = _("unknown {kind} '{name}'").format(kind=_(kind), name=name)
        super().__init__(f"{msg}{_('; ') + hint if hint else ''}")


class DuplicateError(CampaignError):
    def __init__(self, kind: str, name: str):
        self.kind = kind
        self.name = name
        super().__init__(_("{kind} '{name}' already exists").format(kind=_(kind), name=name))


@dataclass(frozen=True)
class Unmet:
    """One exit condition that does not hold: its key and a human title."""

    key: str
    title: str
    detail: str = ""


class GuardError(CampaignError):
    """A section cannot leave its phase; ``unmet`` lists why."""

    def __init__(self, office: str, phase: str, unmet: Sequence[Unmet]):
        self.office = office
        self.phase = phase
        self.unmet = list(unmet)
        reasons = "; ".join(f"{u.key} ({u.title})" for u in self.unmet)
        super().__init__(
            _("{office} cannot leave {phase}: missing {reasons}").format(
                office=office, phase=phase, reasons=reasons
            )
        )


class ConflictError(CampaignError):
    """Someone else changed it first; ``at`` is shown in the campaign's time zone."""

    def __init__(self, what: str, actor: str, at: datetime | None, tz: str = "Asia/Shanghai"):
        from zoneinfo import ZoneInfo

        self.actor = actor
        self.at = at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S") if at else "?"
        super().__init__(
            _("{what} was changed by {actor} at {at}; re-check and retry").format(
                what=what, actor=actor, at=self.at
            )
        )


class PermissionDenied(CampaignError):
    def __init__(self, actor: str, action: str, roles: Sequence[str]):
        self.actor = actor
        self.action = action
        self.roles = list(roles)
        super().__init__(
            _("{actor} may not {action}: needs role {roles}").format(
                actor=actor, action=action, roles=" / ".join(roles)
            )
        )


class IdentityError(CampaignError):
    """Who acts is not who is connected (PostgreSQL), or the operator is disabled."""


#: The name of the operators' own chain in audit messages and hashes.
OPERATORS_CHAIN = "(operators)"


class AuditError(CampaignError):
    """``audit verify`` found a broken link; names the campaign, position and what is wrong."""

    KINDS = {
        "edited": N_("edited (its content no longer matches its hash)"),
        "deleted": N_("deleted (missing from the chain)"),
        "inserted": N_("inserted (it does not belong to the chain)"),
        "reordered": N_("reordered (it does not follow the event before it)"),
        "document-missing": N_("its document is missing from the blob store"),
        "document-altered": N_("its document was altered in the blob store"),
        "state": N_("history and stored state disagree"),
        "row": N_("a stored row contradicts it"),
        "row-orphan": N_("a stored row has no event in the history"),
        "row-missing": N_("the row it wrote is missing"),
        "anchor": N_("the anchored event is not in the chain (events were cut or rewritten)"),
        "clock": N_("recorded out of time order (a clock set back, or a time edited)"),
    }

    def __init__(self, campaign: str, position: int | None, kind: str, detail: str = ""):
        self.campaign = campaign
        self.position = position
        self.kind = kind
        what = _(self.KINDS.get(kind, kind))
        if campaign == OPERATORS_CHAIN:
            where = (
                _("operators' chain, event #{n}").format(n=position)
                if position is not None
                else _("operators' chain")
            )
        else:
            where = (
                _("campaign '{c}', event #{n}").format(c=campaign, n=position)
                if position is not None
                else _("campaign '{c}'").format(c=campaign)
            )
        if detail:
            what = _("{what}; {detail}").format(what=what, detail=detail)
        super().__init__(_("audit: {where}: {what}{extra}").format(where=where, what=what, extra=""))


class ConfigError(CampaignError):
    """``setting``: the setting to correct, named in front of the problem (None: the problem
    names what is wrong itself, e.g. the outbox folder)."""

    def __init__(self, setting: str | None, problem: str):
        self.setting = setting
        named = _("{setting}: {problem}").format(setting=setting, problem=problem)
        super().__init__(named if setting else problem)


class DeliveryError(ConfigError):
    """A message could not be handed to the mail server; names the setting and the server.

    ``unreachable``: the server (or its acceptance of our sender) is down for every
    message, so the rest of the batch waits too. ``permanent``: the server refused this
    message for good (a 5xx reply, an address that cannot be sent): it is not retried.
    """

    def __init__(
        self,
        setting: str | None,
        where: str,
        problem: str,
        *,
        unreachable: bool = False,
        permanent: bool = False,
    ):
        self.where = where
        self.problem = problem
        self.unreachable = unreachable
        self.permanent = permanent
        #: The message without the setting's name in front (for per-message reports).
        self.sentence = self._wording(unreachable).format(where=where, problem=problem)
        super().__init__(setting, self.sentence)

    @staticmethod
    def _wording(unreachable: bool) -> str:
        if unreachable:
            return _("cannot reach the mail server {where}: {problem}")
        return _("the mail server {where} refused: {problem}")


class OutboxError(DeliveryError):
    """The outbox folder cannot be written (a full disk, no permission, a file in its place):
    no message can be written now, so the rest of the batch waits for a retry too."""

    def __init__(self, folder: str, exc: OSError):
        super().__init__(None, folder, os_reason(exc), unreachable=True)  # no setting: the folder

    @staticmethod
    def _wording(unreachable: bool) -> str:
        return _("cannot write to the outbox folder {where}: {problem}")


#: What the operating system's most common refusals mean, in the user's language (its own
#: text, ``strerror``, is English whatever the user reads).
_OS_REASONS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EROFS: N_("the disk is read-only"),
    errno.EEXIST: N_("something of that name is already there"),
    errno.ENOTDIR: N_("a file stands where a folder is needed"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENAMETOOLONG: N_("the name is too long"),
}


if hasattr(errno, "EDQUOT"):  # not on every platform
    _OS_REASONS[errno.EDQUOT] = N_("the disk quota is used up")


def os_reason(exc: OSError) -> str:
    """Why the operating system refused, for a person: the common reasons translated, any
    other in the system's own words."""
    known = _OS_REASONS.get(exc.errno) if exc.errno is not None else None
    return _(known) if known else exc.strerror or str(exc)


class StorageError(CampaignError):
    """The database could not do what was asked; the message says why."""


class ClockError(CampaignError):
    """The real clock reads earlier than the database's last recorded event: it was set back."""

    def __init__(self, now: datetime, last: datetime):
        self.now = now
        self.last = last
        fmt = "%Y-%m-%d %H:%M:%S UTC"
        super().__init__(
            _(
                "the clock reads {now}, earlier than the last recorded event ({last}): "
                "the clock was set back; correct it and retry"
            ).format(now=now.strftime(fmt), last=last.strftime(fmt))
        )


def mask_password(raw: str) -> str:
    """``smtp://user:***@host`` for ``smtp://user:secret@host``: a URL as a message may show it
    (database, SMTP and IMAP URLs alike; an error never prints a password)."""
    scheme, sep, rest = raw.partition("://")
    if not sep or "@" not in rest:
        return raw
    login, _at, host = rest.rpartition("@")
    user, colon, _password = login.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"
