"""The staging check: a commit just written is compared three ways with the change it must hold;
any disagreement is a refusal (before any branch points at the commit).

  (a) `git diff-tree base commit` lists exactly the paths the change touches (both sides of renames);
  (b) every written blob and mode in the commit's tree is the one expected from the change's bytes;
  (c) applying `result.normalised` with `git apply --cached` to a fresh index of the base gives the
      same tree (an independent route from the diff text to the tree). Converted files (core.autocrlf,
      .gitattributes) are given to git apply in their working-tree form and cleaned afterwards, as
      `git add` would clean them.

None of these reads a diff git wrote: (a) and (b) read NUL-separated listings, (c) reads git
apply's exit status and the tree it leaves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from surgeon.errors import GitFailed, PathRefused, Refused
from surgeon.git import Git, last_line
from surgeon.git.conversions import Conversion
from surgeon.git.objects import REGULAR_MODES, regular_blob

Entries = Mapping[str, "tuple[str, str] | None"]


def worktree_view(
    git: Git,
    changes: Sequence[Any],
    base_entries: Mapping[str, tuple[str, str]],
    conversions: Mapping[str, Conversion],
    tmp: Path,
) -> dict[str, tuple[str, str] | None]:
    """For converted files the diff reads: the working-tree bytes it was made against, stored
    unconverted, so that the normalised diff (working-tree bytes) applies to them."""
    view = {}
    for change in changes:
        source = change.old_path or change.path
        entry = base_entries.get(source)
        if change.old_content is None or entry is None or entry[0] not in REGULAR_MODES:
            continue
        if conversions[source].converts:
            view[source] = (entry[0], change.old_content)
    oids = git.write_blobs([data for _, data in view.values()], tmp)
    return {path: (mode, oid) for (path, (mode, _)), oid in zip(view.items(), oids, strict=True)}


def verify(
    git: Git,
    parent: str,
    commit: str,
    tree: str,
    expected: Entries,
    normalised: str,
    check_index: Path,
    view: Entries,
    conversions: Mapping[str, Conversion],
    base_entries: Mapping[str, tuple[str, str]],
) -> None:
    """Raise Refused unless `commit` (tree `tree`, on `parent`) holds exactly `expected` and git's
    own application of `normalised` to `check_index` (an index of the parent) gives `tree`.
    view: worktree_view's entries for converted files."""

    def refuse(why: str, path: str | None) -> Refused:
        message = f"staging check failed: {why}. Nothing was staged."
        return Refused(message) if path is None else PathRefused(path, f"{path}: {message}")

    changed = set(git.changed_paths(parent, commit))
    if changed != set(expected):
        extra = sorted(changed - set(expected))
        missing = sorted(set(expected) - changed)
        raise refuse(f"the commit changes {extra or 'nothing else'} beyond the diff and misses {missing or 'nothing'}",
                     (extra or missing)[0])
    actual = git.tree_entries(commit, expected)
    for path, entry in expected.items():
        if actual.get(path) != entry:
            raise refuse(f"the commit holds {actual.get(path)} instead of {entry}", path)
    # The independent route: the normalised diff (working-tree bytes) applied by git to the base,
    # with converted files in their working-tree form, then those files cleaned as git would.
    env = {"GIT_INDEX_FILE": str(check_index)}
    if view:
        git.update_index(check_index, view)
    applied = git.run(
        "apply", "--cached", "--whitespace=nowarn", "-",
        input=normalised.encode("utf-8", "surrogateescape"), env=env, check=False,
    )
    if applied.returncode != 0:
        raise refuse(f"the normalised diff does not apply to the base with git apply ({last_line(applied.stderr)})",
                     next(iter(sorted(expected)), None))
    converted = [path for path, conversion in conversions.items() if conversion.converts]
    regular = {
        path: entry for path, entry in git.index_entries(converted, check_index).items() if entry[0] in REGULAR_MODES
    }
    blobs = git.read_objects([oid for _mode, oid in regular.values()])
    cleaned: dict[str, tuple[str, str] | None] = {}
    for path, (mode, oid) in regular.items():
        data = blobs[oid]
        if data is None:
            raise GitFailed(f"git cat-file failed: no blob {oid} for {path} after git apply")
        cleaned[path] = (mode, git.clean_blob(
            path, data, conversions[path], index_blob=regular_blob(base_entries.get(path)), write=True
        ))
    if cleaned:
        git.update_index(check_index, cleaned)
    other = git.out("write-tree", env=env)
    if other != tree:
        differing = git.z_list("diff-tree", "-r", "-z", "--no-renames", "--name-only", tree, other)
        raise refuse("git apply of the normalised diff gives a different tree than the staged commit",
                     differing[0] if differing else None)
