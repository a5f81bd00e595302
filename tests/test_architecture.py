"""The layers hold: ``ui -> planning -> forecasts``, the core never imports streamlit, and the
subpackages of ``planning`` import each other without cycles.

Imports are read with ``ast`` from the source (lazy imports inside functions count too),
so a cycle hidden behind a function-level import is still a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("ui", "planning", "forecasts")  # a layer may import only the layers after it


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    here = _module_name(path)
    return imports_in(path.read_text(), here if path.name == "__init__.py" else here.rpartition(".")[0])


def imports_in(text: str, package: str) -> set[str]:
    tree = ast.parse(text)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # may name a submodule
    return found


def sources(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def unit(module: str) -> str | None:
    """The unit a module belongs to for the cycle check: ``planning.<subpackage>`` for a
    subpackage, the module itself for a top-level module of ``planning``."""
    parts = module.split(".")
    if parts[0] != "planning" or len(parts) < 2:
        return None
    if (ROOT / "planning" / parts[1]).is_dir():
        return f"planning.{parts[1]}"
    if (ROOT / "planning" / f"{parts[1]}.py").exists():
        return f"planning.{parts[1]}"
    return None


def unit_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sources("planning"):
        src = unit(_module_name(path))
        if src is None:
            continue
        targets = {unit(m) for m in imports_of(path)} - {None, src}
        graph.setdefault(src, set()).update(targets)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize("path", sources("planning", "forecasts"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_streamlit(path):
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] == "streamlit")
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: keep the UI toolkit in ui/"


@pytest.mark.parametrize("path", sources("planning", "forecasts"), ids=lambda p: str(p.relative_to(ROOT)))
def test_lower_layers_never_import_higher_ones(path):
    layer = path.relative_to(ROOT).parts[0]
    higher = LAYERS[:LAYERS.index(layer)]
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] in higher)
    assert not bad, f"{path.relative_to(ROOT)} ({layer}) imports {bad} from a higher layer"


def test_no_import_cycle_between_subpackages():
    cycle = find_cycle(unit_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_import_cycle_between_modules():
    graph: dict[str, set[str]] = {}
    for path in sources("planning", "ui"):
        name = _module_name(path)
        if path.name == "__init__.py":
            continue  # the lazy __init__ files import nothing at load time
        graph[name] = {m for m in imports_of(path)
                       if (ROOT / (m.replace(".", "/") + ".py")).exists() and m != name}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checks_can_fail():
    """The helpers find what they look for: a cycle, a lazy streamlit import, a higher layer,
    a relative import."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    found = imports_in("def f():\n    import streamlit as st\n    from ui import common\n"
                       "from .model import PlanModel\n", "planning.shiftplan")
    assert {"streamlit", "ui", "ui.common", "planning.shiftplan.model"} <= found
    assert unit("planning.shiftplan.model") == "planning.shiftplan"
    assert unit("planning.pipeline") == "planning.pipeline"


def test_subpackage_exports_resolve():
    """Every public name a subpackage's ``__init__`` lists is importable from it."""
    import importlib

    for init in sorted((ROOT / "planning").glob("*/__init__.py")):
        package = importlib.import_module(_module_name(init))
        for name in getattr(package, "__all__", ()):
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"


def test_no_public_name_is_shadowed_by_a_submodule():
    """Importing ``planning.staffing.erlang_a`` would replace a function ``erlang_a`` on the
    package with the module: public names and submodule names must differ."""
    import importlib

    for init in sorted((ROOT / "planning").glob("*/__init__.py")):
        package = importlib.import_module(_module_name(init))
        modules = {p.stem for p in init.parent.glob("*.py")}
        clash = sorted(set(getattr(package, "__all__", ())) & modules)
        assert not clash, f"{package.__name__}: {clash} are both public names and submodules"
