"""Accepting a review branch: bring the staged change into the current branch and working tree
without ever losing uncommitted work; it checks first and changes nothing when it refuses:

  fast-forward    HEAD is still the commit the change was staged on: the branch (or detached HEAD)
                  moves to the branch tip, and the index and working tree are updated for the
                  files the change touches only (`git read-tree -m -u`, git's own carry-forward of
                  local changes). A touched file with uncommitted changes is refused. Commits
                  someone added on top of surgeon's come in with it: every commit on the branch.
  replayed        HEAD moved since staging: the change is applied with a 3-way merge
                  (`git apply --3way`) to a temporary index of HEAD; a conflict refuses, a clean
                  result becomes a new commit on HEAD (author and message of the surgeon commit),
                  then as above. A branch with commits surgeon did not make is refused here.
  working-tree    the change was staged with --base worktree on a snapshot of uncommitted work:
                  the change is written to those files in the working tree, left uncommitted
                  (committing your work is your call); HEAD and the index stay. Refused when a
                  touched file changed since it was snapshotted.
  already-merged  the change is already in HEAD.

A branch surgeon did not make, never verified, or that no longer holds its commit is refused
(stage/branches.py states). After accept the surgeon branch is deleted, so `surgeon branches` lists
pending changes only; nothing is lost, since everything on it is in HEAD (or the working tree). The
gate note stays when the surgeon commit itself became part of history (fast-forward), so
`git log --notes=surgeon` still shows its check; otherwise the note goes with the branch.

From the user's view accept is one step. Its writes (HEAD, index and files, the branch) run with
Ctrl-C and SIGTERM held and with git in its own session, and are announced first in a journal,
<git dir>/surgeon/accept.json, under a lock. A run killed part-way leaves the journal; the next
surgeon command (`recover`) finishes the accept or rolls it back, and says which.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from surgeon.errors import Refused, UsageError, WorkingTreeChanged, WouldOverwrite
from surgeon.git import Git, RepoInfo, last_line
from surgeon.git.files import FileWrite, exclusive_lock, write_files
from surgeon.git.objects import REGULAR_MODES, SYMLINK_MODE
from surgeon.stage.branches import (
    AcceptResult,
    BranchInfo,
    drop_branch,
    find_branch,
    kept_reason,
    load_branch,
    refuse_checked_out,
    sweep_marks,
)
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


def _refuse_not_ours(info: BranchInfo) -> None:
    if info.state in ("rewritten", "unverified", "not-surgeon"):
        raise Refused(f"cannot accept {info.branch}: {kept_reason(info)}. Nothing changed. "
                      f"To bring it in yourself: `git merge {info.branch}`.")


# ---------------------------------------------------------------------------------------------
# the journal, its lock, and held signals


def _journal(repo: RepoInfo) -> Path:
    return repo.git_dir / "surgeon" / "accept.json"


@contextlib.contextmanager
def _locked(repo: RepoInfo) -> Iterator[None]:
    """One accept (or recovery) at a time per worktree (without flock, the journal still makes a
    killed accept recoverable)."""
    with exclusive_lock(_journal(repo).parent / "accept.lock"):
        yield


@contextlib.contextmanager
def _held_signals() -> Iterator[list[int]]:
    """Hold Ctrl-C, SIGTERM and SIGHUP while the block runs; the list says which came."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    signals = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, lambda number, _frame: received.append(number)) for sig in signals}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write_journal(repo: RepoInfo, entry: dict[str, Any]) -> None:
    path = _journal(repo)
    temporary = path.with_name(f".accept.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(entry, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _read_journal(repo: RepoInfo) -> dict[str, Any] | None:
    try:
        entry = json.loads(_journal(repo).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return entry if isinstance(entry, dict) else {}


def _clear_journal(repo: RepoInfo) -> None:
    _journal(repo).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# accepting


def accept(repo: RepoInfo, ident: str) -> AcceptResult:
    """Bring the review branch `ident` names into the current branch and working tree."""
    return accept_branch(repo, find_branch(repo, ident))


def accept_branch(repo: RepoInfo, info: BranchInfo) -> AcceptResult:
    git = Git(repo.root)
    with _locked(repo):
        if _read_journal(repo) is not None:  # an accept that died since this command started: settle it first
            _recover_locked(repo, git)
            tip = git.rev(f"refs/heads/{info.branch}")
            if tip is None:
                raise UsageError(f"no pending surgeon branch '{info.branch}'. `surgeon branches` lists them.")
            info = load_branch(git, f"refs/heads/{info.branch}", tip)
        result = _accept(repo, git, info)
    sweep_marks(git)
    return result


def _accept(repo: RepoInfo, git: Git, info: BranchInfo) -> AcceptResult:
    refuse_checked_out(git, [info], "accept")
    _refuse_in_progress(repo, info)
    _refuse_not_ours(info)
    if info.snapshot:
        return _accept_onto_worktree(repo, git, info)

    head = git.rev("HEAD^{commit}")
    assert head is not None  # find_repo(need_commit=True) guarantees a commit
    if _is_ancestor(git, info.commit, head):
        drop_branch(git, info)  # everything on it is in HEAD already
        return AcceptResult(info, "already-merged", head, ())
    ahead = info.state == "changed" and _is_ancestor(git, info.base, head) and _is_ancestor(git, head, info.commit)
    if head == info.base or ahead:
        return _move_head(repo, git, info, head, info.commit, "fast-forward")
    if info.state == "changed":
        raise Refused(
            f"cannot accept {info.branch}: besides surgeon's change it holds {len(info.foreign)} commit(s) surgeon "
            f"did not make ({', '.join(repr(c) for c in info.foreign[:3])}), and HEAD moved since it was staged, "
            f"so they cannot come in as they are. Nothing changed. Bring them in with `git merge {info.branch}` "
            f"(or rebase them), then `git branch -D {info.branch}`."
        )
    replayed = _replay(git, info, head)
    if replayed is None:
        drop_branch(git, info)  # the change is in HEAD already; the branch held only surgeon's commit
        return AcceptResult(info, "already-merged", head, ())
    return _move_head(repo, git, info, head, replayed, "replayed")


def _is_ancestor(git: Git, older: str, newer: str) -> bool:
    return git.run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def _move_head(repo: RepoInfo, git: Git, info: BranchInfo, old: str, new: str, how: str) -> AcceptResult:
    """Move HEAD from `old` to `new`, updating index and working tree for the paths that differ,
    then drop the branch: all of it or (when git refuses) none of it."""
    paths = git.changed_paths(old, new)
    dirty = git.dirty(paths)
    if dirty:
        raise WouldOverwrite(info.branch, dirty, "uncommitted changes (or untracked files) in")
    # Stat information only; the content check above is what decides.
    git.run("update-index", "-q", "--refresh", check=False)
    entry = {"how": how, "branch": info.branch, "id": info.id, "tip": info.commit, "mark": info.mark,
             "old": old, "new": new, "paths": paths}
    with _held_signals() as held:
        _write_journal(repo, entry)
        moved = git.run("update-ref", "-m", f"surgeon: accept {info.branch}", "HEAD", new, old,
                        check=False, shielded=True)
        if moved.returncode != 0:
            _clear_journal(repo)
            raise Refused(f"HEAD moved while {info.branch} was being accepted ({last_line(moved.stderr)}); nothing changed")
        updated = git.run("read-tree", "-m", "-u", old, new, check=False, shielded=True)
        if updated.returncode != 0:
            git.run("update-ref", "-m", f"surgeon: undo accept {info.branch}", "HEAD", old, new,
                    check=False, shielded=True)
            _clear_journal(repo)
            raise Refused(f"git refused to update the working tree ({last_line(updated.stderr)}); nothing changed")
        drop_branch(git, info, keep_note=how == "fast-forward")  # the note stays with a commit now in history
        _clear_journal(repo)
    return AcceptResult(info, how, new, tuple(sorted(paths)), held_interrupt=bool(held))


def _replay(git: Git, info: BranchInfo, head: str) -> str | None:
    """The surgeon change re-applied on `head` as a new commit (None: HEAD already has it)."""
    patch = git.run(
        "diff-tree", "-p", "--full-index", "--binary", "--no-renames", "--no-color", info.base, info.commit
    ).stdout
    with tempfile.TemporaryDirectory(prefix=f"surgeon-accept-{os.getpid()}-") as tmp:
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


def _worktree_plan(git: Git, info: BranchInfo) -> tuple[dict[str, str], list[FileWrite]]:
    """For a change staged on a working-tree snapshot: where each touched file is ("before": as
    snapshotted, "after": as the change leaves it, "other": edited since) and the writes that bring
    every file to "after"."""
    paths = git.changed_paths(info.base, info.commit)
    before = git.tree_entries(info.base, paths)
    after = git.tree_entries(info.commit, paths)
    filemode = git.run("config", "--bool", "core.fileMode", check=False).stdout.decode().strip() != "false"
    conversions, indexed = git.conversions(paths), git.index_entries(paths)  # core.autocrlf, .gitattributes
    where: dict[str, str] = {}
    writes = []
    for path in paths:
        state = _worktree_state(git, path, filemode, (before.get(path) or after.get(path) or ("100644", ""))[0])
        have = None if state is None else (
            state[0], stored_blob_id(git, path, state[0], state[1], conversions[path], indexed.get(path))
        )
        where[path] = "after" if have == after.get(path) else "before" if have == before.get(path) else "other"
        entry = after.get(path)
        data = None if entry is None else _checked_out(git, path, *entry)
        writes.append(FileWrite(path, None if state is None else state[1], data, None if entry is None else entry[0],
                                before_link=state is not None and state[0] == SYMLINK_MODE))
    return where, writes


def _accept_onto_worktree(repo: RepoInfo, git: Git, info: BranchInfo) -> AcceptResult:
    if info.state == "changed":  # its commits would end up only as uncommitted edits
        raise Refused(
            f"cannot accept {info.branch}: it was staged on your uncommitted work and holds commits surgeon did not "
            f"make ({', '.join(repr(c) for c in info.foreign[:3])}). Nothing changed. Bring them in with "
            f"`git merge {info.branch}`, or `git branch -D {info.branch}`."
        )
    where, writes = _worktree_plan(git, info)
    changed = [path for path, state in where.items() if state == "other"]
    if changed:
        raise WouldOverwrite(info.branch, changed, "changes made since it was staged on your working tree, in")
    with _held_signals() as held:
        _write_journal(repo, {"how": "working-tree", "branch": info.branch, "id": info.id, "tip": info.commit,
                              "mark": info.mark, "paths": sorted(where)})
        try:
            write_files(git.root, writes)
        except WorkingTreeChanged as exc:  # edited between the check above and the write
            _clear_journal(repo)
            raise WouldOverwrite(info.branch, [exc.path], "changes made since it was staged on your working tree, in") from None
        except BaseException:
            _clear_journal(repo)  # write_files put back what it had replaced
            raise
        drop_branch(git, info)
        _clear_journal(repo)
    return AcceptResult(info, "working-tree", None, tuple(sorted(where)), held_interrupt=bool(held))


# ---------------------------------------------------------------------------------------------
# recovering an accept that was killed part-way


def recover(repo: RepoInfo) -> str | None:
    """Finish or roll back an accept that was killed part-way (its journal is still there), and
    say which; None when there is nothing to recover."""
    if not _journal(repo).exists():
        return None
    git = Git(repo.root)
    with _locked(repo):
        return _recover_locked(repo, git)


def _recover_locked(repo: RepoInfo, git: Git) -> str | None:
    entry = _read_journal(repo)
    if entry is None:
        return None  # another process settled it while this one waited for the lock
    with _held_signals():
        try:
            if not entry.get("branch"):
                message = "an interrupted `surgeon accept` left a journal surgeon cannot read; it was removed"
            elif entry.get("how") == "working-tree":
                message = _recover_worktree(git, entry)
            else:
                message = _recover_head(git, entry)
        finally:
            _clear_journal(repo)
    return message


def _pending(entry: dict[str, Any]) -> str:
    return f"{entry['branch']} is still pending (`surgeon accept {entry.get('id', entry['branch'])}` tries again)"


def _entry_branch(git: Git, entry: dict[str, Any]) -> BranchInfo | None:
    ref = f"refs/heads/{entry['branch']}"
    tip = git.rev(ref)
    return load_branch(git, ref, tip) if tip is not None and tip == entry.get("tip") else None


def _recover_head(git: Git, entry: dict[str, Any]) -> str:
    what = f"an interrupted `surgeon accept` of {entry['branch']}"
    old, new, paths = str(entry["old"]), str(entry["new"]), [str(p) for p in entry.get("paths", [])]
    head = git.rev("HEAD^{commit}")
    if head == old:
        return f"{what} had changed nothing; {_pending(entry)}"
    if head != new:
        return f"{what} was left as it is: HEAD has moved since (it is at {str(head)[:12]}); check `git log` and `git status`"
    index = git.index_entries(paths)
    if index == git.tree_entries(new, paths):  # HEAD, index and files all moved: only the branch is left
        info = _entry_branch(git, entry)
        if info is not None:
            drop_branch(git, info, keep_note=entry.get("how") == "fast-forward")
        return f"finished {what}: HEAD is {new[:12]}, the index and your files are up to date"
    if index == git.tree_entries(old, paths):  # HEAD moved, the index and files did not: move it back
        back = git.run("update-ref", "-m", f"surgeon: roll back accept {entry['branch']}", "HEAD", old, new,
                       check=False, shielded=True)
        if back.returncode == 0:
            return f"rolled back {what}: HEAD is back at {old[:12]}, nothing else had changed; {_pending(entry)}"
    listed = " ".join(paths)
    return (f"{what} moved HEAD to {new[:12]} but left the index of {', '.join(paths)} between the two; left as it is. "
            f"`git reset --keep {old[:12]}` goes back, `git checkout {new[:12]} -- {listed}` finishes it")


def _recover_worktree(git: Git, entry: dict[str, Any]) -> str:
    what = f"an interrupted `surgeon accept` of {entry['branch']}"
    info = _entry_branch(git, entry)
    if info is None:
        return f"{what} had finished; only its note was left"
    where, writes = _worktree_plan(git, info)
    if all(state == "before" for state in where.values()):
        return f"{what} had changed nothing; {_pending(entry)}"
    edited = [path for path, state in where.items() if state == "other"]
    if edited:
        written = [path for path, state in where.items() if state == "after"]
        return (f"{what} wrote {', '.join(written)} but not the rest, and {', '.join(edited)} changed since; left as "
                f"it is. `surgeon show {info.id}` shows the whole change; `surgeon discard {info.id}` drops it")
    write_files(git.root, writes)  # the files not yet written; the written ones are rewritten as they are
    drop_branch(git, info)
    return f"finished {what}: its change is in your working tree ({', '.join(sorted(where))}), uncommitted"


def _checked_out(git: Git, path: str, mode: str, oid: str) -> bytes:
    """The working-tree bytes of a blob, as git checks it out: smudge filters and eol conversion
    for regular files, the link target for a symbolic link."""
    return git.run("cat-file", "blob", oid).stdout if mode == SYMLINK_MODE else git.smudged(path, oid)
