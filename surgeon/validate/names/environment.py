"""The project's own Python environment, asked through a subprocess: which modules it can import
(importlib.util.find_spec; submodules through PathFinder, so no package code runs), where their
source is, and which distributions are installed. Nothing is ever imported into surgeon itself.

The interpreter is the project's venv when there is one (.venv/, venv/, env/ at the repository
root, with a pyvenv.cfg), else $VIRTUAL_ENV, else the python3 on PATH: the one a gate command such
as `pytest -q` would run with (its environment is the gate's scrubbed one, surgeon/gate/sandbox.py).
Answers are cached for the life of the object (one edit run)."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from surgeon.gate.sandbox import check_environment

VENV_NAMES = (".venv", "venv", "env", ".env")
TIMEOUT = 20.0  # seconds for one answer
IDLE = 60.0  # seconds the interpreter waits for a next question before it ends

# Runs in the project's interpreter. Top-level names go through find_spec (nothing is imported for
# them); a dotted name's parts go through PathFinder on the parent's search path, so no package's
# __init__ runs. Built-in, frozen and extension modules of the standard library are the only ones
# imported, for their dir(): they have no source to read and importing them runs no Python code of
# the project.
_PROBE = r"""
import importlib, importlib.machinery, importlib.util, json, sys
stdlib = getattr(sys, "stdlib_module_names", frozenset())
def spec_of(name):
    parts = name.split(".")
    spec = importlib.util.find_spec(parts[0])
    for i in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:i + 1]), list(spec.submodule_search_locations))
    return spec
def answer(request):
    importlib.invalidate_caches()  # what was installed since the last question counts
    modules = {}
    for name in request.get("modules", []):
        try:
            spec = spec_of(name)
        except Exception as error:
            modules[name] = {"error": type(error).__name__}
            continue
        if spec is None:
            modules[name] = None
            continue
        origin = spec.origin
        if origin == "frozen":
            origin = getattr(spec.loader_state, "filename", None)
        locations = list(spec.submodule_search_locations or [])
        entry = {"origin": origin if origin not in ("built-in", "frozen", None) else None, "locations": locations,
                 "package": spec.submodule_search_locations is not None}
        source = isinstance(entry["origin"], str) and entry["origin"].endswith((".py", ".pyi"))
        if not source and name.split(".")[0] in stdlib and name.split(".")[0] != "__main__":
            try:
                entry["names"] = dir(importlib.import_module(name))
            except Exception:
                pass
        modules[name] = entry
    out = {"modules": modules, "version": list(sys.version_info[:2]), "executable": sys.executable,
           "path": [p for p in sys.path if p], "builtin": sorted(sys.builtin_module_names), "stdlib": sorted(stdlib)}
    if request.get("distributions"):
        import importlib.metadata as metadata
        names = set()
        for dist in metadata.distributions():
            try:
                if dist.metadata["Name"]:
                    names.add(dist.metadata["Name"])
            except Exception:
                pass
        out["distributions"] = sorted(names)
    return out
import select
# One question per line, one answer per line (surgeon asks one at a time), until surgeon closes its
# end or asks nothing for IDLE seconds (a process that keeps its guard for long keeps no idle child).
while select.select([sys.stdin], [], [], IDLE)[0]:
    line = sys.stdin.readline()
    if not line:
        break
    sys.stdout.write(json.dumps(answer(json.loads(line))) + "\n")
    sys.stdout.flush()
"""


@dataclass(frozen=True)
class Spec:
    """Where the environment finds a module: its source file (None for built-in and extension
    modules, and namespace packages), its search path when it is a package, and for the standard
    library's modules without source, the names they define."""

    origin: str | None
    package: bool
    locations: tuple[str, ...] = ()
    names: frozenset[str] | None = None


def find_interpreter(root: Path) -> Path | None:
    """The project's Python: its venv, else $VIRTUAL_ENV, else python3 (python) on PATH."""
    candidates = [root / name for name in VENV_NAMES if (root / name / "pyvenv.cfg").is_file()]
    if os.environ.get("VIRTUAL_ENV"):
        candidates.append(Path(os.environ["VIRTUAL_ENV"]))
    for venv in candidates:
        for binary in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
            if binary.is_file() and os.access(binary, os.X_OK):
                return binary
    found = shutil.which("python3") or shutil.which("python")
    return Path(found) if found else None


def folder_listing(cache: dict[str, frozenset[str]], folder: str) -> frozenset[str]:
    """The names in `folder` (none when it cannot be read), read once per `cache`."""
    if folder not in cache:
        try:
            cache[folder] = frozenset(os.listdir(folder))
        except OSError:
            cache[folder] = frozenset()
    return cache[folder]


class Probe:
    """The project's interpreter running _PROBE: it starts once and answers each question (one
    line of JSON each way) in a millisecond or two, where a new interpreter per question took tens.
    It ends when its standard input closes: close(), or the end of the process that asked."""

    def __init__(self, command: Sequence[str], root: Path) -> None:
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=root, env=check_environment(os.environ))
        self._pending = b""

    def ask(self, request: dict[str, object], timeout: float) -> object:
        """The answer, or None when the interpreter does not give one in time (or has ended)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            return None
        deadline = time.monotonic() + timeout
        reading = self.process.stdout.fileno()
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([reading], [], [], left)[0]:
                return None
            part = os.read(reading, 1 << 16)
            if not part:
                return None
            self._pending += part
        line, self._pending = self._pending.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return None

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class PythonEnvironment:
    """The project's interpreter, asked in batches; every answer cached."""

    def __init__(self, root: Path, interpreter: Path | None = None) -> None:
        self.root = root
        self.interpreter = interpreter if interpreter is not None else find_interpreter(root)
        self.problem: str | None = None if self.interpreter else "no Python interpreter found (no venv, no python3 on PATH)"
        self._specs: dict[str, Spec | None] = {}
        self._distributions: frozenset[str] | None = None
        self.version: tuple[int, int] | None = None
        self._path: tuple[str, ...] | None = None  # its sys.path
        self._special: frozenset[str] = frozenset()  # built-in modules: always asked
        self._stdlib: frozenset[str] = frozenset()
        self._listings: dict[str, frozenset[str]] = {}
        self._probe: Probe | None = None
        self._asking = threading.Lock()  # the guard asks ahead in one thread and judges in another

    @property
    def available(self) -> bool:
        return self.problem is None

    def _ask(self, modules: list[str], distributions: bool) -> dict[str, object]:
        if self.interpreter is None or self.problem:
            return {}
        with self._asking:
            answer: object = None
            for fresh in (False, True):
                try:
                    if fresh or self._probe is None or self._probe.process.poll() is not None:
                        self.close()
                        self._probe = Probe([str(self.interpreter), "-c", f"IDLE = {IDLE}\n{_PROBE}"], self.root)
                        fresh = True
                    answer = self._probe.ask({"modules": modules, "distributions": distributions}, TIMEOUT)
                except OSError:
                    break
                # once more with a new one only when the one asked had ended (idle) as it was asked
                if isinstance(answer, dict) or fresh or self._probe.process.poll() is None:
                    break
            if not isinstance(answer, dict):
                self.close()
                self.problem = f"the project's Python ({self.interpreter}) could not be asked which modules it has"
                return {}
        version = answer.get("version")
        if isinstance(version, list) and len(version) == 2:
            self.version = (int(version[0]), int(version[1]))
        path = answer.get("path")
        if isinstance(path, list) and self._path is None:
            self._path = tuple(str(p) for p in path if os.path.isabs(str(p)))
            self._special = frozenset(str(n) for n in answer.get("builtin", ()))
            self._stdlib = frozenset(str(n) for n in answer.get("stdlib", ()))
        return answer

    def close(self) -> None:
        """End the interpreter, if it runs (a later question starts it again)."""
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.close()

    def _listing(self, folder: str) -> frozenset[str]:
        return folder_listing(self._listings, folder)

    def _on_path(self, name: str) -> Spec | None:
        """A top-level module found on the interpreter's sys.path as the path finder would find it
        (a regular package, a module, an extension; namespace portions are left to find_spec)."""
        for folder in self._path or ():
            names = self._listing(folder)
            if name in names and os.path.isfile(os.path.join(folder, name, "__init__.py")):
                return Spec(os.path.join(folder, name, "__init__.py"), True, (os.path.join(folder, name),))
            if f"{name}.py" in names:
                return Spec(os.path.join(folder, f"{name}.py"), False)
            if any(n.startswith(f"{name}.") and n.endswith((".so", ".pyd")) for n in names):
                return Spec(None, False)
        return None

    def prefetch(self, names: list[str]) -> None:
        """Ask for every name not asked yet, in one call."""
        wanted = sorted({n for n in names if n and n not in self._specs})
        if not wanted or not self.available:
            return
        answer = self._ask(wanted, False)
        found = answer.get("modules")
        for name in wanted:
            entry = found.get(name) if isinstance(found, dict) else None
            self._specs[name] = _spec(entry)
            if isinstance(entry, dict) and "error" in entry:
                self._specs[name] = Spec(None, False, names=None)  # it exists or not: unknowable here

    def spec(self, name: str) -> Spec | None:
        """The module's Spec, or None when the environment has no such module (or cannot be asked:
        see `available`). Once sys.path is known, a plain module or package there is read from the
        folders; everything else (built-in modules, finders of editable installs, names not found)
        is asked of the interpreter."""
        if name not in self._specs and self._path is not None and "." not in name and name not in self._special:
            found = self._on_path(name)
            if found is not None and (found.origin is not None or name not in self._stdlib):
                self._specs[name] = found  # (a compiled standard-library module is asked, for its names)
        if name not in self._specs:
            self.prefetch([name])
        return self._specs.get(name)

    def distributions(self) -> frozenset[str] | None:
        """Names of the installed distributions, or None when the environment cannot be asked."""
        if self._distributions is None and self.available:
            answer = self._ask([], True)
            names = answer.get("distributions")
            if isinstance(names, list):
                self._distributions = frozenset(str(n) for n in names)
        return self._distributions


def _spec(entry: object) -> Spec | None:
    if not isinstance(entry, dict) or "error" in entry:
        return None
    origin = entry.get("origin")
    names = entry.get("names")
    return Spec(origin if isinstance(origin, str) else None, bool(entry.get("package")),
                tuple(str(p) for p in entry.get("locations") or ()),
                frozenset(str(n) for n in names) if isinstance(names, list) else None)
