"""``manyi user``: configure operators and their roles (each change a chained event)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from cli.clickext import option
from cli.console import print_json, say
from cli.main import DEFAULT_TZ, HELP, cli
from cli.shared import JSON_OPT, context
from workflow.engine.permissions import ROLES
from workflow.i18n import N_, _


@cli.group(help=HELP["user"])
def user() -> None:
    pass


def _said(role: str, office: str | None) -> str:
    if office:
        return _("{role} of {office}").format(role=role, office=office)
    return role


@user.command(
    "add",
    help=N_(
        "Add an operator: supervisor (everything), clerk (files for one office), "
        "leader (advances, forces, confirms) or observer (reads)."
    ),
)
@click.argument("name")
@option("--role", required=True, type=click.Choice(ROLES), help=N_("The operator's role."))
@option("--office", metavar="OFFICE", help=N_("A clerk's own office."))
@option(
    "--db-login",
    metavar="LOGIN",
    help=N_(
        "PostgreSQL: the database login that is this operator (granted access; "
        "the database then enforces the role)."
    ),
)
def user_add(name: str, role: str, office: str | None, db_login: str | None) -> None:
    from workflow.usecases import users

    row = users.add_user(context(), name, role, office, db_login)
    if row.office:
        say(
            _("Added operator '{name}' as {role} of {office}.").format(
                name=row.name, role=row.role, office=row.office
            )
        )
    else:
        say(_("Added operator '{name}' as {role}.").format(name=row.name, role=row.role))


@user.command("disable", help=N_("Disable an operator: they may no longer act (the history keeps them)."))
@click.argument("name")
@option("--reason", required=True, metavar="TEXT", help=N_("Why; recorded in the operators' chain."))
def user_disable(name: str, reason: str) -> None:
    from workflow.usecases import users

    row = users.disable_user(context(), name, reason)
    say(_("Disabled operator '{name}'.").format(name=row.name))


@user.command("role", help=N_("Change an operator's role (and a clerk's office)."))
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@option("--office", metavar="OFFICE", help=N_("A clerk's own office."))
def user_role(name: str, role: str, office: str | None) -> None:
    from workflow.usecases import users

    row = users.set_role(context(), name, role, office)
    say(_("Operator '{name}' is now {role}.").format(name=row.name, role=_said(row.role, row.office)))


@user.command("list", help=N_("List the operators."))
@JSON_OPT
def user_list(as_json: bool) -> None:
    from workflow.usecases import users

    rows = users.list_users(context())
    if as_json:
        print_json(rows)
        return
    if not rows:
        say(_("No operators configured: single-user mode (everyone may do everything)."))
        return
    from cli.console import show
    from cli.tables import Col

    logins = any(r["db_login"] for r in rows)
    cells = []
    for r in rows:
        added = datetime.fromisoformat(r["added"]).astimezone(ZoneInfo(DEFAULT_TZ)).strftime("%Y-%m-%d %H:%M")
        role = r["role"] if r["active"] else _("{role} (disabled)").format(role=r["role"])
        cells.append(
            [r["name"], role, r["office"] or "", added, r["added_by"]]
            + ([r["db_login"] or ""] if logins else [])
        )
    cols = [
        Col(_("Operator"), title=True),
        Col(_("Role")),
        Col(_("Office")),
        Col(_("Added"), drop=2),
        Col(_("By"), drop=1),
    ]
    show(cols + ([Col(_("Login"), drop=3)] if logins else []), cells)
