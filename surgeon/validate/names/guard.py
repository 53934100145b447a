"""The names guard itself (see the package's docstring): one NamesGuard per edit run keeps the
environment's answers and the parsed modules across attempts."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from surgeon.diff.types import FileChange, Refusal
from surgeon.git.runner import Git
from surgeon.validate.names.deps import (
    Dependency,
    is_manifest,
    new_dependencies,
    npm_known,
    python_declared,
    python_locked,
)
from surgeon.validate.names.environment import PythonEnvironment
from surgeon.validate.names.javascript import JsChecker, language_of
from surgeon.validate.names.pymodel import resolve_relative
from surgeon.validate.names.python import FileChecker
from surgeon.validate.names.report import Problem, Tally
from surgeon.validate.names.resolve import Resolver
from surgeon.validate.names.run import NamesReport
from surgeon.validate.names.scopes import OldUses
from surgeon.validate.scope import is_never_sent

__all__ = ["NamesGuard"]


def _hunk(change: FileChange, line: int) -> int | None:
    return next((hunk for hunk, first, last in change.hunk_spans if first <= line <= last), None)


def _tree(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _may_import(change: FileChange) -> bool:
    """Whether an added line of the change could hold (the start of) an import statement."""
    lines = (_decode(change.new_content) or "").split("\n")
    return any("import" in lines[n - 1] or "from" in lines[n - 1] for n in change.added_lines if 0 < n <= len(lines))


def _decode(content: bytes | None) -> str | None:
    return None if content is None else content.decode("utf-8", "replace")


class NamesGuard:
    def __init__(self, root: Path, environment: PythonEnvironment | None = None) -> None:
        self.root = root
        self.environment = environment or PythonEnvironment(root)
        self._words: dict[str, bool] = {}
        self._hidden: Callable[[str], bool] = lambda path: is_never_sent(path, root)
        self._resolver = Resolver(root, self.environment, hidden=self._hidden)
        self._declared: frozenset[str] | None = None
        self._olds: dict[tuple[str, int], OldUses] = {}
        self._warmed: set[str] = set()  # files whose imports warm() asked about
        self._hurry = False

    def _elsewhere(self, word: str) -> bool:
        """Whether `word` occurs as a word in any tracked file of the repository."""
        if word not in self._words:
            done = Git(self.root).run("grep", "-q", "-I", "-w", "-F", "-e", word, check=False)
            self._words[word] = done.returncode == 0
        return self._words[word]

    def warm(self, paths: Sequence[str]) -> None:
        """Ask ahead about what these files import (the files a diff will most likely change), so
        that judging the diff later finds the answers cached; the check asks for whatever is
        missing then. The project's interpreter is a process of its own: asked while the model
        works, it runs beside the model SDK's import instead of after it."""
        self._hurry = False
        trees: dict[str, ast.Module | None] = {}
        texts: dict[str, str] = {}
        for path in paths:
            if path.endswith((".py", ".pyi")) and not self._hidden(path):
                try:
                    texts[path] = (self.root / path).read_bytes().decode("utf-8", "replace")
                except OSError:
                    continue
                trees[path] = _tree(texts[path])
        self._declare()
        self._prefetch(trees)
        self._warmed.update(trees)
        # Then what each old file already uses, the likeliest to change first, until a check
        # begins (hurry): a large file's costs tens of milliseconds, which the check then saves.
        for path, tree in trees.items():
            if self._hurry:
                break
            if tree is not None:
                self._old(path, texts[path], tree)._tree_keys()

    def close(self) -> None:
        """End the project's interpreter, if it runs (a later check starts it again)."""
        self.environment.close()

    def hurry(self) -> None:
        """A check is about to begin: warm() stops after what it is doing."""
        self._hurry = True

    def _declare(self) -> frozenset[str]:
        """The packages the project declares (read once)."""
        if self._declared is None:
            names = python_declared(self.root)
            self._declared = frozenset(n.replace("-", "_") for n in names)
        return self._declared

    def check(self, changes: Sequence[FileChange]) -> NamesReport:
        started = time.perf_counter()
        tally = Tally()
        overlay = {c.path: _decode(c.new_content) for c in changes}
        overlay.update({c.old_path: None for c in changes if c.old_path and c.old_path not in overlay})
        declared = self._declare()
        resolver = self._resolver
        resolver.overlay, resolver.declared = overlay, declared
        problems: list[tuple[FileChange, Problem]] = []
        work = [c for c in changes if c.new_content is not None and c.added_lines]
        trees = {c.path: _tree(_decode(c.new_content) or "") for c in work if c.path.endswith((".py", ".pyi"))}
        # A warmed file's imports were asked about: only an added line can import anything new.
        self._prefetch({c.path: trees[c.path] for c in work if c.path in trees
                        and (c.path not in self._warmed or _may_import(c))})
        js = JsChecker(self.root, resolver.is_file, resolver.text, tally, self._hidden)
        for change in work:
            new_text = _decode(change.new_content) or ""
            old_text = _decode(change.old_content)
            added = frozenset(change.added_lines)
            if change.path.endswith((".py", ".pyi")):
                problems += [(change, p) for p in self._python(change.path, trees[change.path], old_text, added, tally,
                                                               "global" in new_text)]
            elif language_of(change.path):
                problems += [(change, p) for p in js.check(change.path, new_text, old_text, added)]
            if is_manifest(change.path):
                found = new_dependencies(change.path, new_text, added, old_text)
                problems += [(change, p) for p in self.dependencies(found, change.path, tally)]
        refusals = tuple(Refusal(c.path, _hunk(c, p.line), p.line, p.reason) for c, p in problems)
        return NamesReport(refusals, tally.checked, tally.unknown, tally.skipped, dict(tally.reasons),
                           round(time.perf_counter() - started, 4))

    def _prefetch(self, trees: dict[str, ast.Module | None]) -> None:
        """One question to the environment for every top-level module the changed files import (the
        whole files': attributes of their old imports are judged too)."""
        wanted: list[str] = []
        for tree in trees.values():
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, ast.Import):
                    wanted += [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    wanted.append(node.module.split(".")[0])
        if wanted:
            self.environment.prefetch(wanted)

    def _python(self, path: str, tree: ast.Module | None, old_text: str | None, added: frozenset[int],
                tally: Tally, globals_: bool) -> list[Problem]:
        if tree is None:
            return []  # the syntax guard speaks for a file that does not parse
        try:
            return FileChecker(self._resolver, path, tree, added, self._old(path, old_text), tally,
                               self._elsewhere, globals_=globals_).run()
        except RecursionError:
            tally.skip("too deeply nested to follow")
            return []

    def _old(self, path: str, text: str | None, tree: ast.Module | None = None) -> OldUses:
        """The old file's uses, kept across attempts (every attempt of an edit has the same old file)."""
        key = (path, hash(text))
        if key not in self._olds:
            name, package, _ = self._resolver.file_module(path)

            def absolute(node: ast.ImportFrom) -> str | None:
                return resolve_relative(name, package, node.level, node.module)

            self._olds[key] = OldUses(text, absolute, tree)
        return self._olds[key]

    def dependencies(self, found: Sequence[Dependency], path: str, tally: Tally) -> list[Problem]:
        """A problem for each dependency no lock file, other declaration or installed environment knows."""
        problems: list[Problem] = []
        python: set[str] | None = None
        for dependency in found:
            if dependency.ecosystem == "python":
                if python is None:
                    python = self._python_known(path)
                known = python
                where = "a Python lock file, another of the project's dependency lists, nor the project's environment"
            else:
                known = npm_known(self.root, (self.root / path).parent, self._resolver.overlay)
                where = "package-lock.json / yarn.lock / pnpm-lock.yaml nor node_modules"
            if known is None or (dependency.ecosystem == "python" and not self.environment.available and not known):
                tally.skip("no lock file or environment to check a dependency against")
            elif dependency.key in known:
                tally.checked += 1
            else:
                tally.unknown += 1
                problems.append(Problem(dependency.line, (
                    f"the new dependency `{dependency.name}` is in neither {where}: a made-up package name is a "
                    "supply-chain risk (anyone can publish it). Use a package the project already has; if it is "
                    "real and needed, install and lock it first")))
        return problems

    def _python_known(self, path: str) -> set[str] | None:
        from packaging.utils import canonicalize_name

        locked = python_locked(self.root, self._resolver.overlay)
        installed = self.environment.distributions()
        if locked is None and installed is None:
            return None
        known = python_declared(self.root, skip=(path,))
        known |= locked or set()
        known |= {canonicalize_name(n) for n in installed or ()}
        return known
