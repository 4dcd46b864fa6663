"""Use cases for operators and the one permission check every use case calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import operators as store
from storage.operator_models import Operator
from workflow.errors import DuplicateError, InputError
from workflow.i18n import _
from workflow.permissions import ROLES, Role, check


def authorize(s: Any, ctx: Any, action: str, office: str | None = None) -> None:
    """Refuse (PermissionDenied, naming the role needed) unless ``ctx.actor`` may do ``action``.

    Called by each use case inside its transaction, before it changes anything.
    No operators configured means single-user mode: everything is allowed.
    """
    if store.count(s) == 0:
        return
    row = store.find(s, ctx.actor)
    role = Role(row.name, row.role, row.office) if row else None
    check(ctx.actor, role, action, office)


@dataclass(frozen=True)
class Mode:
    single_user: bool
    actor: str
    role: str | None
    office: str | None


def mode(s: Any, ctx: Any) -> Mode:
    if store.count(s) == 0:
        return Mode(True, ctx.actor, None, None)
    row = store.find(s, ctx.actor)
    return Mode(False, ctx.actor, row.role if row else None, row.office if row else None)


def add_user(ctx: Any, name: str, role: str, office: str | None) -> Operator:
    name = name.strip()
    if not name:
        raise InputError(_("operator name must not be empty"))
    if role not in ROLES:
        raise InputError(_("unknown role '{r}'; roles: {known}").format(r=role, known=", ".join(ROLES)))
    office = (office or "").strip() or None
    if role == "clerk" and office is None:
        raise InputError(_("a clerk needs --office OFFICE (the office they file for)"))
    if role != "clerk" and office is not None:
        raise InputError(_("--office is only for clerks"))
    ctx.db.ensure_ready(create=True)
    with ctx.db.write() as s:
        if store.count(s) == 0:
            if role != "supervisor":
                raise InputError(_(
                    "the first operator must be a supervisor (someone has to manage the others)"))
        else:
            authorize(s, ctx, "manage")
        if store.find(s, name) is not None:
            raise DuplicateError("operator", name)
        if office is not None:
            known = store.office_names(s)
            if office not in known:
                raise InputError(_("no office '{o}' in any campaign; known: {known}").format(
                    o=office, known=_(", ").join(known) or "—"))
        row = Operator(name=name, role=role, office=office, created_at=ctx.now(), created_by=ctx.actor)
        s.add(row)
        s.flush()
        return row


def list_users(ctx: Any) -> list[dict[str, Any]]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        return [
            {"name": o.name, "role": o.role, "office": o.office,
             "added": o.created_at.isoformat(timespec="seconds"), "added_by": o.created_by}
            for o in store.all_(s)
        ]
