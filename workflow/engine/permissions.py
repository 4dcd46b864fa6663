"""Who may do what: the role policy, pure.

Roles (issue #5): supervisors (督查室/人秘科) may do everything; a clerk may
file and report rectification only for their own office; leaders may force
an advance and confirm; observers only read. With no operators configured,
manyi runs in single-user mode and allows everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.errors import PermissionDenied
from workflow.i18n import N_

ROLES = ("supervisor", "clerk", "leader", "observer")

# action -> (roles allowed, whether a clerk is limited to their own office)
POLICY: dict[str, tuple[tuple[str, ...], bool]] = {
    "read": (ROLES, False),
    "file": (("supervisor", "clerk"), True),
    "file-group": (("supervisor", "leader"), False),  # the leading group's own filings
    "report-rectification": (("supervisor", "clerk"), True),
    "advance": (("supervisor", "leader"), False),
    "force-advance": (("supervisor", "leader"), False),
    "confirm": (("supervisor", "leader"), False),  # and return a done item
    "publish-items": (("supervisor",), False),  # rectification items from the review opinions
    "inspect": (("supervisor",), False),
    "score": (("supervisor",), False),
    "manage": (("supervisor",), False),  # campaigns, offices, operators, backups
}

ACTION_TITLES = {
    "read": N_("read this"),
    "file": N_("file for {office}"),
    "file-group": N_("file for a central body"),
    "report-rectification": N_("report rectification for {office}"),
    "advance": N_("advance offices"),
    "force-advance": N_("force an advance"),
    "confirm": N_("confirm or return rectification"),
    "publish-items": N_("publish rectification items"),
    "inspect": N_("record inspections"),
    "score": N_("enter scores"),
    "manage": N_("manage campaigns, offices and operators"),
}


@dataclass(frozen=True)
class Role:
    name: str  # the operator's name
    role: str
    office: str | None = None


def check(
    actor: str, role: Role | None, action: str, office: str | None = None, *, single_user: bool = False
) -> None:
    """Raise :class:`PermissionDenied` unless ``role`` may do ``action`` (for ``office``)."""
    from workflow.i18n import _

    if single_user:
        return
    allowed, own_office = POLICY[action]
    if role is not None and role.role in allowed:
        if not (own_office and role.role == "clerk" and office != role.office):
            return
    what = _(ACTION_TITLES[action]).format(office=office or "")
    needed = [
        _("clerk of {office}").format(office=office) if r == "clerk" and own_office and office else r
        for r in allowed
    ]
    raise PermissionDenied(actor, what, needed)
