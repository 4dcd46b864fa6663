"""Who is acting, in which mode, and the one permission check every use case calls.

Managing operators (``manyi user``): :mod:`workflow.usecases.users`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import identity
from storage import operators as store
from workflow.engine.permissions import Role, check
from workflow.errors import IdentityError
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
