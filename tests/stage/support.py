"""Helpers for the review-branch tests: a PatchResult as the diff engine would return it.

The changes are read against the working tree (as the engine reads files); the normalised diff is
git's own diff between a tree of those old contents and a tree of the new ones.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import git

try:
    from surgeon.diff import FileChange, PatchResult
except ImportError:  # the diff engine is written in parallel; same shapes as the brief

    @dataclass(frozen=True)
    class FileChange:  # type: ignore[no-redef]
        path: str
        old_path: str | None
        old_content: bytes | None
        new_content: bytes | None
        old_mode: str | None
        new_mode: str | None
        lines_added: int
        lines_removed: int

    @dataclass(frozen=True)
    class PatchResult:  # type: ignore[no-redef]
        ok: bool
        changes: tuple
        refusals: tuple
        repairs: tuple
        normalised: str
        lines_added: int
        lines_removed: int


def _blob(repo: Path, data: bytes) -> str:
    return subprocess.run(
        ["git", "hash-object", "-w", "--no-filters", "--stdin"], cwd=repo, input=data, capture_output=True, check=True
    ).stdout.decode().strip()


def _read(repo: Path, path: str) -> bytes | None:
    target = repo / path
    if target.is_symlink():
        return os.fsencode(os.readlink(target))
    return target.read_bytes() if target.is_file() else None


def _tree(repo: Path, index: Path, entries: dict[str, tuple[str, bytes] | None]) -> str:
    lines = []
    zero = "0" * (64 if git(repo, "rev-parse", "--show-object-format").strip() == "sha256" else 40)
    for path, entry in entries.items():
        if entry is None:
            lines.append(f"0 {zero}\t{path}")
        else:
            lines.append(f"{entry[0]} {_blob(repo, entry[1])}\t{path}")
    env_git = ["env", f"GIT_INDEX_FILE={index}", "git"]
    subprocess.run([*env_git, "update-index", "--index-info"], cwd=repo, input="\n".join(lines) + "\n",
                   text=True, check=True, capture_output=True)
    return subprocess.run([*env_git, "write-tree"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def patch_result(
    repo: Path,
    edits: dict[str, str | bytes | None],
    *,
    renames: dict[str, str] | None = None,
    modes: dict[str, str] | None = None,
    normalised: str | None = None,
) -> PatchResult:
    """edits: new path -> new content (None deletes); renames: new path -> old path;
    modes: new path -> new mode. Old contents come from the working tree."""
    renames = renames or {}
    modes = modes or {}
    index = Path(tempfile.mkdtemp(prefix="surgeon-test-")) / "index"
    subprocess.run(["env", f"GIT_INDEX_FILE={index}", "git", "read-tree", "HEAD"], cwd=repo, check=True)
    old_entries: dict[str, tuple[str, bytes] | None] = {}
    new_entries: dict[str, tuple[str, bytes] | None] = {}
    changes = []
    for path, new in edits.items():
        new_bytes = new.encode() if isinstance(new, str) else new
        source = renames.get(path, path)
        old = _read(repo, source)
        old_mode = None
        if old is not None:
            listed = git(repo, "ls-files", "-s", "--", source).split()
            old_mode = listed[0] if listed else "100644"
            old_entries[source] = (old_mode, old)
        else:
            old_entries[source] = None
        if source != path:
            new_entries[source] = None
        new_entries[path] = None if new_bytes is None else (modes.get(path) or old_mode or "100644", new_bytes)
        changes.append(
            FileChange(
                path=path, old_path=source if source != path else None, old_content=old,
                new_content=new_bytes, old_mode=old_mode, new_mode=modes.get(path),
                lines_added=0, lines_removed=0,
            )
        )
    try:
        tree_old = _tree(repo, index, old_entries)
        tree_new = _tree(repo, index, new_entries)
    finally:
        shutil.rmtree(index.parent, ignore_errors=True)
    diff = git(repo, "diff", "--no-color", "--no-ext-diff", "-M", "--src-prefix=a/", "--dst-prefix=b/",
               tree_old, tree_new)
    numstat = git(repo, "diff", "--numstat", "--no-renames", tree_old, tree_new)
    counts: dict[str, tuple[int, int]] = {}
    for line in numstat.splitlines():
        added, removed, path = line.split("\t")
        counts[path] = (int(added) if added != "-" else 0, int(removed) if removed != "-" else 0)
    changes = [
        dataclasses.replace(c, lines_added=counts.get(c.path, (0, 0))[0],
                            lines_removed=counts.get(c.old_path or c.path, (0, 0))[1])
        for c in changes
    ]
    return PatchResult(
        ok=True, changes=tuple(changes), refusals=(), repairs=(),
        normalised=diff if normalised is None else normalised,
        lines_added=sum(c.lines_added for c in changes), lines_removed=sum(c.lines_removed for c in changes),
    )


def surgeon_branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/").split()
