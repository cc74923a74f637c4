"""The library's layers, read from its own imports: down only, no cycle, rooms of a readable size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "podcaster"

# Lower numbers are lower floors; a module may import from its own floor or below.
FLOORS = {
    "errors": 0,
    "models": 0,
    "atomic": 0,
    "settings": 0,
    "net": 0,
    "parallel": 0,
    "media": 1,
    "storage": 1,
    "folder": 2,
    "feed": 3,
    "importing": 4,
    "verifying": 4,
    "publishing": 4,
    "stats": 4,
    "actions": 5,
    "studio": 5,  # accounts and episode edits for the studio, over the actions: used by cli and web
    "cli": 6,
    "__main__": 7,  # python -m podcaster: the command
}
MAX_LINES = 420  # "a few hundred lines", with room for a docstring
MAX_MODULES = 10


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every podcaster module *path* imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("podcaster"):
                submodules = {f"{node.module}.{alias.name}" for alias in node.names}
                found.update(submodules)
                if node.module != "podcaster" or not submodules <= set(_modules()):
                    found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("podcaster"))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; write podcaster.… in full")
    modules = _modules()
    return {name for name in found if name in modules}


def _floor(module: str) -> int | None:
    parts = module.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None  # the package root re-exports: above all


def test_every_module_has_a_floor() -> None:
    homeless = [name for name in _modules() if name != "podcaster" and _floor(name) is None]
    assert homeless == []


def test_imports_point_down() -> None:
    upward = []
    for name, path in _modules().items():
        floor = _floor(name)
        if floor is None:
            continue
        for imported in _imports(path):
            target = _floor(imported)
            if target is None or target > floor:
                upward.append(f"{name} -> {imported}")
    assert upward == []


def test_no_cycle_between_modules() -> None:
    graph = {
        name: {imported for imported in _imports(path) if imported != name and imported != "podcaster"}
        for name, path in _modules().items()
        if name != "podcaster"
    }
    # A package's __init__ re-exporting its own modules is not a cycle with them.
    for name in graph:
        graph[name] = {other for other in graph[name] if not name.startswith(other + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for following in sorted(graph.get(node, ())):
            if state.get(following) == 1:
                cycles.append([*trail[trail.index(following) :], following])
            elif following not in state:
                visit(following, [*trail, following])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_modules_and_folders_stay_readable() -> None:
    long_modules = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long_modules == {}
    crowded = {
        folder.name: count
        for folder in [PACKAGE, *[p for p in PACKAGE.iterdir() if p.is_dir()]]
        if (count := len([p for p in folder.glob("*.py") if p.name != "__init__.py"])) > MAX_MODULES
        and folder != PACKAGE
    }
    assert crowded == {}


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [
        name
        for name, path in _modules().items()
        if "os.environ" in path.read_text(encoding="utf-8") or "os.getenv" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["podcaster.settings"]


@pytest.mark.parametrize(
    ("library", "home"),
    [("mutagen", "media"), ("PIL", "media"), ("av", "media"), ("boto3", "storage"), ("feedgen", "feed")],
)
def test_each_third_party_format_library_has_one_home(library: str, home: str) -> None:
    users = set()
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n == library or n.startswith(library + ".") for n in names):
                users.add(name)
    assert users, f"nothing imports {library}"
    assert [name for name in users if name.split(".")[1] != home] == []


def test_the_library_never_imports_click_or_flask() -> None:
    for name, path in _modules().items():
        if name.startswith("podcaster.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                )
                assert not any(n.split(".")[0] in ("click", "flask", "web") for n in names), name
