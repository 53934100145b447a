"""The values the diff engine takes and returns. All frozen: the engine is text in, result out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LineKind = Literal[" ", "-", "+"]  # a diff line: context, removed, added
ChangeStatus = Literal["added", "deleted", "renamed", "modified"]


@dataclass(frozen=True)
class Refusal:
    """Why a diff (or one hunk of it) was not applied. The same text goes to people and models."""

    path: str | None
    hunk: int | None
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.hunk is not None:
            where.append(f"hunk {self.hunk}")
        if self.line is not None:
            where.append(f"(near line {self.line})" if self.hunk is not None else f"line {self.line}")
        prefix = f"{self.path}: " if self.path else ""
        if where:
            prefix += " ".join(where) + ": "
        return prefix + self.reason


@dataclass(frozen=True)
class FileChange:
    path: str  # the path after the change (the new name of a renamed file)
    old_path: str | None  # the old name of a renamed file, else None
    old_content: bytes | None  # None: the diff creates the file
    new_content: bytes | None  # None: the diff deletes the file
    old_mode: str | None  # git modes ("100644", "100755") when the diff names them
    new_mode: str | None
    lines_added: int
    lines_removed: int
    added_lines: tuple[int, ...] = ()  # 1-based numbers, in the new content, of the lines the diff adds
    # (the diff's hunk number, first line, last line) of each change in the new content, 1-based
    hunk_spans: tuple[tuple[int, int, int], ...] = ()

    @property
    def status(self) -> ChangeStatus:
        if self.old_content is None:
            return "added"
        if self.new_content is None:
            return "deleted"
        if self.old_path is not None:
            return "renamed"
        return "modified"


@dataclass(frozen=True)
class PatchResult:
    ok: bool
    changes: tuple[FileChange, ...]
    refusals: tuple[Refusal, ...]
    repairs: tuple[str, ...]
    normalised: str  # git-style diff: exact line numbers, 3 lines of context, a/ b/ paths
    lines_added: int
    lines_removed: int

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(change.path for change in self.changes)
