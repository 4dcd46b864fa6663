"""``manyi user``: configure operators and their roles."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from cli.commands import JSON_OPT, _ctx
from cli.console import print_json, say
from cli.main import DEFAULT_TZ, HELP, cli, option
from workflow.i18n import N_, _
from workflow.permissions import ROLES


@cli.group(help=HELP["user"])
def user() -> None:
    pass


@user.command("add", help=N_("Add an operator: supervisor (everything), clerk (files for one office), "
                             "leader (advances, forces, confirms) or observer (reads)."))
@click.argument("name")
@option("--role", required=True, type=click.Choice(ROLES), help=N_("The operator's role."))
@option("--office", metavar="OFFICE", help=N_("A clerk's own office."))
def user_add(name: str, role: str, office: str | None) -> None:
    from workflow import operators

    row = operators.add_user(_ctx(), name, role, office)
    if row.office:
        say(_("Added operator '{name}' as {role} of {office}.").format(
            name=row.name, role=row.role, office=row.office))
    else:
        say(_("Added operator '{name}' as {role}.").format(name=row.name, role=row.role))


@user.command("list", help=N_("List the operators."))
@JSON_OPT
def user_list(as_json: bool) -> None:
    from workflow import operators

    rows = operators.list_users(_ctx())
    if as_json:
        print_json(rows)
        return
    if not rows:
        say(_("No operators configured: single-user mode (everyone may do everything)."))
        return
    from cli.tables import Col, show

    cells = []
    for r in rows:
        added = datetime.fromisoformat(r["added"]).astimezone(ZoneInfo(DEFAULT_TZ)).strftime("%Y-%m-%d %H:%M")
        cells.append([r["name"], r["role"], r["office"] or "", added, r["added_by"]])
    show([Col(_("Operator"), title=True), Col(_("Role")), Col(_("Office")), Col(_("Added"), drop=2),
          Col(_("By"), drop=1)], cells)
