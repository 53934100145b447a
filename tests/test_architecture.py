"""The shape of the house, checked: imports point one way (cli -> edit/pair/review -> the pipeline
stages -> git, config and the small shared modules), no module imports itself back through
others, and no module grows past 500 lines. Imports inside functions count too: a lazy import
hides a cycle from Python, not from a reader."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "surgeon"
MAX_LINES = 500

# package -> the packages it may import. Read top-down: each row may use only rows below it.
ALLOWED: dict[str, set[str]] = {
    "cli": {"bench", "edit", "pair", "review", "locate", "prompt", "model", "diff", "validate", "stage", "gate", "git",
            "guard", "config", "errors", "secrets", "terminal", "tokens", "languages", "__init__"},
    "bench": {"edit", "locate", "prompt", "model", "diff", "validate", "stage", "gate", "git", "config", "errors",
              "secrets", "terminal", "tokens", "languages"},
    "pair": {"edit", "locate", "prompt", "model", "diff", "validate", "stage", "gate", "git", "config", "errors",
             "secrets", "terminal", "tokens", "languages"},
    "edit": {"locate", "prompt", "model", "diff", "validate", "stage", "gate", "git", "config", "errors", "secrets",
             "terminal", "tokens", "languages"},
    "review": {"model", "prompt", "diff", "validate", "stage", "gate", "git", "config", "errors", "secrets",
               "terminal", "languages", "__init__"},
    "guard": {"validate", "diff", "model", "git", "config", "errors", "secrets", "languages"},
    "stage": {"diff", "gate", "git", "errors"},
    "gate": {"git", "errors"},
    "prompt": {"locate", "errors", "lazy"},
    "validate": {"diff", "git", "gate", "secrets", "model", "languages", "errors", "lazy"},
    "model": {"config", "git", "secrets", "errors", "tokens", "terminal", "lazy"},
    "locate": {"git", "config", "errors", "languages", "tokens", "terminal", "lazy"},
    "diff": {"languages", "errors", "lazy"},
    "git": {"errors"},
    "config": {"errors"},
    "secrets": {"errors"},
    "terminal": set(),
    "tokens": set(),
    "languages": set(),
    "lazy": set(),
    "errors": set(),
    "__init__": set(),
    "__main__": {"cli"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "examples" in path.relative_to(PACKAGE).parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported surgeon module, line, at module level) for every import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # imports under `if TYPE_CHECKING:` are for the type checker only
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            top_level.update(id(child) for child in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                package = base if path.name == "__init__.py" else base[:-1]
                prefix = ".".join(package[: len(package) - node.level + 1])
                source = f"{prefix}.{node.module}" if node.module else prefix
            else:
                source = node.module or ""
            names = [source] + [f"{source}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "surgeon" or name.startswith("surgeon."):
                target = _resolve(name)
                if target and target not in (module, "surgeon"):  # the package itself holds __version__ only
                    found.append((target, node.lineno, id(node) in top_level))
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_imports_point_down_only():
    wrong = []
    for module, path in MODULES.items():
        here = _package(module)
        for target, line, _top in _imports(module, path):
            there = _package(target)
            if there != here and there not in ALLOWED[here]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {target}")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(set(wrong)))


def test_no_import_cycles_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _line, top in _imports(module, path):
            if top and not module.startswith(target + "."):
                graph[module].add(target)  # a package __init__ re-exporting its modules is not a cycle
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
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_every_package_is_in_the_layering():
    assert {_package(m) for m in MODULES} <= set(ALLOWED)


def test_no_module_is_over_500_lines():
    long = {str(path.relative_to(PACKAGE.parent)): n for path in MODULES.values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_diff_engine_is_pure():
    """diff/ is text in, result out: no git, files, network, terminal, and nothing of validate."""
    impure = {"subprocess", "os", "socket", "sqlite3", "click", "rich", "anthropic", "openai"}
    found = []
    for module, path in MODULES.items():
        if not module.startswith("surgeon.diff"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{module} imports {n}" for n in names if n.split(".")[0] in impure]
    assert not found, found
