"""Dependencies a change declares: a new line in requirements*.txt, a new entry in pyproject.toml's
dependency lists (PEP 621, dependency groups, Poetry), or a new key in package.json's dependency
objects. A name found in no lock file, in no other declaration of the project and not installed is
reported: a package name a model made up is a supply-chain attack waiting for someone to register
it. With no lock file and no environment to ask, nothing is known and the entry is skipped."""

from __future__ import annotations

import ast
import configparser
import json
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

Ecosystem = Literal["python", "npm"]
NPM_SECTIONS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
PYTHON_LOCKS = ("poetry.lock", "uv.lock", "pdm.lock", "pylock.toml", "Pipfile.lock")
NPM_LOCKS = ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml")
SETUP_KEYWORDS = ("install_requires", "extras_require", "tests_require", "setup_requires")


@dataclass(frozen=True)
class Dependency:
    line: int  # 1-based line in the file that declares it
    name: str  # as written
    ecosystem: Ecosystem

    @property
    def key(self) -> str:
        return canonicalize_name(self.name) if self.ecosystem == "python" else self.name.lower()


def is_requirements(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(re.fullmatch(r"(?:.*[-_.])?requirements(?:[-_.].*)?\.(?:txt|in)", pure.name, re.IGNORECASE)) or (
        pure.parent.name.lower() == "requirements" and pure.suffix in (".txt", ".in"))


def is_manifest(path: str) -> bool:
    name = PurePosixPath(path).name
    return is_requirements(path) or name in ("pyproject.toml", "package.json")


def _requirement_name(text: str) -> str | None:
    text = re.split(r"\s+#|^#", text, maxsplit=1)[0].strip()
    if not text or text.startswith(("-", "git+", "http:", "https:", "file:", ".", "/")) or "://" in text.split("@")[0]:
        return None
    try:
        requirement = Requirement(text.split(" --", 1)[0].strip().rstrip("\\").strip())
    except InvalidRequirement:
        return None
    return None if requirement.url else requirement.name


def _string_lines(lines: list[str]) -> Callable[[str], list[int]]:
    def where(value: str) -> list[int]:
        quoted = (f'"{value}"', f"'{value}'")
        return [n for n, line in enumerate(lines, 1) if any(q in line for q in quoted)]
    return where


def _key_lines(lines: list[str], key: str, toml: bool) -> list[int]:
    pattern = re.compile(rf'^\s*["\']?{re.escape(key)}["\']?\s*[=:]' if toml else rf'^\s*"{re.escape(key)}"\s*:')
    return [n for n, line in enumerate(lines, 1) if pattern.match(line)]


def _pyproject_entries(data: dict[str, Any]) -> Iterable[tuple[str | None, str | None]]:
    """(requirement string or None, table key or None) for every dependency pyproject.toml declares."""
    project: dict[str, Any] = data["project"] if isinstance(data.get("project"), dict) else {}
    lists: list[object] = [project.get("dependencies")]
    optional = project.get("optional-dependencies")
    lists += list(optional.values()) if isinstance(optional, dict) else []
    groups = data.get("dependency-groups")
    lists += list(groups.values()) if isinstance(groups, dict) else []
    build = data.get("build-system")
    lists.append(build.get("requires") if isinstance(build, dict) else None)
    for entries in lists:
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, str):
                yield entry, None
    poetry = (data.get("tool") or {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        group = poetry.get("group")
        tables += [g.get("dependencies") for g in group.values() if isinstance(g, dict)] if isinstance(group, dict) else []
        for table in tables:
            for key in table if isinstance(table, dict) else ():
                if key.lower() != "python":
                    yield None, key


def dependencies(path: str, text: str) -> list[Dependency]:
    """Every dependency the file declares, with its line (an unreadable file declares none)."""
    name = PurePosixPath(path).name
    lines = text.splitlines()
    found: list[Dependency] = []
    if is_requirements(path):
        for number, line in enumerate(lines, 1):
            requirement = _requirement_name(line)
            if requirement:
                found.append(Dependency(number, requirement, "python"))
    elif name == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeError):
            return []
        where = _string_lines(lines)
        for entry, key in _pyproject_entries(data):
            requirement = _requirement_name(entry) if entry is not None else key
            for number in (where(entry) if entry is not None else _key_lines(lines, str(key), True))[:1]:
                if requirement:
                    found.append(Dependency(number, requirement, "python"))
    elif name == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return []
        for section in NPM_SECTIONS:
            table = data.get(section) if isinstance(data, dict) else None
            for key in table if isinstance(table, dict) else ():
                numbers = _key_lines(lines, key, False)
                found.append(Dependency(numbers[0] if numbers else 1, key, "npm"))
    return found


def new_dependencies(path: str, new_text: str, added: Collection[int], old_text: str | None) -> list[Dependency]:
    """The dependencies declared on added lines that the old file did not declare."""
    before = {d.key for d in dependencies(path, old_text)} if old_text else set()
    return [d for d in dependencies(path, new_text) if d.line in added and d.key not in before]


# -- what the project knows ---------------------------------------------------------------------------

def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    except OSError:
        return None


def _lock_text(root: Path, relative: str, overlay: Mapping[str, str | None]) -> str | None:
    """A lock file as the diff leaves it (a diff may add or update one), else as it is on disk."""
    return overlay[relative] if relative in overlay else _read(root / relative)


def python_locked(root: Path, overlay: Mapping[str, str | None] | None = None) -> set[str] | None:
    """Canonical names in the Python lock files at the root, None when there is none."""
    overlay = overlay or {}
    names: set[str] | None = None
    for lock in dict.fromkeys([*PYTHON_LOCKS, *(p.name for p in root.glob("pylock.*.toml")),
                               *(p for p in overlay if "/" not in p and re.fullmatch(r"pylock\..+\.toml", p))]):
        text = _lock_text(root, lock, overlay)
        if text is None:
            continue
        names = names if names is not None else set()
        try:
            if lock == "Pipfile.lock":
                data = json.loads(text)
                names |= {canonicalize_name(k) for part in ("default", "develop") for k in data.get(part, {})}
            else:
                data = tomllib.loads(text)
                for entry in [*data.get("package", []), *data.get("packages", [])]:
                    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                        names.add(canonicalize_name(entry["name"]))
        except (ValueError, tomllib.TOMLDecodeError, AttributeError):
            continue
    return names


def python_declared(root: Path, skip: Collection[str] = ()) -> set[str]:
    """Canonical names the project declares today (pyproject.toml, requirements files at the root
    and in requirements/), leaving out the files in `skip`."""
    candidates = ["pyproject.toml", *(p.name for p in root.glob("*.txt")), *(p.name for p in root.glob("*.in")),
                  *(f"requirements/{p.name}" for p in (root / "requirements").glob("*.txt")),
                  *(f"requirements/{p.name}" for p in (root / "requirements").glob("*.in"))]
    names: set[str] = _setup_py(_read(root / "setup.py")) | _setup_cfg(_read(root / "setup.cfg"))
    for relative in dict.fromkeys(candidates):
        if relative in skip or not is_manifest(relative):
            continue
        text = _read(root / relative)
        if text is not None:
            names |= {d.key for d in dependencies(relative, text)}
    return names


def _setup_py(text: str | None) -> set[str]:
    """Requirement names written as literals in setup.py's setup(install_requires=, extras_require=...)."""
    try:
        tree = ast.parse(text or "")
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in SETUP_KEYWORDS:
            for constant in ast.walk(node.value):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    name = _requirement_name(constant.value)
                    names |= {canonicalize_name(name)} if name else set()
    return names


def _setup_cfg(text: str | None) -> set[str]:
    """Requirement names in setup.cfg's [options] install_requires and [options.extras_require]."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text or "")
    except configparser.Error:
        return set()
    values = [parser.get("options", key, fallback="") for key in SETUP_KEYWORDS]
    if parser.has_section("options.extras_require"):
        values += [value for _key, value in parser.items("options.extras_require")]
    names = {_requirement_name(line) for value in values for line in value.splitlines()}
    return {canonicalize_name(name) for name in names if name}


def _yarn_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")) and line.rstrip().endswith(":"):
            for spec in line.rstrip().rstrip(":").split(","):
                spec = spec.strip().strip('"')
                at = spec.rfind("@")
                names.add(spec[:at] if at > 0 else spec)
    return names


def npm_known(root: Path, folder: Path, overlay: Mapping[str, str | None] | None = None) -> set[str] | None:
    """Package names npm knows here: lock files at `folder` or the root, node_modules folders up
    from `folder`. None when there is no lock and no node_modules."""
    names: set[str] | None = None
    for base in dict.fromkeys([folder, root]):
        for lock in NPM_LOCKS:
            text = _lock_text(root, (base / lock).relative_to(root).as_posix(), overlay or {})
            if text is None:
                continue
            names = names if names is not None else set()
            try:
                if lock.endswith(".json"):
                    data = json.loads(text)
                    names |= {k.rpartition("node_modules/")[2] for k in data.get("packages", {}) if k}
                    names |= set(data.get("dependencies", {}))
                elif lock == "yarn.lock":
                    names |= _yarn_names(text)
                else:
                    names |= {m.group(1) for m in re.finditer(r"^\s+'?/?(@?[^@/\s':]+(?:/[^@/\s':]+)?)[@/]", text, re.M)}
            except (ValueError, AttributeError):
                continue
    current = folder
    while True:
        modules = current / "node_modules"
        if modules.is_dir():
            names = names if names is not None else set()
            for entry in modules.iterdir():
                if entry.name.startswith("@") and entry.is_dir():
                    names |= {f"{entry.name}/{sub.name}" for sub in entry.iterdir()}
                else:
                    names.add(entry.name)
        if current == root or root not in current.parents:
            break
        current = current.parent
    return names
