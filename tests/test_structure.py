"""The package's shape: no import cycles, one job per module said in its first line, small modules.

The import graph counts every ``import`` of a ``qa`` module anywhere in a module, at the top or
inside a function (a function-level import hides a cycle, it does not remove it). The package
``qa/__init__.py`` is left out: it only re-exports lazily, and ``from qa import __version__``
imports it by name, not one of the stages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qa"
MODULES = {p.stem: p for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__init__"}
MAX_LINES = 350


def qa_imports(path: Path) -> set[str]:
    """The ``qa`` modules ``path`` imports, at any depth of its syntax tree."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("qa.") and n.split(".")[1] in MODULES}
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_qa_modules():
    graph = {name: qa_imports(path) - {name} for name, path in MODULES.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_says_its_one_job_and_stays_small(name):
    text = MODULES[name].read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text))
    assert doc and doc.splitlines()[0].strip(), f"qa/{name}.py has no docstring saying its job"
    assert len(text.splitlines()) <= MAX_LINES, f"qa/{name}.py has {len(text.splitlines())} lines"


def test_readme_stage_table_names_every_module():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    table = "\n".join(ln for ln in readme.splitlines() if ln.startswith("|") and "`qa/" in ln)
    named = {p.split("`")[0] for p in table.split("`qa/")[1:]}
    assert named == {f"{name}.py" for name in MODULES}, "README stage table and qa/ differ"
