"""The working tree as the diff engine reads it: repository-relative paths to the bytes on disk,
refusing what surgeon does not edit (symbolic links, folders, paths leading outside the repo)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

ReadFile = Callable[[str], "bytes | None"]


class WorkingTreeProblem(Exception):
    """A path the diff names cannot be read safely (a symlink, a folder, outside the repository)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def working_tree_reader(root: Path) -> ReadFile:
    """read_file for the engine: a repository-relative path -> the working tree's bytes, or None."""
    resolved_root = root.resolve()

    def read(path: str) -> bytes | None:
        target = resolved_root / path
        if target.is_symlink():
            raise WorkingTreeProblem(path, "is a symbolic link; surgeon edits regular files only")
        if not target.resolve().is_relative_to(resolved_root):
            raise WorkingTreeProblem(path, "leads outside the repository through a symbolic link")
        if target.is_dir():
            raise WorkingTreeProblem(path, "is a folder, not a file")
        if not target.exists():
            return None
        return target.read_bytes()

    return read
