"""The phase machine: guard table, force, and the final state."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.adapters import definition_files
from workflow.engine import validate as defs
from workflow.engine.conditions import SectionFacts
from workflow.engine.machine import PhaseMachine, machine_for
from workflow.errors import GuardError, InputError

SEED = definition_files.load("people-satisfied-unit")
ALL_FILED = {
    "implementation-opinion": 1,
    "study-plan": 1,
    "research-report": 1,
    "rectification-report": 1,
    "summary-report": 1,
}
#: Every leading-group step filed, every evaluator group heard: only the section's own filings left.
CENTRAL = {k: 10 for k, r in SEED.requirements.items() if r.filer != "section"}
GROUPS = frozenset(g.key for g in SEED.spec.scoring.groups)  # type: ignore[union-attr]
WINDOWS = {
    "mobilization": (date(2026, 3, 1), date(2026, 3, 31)),
    "implementation": (date(2026, 4, 1), date(2026, 10, 31)),
    "review": (date(2026, 11, 1), date(2027, 1, 31)),
    "summary": (date(2027, 2, 1), date(2027, 3, 31)),
}


def facts(filings: dict[str, int], today: date | None = None, **kw: object) -> SectionFacts:
    return SectionFacts(
        filings=filings,
        campaign_filings=kw.pop("central", CENTRAL),  # type: ignore[arg-type]
        scored_groups=kw.pop("groups", GROUPS),
        windows=WINDOWS,  # type: ignore[arg-type]
        today=today,
        **kw,
    )  # type: ignore[arg-type]


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
    step = machine.step(state, facts(filings))
    assert step.dest == dest
    assert [u.key for u in step.unmet] == blockers
    assert not step.forced
    if dest is None:
        with pytest.raises(GuardError) as info:
            machine.require("秘书科", state, facts(filings))
        assert [u.key for u in info.value.unmet] == blockers


@pytest.mark.parametrize(
    ("state", "central", "blockers"),
    [
        ("mobilization", {}, ["work-plan", "working-group", "mobilization-meeting"]),
        ("mobilization", {"work-plan": 1}, ["working-group", "mobilization-meeting"]),
        ("implementation", {}, ["evaluation-meeting", "questionnaire"]),
        # no section leaves review before the review opinions are published as items
        ("review", {k: 1 for k in CENTRAL if k != "rectification-notice"}, ["rectification-notice"]),
        ("review", {}, ["report-to-review-group", "rectification-notice", "evaluation-forms"]),
        ("summary", {}, ["report-to-standing-committee"]),
    ],
)
def test_the_leading_groups_steps_gate_the_sections_next_step(
    state: str, central: dict[str, int], blockers: list[str]
) -> None:
    step = machine_for(SEED).step(state, facts(ALL_FILED, central=central))
    assert step.dest is None
    assert [u.key for u in step.unmet] == blockers
    assert all("Campaign leading group files it" in u.detail or "领导小组" in u.detail for u in step.unmet)


def test_no_summary_before_every_evaluator_group_has_results() -> None:
    step = machine_for(SEED).step("review", facts(ALL_FILED, groups=frozenset({"leading-group"})))
    assert [u.key for u in step.unmet] == ["all-scored"]
    assert step.unmet[0].detail == (
        "no results from: Party congress delegates, People's Congress "
        "deputies, Democratic-evaluation questionnaires"
    )


@pytest.mark.parametrize("state", ["review", "summary"])
def test_an_open_item_from_any_phase_blocks_review_and_completion(state: str) -> None:
    step = machine_for(SEED).step(
        state, facts(ALL_FILED, open_items=1, open_items_by_phase={"mobilization": 1})
    )
    assert [(u.key, u.detail) for u in step.unmet] == [("rectification-items", "1 open")]


@pytest.mark.parametrize(
    ("state", "today", "dest"),
    [
        ("mobilization", date(2026, 3, 1), None),
        ("mobilization", date(2026, 3, 30), None),
        ("mobilization", date(2026, 3, 31), "implementation"),
        ("implementation", date(2026, 10, 30), None),
        ("summary", date(2027, 3, 31), "completed"),
    ],
)
def test_a_phase_is_not_left_before_its_window_ends(state: str, today: date, dest: str | None) -> None:
    step = machine_for(SEED).step(state, facts(ALL_FILED, today))
    assert step.dest == dest
    if dest is None:
        assert [(u.key, u.detail) for u in step.unmet] == [("not-before", WINDOWS[state][1].isoformat())]
        forced = machine_for(SEED).step(state, facts(ALL_FILED, today), force=True)
        assert forced.dest is not None and forced.forced


@pytest.mark.parametrize("state", ["mobilization", "implementation", "review", "summary"])
def test_force_moves_exactly_one_phase(state: str) -> None:
    machine = machine_for(SEED)
    step = machine.step(state, SectionFacts(), force=True)
    states = list(SEED.states)
    assert step.dest == states[states.index(state) + 1]
    assert step.forced and step.unmet


def test_force_with_nothing_unmet_is_not_recorded_as_forced() -> None:
    step = machine_for(SEED).step("summary", facts(ALL_FILED), force=True)
    assert step.dest == "completed" and not step.forced


def test_final_state_cannot_move_and_unknown_state_is_refused() -> None:
    machine = machine_for(SEED)
    with pytest.raises(InputError):
        machine.step("completed", facts(ALL_FILED))
    with pytest.raises(InputError):
        machine.step("nowhere", SectionFacts())


def test_count_requirement_and_rectification_condition() -> None:
    text = definition_files.read_source("people-satisfied-unit")[1].replace(
        "      - key: study-plan\n        title: {zh: 学习方案, en: Study plan}\n",
        "      - key: study-plan\n        title: {zh: 学习方案, en: Study plan}\n        count: 2\n",
    )  # the seed's review phase already requires its rectification items confirmed
    d = defs.parse(text, "x.yaml")
    m = PhaseMachine(d)
    step = m.step("mobilization", facts({"implementation-opinion": 1, "study-plan": 1}))
    assert [(u.key, u.detail) for u in step.unmet] == [("study-plan", "1 of 2 filed")]
    step = m.step("review", facts({"rectification-report": 1}, open_items=2))
    assert [(u.key, u.detail) for u in step.unmet] == [("rectification-items", "2 open")]
    assert m.step("review", facts({"rectification-report": 1})).dest == "summary"


def test_one_machine_per_definition() -> None:
    assert machine_for(SEED) is machine_for(SEED)
