"""The layout rules of README "Layout", checked on the source: imports flow one way between the
package's tiers, no module-level or function-level import closes a circle, and no package
reaches into another package's private module."""

from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
# README "Layout", lowest tier first: a module may import only from its own tier or lower ones.
TIERS = [
    {"_config", "_registry", "_numerics", "_validation", "_formula", "_catalog", "_jit",
     "_fast32", "_fast32_numba", "__init__", "__main__"},
    {"activations", "losses"},
    {"initializers", "regularizers", "optimizers", "callbacks", "metrics", "utils"},
    {"layers"},
    {"models"},
    {"diagnostics"},
    {"plots"},
    {"experiments", "datasets", "lessons", "playground", "sklearn"},
    {"cli"},
]


def _modules() -> dict:
    out = {}
    for path in sorted((SRC / "actloss").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        is_pkg = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_pkg else parts)
        out[name] = (path, is_pkg)
    return out


MODULES = _modules()


def _imports(name: str) -> set:
    """Every actloss module ``name`` imports, at module level or inside functions."""
    path, is_pkg = MODULES[name]
    package = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(a.name if a.name in MODULES else a.name.rsplit(".", 1)[0]
                         for a in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _tier(name: str) -> int:
    top = name.split(".")[1] if "." in name else "__init__"
    return next(i for i, tier in enumerate(TIERS) if top in tier)


def test_every_module_has_a_tier():
    for name in MODULES:
        assert _tier(name) is not None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_flow_one_way(name):
    if name in ("actloss", "actloss.__main__"):
        return  # the package's front door re-exports every tier, lazily
    higher = sorted(m for m in GRAPH[name] if _tier(m) > _tier(name))
    assert not higher, f"{name} imports from a later tier: {higher}"


def _circles(graph: dict) -> list:
    """Tarjan's strongly connected components of ``graph`` with more than one module."""
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return circles


def test_no_import_circles():
    assert _circles(GRAPH) == []


def test_the_checker_is_not_blind():
    """A circle in a small graph is found, and function-level imports are edges."""
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "actloss.losses._base" in GRAPH["actloss.losses"]
    assert "actloss._fast32_numba" in GRAPH["actloss._fast32"]   # imported inside a function


def test_no_reaching_into_another_packages_private_modules():
    bad = []
    for name, targets in GRAPH.items():
        for target in targets:
            parts = target.split(".")
            private = next((i for i, p in enumerate(parts) if i > 1 and p.startswith("_")), None)
            if private is None:
                continue
            owner = ".".join(parts[:private])
            if not (name == owner or name.startswith(owner + ".")):
                bad.append((name, target))
    assert bad == []
