"""The rectification item's lifecycle, as a ``transitions`` Machine.

An item is published (from a review opinion, an evaluation, an inspection or a
self-inspection); the office reports it done with evidence; the supervision office
confirms it or returns it with a reason, and a returned item is reported done again::

    published --report_done--> done --confirm--> confirmed
    returned  --report_done--> done --return_--> returned

This Machine is the only statement of that topology: the use cases ask it whether a
trigger is allowed from an item's status and which status comes next, and
``workflow.engine.diagram`` draws the item graph from the same object. Items are rows,
not models: one Machine with one cursor model serves every item (see
``workflow.engine.machine`` for the same pattern and its reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from transitions import Machine, MachineError

from workflow.errors import InputError
from workflow.i18n import N_, _

#: Statuses in the order an item normally passes through them.
STATES = ("published", "done", "confirmed", "returned")
#: Triggers, each with the past-tense word the refusal uses ("only done items can be confirmed").
TRIGGERS = {"report_done": N_("reported done"), "confirm": N_("confirmed"), "return_": N_("returned")}
#: An item is *open* until it is confirmed (it blocks ``items-confirmed`` and counts on the
#: board and in the report); of the open ones, these still *owe the fix* (reminders go on).
OWES_FIX = ("published", "returned")
FINAL = "confirmed"

_TRANSITIONS: tuple[tuple[str, list[str], str], ...] = (
    ("report_done", ["published", "returned"], "done"),
    ("confirm", ["done"], "confirmed"),
    ("return_", ["done"], "returned"),
)


class _Cursor:
    """The Machine's one model; its ``state`` is set to an item's status per question."""

    state: str


@dataclass(frozen=True)
class ItemMachine:
    """Legal moves of a rectification item."""

    machine: Any
    cursor: _Cursor

    def sources(self, trigger: str) -> tuple[str, ...]:
        """The statuses from which ``trigger`` may fire, in :data:`STATES` order."""
        froms = self.machine.events[trigger].transitions  # source -> [Transition]
        return tuple(s for s in STATES if s in froms)

    def next_status(self, item_id: int, status: str, trigger: str) -> str:
        """The status after ``trigger`` fires on an item in ``status``.

        Raises :class:`InputError` naming the statuses that would allow it
        ("item #3 is confirmed; only done items can be returned").
        """
        cursor = self.cursor
        cursor.state = status
        try:
            getattr(cursor, trigger)()
        except (MachineError, ValueError):
            raise InputError(
                _("item #{id} is {status}; only {allowed} items can be {action}").format(
                    id=item_id,
                    status=_(status),
                    allowed=" / ".join(_(a) for a in self.sources(trigger)),
                    action=_(TRIGGERS[trigger]),
                )
            ) from None
        return cursor.state

    def edges(self) -> list[tuple[str, str, str]]:
        """Every (source, trigger, dest) of the lifecycle, for drawing."""
        out: list[tuple[str, str, str]] = []
        for name, event in self.machine.events.items():
            for source, transitions in event.transitions.items():
                out.extend((source, name, t.dest) for t in transitions if t.dest is not None)
        return sorted(out, key=lambda e: (STATES.index(e[0]), STATES.index(e[2])))


@lru_cache(maxsize=1)
def item_machine() -> ItemMachine:
    """The one item Machine (its topology does not depend on the definition)."""
    cursor = _Cursor()
    machine = Machine(
        model=cursor,
        states=list(STATES),
        initial="published",
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )
    for trigger, source, dest in _TRANSITIONS:
        machine.add_transition(trigger, list(source), dest)
    return ItemMachine(machine, cursor)
