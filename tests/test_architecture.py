"""The package layout is the pipeline: arrows between packages point downward only.

Read from the source (no import is executed): every ``import pgevolve.x`` and
``from pgevolve... import`` inside the package, folded to its top-level package
or module. A cycle between two of them fails with the path that closes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "pgevolve"
MAX_TOP_LEVEL_MODULES = 8


def _unit(module: str) -> str:
    """``pgevolve.plan.steps`` -> ``plan``; ``pgevolve.model`` -> ``model``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "pgevolve"


def _imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pgevolve"):
            if node.module == "pgevolve":
                found.update(f"pgevolve.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("pgevolve"))
    return found


def import_graph() -> dict[str, set[str]]:
    """Top-level unit -> the other top-level units it imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = _unit("pgevolve." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        targets = {_unit(m) for m in _imported_modules(ast.parse(path.read_text()))}
        graph.setdefault(source, set()).update(t for t in targets if t not in (source, "pgevolve", "__version__"))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, ..., a], or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target):], target] if target in path else [node, target]
            if target not in state:
                found = visit(target, [*path, target])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycle_between_packages() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_find_cycle_sees_a_cycle() -> None:
    assert find_cycle({"diff": {"plan"}, "plan": {"diff"}}) == ["diff", "plan", "diff"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_sql_text_depends_on_nothing_above_it() -> None:
    assert import_graph().get("sqltext", set()) <= {"errors", "model"}


def test_few_top_level_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


def test_the_architecture_doc_names_every_package() -> None:
    doc = (PACKAGE.parent.parent / "docs" / "architecture.md").read_text()
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert [p for p in packages if f"`{p}/`" not in doc] == []
