"""The house's rooms: every module in a subpackage, every subpackage installed, and no import cycle."""

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL_ALLOWED = {"__init__.py", "__main__.py"}


def _cycles(adjacent: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in adjacent[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(adjacent):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph("db", "desktop")
    adjacent = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in graph.modules}
    assert _cycles(adjacent) == []


def test_cycle_finder_sees_a_cycle() -> None:
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]


def test_every_module_lives_in_a_room() -> None:
    loose = [
        f"{top}/{path.name}"
        for top in ("db", "desktop")
        for path in (ROOT / top).glob("*.py")
        if path.name not in TOP_LEVEL_ALLOWED
    ]
    assert loose == []


def test_every_subpackage_is_installed() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("db", "desktop")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk <= listed
