"""Accepting a review branch: bring the staged change into the current branch and working tree
without ever losing uncommitted work; it checks first and changes nothing when it refuses:

  fast-forward    HEAD is still the commit the change was staged on: the branch (or detached HEAD)
                  moves to the surgeon commit, and the index and working tree are updated for the
                  files the change touches only (`git read-tree -m -u`, git's own carry-forward of
                  local changes). A touched file with uncommitted changes is refused.
  replayed        HEAD moved since staging: the change is applied with a 3-way merge
                  (`git apply --3way`) to a temporary index of HEAD; a conflict refuses, a clean
                  result becomes a new commit on HEAD (author and message of the surgeon commit),
                  then as above.
  working-tree    the change was staged with --base worktree on a snapshot of uncommitted work:
                  the change is written to those files in the working tree, left uncommitted
                  (committing your work is your call); HEAD and the index stay. Refused when a
                  touched file changed since it was snapshotted.
  already-merged  the change is already in HEAD.

After accept the surgeon branch is deleted, so `surgeon branches` lists pending changes only. The
gate note stays when the surgeon commit itself became part of history (fast-forward), so
`git log --notes=surgeon` still shows its check; otherwise the note goes with the branch.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from surgeon.errors import Refused, WorkingTreeChanged, WouldOverwrite
from surgeon.git import Git, RepoInfo, last_line
from surgeon.git.files import FileWrite, write_files
from surgeon.git.objects import REGULAR_MODES, SYMLINK_MODE
from surgeon.stage.branches import AcceptResult, BranchInfo, find_branch, refuse_checked_out
from surgeon.stage.commit import stored_blob_id

# Files git keeps while an operation that owns HEAD and the index is half done.
IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or git am",
}


def _refuse_in_progress(repo: RepoInfo, info: BranchInfo) -> None:
    for name, what in IN_PROGRESS.items():
        if (repo.git_dir / name).exists():
            raise Refused(
                f"cannot accept {info.branch} while {what} is in progress; finish or abort it first. Nothing changed."
            )


def accept(repo: RepoInfo, ident: str) -> AcceptResult:
    """Bring the review branch `ident` names into the current branch and working tree."""
    return accept_branch(repo, find_branch(repo, ident))


def accept_branch(repo: RepoInfo, info: BranchInfo) -> AcceptResult:
    git = Git(repo.root)
    refuse_checked_out(git, [info], "accept")
    _refuse_in_progress(repo, info)
    ref = f"refs/heads/{info.branch}"
    if info.snapshot:
        files = _accept_onto_worktree(git, info)
        git.delete_branch(ref, info.commit)
        return AcceptResult(info, "working-tree", None, files)

    head = git.rev("HEAD^{commit}")
    assert head is not None  # find_repo(need_commit=True) guarantees a commit
    if git.run("merge-base", "--is-ancestor", info.commit, head, check=False).returncode == 0:
        git.run("update-ref", "-d", ref, info.commit, check=False)
        return AcceptResult(info, "already-merged", head, ())
    if head == info.base:
        target, how = info.commit, "fast-forward"
    else:
        replayed = _replay(git, info, head)
        if replayed is None:
            git.delete_branch(ref, info.commit)
            return AcceptResult(info, "already-merged", head, ())
        target, how = replayed, "replayed"
    files = _move_head(git, info, head, target)
    if how == "fast-forward":
        git.run("update-ref", "-d", ref, info.commit, check=False)  # the note stays with the commit
    else:
        git.delete_branch(ref, info.commit)
    return AcceptResult(info, how, target, files)


def _move_head(git: Git, info: BranchInfo, old: str, new: str) -> tuple[str, ...]:
    """Move HEAD from `old` to `new`, updating index and working tree for the paths that differ."""
    paths = git.changed_paths(old, new)
    dirty = git.dirty(paths)
    if dirty:
        raise WouldOverwrite(info.branch, dirty, "uncommitted changes (or untracked files) in")
    # Stat information only; the content check above is what decides.
    git.run("update-index", "-q", "--refresh", check=False)
    git.run("update-ref", "-m", f"surgeon: accept {info.branch}", "HEAD", new, old)
    updated = git.run("read-tree", "-m", "-u", old, new, check=False)
    if updated.returncode != 0:
        git.run("update-ref", "-m", f"surgeon: undo accept {info.branch}", "HEAD", old, new, check=False)
        raise Refused(f"git refused to update the working tree ({last_line(updated.stderr)}); nothing changed")
    return tuple(sorted(paths))


def _replay(git: Git, info: BranchInfo, head: str) -> str | None:
    """The surgeon change re-applied on `head` as a new commit (None: HEAD already has it)."""
    patch = git.run(
        "diff-tree", "-p", "--full-index", "--binary", "--no-renames", "--no-color", info.base, info.commit
    ).stdout
    with tempfile.TemporaryDirectory(prefix="surgeon-accept-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("read-tree", head, env=env)
        applied = git.run("apply", "--cached", "--3way", "--whitespace=nowarn", "-", input=patch, env=env, check=False)
        if applied.returncode != 0:
            conflicts = sorted({entry.split("\t", 1)[1] for entry in git.z_list("ls-files", "-u", "-z", env=env)})
            where = f"conflicts in {', '.join(conflicts)}" if conflicts else last_line(applied.stderr)
            raise Refused(
                f"HEAD moved since {info.branch} was staged and the change no longer applies cleanly "
                f"({where}). Nothing changed. Run the instruction again on the current code, or discard it."
            )
        tree = git.out("write-tree", env=env)
    if tree == git.out("rev-parse", f"{head}^{{tree}}"):
        return None
    author = git.out("show", "-s", "--format=%an%x00%ae%x00%ad", "--date=raw", info.commit).split("\0")
    message = git.run("show", "-s", "--format=%B", info.commit).stdout
    env = {**git.identity_env(), "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2]}
    return git.out("commit-tree", tree, "-p", head, input=message, env=env)


def _worktree_state(git: Git, path: str, filemode: bool, fallback_mode: str) -> tuple[str, bytes] | None:
    full = git.root / path
    try:
        info = os.lstat(full)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return SYMLINK_MODE, os.fsencode(os.readlink(full))
    if not stat.S_ISREG(info.st_mode):
        return "040000", b""
    if filemode:
        mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
    else:
        mode = fallback_mode if fallback_mode in REGULAR_MODES else "100644"
    return mode, full.read_bytes()


def _accept_onto_worktree(git: Git, info: BranchInfo) -> tuple[str, ...]:
    paths = git.changed_paths(info.base, info.commit)
    before = git.tree_entries(info.base, paths)
    after = git.tree_entries(info.commit, paths)
    filemode = git.run("config", "--bool", "core.fileMode", check=False).stdout.decode().strip() != "false"
    conversions, indexed = git.conversions(paths), git.index_entries(paths)  # core.autocrlf, .gitattributes
    states: dict[str, tuple[str, bytes] | None] = {}
    changed: list[str] = []
    for path in paths:
        state = states[path] = _worktree_state(git, path, filemode, (before.get(path) or after.get(path) or ("100644", ""))[0])
        have = None if state is None else (
            state[0], stored_blob_id(git, path, state[0], state[1], conversions[path], indexed.get(path))
        )
        if have != before.get(path) and have != after.get(path):
            changed.append(path)
    if changed:
        raise WouldOverwrite(info.branch, changed, "changes made since it was staged on your working tree, in")
    writes = []
    for path in paths:
        state, entry = states[path], after.get(path)
        data = None if entry is None else _checked_out(git, path, *entry)
        writes.append(FileWrite(path, None if state is None else state[1], data, None if entry is None else entry[0],
                                before_link=state is not None and state[0] == SYMLINK_MODE))
    try:
        write_files(git.root, writes)
    except WorkingTreeChanged as exc:  # edited between the check above and the write
        raise WouldOverwrite(info.branch, [exc.path], "changes made since it was staged on your working tree, in") from None
    return tuple(sorted(paths))


def _checked_out(git: Git, path: str, mode: str, oid: str) -> bytes:
    """The working-tree bytes of a blob, as git checks it out: smudge filters and eol conversion
    for regular files, the link target for a symbolic link."""
    return git.run("cat-file", "blob", oid).stdout if mode == SYMLINK_MODE else git.smudged(path, oid)
