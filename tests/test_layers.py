"""The tree shows the architecture: imports only go down the layers, and nothing imports in a circle.

Every import counts, a function-level one included: a cycle hidden inside a function is still a
cycle. The layers (docs/architecture.md), top to bottom:

    cli  ->  sync  ->  views  ->  capture  ->  cadence | identity  ->  store  ->  formats | net  ->  leaves

A module may import its own package and any package of a lower rank; packages of the same rank
(cadence and identity, formats and net) stay independent of each other.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import crm

PACKAGE_ROOT = Path(crm.__file__).resolve().parent

RANKS = {
    "crm.__main__": 9,
    "crm.cli": 8,
    "crm.sync": 7,
    "crm.views": 6,
    "crm.capture": 5,
    "crm.cadence": 4,
    "crm.identity": 4,
    "crm.store": 3,
    "crm.formats": 2,
    "crm.net": 2,
}
LEAF_RANK = 1  # crm.errors, crm.text, crm.dates, crm.files, crm.render: small modules every layer may use


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE_ROOT.rglob("*.py")}


@cache
def parsed(path: Path) -> ast.Module:
    """Each file is parsed once for all the tests here (parsing the whole package is their cost)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The crm modules `name` imports, anywhere in the file."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and target.startswith("crm"):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def layer_of(module: str) -> tuple[str, int]:
    for prefix, rank in sorted(RANKS.items(), key=lambda item: -len(item[0])):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, rank
    return "leaves", LEAF_RANK  # leaves may use each other; the cycle test keeps that a tree


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles():
    graph = import_graph()
    assert find_cycles(graph) == []


def test_imports_only_go_down_the_layers():
    upward = []
    for module, targets in sorted(import_graph().items()):
        layer, rank = layer_of(module)
        for target in sorted(targets):
            target_layer, target_rank = layer_of(target)
            if target_layer == layer or target == "crm":
                continue
            if target_rank >= rank:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_checker_sees_a_hidden_cycle_and_an_upward_import():
    graph = {"crm.store.a": {"crm.store.b"}, "crm.store.b": {"crm.store.a"}, "crm.text": set()}
    assert find_cycles(graph) == [["crm.store.a", "crm.store.b"]]
    assert layer_of("crm.store.contacts")[1] < layer_of("crm.cli.base")[1]
    assert layer_of("crm.formats.vcard.read")[1] > layer_of("crm.text")[1]


def test_function_level_imports_count(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from crm.store import contacts\n    import crm.cadence.engine\n")
    known = {"crm.store", "crm.store.contacts", "crm.cadence", "crm.cadence.engine"}
    assert imports_of("crm.x", source, known) == {"crm.store.contacts", "crm.cadence.engine"}


def test_only_the_cli_imports_click():
    offenders = []
    for name, path in all_modules().items():
        if layer_of(name)[0] in ("crm.cli", "crm.__main__"):
            continue
        for node in ast.walk(parsed(path)):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if any(n == "click" or n.startswith("click.") for n in names):
                offenders.append(name)
    assert offenders == []
