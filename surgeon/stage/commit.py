"""Staging: a validated diff becomes one commit on a new branch `surgeon/<slug>-<id>`.

The commit is built with git plumbing through a temporary index (GIT_INDEX_FILE), so the working
tree, the real index, HEAD and the current branch are never touched. After writing it, the commit
is checked three ways (stage/verify.py); if any disagrees the change is refused. Only then are the
branch and its staging mark (refs/surgeon/staged/<slug>-<id>, stage/message.py) created, in one
ref transaction: a branch with a mark at its tip is a verified change nobody has touched since.

The diff engine works on working-tree bytes; the commit holds what `git add` would store for them.
For a path no conversion applies to (no core.autocrlf, no text/eol/filter/ident/working-tree-encoding
attribute) that is the bytes themselves, stored with `hash-object --no-filters`. For a converted
path it is the *clean* form (`hash-object --path=<path>`, plus git's rule that an "auto" eol
conversion leaves alone a file whose indexed blob already holds a CR): the base check compares the
cleaned old bytes with the base, and the verification applies the diff to the working-tree form of
the base and cleans the result independently of the bytes the engine produced.

Metadata lives in the commit message (stage/message.py): a one-line summary, the instruction, and
the trailers Surgeon-Instruction, Surgeon-Model, Surgeon-Cost and Surgeon-Check (the check
*command*). The commit exists before the gate runs, so the gate's *result* is recorded separately
as a git note on the commit under refs/notes/surgeon (see surgeon.gate).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surgeon.errors import DirtyFiles, GitFailed, PathRefused, Refused, UsageError
from surgeon.git import Git, RepoInfo, last_line
from surgeon.git.conversions import Conversion
from surgeon.git.objects import FILE_MODES, REGULAR_MODES, regular_blob
from surgeon.stage.branches import surgeon_refs
from surgeon.stage.message import (
    REFS_PREFIX,
    SNAPSHOT_SUBJECT,
    branch_id,
    commit_message,
    mark_ref,
    new_id,
    slugify,
)
from surgeon.stage.verify import verify, worktree_view

if TYPE_CHECKING:  # pragma: no cover
    from surgeon.diff import PatchResult

__all__ = ["DirtyFiles", "StagedChange", "stage_diff", "stored_blob_id"]


@dataclass(frozen=True)
class StagedChange:
    id: str
    branch: str  # "surgeon/<slug>-<id>" (the ref is refs/heads/<branch>)
    commit: str
    base: str  # the parent of `commit`: HEAD, or the working-tree snapshot on top of HEAD
    files: tuple[str, ...]  # every path the change touches, both sides of a rename, sorted
    lines_added: int
    lines_removed: int
    head: str = ""  # HEAD when the change was staged
    snapshot: str | None = None  # the snapshot commit when staged with base="worktree"
    instruction: str = ""


# ---------------------------------------------------------------------------------------------
# staging


def touched_paths(changes: Iterable[Any]) -> list[str]:
    paths: set[str] = set()
    for change in changes:
        paths.add(change.path)
        if change.old_path:
            paths.add(change.old_path)
    return sorted(paths)


def _normal_mode(path: str, mode: str | None) -> str | None:
    if mode is None:
        return None
    try:
        text = format(int(str(mode), 8), "o")
    except ValueError:
        text = str(mode)
    if text not in FILE_MODES:
        raise PathRefused(path, f"{path}: unsupported file mode {mode}: surgeon stages regular files and symlinks only")
    return text


def stage_diff(
    repo: RepoInfo,
    result: PatchResult,
    *,
    instruction: str,
    base: str = "head",
    model: str | None = None,
    cost: str | None = None,
    check: str | None = None,
    git: Git | None = None,
) -> StagedChange:
    """Stage `result.changes` as one commit on a new branch surgeon/<slug>-<id>.

    base="head": the parent is HEAD; a touched file with uncommitted changes raises DirtyFiles.
    base="worktree": touched files with uncommitted changes are first recorded as a snapshot
    commit on top of HEAD, which becomes the parent. Untouched files never enter either commit.
    Raises Refused when the change cannot be staged exactly; nothing is left behind then.
    `git`: the repository's Git, when the caller has one holding the commit settings (Git.hold_commit_settings).
    """
    if base not in ("head", "worktree"):
        raise UsageError(f"unknown base {base!r}: use 'head' or 'worktree'")
    if not result.ok:
        reasons = "; ".join(str(r) for r in result.refusals) or "the diff was refused"
        raise Refused(f"nothing staged: {reasons}")
    changes = tuple(result.changes)
    if not changes:
        raise Refused("the diff changes nothing; nothing staged")

    git = git or Git(repo.root)
    head = git.rev("HEAD^{commit}")
    if head is None:
        raise UsageError(f"{repo.root} has no commits yet: commit your files first, then stage on top of them.")
    paths = touched_paths(changes)
    dirty = git.dirty(paths)
    if dirty and base == "head":
        raise DirtyFiles(dirty)

    sweep_stale_folders()
    with tempfile.TemporaryDirectory(prefix=f"surgeon-stage-{os.getpid()}-") as tmp_name:
        tmp = Path(tmp_name)
        identity = git.identity_env()
        conversions = git.conversions(paths)
        snapshot = _snapshot(git, head, dirty, tmp, identity, conversions) if dirty else None
        parent = snapshot or head

        index = tmp / "index"
        git.run("read-tree", parent, env={"GIT_INDEX_FILE": str(index)})
        check_index = tmp / "index.check"
        shutil.copyfile(index, check_index)

        base_entries = git.tree_entries(parent, paths)
        parent_label = "HEAD" if snapshot is None else "the snapshot"
        _check_against_base(git, changes, base_entries, conversions, parent_label)
        expected = _expected_entries(git, changes, base_entries, conversions, tmp)
        # A change git's clean step undoes (say, only line endings under core.autocrlf) is no change.
        unchanged = {
            path for path, entry in expected.items()
            if conversions[path].converts and entry is not None and entry == base_entries.get(path)
        }
        expected = {path: entry for path, entry in expected.items() if path not in unchanged}
        if not expected:
            raise Refused(
                "the diff changes nothing once git's clean filters (core.autocrlf, .gitattributes) "
                "are applied; nothing staged"
            )
        git.update_index(index, expected)
        tree = git.out("write-tree", env={"GIT_INDEX_FILE": str(index)})
        message = commit_message(instruction, model=model, cost=cost, check=check)
        commit = git.out("commit-tree", tree, "-p", parent, input=message.encode(), env=identity)
        view = worktree_view(git, changes, base_entries, conversions, tmp)
        verify(git, parent, commit, tree, expected, result.normalised, check_index, view, conversions, base_entries)
        # Only a verified commit gets a branch (with its mark, in one ref transaction): a staging
        # that is interrupted or killed before this line leaves no branch, only unreachable objects.
        short, ref = _create_branch(git, slugify(instruction), commit)

    kept = [c for c in changes if not ({c.path, c.old_path or c.path} <= unchanged)]
    added = sum(c.lines_added for c in kept)
    removed = sum(c.lines_removed for c in kept)
    return StagedChange(
        id=short,
        branch=ref.removeprefix("refs/heads/"),
        commit=commit,
        base=parent,
        files=tuple(path for path in paths if path not in unchanged),
        lines_added=added,
        lines_removed=removed,
        head=head,
        snapshot=snapshot,
        instruction=instruction,
    )


def _store(
    git: Git,
    items: Sequence[tuple[str, str, bytes, str | None]],
    conversions: Mapping[str, Conversion],
    tmp: Path,
    *,
    write: bool = True,
) -> list[str]:
    """Blob ids for (path, mode, working-tree bytes, index blob) items, as `git add` stores them:
    unconverted files and symlinks byte for byte (in one git call), converted files cleaned."""
    raw = [
        number for number, (path, mode, _, _) in enumerate(items)
        if mode not in REGULAR_MODES or not conversions.get(path, Conversion()).converts
    ]
    oids: list[str] = [""] * len(items)
    if write:
        raw_oids = git.write_blobs([items[number][2] for number in raw], tmp)
    else:
        raw_oids = [git.blob_id(items[number][2]) for number in raw]
    for number, oid in zip(raw, raw_oids, strict=True):
        oids[number] = oid
    for number, (path, _mode, data, index_blob) in enumerate(items):
        if not oids[number]:
            oids[number] = git.clean_blob(path, data, conversions[path], index_blob=index_blob, write=write)
    return oids


def stored_blob_id(
    git: Git, path: str, mode: str, data: bytes, conversion: Conversion, index_entry: tuple[str, str] | None
) -> str:
    """The blob id `git add` would give the working-tree file `path` holding `data` (mode: its
    mode; index_entry: what the index holds at `path`). Nothing is written."""
    return _store(git, [(path, mode, data, regular_blob(index_entry))], {path: conversion}, Path(), write=False)[0]


def _snapshot(
    git: Git,
    head: str,
    paths: Sequence[str],
    tmp: Path,
    identity: Mapping[str, str],
    conversions: Mapping[str, Conversion],
) -> str:
    """A commit on top of HEAD holding the working-tree content of exactly `paths` (as `git add`
    would store it)."""
    filemode = git.run("config", "--bool", "core.fileMode", check=False).stdout.decode().strip() != "false"
    head_entries = git.tree_entries(head, paths)
    indexed = git.index_entries(paths)
    present: dict[str, tuple[str, bytes]] = {}
    for path in paths:
        full = git.root / path
        try:
            info = os.lstat(full)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            present[path] = ("120000", os.fsencode(os.readlink(full)))
        elif stat.S_ISREG(info.st_mode):
            executable = bool(info.st_mode & stat.S_IXUSR)
            if filemode:
                mode = "100755" if executable else "100644"
            else:
                mode = head_entries.get(path, ("100644", ""))[0]
                mode = mode if mode in REGULAR_MODES else "100644"
            present[path] = (mode, full.read_bytes())
        else:
            raise PathRefused(path, f"{path}: is not a file in the working tree; nothing staged")
    items = [(path, mode, data, regular_blob(indexed.get(path))) for path, (mode, data) in present.items()]
    oids = _store(git, items, conversions, tmp)
    entries: dict[str, tuple[str, str] | None] = {path: None for path in paths}
    for (path, (mode, _)), oid in zip(present.items(), oids, strict=True):
        entries[path] = (mode, oid)
    index = tmp / "snapshot.index"
    git.run("read-tree", head, env={"GIT_INDEX_FILE": str(index)})
    git.update_index(index, entries)
    tree = git.out("write-tree", env={"GIT_INDEX_FILE": str(index)})
    listed = "\n".join(f"- {path}" for path in paths)
    message = f"{SNAPSHOT_SUBJECT}\n\nUncommitted working-tree content of the files a surgeon change touches:\n{listed}\n"
    return git.out("commit-tree", tree, "-p", head, input=message.encode(), env=identity)


def _check_against_base(
    git: Git,
    changes: Sequence[Any],
    base_entries: Mapping[str, tuple[str, str]],
    conversions: Mapping[str, Conversion],
    parent_label: str,
) -> None:
    """The diff was made against some working-tree content; cleaned as git would clean it, that
    content must be exactly what the base holds."""
    for change in changes:
        source = change.old_path or change.path
        if change.old_content is None:
            if change.path in base_entries:
                raise PathRefused(change.path, f"{change.path}: the diff creates this file but it already exists in "
                                  f"{parent_label}; nothing staged")
            if change.new_content is None:
                raise PathRefused(change.path, f"{change.path}: the change neither creates nor keeps the file; nothing staged")
            continue
        entry = base_entries.get(source)
        if entry is None:
            raise PathRefused(source, f"{source}: the diff changes this file but it is not in {parent_label}; nothing staged")
        item = (source, entry[0], change.old_content, regular_blob(entry))
        if _store(git, [item], conversions, Path(), write=False)[0] != entry[1]:
            raise PathRefused(
                source, f"{source}: the content in {parent_label} differs from the file the diff was made against "
                "(it changed meanwhile); nothing staged"
            )
        if change.old_path and change.old_path != change.path and change.path in base_entries:
            raise PathRefused(change.path, f"{change.path}: the diff renames {change.old_path} onto an existing file; "
                              "nothing staged")


def _expected_entries(
    git: Git,
    changes: Sequence[Any],
    base_entries: Mapping[str, tuple[str, str]],
    conversions: Mapping[str, Conversion],
    tmp: Path,
) -> dict[str, tuple[str, str] | None]:
    """path -> (mode, blob) for every path the commit writes, None for every path it removes."""
    entries: dict[str, tuple[str, str] | None] = {}
    for change in changes:
        if change.old_path and change.old_path != change.path:
            entries[change.old_path] = None
    modes: dict[str, str] = {}
    for change in changes:
        if change.new_content is None:
            entries[change.path] = None
            continue
        # Without an explicit new mode the file keeps the mode it has in the base.
        source = change.old_path or change.path
        modes[change.path] = _normal_mode(change.path, change.new_mode) or base_entries.get(source, ("100644", ""))[0]
    written = [c for c in changes if c.new_content is not None]
    items = [(c.path, modes[c.path], c.new_content, regular_blob(base_entries.get(c.path))) for c in written]
    for change, oid in zip(written, _store(git, items, conversions, tmp), strict=True):
        entries[change.path] = (modes[change.path], oid)
    return entries


def _create_branch(git: Git, slug: str, commit: str, attempts: int = 20) -> tuple[str, str]:
    """Create refs/heads/surgeon/<slug>-<id> and its mark refs/surgeon/staged/<slug>-<id>, both at
    `commit` and in one transaction, with an id no other surgeon branch uses.

    `create` refuses to overwrite an existing ref, so a name taken meanwhile means another id is
    tried; nothing is ever overwritten."""
    taken = {branch_id(ref) for ref in surgeon_refs(git)}
    for _ in range(attempts):
        short = new_id()
        if short in taken:
            continue
        ref = f"{REFS_PREFIX}{slug}-{short}"
        transaction = f"create {ref} {commit}\ncreate {mark_ref(ref)} {commit}\n".encode()
        created = git.run("update-ref", "-m", f"surgeon: stage {short}", "--stdin", input=transaction,
                          check=False, shielded=True)
        if created.returncode == 0:
            return short, ref
        if git.rev(ref) is None and git.rev(mark_ref(ref)) is None:
            raise GitFailed(f"could not create branch {ref.removeprefix('refs/heads/')}: {last_line(created.stderr)}")
        taken.add(short)
    raise Refused("could not find a free surgeon branch name; run `surgeon discard --all` to clean up")


STALE_FOLDER = re.compile(r"surgeon-(?:stage|accept)-(?:(\d+)-)?[a-z0-9_]+")
LEGACY_AGE = 86400  # seconds: a temporary folder without its process id is stale after a day


def sweep_stale_folders(directory: Path | None = None) -> list[Path]:
    """Remove the temporary folders of staging and accepting processes that are gone (killed before
    they could clean up): ours, named surgeon-stage-<pid>-... or surgeon-accept-<pid>-..., whose
    process no longer runs (older unnamed ones after a day). Returns what was removed."""
    folder = Path(directory or tempfile.gettempdir())
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        match = STALE_FOLDER.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        pid = match.group(1)
        stale = not _running(int(pid)) if pid else time.time() - info.st_mtime > LEGACY_AGE
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True
