"""Use cases for operators, who is acting, and the one permission check every use case calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import identity
from storage import operators as store
from storage.operator_models import Operator
from workflow.engine.permissions import ROLES, Role, check
from workflow.errors import DuplicateError, IdentityError, InputError, NotFoundError
from workflow.i18n import _


def authorize(s: Any, ctx: Any, action: str, office: str | None = None) -> None:
    """Refuse (PermissionDenied, naming the role needed) unless ``ctx.actor`` may do ``action``.

    Called by each use case inside its transaction, before it changes anything.
    No operators configured means single-user mode: everything is allowed.
    """
    if store.count(s) == 0:
        return
    row = store.find(s, ctx.actor)
    if row is not None and row.disabled_at is not None:
        raise IdentityError(_("operator {name} is disabled").format(name=row.name))
    role = Role(row.name, row.role, row.office) if row else None
    check(ctx.actor, role, action, office)


def acting(db: Any, given: str, explicit: bool) -> str:
    """Who acts: on PostgreSQL the operator mapped to the database login; elsewhere ``given``.

    ``given`` is the ``--as``/``MANYI_USER`` name (or the OS login when ``explicit`` is
    False). On PostgreSQL a login mapped to an operator acts as that operator, and an
    explicit name of anybody else is refused; a login mapped to nobody may act only if
    it is privileged (superuser or owner: it bypasses every check in the database
    anyway, so its --as is a label, recorded beside ``db_user``); the database's policies
    give any other login nothing to read or write. SQLite cannot authenticate anyone: ``given`` is a label,
    recorded beside the OS login.
    """
    if db.is_sqlite:
        return given
    with db.connect() as conn:
        who = identity.connected(conn)
    if who is None:
        return given
    if who.operator is not None:
        if explicit and given != who.operator:
            raise IdentityError(
                _(
                    "--as {given}: you are connected as database login {login}, operator {name}; "
                    "--as and MANYI_USER may only name yourself"
                ).format(given=given, login=who.login, name=who.operator)
            )
        return who.operator
    if who.privileged:
        return given
    raise IdentityError(
        _(
            "database login {login} is not an active operator of this database; a supervisor maps "
            "it: manyi user add NAME --role ROLE --db-login {login}"
        ).format(login=who.login)
    )


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
    identity.append_event(
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
        identity.append_event(
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
        identity.append_event(
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
