"""The phase state machine, built once per definition with ``transitions``.

This is the only module that touches transitions' runtime-added methods. One
:class:`transitions.Machine` serves every record of a campaign: records are
plain rows, and a single reusable cursor model is pointed at a record's state
for each step, so there is no per-record Machine and no per-record
``add_model`` (whose model-list check is quadratic, pytransitions #434).

Guards are evaluated by :mod:`workflow.engine.conditions` into a list of unmet
conditions; the Machine's ``advance`` trigger is conditioned on that list
being empty, and ``force`` has no condition. Either way the Machine decides
which state comes next, so the phase order lives in exactly one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from transitions import Machine, MachineError

from workflow.engine.conditions import SectionFacts
from workflow.engine.definition import Definition
from workflow.errors import GuardError, InputError, Unmet
from workflow.i18n import _, pick


class _Cursor:
    """The one model object of a Machine; its ``state`` is set per step."""

    state: str
    unmet: Sequence[Unmet] = ()

    def guards_hold(self) -> bool:
        return not self.unmet


@dataclass(frozen=True)
class Step:
    """The outcome of one advance attempt for one record."""

    source: str
    dest: str | None  # None when blocked
    unmet: tuple[Unmet, ...]
    forced: bool

    @property
    def moved(self) -> bool:
        return self.dest is not None


class PhaseMachine:
    """Legal moves between the phases of one definition."""

    def __init__(self, definition: Definition):
        self.definition = definition
        states = list(definition.states)
        self._cursor = _Cursor()
        self._decided: dict[tuple[str, bool, bool], str | None] = {}
        self._machine = Machine(
            model=self._cursor,
            states=states,
            initial=states[0],
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for source, dest in zip(states, states[1:], strict=False):
            self._machine.add_transition("advance", source, dest, conditions="guards_hold")
            self._machine.add_transition("force", source, dest)

    def edges(self) -> list[tuple[str, str, str]]:
        """Every (source, trigger, dest) of the Machine: what the diagram draws."""
        order = self.definition.states
        out: list[tuple[str, str, str]] = []
        for name, event in self._machine.events.items():
            for source, transitions in event.transitions.items():
                out.extend((source, name, t.dest) for t in transitions if t.dest is not None)
        return sorted(out, key=lambda e: (order.index(e[0]), e[1]))

    @property
    def initial(self) -> str:
        return self.definition.states[0]

    @property
    def final(self) -> str:
        return self.definition.states[-1]

    def unmet(self, state: str, facts: SectionFacts) -> tuple[Unmet, ...]:
        """Every exit condition of ``state`` that does not hold for these facts."""
        if state == self.final:
            return ()
        out = []
        for cond in self.definition.exit_conditions[state]:
            if not cond.applies(facts):
                continue
            miss = cond.check(self.definition, state, facts)
            if miss is not None:
                out.append(miss)
        return tuple(out)

    def step(self, state: str, facts: SectionFacts, *, force: bool = False) -> Step:
        """Try to move one record forward one phase.

        Returns a :class:`Step`; ``dest`` is None when a guard blocks. A record
        in the final state cannot move: that raises :class:`InputError`.
        """
        if state not in self.definition.states:
            raise InputError(_("record is in unknown state '{s}'").format(s=state))
        unmet = self.unmet(state, facts)
        key = (state, not unmet, force)
        try:
            dest = self._decided[key]
        except KeyError:
            dest = self._decided[key] = self._ask_machine(state, unmet, force)
        return Step(state, dest, unmet, force and bool(unmet))

    def _ask_machine(self, state: str, unmet: tuple[Unmet, ...], force: bool) -> str | None:
        """Fire the trigger on the cursor; the Machine decides where the record goes.

        The answer depends only on (state, whether the guards hold, force), so
        :meth:`step` keeps it per key: a bulk advance fires the Machine once per
        phase instead of once per record (about 60 µs each).
        """
        cursor = self._cursor
        cursor.state = state
        cursor.unmet = unmet
        try:
            moved = cursor.force() if force else cursor.advance()  # type: ignore[attr-defined]  # triggers are added by transitions at run time
        except MachineError:
            raise InputError(
                _("already {state}; there is no later phase").format(
                    state=pick(self.definition.title_of(state).as_dict())
                )
            ) from None
        return cursor.state if moved else None

    def require(self, office: str, state: str, facts: SectionFacts) -> str:
        """Like :meth:`step` without force, raising :class:`GuardError` when blocked."""
        result = self.step(state, facts)
        if result.dest is None:
            raise GuardError(office, pick(self.definition.title_of(state).as_dict()), result.unmet)
        return result.dest


@lru_cache(maxsize=16)
def machine_for(definition: Definition) -> PhaseMachine:
    """The shared machine of a definition (one per definition, never per record)."""
    return PhaseMachine(definition)
