"""Pictures of a definition's phase machine, drawn by transitions' diagram support.

A separate, drawing-only ``GraphMachine`` is built from the definition (the
runtime machine in :mod:`workflow.engine.machine` stays lean). Each ``advance`` edge is
labelled with its guard: the exit conditions of the phase it leaves, by their
titles in the user's language; ``force`` edges show that a reasoned override
exists. With ``counts`` (sections per state) every phase is labelled with its
count and shaded by its share. Phases are laid out top to bottom, so a picture
of a long campaign fits a portrait page. Titles are kept as written (Chinese
quotation marks “” included); Mermaid gets its title as front-matter ``title:``.

Pure: this builds the machine and Mermaid text; turning a Graphviz graph into
SVG or PNG runs the ``dot`` program and lives in :mod:`cli.definition`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal, cast

from transitions import State

from workflow.engine.definition import Definition
from workflow.engine.machine import machine_for
from workflow.i18n import N_, _, chinese_quotes, pick

#: Fill colours from "no section here" to "most sections here" (light to strong blue).
SHADES = ("#ffffff", "#eff3ff", "#c6dbef", "#9ecae1", "#6baed6")


class _LabelledState(State):
    """A state that carries a display label (transitions' markup reads ``label``)."""

    def __init__(self, *args: Any, label: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.label = label or self.name


def _text(value: str) -> str:
    """A title as a label: transitions writes labels inside "...", so an ASCII double quote
    cannot stay; quoted Chinese gets its “” (as Chinese is typeset), any other becomes ″."""
    return chinese_quotes(value).replace('"', "\u2033")


def guard_titles(definition: Definition, phase: str) -> list[str]:
    """What a phase's exit needs, in the user's language: requirement titles, then the
    description of any other condition (all rectification items confirmed, ...)."""
    out: list[str] = []
    for c in definition.exit_conditions[phase]:
        titles = [c.label(definition, phase)]
        out += [_text(t) for t in titles if _text(t) not in out]
    return out


def _shade(n: int, total: int) -> int:
    if n <= 0 or total <= 0:
        return 0
    return min(len(SHADES) - 1, 1 + (len(SHADES) - 2) * n // total)


def graph_machine(
    definition: Definition, engine: str, counts: Mapping[str, int] | None = None, title: str | None = None
) -> Any:
    """A ``GraphMachine`` of ``definition`` for drawing with ``engine`` ("mermaid" or "graphviz")."""
    from transitions.extensions.diagrams import GraphMachine

    class _Machine(GraphMachine):
        state_cls = _LabelledState
        # Our shades, on a copy: transitions keeps style_attributes on the class.
        machine_attributes = {**GraphMachine.machine_attributes, "rankdir": "TB"}  # portrait
        style_attributes = {
            **GraphMachine.style_attributes,
            "node": {
                **cast(dict[str, Any], GraphMachine.style_attributes["node"]),
                **{f"shade{i}": {"fillcolor": colour, "color": "black"} for i, colour in enumerate(SHADES)},
            },
        }

    total = sum(counts.values()) if counts else 0
    states = []
    for key in definition.states:
        label = _text(pick(definition.title_of(key).as_dict()))
        if counts is not None:
            label = f"{label} ({counts.get(key, 0)})"
        states.append({"name": _node_id(key), "label": label})
    machine = _Machine(
        states=states,
        initial=states[0]["name"],
        auto_transitions=False,
        graph_engine=cast(Literal["graphviz", "mermaid"], engine),
        show_conditions=True,
        title=_text(title or pick(definition.spec.title.as_dict())),
    )
    keys = definition.states
    # The edges are the runtime Machine's own (workflow.engine.machine): one topology.
    for source, trigger, dest in machine_for(definition).edges():
        if trigger == "advance":
            guards: list[Any] = list(guard_titles(definition, source))
            machine.add_transition(
                "advance", _node_id(source), _node_id(dest), conditions=guards or None, label=_("advance")
            )
        else:
            machine.add_transition(trigger, _node_id(source), _node_id(dest), label=_("force + reason"))
    graph = machine.model_graphs[id(machine)]
    graph.reset_styling()  # no state is "current" in a picture of the definition
    if counts is not None:
        for key in keys:
            graph.set_node_style(_node_id(key), f"shade{_shade(counts.get(key, 0), total)}")
    return machine


def _node_id(key: str) -> str:
    # Mermaid state ids must be plain identifiers.
    return re.sub(r"\W", "_", key)


def mermaid(definition: Definition, counts: Mapping[str, int] | None = None, title: str | None = None) -> str:
    """The phase machine as a Mermaid ``stateDiagram-v2``."""
    machine = graph_machine(definition, "mermaid", counts, title)
    lines = str(machine.get_graph().draw(None)).rstrip("\n").splitlines()
    # transitions writes the title as a bare line between the "---" markers, which Mermaid
    # drops: front-matter is YAML, and a JSON string is a YAML string with every character kept.
    assert lines[0] == lines[2] == "---"
    shown = chinese_quotes(title or pick(definition.spec.title.as_dict()))
    lines[1] = "title: " + json.dumps(shown, ensure_ascii=False)
    # transitions writes "Class"; Mermaid's keyword is "class".
    lines = [re.sub(r"^(\s*)Class ", r"\1class ", line) for line in lines]
    lines.append(f"  {_node_id(definition.states[-1])} --> [*]")
    return "\n".join(lines) + "\n"


#: Edge labels of the item lifecycle, by trigger.
ITEM_ACTIONS = {
    "report_done": N_("report done + evidence"),
    "confirm": N_("confirm"),
    "return_": N_("return + reason"),
}


def item_graph_machine(engine: str, title: str | None = None) -> Any:
    """A ``GraphMachine`` of the rectification item lifecycle, drawn from the item Machine."""
    from transitions.extensions.diagrams import GraphMachine

    from workflow.review.items import STATES, item_machine

    class _Machine(GraphMachine):
        state_cls = _LabelledState
        machine_attributes = {**GraphMachine.machine_attributes, "rankdir": "TB"}

    states = [{"name": s, "label": _text(_(s))} for s in STATES]
    machine = _Machine(
        states=states,
        initial=STATES[0],
        auto_transitions=False,
        graph_engine=cast(Literal["graphviz", "mermaid"], engine),
        show_conditions=False,
        title=_text(title or _("Rectification item")),
    )
    for source, trigger, dest in item_machine().edges():
        machine.add_transition(trigger, source, dest, label=_(ITEM_ACTIONS[trigger]))
    machine.model_graphs[id(machine)].reset_styling()
    return machine


def item_mermaid(title: str | None = None) -> str:
    """The rectification item lifecycle as a Mermaid ``stateDiagram-v2``."""
    from workflow.review.items import FINAL

    machine = item_graph_machine("mermaid", title)
    lines = str(machine.get_graph().draw(None)).rstrip("\n").splitlines()
    assert lines[0] == lines[2] == "---"
    lines[1] = "title: " + json.dumps(chinese_quotes(title or _("Rectification item")), ensure_ascii=False)
    lines = [re.sub(r"^(\s*)Class ", r"\1class ", line) for line in lines]
    lines.append(f"  {FINAL} --> [*]")
    return "\n".join(lines) + "\n"
