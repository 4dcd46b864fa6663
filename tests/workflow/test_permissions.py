"""workflow.engine.permissions: the role policy (who may do what), pure."""

from __future__ import annotations

import pytest

from workflow.engine.permissions import POLICY, ROLES, Role, check
from workflow.errors import PermissionDenied

SECRETARIAT = "秘书科"
INFORMATION = "信息科"


def test_every_action_has_a_title_and_only_known_roles() -> None:
    from workflow.engine.permissions import ACTION_TITLES

    assert set(POLICY) == set(ACTION_TITLES)
    for allowed, _own in POLICY.values():
        assert set(allowed) <= set(ROLES)


@pytest.mark.parametrize("action", sorted(POLICY))
def test_a_supervisor_may_do_everything(action: str) -> None:
    check("zhang", Role("zhang", "supervisor"), action, SECRETARIAT)


@pytest.mark.parametrize("action", sorted(POLICY))
def test_single_user_mode_allows_everything_even_without_a_role(action: str) -> None:
    check("anyone", None, action, SECRETARIAT, single_user=True)


def test_an_observer_only_reads() -> None:
    observer = Role("li", "observer")
    check("li", observer, "read")
    for action in sorted(set(POLICY) - {"read"}):
        with pytest.raises(PermissionDenied):
            check("li", observer, action, SECRETARIAT)


def test_a_clerk_files_and_reports_for_their_own_office_only() -> None:
    clerk = Role("wang", "clerk", SECRETARIAT)
    check("wang", clerk, "file", SECRETARIAT)
    check("wang", clerk, "report-rectification", SECRETARIAT)
    with pytest.raises(PermissionDenied) as err:
        check("wang", clerk, "file", INFORMATION)
    assert (
        str(err.value)
        == f"wang may not file for {INFORMATION}: needs role supervisor / clerk of {INFORMATION}"
    )
    assert err.value.roles == ["supervisor", f"clerk of {INFORMATION}"]


def test_a_clerk_may_not_advance_confirm_or_manage() -> None:
    clerk = Role("wang", "clerk", SECRETARIAT)
    for action in (
        "advance",
        "force-advance",
        "confirm",
        "publish-items",
        "inspect",
        "score",
        "manage",
        "file-group",
    ):
        with pytest.raises(PermissionDenied):
            check("wang", clerk, action, SECRETARIAT)


def test_a_leader_advances_confirms_and_files_for_the_group_but_not_for_an_office() -> None:
    leader = Role("zhao", "leader")
    for action in ("advance", "force-advance", "confirm", "file-group", "read"):
        check("zhao", leader, action)
    with pytest.raises(PermissionDenied) as err:
        check("zhao", leader, "file", SECRETARIAT)
    assert err.value.actor == "zhao" and err.value.action == f"file for {SECRETARIAT}"
    with pytest.raises(PermissionDenied, match="needs role supervisor$"):
        check("zhao", leader, "manage")


def test_no_role_outside_single_user_mode_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="stranger may not read this"):
        check("stranger", None, "read")
