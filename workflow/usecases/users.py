"""Use cases of ``manyi user``: add, disable and re-role operators, each change an event of
the operators' own chain, and list them. (Who is acting and the permission check every use
case calls: :mod:`workflow.usecases.operators`.)"""

from __future__ import annotations

from typing import Any

from storage import identity, operator_chain
from storage import operators as store
from storage.operator_models import Operator
from workflow.engine.permissions import ROLES
from workflow.errors import DuplicateError, InputError, NotFoundError
from workflow.i18n import _
from workflow.usecases.operators import authorize


def _check_role(role: str, office: str | None) -> str | None:
    from workflow.engine import text

    if role not in ROLES:
        raise InputError(_("unknown role '{r}'; roles: {known}").format(r=role, known=", ".join(ROLES)))
    office = text.optional(office, "--office")
    if role == "clerk" and office is None:
        raise InputError(_("a clerk needs --office OFFICE (the office they file for)"))
    if role != "clerk" and office is not None:
        raise InputError(_("--office is only for clerks"))
    return office


def _check_office(s: Any, office: str | None) -> None:
    if office is not None:
        known = store.office_names(s)
        if office not in known:
            raise InputError(
                _("no office '{o}' in any campaign; known: {known}").format(
                    o=office, known=_(", ").join(known) or "—"
                )
            )


def add_user(ctx: Any, name: str, role: str, office: str | None, db_login: str | None = None) -> Operator:
    from workflow.engine import text

    if not name.strip():
        raise InputError(_("operator name must not be empty"))
    name = text.name(name, _("operator name"))
    office = _check_role(role, office)
    db_login = (db_login or "").strip() or None
    if db_login is not None and ctx.db.is_sqlite:
        raise InputError(_("--db-login is for PostgreSQL; SQLite cannot authenticate a login"))
    ctx.db.ensure_ready(create=True)
    with ctx.db.write() as s:
        if store.count(s) == 0:
            if role != "supervisor":
                raise InputError(
                    _("the first operator must be a supervisor (someone has to manage the others)")
                )
        else:
            authorize(s, ctx, "manage")
        if store.find(s, name) is not None:
            raise DuplicateError("operator", name)
        _check_office(s, office)
        if db_login is not None:
            _check_login(s, db_login)
        return _add(s, ctx, name, role, office, db_login)


def _check_login(s: Any, db_login: str) -> None:
    taken = store.find_login(s, db_login)
    if taken is not None:
        raise InputError(
            _("database login {login} is already operator {name}").format(login=db_login, name=taken.name)
        )
    if not identity.login_exists(s, db_login):
        raise InputError(
            _("no PostgreSQL login '{login}' (create it first: CREATE ROLE … LOGIN)").format(login=db_login)
        )


def _add(
    s: Any,
    ctx: Any,
    name: str,
    role: str,
    office: str | None,
    db_login: str | None,
    reason: str | None = None,
) -> Operator:
    now = ctx.now()
    row = Operator(
        name=name, role=role, office=office, created_at=now, created_by=ctx.actor, db_login=db_login
    )
    s.add(row)
    s.flush()
    if db_login is not None:
        identity.grant(s, db_login)
    operator_chain.append_event(
        s,
        action="user-add",
        name=name,
        actor=ctx.actor,
        at=now,
        to_state=role,
        reason=reason,
        detail={"office": office, "db_login": db_login},
    )
    return row


def first_supervisor(ctx: Any) -> Operator | None:
    """``init`` on PostgreSQL: the login that ran it becomes the first supervisor."""
    with ctx.db.connect() as conn:
        who = identity.connected(conn)
    if who is None or who.has_operators:
        return None
    with ctx.db.write(pretended_ok=True) as s:
        # Concurrent `init`s: one makes the first supervisor, the others wait here and find it made.
        store.lock_first_supervisor(s)
        if store.count(s):
            return None
        return _add(s, ctx, ctx.actor, "supervisor", None, who.login, reason="init")


def _active(s: Any, name: str) -> Operator:
    row = store.find(s, name)
    if row is None:
        raise NotFoundError(
            "operator",
            name,
            _("known: {names}").format(names=", ".join(o.name for o in store.all_(s)) or "-"),
        )
    if row.disabled_at is not None:
        raise InputError(_("operator {name} is already disabled").format(name=name))
    return row


def _keep_a_supervisor(s: Any, row: Operator) -> None:
    if row.role == "supervisor" and store.active_supervisors(s) <= 1:
        raise InputError(
            _("{name} is the last active supervisor; add another supervisor first").format(name=row.name)
        )


def disable_user(ctx: Any, name: str, reason: str) -> Operator:
    if not reason.strip():
        raise InputError(_("--reason must not be empty: say why the operator is disabled"))
    ctx.db.ensure_ready(create=False)
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        row = _active(s, name.strip())
        _keep_a_supervisor(s, row)
        now = ctx.now()
        row.disabled_at = now
        s.add(row)
        operator_chain.append_event(
            s,
            action="user-disable",
            name=row.name,
            actor=ctx.actor,
            at=now,
            from_state=row.role,
            reason=reason.strip(),
        )
        return row


def set_role(ctx: Any, name: str, role: str, office: str | None) -> Operator:
    office = _check_role(role, office)
    ctx.db.ensure_ready(create=False)
    with ctx.db.write() as s:
        authorize(s, ctx, "manage")
        row = _active(s, name.strip())
        if (row.role, row.office) == (role, office):
            raise InputError(_("{name} already has that role").format(name=row.name))
        if role != "supervisor":
            _keep_a_supervisor(s, row)
        _check_office(s, office)
        before = row.role
        row.role, row.office = role, office
        s.add(row)
        operator_chain.append_event(
            s,
            action="user-role",
            name=row.name,
            actor=ctx.actor,
            at=ctx.now(),
            from_state=before,
            to_state=role,
            detail={"office": office},
        )
        return row


def list_users(ctx: Any) -> list[dict[str, Any]]:
    ctx.db.ensure_ready(create=False)
    with ctx.db.read() as s:
        authorize(s, ctx, "read")
        return [
            {
                "name": o.name,
                "role": o.role,
                "office": o.office,
                "added": o.created_at.isoformat(timespec="seconds"),
                "added_by": o.created_by,
                "db_login": o.db_login,
                "active": o.disabled_at is None,
            }
            for o in store.all_(s)
        ]
