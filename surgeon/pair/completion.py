"""Tab completion in a pair session: slash commands, and paths after /add (files of the repository
that may be sent to a model) and /drop (the files in the session's scope).

What to offer is decided here (text before the cursor in, candidates out); the terminal turns the
candidates into prompt_toolkit completions (surgeon/cli/pair.py).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import SurgeonError
from surgeon.git import Git
from surgeon.model import never_send
from surgeon.pair.commands import SLASH_COMMANDS

MAX_CANDIDATES = 200  # a menu longer than this helps nobody; type more of the name


@dataclass(frozen=True)
class Candidate:
    text: str  # replaces the last `replace` characters before the cursor
    replace: int
    meta: str = ""  # what a command does, shown beside it


def addable_paths(root: Path) -> list[str]:
    """Repository files /add may pin: tracked, and untracked ones git does not ignore; regular files
    only (no symlink, no submodule), never a never-sent file. Git lists nothing of .git."""
    listed = Git(root).z_list("-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard")
    paths = []
    for path in dict.fromkeys(listed):
        if not path.isprintable():  # a name with control characters or not UTF-8: nothing to type
            continue
        try:
            mode = os.lstat(root / path).st_mode
        except OSError:  # deleted in the working tree
            continue
        if stat.S_ISREG(mode) and not never_send(path, root):
            paths.append(path)
    return paths


class PathIndex:
    """The repository's addable files, listed once per prompt (`refresh` marks a new prompt), as the
    person would type them: relative to the folder the session was started in."""

    def __init__(self, root: Path, cwd: Path) -> None:
        self.root = root
        self.cwd = cwd
        self._paths: list[str] | None = None

    def refresh(self) -> None:
        self._paths = None

    def paths(self) -> list[str]:
        if self._paths is None:
            try:
                self._paths = [self.typed(path) for path in addable_paths(self.root)]
            except SurgeonError:  # git gone or failing: no completions, and the prompt goes on
                self._paths = []
        return self._paths

    def typed(self, path: str) -> str:
        """A repo-relative path as typed from cwd (what commands.normalise_pinned_path reads back)."""
        if self.cwd == self.root:
            return path
        return Path(os.path.relpath(self.root / path, self.cwd)).as_posix()


def path_candidates(typed: str, paths: Sequence[str]) -> list[str]:
    """Completions of a partly typed path, one folder level at a time like a shell (`sr` -> `src/`);
    when no path starts with what was typed, the paths that contain it anywhere (case-insensitive),
    so `/add views` finds `app/blog/views.py`."""
    head = typed[: typed.rfind("/") + 1]
    found: dict[str, None] = {}
    for path in paths:
        if path.startswith(typed):
            name, slash, _ = path[len(head):].partition("/")
            found[head + name + slash] = None
    if not found and typed:
        wanted = typed.lower()
        found = {path: None for path in paths if wanted in path.lower()}
    return sorted(found)[:MAX_CANDIDATES]


def complete(before_cursor: str, addable: Callable[[], Sequence[str]], in_scope: Callable[[], Sequence[str]]
             ) -> list[Candidate]:
    """What Tab offers for the text before the cursor."""
    text = before_cursor.lstrip()
    if not text.startswith("/") or text.startswith("//"):
        return []  # an instruction: nothing to complete
    name, space, argument = text.partition(" ")
    if not space:
        return [Candidate(spec.split()[0], len(text), what) for spec, what in SLASH_COMMANDS.items()
                if spec.startswith(text.lower())]
    argument = argument.lstrip()
    if name.lower() == "/add":
        return [Candidate(path, len(argument)) for path in path_candidates(argument, addable())]
    if name.lower() == "/drop":
        return [Candidate(path, len(argument)) for path in path_candidates(argument, in_scope())]
    return []
