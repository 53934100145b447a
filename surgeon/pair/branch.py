"""The git side of a pair session: its branch and commits (SessionGit), the private worktree of a
--no-apply session, and what happens to the branch and the session's files when it ends."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import RepoError
from surgeon.git import Git
from surgeon.git.files import FileWrite
from surgeon.pair.session import Session
from surgeon.pair.store import private_worktree_path, remove_session_dir, remove_session_file

TreeEntry = tuple[str, bytes | None, str | None]  # (path, content or None for absent, mode or None)


class SessionGit:
    """The session branch and its commits, built with a temporary index (like stage does): the
    person's index, HEAD and current branch are never touched. Blobs are stored byte for byte."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.g = Git(root)

    def tip(self, branch: str) -> str | None:
        """The commit refs/heads/<branch> points at; None when there is no such branch."""
        return self.g.rev(f"refs/heads/{branch}^{{commit}}")

    def commit_files(self, parent: str, files: Sequence[TreeEntry], message: str) -> str:
        """A commit on top of `parent` with these (path, content or None for absent, mode) entries."""
        old = self.g.tree_entries(parent, [path for path, _, _ in files])
        with tempfile.TemporaryDirectory(prefix="surgeon-pair-") as tmp:
            index = Path(tmp) / "index"
            env = {"GIT_INDEX_FILE": str(index)}
            self.g.run("read-tree", parent, env=env)
            present = [(path, content, mode) for path, content, mode in files if content is not None]
            blobs = self.g.write_blobs([content for _, content, _ in present], Path(tmp))
            entries: dict[str, tuple[str, str] | None] = {path: None for path, content, _ in files if content is None}
            for (path, _, mode), oid in zip(present, blobs, strict=True):
                entries[path] = (mode or old.get(path, ("100644", ""))[0], oid)
            self.g.update_index(index, entries)
            tree = self.g.out("write-tree", env=env)
        return self.g.out("commit-tree", tree, "-p", parent, "-F", "-", input=message.encode(),
                          env=self.g.identity_env())

    def holds(self, commit: str, writes: Sequence[FileWrite]) -> list[FileWrite]:
        """Those writes whose `before` content is not what `commit` holds at that path."""
        entries = self.g.tree_entries(commit, [w.path for w in writes])
        differ = []
        for w in writes:
            entry = entries.get(w.path)
            held = None if entry is None else entry[1]
            if held != (None if w.before is None else self.g.blob_id(w.before)):
                differ.append(w)
        return differ

    def commit_turn(self, tip: str, writes: Sequence[FileWrite], message: str, snapshot_message: str) -> str:
        """The turn's commit on top of the branch tip. When the files the turn touches held
        something else than the tip (the person's own edits, or uncommitted work from before the
        session), that state is committed first, so the turn's commit is exactly its diff.
        `{paths}` in the snapshot message is replaced by the paths it records."""
        parent = tip
        differs = self.holds(tip, writes)
        if differs:
            text = snapshot_message.replace("{paths}", ", ".join(w.path for w in differs))
            parent = self.commit_files(tip, [(w.path, w.before, None) for w in differs], text)
        return self.commit_files(parent, [(w.path, w.after, w.mode) for w in writes], message)

    def move_branch(self, branch: str, new: str, old: str) -> None:
        """Compare-and-swap: fails (RepoError) if the branch moved meanwhile."""
        result = self.g.run("update-ref", "-m", "surgeon pair", f"refs/heads/{branch}", new, old, check=False)
        if result.returncode != 0:
            raise RepoError(f"could not move {branch}: {result.stderr.decode('utf-8', 'replace').strip()}")

    def create_branch(self, branch: str, commit: str) -> None:
        zero = "0" * len(commit)
        result = self.g.run("update-ref", "-m", "surgeon pair", f"refs/heads/{branch}", commit, zero, check=False)
        if result.returncode != 0:
            raise RepoError(f"could not create branch {branch}: it exists already or git refused")

    def delete_branch(self, branch: str, commit: str) -> None:
        """Delete the branch and any gate note recorded on its commit."""
        self.g.delete_branch(f"refs/heads/{branch}", commit)

    def reverse_diff(self, commit: str) -> str:
        """The diff that takes `commit` back to its first parent."""
        return self.g.run("diff", "--no-color", "--no-ext-diff", "--no-renames", "-U3", commit,
                          f"{commit}^").stdout.decode("utf-8", "surrogateescape")

    def worktree_snapshot(self, workdir: Path, extra: Sequence[FileWrite], message: str) -> str:
        """A commit of `workdir`'s HEAD plus its uncommitted changes to tracked files, plus `extra`:
        the files as they would be after accepting (neither index nor HEAD is touched)."""
        local = Git(workdir)
        head = local.out("rev-parse", "HEAD")
        entries: dict[str, tuple[bytes | None, str | None]] = {}
        for path in local.z_list("diff", "--name-only", "-z", "--no-renames", "HEAD", "--"):
            target = workdir / path
            content = target.read_bytes() if target.is_file() and not target.is_symlink() else None
            mode = "100755" if content is not None and os.access(target, os.X_OK) else None
            entries[path] = (content, mode)
        for w in extra:
            entries[w.path] = (w.after, w.mode)
        return self.commit_files(head, [(p, c, m) for p, (c, m) in entries.items()], message)


# -- the private working tree of a --no-apply session ------------------------------------------------


def ensure_private_worktree(root: Path, surgeon_dir: Path, session: Session) -> Path:
    """With --no-apply the session reads and proposes against the session branch, not the
    person's files: a detached worktree of the branch tip under .git/surgeon/pair/<id>/."""
    path = private_worktree_path(surgeon_dir, session.id)
    tip = SessionGit(root).tip(session.branch)
    if tip is None:
        raise RepoError(f"session branch {session.branch} is gone")
    if not (path / ".git").exists():
        git = Git(root, own_index=True)
        git.run("worktree", "prune", check=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        git.run("worktree", "add", "--detach", "-q", str(path), tip)
    else:
        sync_private_worktree(path, tip)
    return path


def sync_private_worktree(path: Path, commit: str) -> None:
    Git(path, own_index=True).run("reset", "-q", "--hard", commit)


def remove_private_worktree(root: Path, path: Path) -> None:
    if path.exists():
        Git(root, own_index=True).run("worktree", "remove", "--force", str(path), check=False)


def foreign_commits(root: Path, branch: str, tip: str) -> tuple[str, ...]:
    """"<short id> <subject>" of the commits only this session branch holds that pair did not make
    (someone committed on it): deleting the branch would lose them."""
    out = Git(root).out("log", "--max-count=20", "--format=%h %s", tip, "--not",
                        f"--exclude=refs/heads/{branch}", "--all")
    return tuple(line for line in out.splitlines() if line and not re.match(r"\S+ pair turn \d+", line))


def delete_ref(root: Path, branch: str, expected: str) -> bool:
    """Delete refs/heads/<branch> if it still points at `expected` and holds no commit pair did not
    make (its notes are left alone: an empty session branch points at the person's own commit)."""
    if foreign_commits(root, branch, expected):
        return False
    deleted = Git(root).run("update-ref", "-m", "surgeon pair", "-d", f"refs/heads/{branch}", expected, check=False)
    return deleted.returncode == 0


# -- the end of a session ---------------------------------------------------------------------------


def forget_session(root: Path, surgeon_dir: Path, session_id: str, branch: str) -> bool:
    """Remove what a session keeps besides its branch: its session file (when it is the file of
    this branch), a --no-apply private worktree, its folder. Returns whether a file was removed."""
    removed = remove_session_file(surgeon_dir, session_id, branch)
    remove_private_worktree(root, private_worktree_path(surgeon_dir, session_id))
    remove_session_dir(surgeon_dir, session_id)
    return removed


@dataclass(frozen=True)
class Ending:
    """What ending a session did: whether its branch was deleted, whether --resume can continue it."""

    branch_deleted: bool
    resumable: bool


def end_session(root: Path, surgeon_dir: Path, session: Session) -> Ending:
    """A session ends (/quit, Ctrl-D, end of piped input, or an error). If no accepted turn is left
    on its branch (the tip is still where it started: none accepted, or all undone) the branch holds
    nothing and is deleted, so session branches never pile up. The session file stays only when
    the session is worth resuming (a proposal or refusal the model would be reminded of); then
    `--resume` starts a new branch for it. A branch checked out in a worktree is left alone."""
    ref = f"refs/heads/{session.branch}"
    tip = SessionGit(root).tip(session.branch)
    if tip is None or tip != session.base or ref in Git(root).checked_out():
        return Ending(branch_deleted=False, resumable=tip is not None)
    if not delete_ref(root, session.branch, tip):
        return Ending(branch_deleted=False, resumable=True)
    if not session.worth_resuming:
        forget_session(root, surgeon_dir, session.id, session.branch)
    return Ending(branch_deleted=True, resumable=session.worth_resuming)
