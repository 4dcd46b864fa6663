"""The layers of docs/architecture.md, checked on the import graph (read with ``ast``).

Every ``import`` counts, including those inside functions (an import moved into a function
to dodge a cycle is still a cycle); imports under ``if TYPE_CHECKING:`` do not (they never
run). Each rule has a list of today's known exceptions: a new violation fails, and so does
an exception that no longer exists (delete it from the list), so the lists only shrink.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflow", "storage", "cli")

#: Pure rules: values in, values out; the clock is passed in.
PURE = (
    "workflow.engine",
    "workflow.calendar",
    "workflow.review",
    "workflow.mail",
    "workflow.errors",
    "workflow.i18n",
)
#: What a pure module may not import: storage, SQL, mail and network I/O, processes,
#: the console, and the file system.
IMPURE = (
    "storage",
    "sqlalchemy",
    "sqlmodel",
    "psycopg",
    "alembic",
    "smtplib",
    "imaplib",
    "socket",
    "subprocess",
    "click",
    "rich",
    "os",
    "pathlib",
    "shutil",
    "tempfile",
    "workflow.usecases",
    "workflow.adapters",
    "cli",
)
SQL = ("sqlalchemy", "sqlmodel", "psycopg", "alembic", "sqlite3")
#: The leaves of workflow/ that storage may use: how failures are told, in which language.
STORAGE_MAY_USE = ("workflow.errors", "workflow.i18n")

# -- known exceptions (each is work left in issue #12; the lists only shrink) -------------
KNOWN_IMPURE: set[str] = set()
KNOWN_SQL_OUTSIDE_STORAGE: set[str] = set()
KNOWN_STORAGE_TO_WORKFLOW: set[str] = set()
KNOWN_CLI_TO_STORAGE: set[str] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {
        _module_of(p): p
        for pkg in PACKAGES
        for p in sorted((ROOT / pkg).rglob("*.py"))
        if "migrations" not in p.parts
    }


def _type_checking_only(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for n in ast.walk(node)}
    return out


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module -> every module it imports (``from a import b`` is ``a.b`` when that is a module)."""
    known = modules()
    graph: dict[str, frozenset[str]] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text("utf-8"))
        skip = _type_checking_only(tree)
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    full = f"{node.module}.{a.name}"
                    found.add(full if full in known else node.module)
        found.discard(name)
        graph[name] = frozenset(found)
    return graph


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def impure_imports(graph: dict[str, frozenset[str]]) -> set[str]:
    return {f"{m} -> {i}" for m, deps in graph.items() if _under(m, PURE) for i in deps if _under(i, IMPURE)}


def sql_outside_storage(graph: dict[str, frozenset[str]]) -> set[str]:
    return {
        f"{m} -> {i}"
        for m, deps in graph.items()
        if not _under(m, ("storage",))
        for i in deps
        if _under(i, SQL)
    }


def storage_to_workflow(graph: dict[str, frozenset[str]]) -> set[str]:
    return {
        f"{m} -> {i}"
        for m, deps in graph.items()
        if _under(m, ("storage",))
        for i in deps
        if _under(i, ("workflow",)) and not _under(i, STORAGE_MAY_USE)
    }


def cli_to_storage(graph: dict[str, frozenset[str]]) -> set[str]:
    return {
        f"{m} -> {i}"
        for m, deps in graph.items()
        if _under(m, ("cli",))
        for i in deps
        if _under(i, ("storage", *SQL))
    }


def cycles(graph: dict[str, frozenset[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    internal = {m: {d for d in deps if d in graph} for m, deps in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(internal[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.add(frozenset(component))

    for v in sorted(internal):
        if v not in index:
            visit(v)
    return out


RULES = [
    ("pure modules import no storage, SQL, I/O, console or outer layer", impure_imports, KNOWN_IMPURE),
    ("SQL only under storage/", sql_outside_storage, KNOWN_SQL_OUTSIDE_STORAGE),
    ("storage/ uses only workflow.errors and workflow.i18n", storage_to_workflow, KNOWN_STORAGE_TO_WORKFLOW),
    ("the CLI talks to use cases, not to storage or SQL", cli_to_storage, KNOWN_CLI_TO_STORAGE),
]


@pytest.mark.parametrize(("rule", "find", "known"), RULES, ids=[r[0] for r in RULES])
def test_layer_rule(rule: str, find: object, known: set[str]) -> None:
    found = find(imports())  # type: ignore[operator]
    assert sorted(found - known) == [], f"new violations of '{rule}'"
    assert sorted(known - found) == [], f"fixed, so remove from the known list of '{rule}'"


def test_no_import_cycle() -> None:
    found = cycles(dict(imports()))
    assert sorted(sorted(c) for c in found - KNOWN_CYCLES) == [], "import cycles"
    assert sorted(sorted(c) for c in KNOWN_CYCLES - found) == [], "fixed: remove from KNOWN_CYCLES"


def test_the_rules_catch_a_cycle_and_an_impure_import() -> None:
    """The checks themselves: a graph with a planted cycle and a pure module importing
    sqlalchemy is caught (so a green run means something)."""
    graph = dict(imports())
    graph["workflow.engine.machine"] = graph["workflow.engine.machine"] | {
        "sqlalchemy",
        "workflow.usecases.advance",
    }
    graph["workflow.usecases.advance"] = graph.get("workflow.usecases.advance", frozenset()) | {
        "workflow.engine.machine"
    }
    assert "workflow.engine.machine -> sqlalchemy" in impure_imports(graph)
    assert any({"workflow.engine.machine", "workflow.usecases.advance"} <= c for c in cycles(graph))


#: A module longer than this holds more than one subject (issue #12: "none over 400 lines").
MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these along their subjects: {long}"
