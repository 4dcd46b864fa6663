"""The phase machine: guard table, force, and the final state."""

from __future__ import annotations

import pytest

from workflow import definition as defs
from workflow.conditions import SectionFacts
from workflow.errors import GuardError, InputError
from workflow.machine import PhaseMachine, machine_for

SEED = defs.load("people-satisfied-unit")
ALL_FILED = {"implementation-opinion": 1, "study-plan": 1, "research-report": 1,
             "rectification-report": 1, "summary-report": 1}


@pytest.mark.parametrize(
    ("state", "filings", "dest", "blockers"),
    [
        ("mobilization", {}, None, ["implementation-opinion", "study-plan"]),
        ("mobilization", {"study-plan": 1}, None, ["implementation-opinion"]),
        ("mobilization", {"implementation-opinion": 1, "study-plan": 2}, "implementation", []),
        ("implementation", {"implementation-opinion": 1, "study-plan": 1}, None, ["research-report"]),
        ("implementation", {"research-report": 1}, "review", []),
        ("review", {"research-report": 1}, None, ["rectification-report"]),
        ("review", {"rectification-report": 1}, "summary", []),
        ("summary", {}, None, ["summary-report"]),
        ("summary", {"summary-report": 1}, "completed", []),
    ],
)
def test_guard_table(state: str, filings: dict[str, int], dest: str | None, blockers: list[str]) -> None:
    machine = machine_for(SEED)
    step = machine.step(state, SectionFacts(filings=filings))
    assert step.dest == dest
    assert [u.key for u in step.unmet] == blockers
    assert not step.forced
    if dest is None:
        with pytest.raises(GuardError) as info:
            machine.require("秘书科", state, SectionFacts(filings=filings))
        assert [u.key for u in info.value.unmet] == blockers


@pytest.mark.parametrize("state", ["mobilization", "implementation", "review", "summary"])
def test_force_moves_exactly_one_phase(state: str) -> None:
    machine = machine_for(SEED)
    step = machine.step(state, SectionFacts(), force=True)
    states = list(SEED.states)
    assert step.dest == states[states.index(state) + 1]
    assert step.forced and step.unmet


def test_force_with_nothing_unmet_is_not_recorded_as_forced() -> None:
    step = machine_for(SEED).step("summary", SectionFacts(filings=ALL_FILED), force=True)
    assert step.dest == "completed" and not step.forced


def test_final_state_cannot_move_and_unknown_state_is_refused() -> None:
    machine = machine_for(SEED)
    with pytest.raises(InputError):
        machine.step("completed", SectionFacts(filings=ALL_FILED))
    with pytest.raises(InputError):
        machine.step("nowhere", SectionFacts())


def test_count_requirement_and_rectification_condition() -> None:
    text = defs.read_source("people-satisfied-unit")[1].replace(
        "      - key: study-plan\n        title: {zh: 学习方案, en: Study plan}\n",
        "      - key: study-plan\n        title: {zh: 学习方案, en: Study plan}\n        count: 2\n",
    )  # the seed's review phase already requires its rectification items confirmed
    d = defs.parse(text, "x.yaml")
    m = PhaseMachine(d)
    step = m.step("mobilization", SectionFacts(filings={"implementation-opinion": 1, "study-plan": 1}))
    assert [(u.key, u.detail) for u in step.unmet] == [("study-plan", "1 of 2 filed")]
    step = m.step("review", SectionFacts(filings={"rectification-report": 1}, open_items=2))
    assert [(u.key, u.detail) for u in step.unmet] == [("rectification-items", "2 open")]
    assert m.step("review", SectionFacts(filings={"rectification-report": 1})).dest == "summary"


def test_one_machine_per_definition() -> None:
    assert machine_for(SEED) is machine_for(SEED)
