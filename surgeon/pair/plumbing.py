"""Pair's own git runner and transactional working-tree writer.

These are jobs surgeon/git/ owns (the one git runner, the one file writer with rollback); they
are kept together here, and nothing else in pair/ runs git or writes the person's files except
through this module or surgeon.git.Git, so they can move there in one step:

- run_git, rev_parse, delete_ref: a git runner (raises RepoError, not GitFailed);
- checked_out_branches: a `git worktree list --porcelain` parser;
- FileWrite, read_file, write_files, _write_atomic, _umask, sigint_deferred: the writer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import Refused, RepoError

# -- git -------------------------------------------------------------------------------------------


def run_git(cwd: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None,
            check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, input=input,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RepoError(f"git {args[0]} failed: {message[-1] if message else 'exit ' + str(result.returncode)}")
    return result.stdout.decode("utf-8", "replace")


def rev_parse(root: Path, ref: str) -> str | None:
    out = run_git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False).strip()
    return out or None


def checked_out_branches(root: Path) -> set[str]:
    """refs/heads/... checked out in any worktree of the repository."""
    out = run_git(root, "worktree", "list", "--porcelain", check=False)
    return {line[len("branch "):] for line in out.splitlines() if line.startswith("branch ")}


def delete_ref(root: Path, branch: str, expected: str) -> bool:
    """Delete refs/heads/<branch> if it still points at `expected` (its notes are left alone: an
    empty session branch points at the person's own commit)."""
    return subprocess.run(["git", "update-ref", "-m", "surgeon pair", "-d", f"refs/heads/{branch}", expected],
                          cwd=root, capture_output=True).returncode == 0


# -- the working-tree writer -----------------------------------------------------------------------


@dataclass(frozen=True)
class FileWrite:
    """One file of an accepted or undone change: what it must hold now, what it will hold
    (None = absent), and its mode after."""

    path: str
    before: bytes | None
    after: bytes | None
    mode: str | None = None  # "100755" for an executable, else a regular file

    def inverse(self) -> FileWrite:
        """The write that puts `before` back (its mode slot carries nothing)."""
        return FileWrite(self.path, self.after, self.before)


def read_file(root: Path, path: str) -> bytes | None:
    target = root / path
    return target.read_bytes() if target.is_file() else None


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block is done, so a change is never half-applied; the interrupt is
    delivered afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _write_atomic(target: Path, data: bytes, mode: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".surgeon")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        if mode == "100755":
            os.chmod(tmp, os.stat(tmp).st_mode | 0o111)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_files(root: Path, writes: Sequence[FileWrite]) -> None:
    """Write exactly these files. Every file must still hold `before` (checked first, for all of
    them); if a write fails part-way, the files already written are put back."""
    resolved_root = root.resolve()
    for w in writes:
        parent = (root / w.path).parent.resolve()
        if (parent != resolved_root and resolved_root not in parent.parents) or w.path.split("/")[0] == ".git":
            raise Refused(f"{w.path} is not a file of this working tree; nothing was written")
        if read_file(root, w.path) != w.before:
            raise Refused(f"{w.path} changed while the diff waited; nothing was written")
    done: list[FileWrite] = []
    try:
        for w in writes:
            target = root / w.path
            if w.after is None:
                target.unlink(missing_ok=True)
            else:
                _write_atomic(target, w.after, w.mode)
            done.append(w)
    except OSError as exc:
        for w in reversed(done):
            if w.before is None:
                (root / w.path).unlink(missing_ok=True)
            else:
                _write_atomic(root / w.path, w.before, None)
        raise Refused(f"could not write {exc.filename or 'a file'}: {exc.strerror}; nothing was changed") from None
