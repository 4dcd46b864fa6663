"""The rectification item lifecycle is a transitions Machine: its moves, refusals and edges."""

from __future__ import annotations

import pytest

from workflow.errors import InputError
from workflow.review.items import OWES_FIX, STATES, item_machine


@pytest.mark.parametrize(
    ("status", "trigger", "after"),
    [
        ("published", "report_done", "done"),
        ("returned", "report_done", "done"),
        ("done", "confirm", "confirmed"),
        ("done", "return_", "returned"),
    ],
)
def test_each_legal_move(status: str, trigger: str, after: str) -> None:
    assert item_machine().next_status(7, status, trigger) == after


@pytest.mark.parametrize(
    ("status", "trigger", "message"),
    [
        ("done", "report_done", "item #7 is done; only published / returned items can be reported done"),
        (
            "confirmed",
            "report_done",
            "item #7 is confirmed; only published / returned items can be reported done",
        ),
        ("published", "confirm", "item #7 is published; only done items can be confirmed"),
        ("returned", "confirm", "item #7 is returned; only done items can be confirmed"),
        ("confirmed", "return_", "item #7 is confirmed; only done items can be returned"),
    ],
)
def test_illegal_moves_name_the_statuses_that_would_allow_them(
    status: str, trigger: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        item_machine().next_status(7, status, trigger)
    assert str(caught.value) == message


def test_a_refusal_leaves_the_shared_machine_usable() -> None:
    with pytest.raises(InputError):
        item_machine().next_status(1, "confirmed", "confirm")
    assert item_machine().next_status(2, "published", "report_done") == "done"


def test_edges_are_the_whole_topology_and_every_state_is_reachable() -> None:
    edges = item_machine().edges()
    assert edges == [
        ("published", "report_done", "done"),
        ("done", "confirm", "confirmed"),
        ("done", "return_", "returned"),
        ("returned", "report_done", "done"),
    ]
    reached = {"published"} | {dest for _s, _t, dest in edges}
    assert reached == set(STATES)
    # the open statuses are exactly those the office can still act on
    assert set(OWES_FIX) == {s for s, t, _d in edges if t == "report_done"}
