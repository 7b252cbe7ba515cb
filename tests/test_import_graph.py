"""The import graph runs one way (issue 9, acceptance 2).

The walker reads every module under ``src/`` with ``ast`` (nothing is imported) and records each
import between the walked packages, wherever it stands: at module level, inside a function (a
deferred import still ties the two modules together), or under ``if TYPE_CHECKING:``.

Type-only imports count, for cycles and for the layer rules alike. They never run, so they make
no runtime cycle; but a loop closed under ``TYPE_CHECKING`` is still two modules that know each
other (the emulator's ``app`` ↔ ``control`` was one), and a domain that names the admin panel's
types still depends on the panel. The way out of such a loop is to move the type below both
modules, or to have the lower one declare a ``Protocol`` of what it needs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGES = ("calbridge", "calbridge_google_emulator")

#: Packages that hold one part of the product's model (their own tables, services, jobs).
DOMAINS = (
    "calbridge.account",
    "calbridge.auth",
    "calbridge.calendar",
    "calbridge.event",
    "calbridge.google",
    "calbridge.google_sync",
    "calbridge.idempotency",
    "calbridge.rules",
    "calbridge.scheduling",
    "calbridge.workspace",
)


@dataclass(frozen=True)
class Rule:
    """No module under any of ``importers`` may import a module under any of ``imported``."""

    importers: tuple[str, ...]
    imported: tuple[str, ...]
    why: str


FORBIDDEN = (
    Rule(DOMAINS, ("calbridge.admin",), "the admin panel sits on top of the domains"),
    Rule(("calbridge.outbox",), DOMAINS, "the outbox runs jobs; the composed registry names them"),
    Rule(
        ("calbridge.event",),
        ("calbridge.google",),
        "Google is reached through an interface the event domain owns",
    ),
    Rule(
        ("calbridge.google",),
        ("calbridge.event",),
        "Google writes events through the composed job registry or an interface",
    ),
    Rule(
        ("calbridge.event", "calbridge.google"),
        ("calbridge.google_sync",),
        "Google sync sits above both the event domain and the Google adapter",
    ),
    Rule(("calbridge",), ("calbridge_google_emulator",), "calbridge reaches the emulator by URL"),
    Rule(("calbridge_google_emulator",), ("calbridge",), "the emulator stands alone"),
)


#: Edges still to be removed, and by which step of issue 9. An edge removed from the code must
#: leave this list too (``test_pending_edges_still_exist``), so it only shrinks.
PENDING: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    when: str  # "module", "function" or "type"

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line}, {self.when})"


def under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root`` by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(body: list[ast.stmt], when: str) -> Iterator[tuple[ast.stmt, str]]:
    """Each import statement of ``body`` with when it runs; class bodies run at import time."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, when
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _statements(node.body, "type" if when == "type" else "function")
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _statements(node.body, "type")
            yield from _statements(node.orelse, when)
        else:  # if/for/while/with/try/match at this level: their blocks run at the same time
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _statements([child], when)
                elif isinstance(child, ast.ExceptHandler | ast.match_case):
                    yield from _statements(child.body, when)


def _targets(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        package = ".".join([*base, node.module] if node.module else base)
    else:
        package = node.module or ""
    for alias in node.names:
        yield f"{package}.{alias.name}"  # a submodule, else resolved to ``package`` below
    yield package


def imports(root: Path, packages: Iterable[str]) -> list[Import]:
    """Every import between modules of ``packages`` under ``root``."""
    known = modules(root, packages)
    found: list[Import] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, when in _statements(tree.body, "module"):
            candidates = list(_targets(node, name, path.name == "__init__.py"))
            if isinstance(node, ast.ImportFrom):
                # ``from package import x``: x is a submodule, or a name defined by package.
                *names, package = candidates
                hits = [c for c in names if c in known] or [package]
            else:
                hits = candidates
            for target in hits:
                if target in known and target != name:
                    found.append(Import(name, target, node.lineno, when))
    return found


def cycles(edges: Iterable[Import]) -> list[list[Import]]:
    """One cycle (as the imports that close it) per strongly connected group of modules."""
    graph: dict[str, dict[str, Import]] = {}
    for edge in edges:
        graph.setdefault(edge.source, {}).setdefault(edge.target, edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_through(group, graph) for group in groups]


def _cycle_through(group: list[str], graph: dict[str, dict[str, Import]]) -> list[Import]:
    """The shortest path from the group's first module back to itself (a BFS inside the group)."""
    start, members = group[0], set(group)
    came_from: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt, edge in sorted(graph.get(node, {}).items()):
                if nxt not in members or nxt in came_from:
                    continue
                came_from[nxt] = edge
                if nxt == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, came_from[path[0].source])
                    return path
                following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {group}")


def violations(edges: Iterable[Import], rules: Iterable[Rule]) -> list[str]:
    rules = list(rules)
    return [
        f"{edge}: {rule.why}"
        for edge in edges
        for rule in rules
        if under(edge.source, rule.importers)
        and under(edge.target, rule.imported)
        and not under(edge.source, rule.imported)
    ]


def _report(found: list[list[Import]]) -> str:
    return "\n\n".join("\n".join(f"  {edge}" for edge in cycle) for cycle in found)


def _edges() -> list[Import]:
    return [e for e in imports(SRC, PACKAGES) if (e.source, e.target) not in PENDING]


def test_no_import_cycle() -> None:
    found = cycles(_edges())
    assert not found, f"{len(found)} import cycle(s):\n{_report(found)}"


def test_no_forbidden_import() -> None:
    found = violations(_edges(), FORBIDDEN)
    assert not found, "forbidden imports:\n" + "\n".join(found)


def test_pending_edges_still_exist() -> None:
    """An edge removed from the code leaves ``PENDING`` too, so the list only shrinks."""
    present = {(edge.source, edge.target) for edge in imports(SRC, PACKAGES)}
    assert sorted(set(PENDING) - present) == []


def test_the_walker_finds_a_planted_cycle_and_a_forbidden_edge(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/admin/__init__.py": "",
        "shop/admin/render.py": "import shop.orders.models\n",
        "shop/orders/__init__.py": "",
        "shop/orders/models.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from shop.admin.render import Page\n"
        ),
        "shop/orders/service.py": "from . import repository\n",
        "shop/orders/repository.py": "def load():\n    from ..orders.service import helper\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    edges = imports(tmp_path, ["shop"])

    assert sorted(str(edge) for edge in edges) == [
        "shop.admin.render -> shop.orders.models (line 1, module)",
        "shop.orders.models -> shop.admin.render (line 3, type)",
        "shop.orders.repository -> shop.orders.service (line 2, function)",
        "shop.orders.service -> shop.orders.repository (line 1, module)",
    ]
    assert [[str(edge) for edge in cycle] for cycle in cycles(edges)] == [
        [
            "shop.admin.render -> shop.orders.models (line 1, module)",
            "shop.orders.models -> shop.admin.render (line 3, type)",
        ],
        [
            "shop.orders.repository -> shop.orders.service (line 2, function)",
            "shop.orders.service -> shop.orders.repository (line 1, module)",
        ],
    ]
    rule = Rule(("shop.orders",), ("shop.admin",), "orders sit below admin")
    assert violations(edges, [rule]) == [
        "shop.orders.models -> shop.admin.render (line 3, type): orders sit below admin"
    ]
