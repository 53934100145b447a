"""Finding the repository a command works on, with clear errors for what is not one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import RepoError
from surgeon.git.runner import Git, last_line


@dataclass(frozen=True)
class RepoInfo:
    root: Path  # the top of the working tree
    git_dir: Path  # the repository's own .git directory (per worktree)
    common_dir: Path  # shared .git directory (same as git_dir outside linked worktrees)

    @property
    def surgeon_dir(self) -> Path:
        """Where surgeon keeps its cache, usage log and sessions: .git/surgeon/."""
        return self.common_dir / "surgeon"


def find_repo(path: str | Path | None = None, *, need_commit: bool = True) -> RepoInfo:
    """Return the repository containing `path` (default: the current directory).

    Raises RepoError (exit 2) with a one-line message for a missing folder, a folder outside
    any git repository, a bare repository, or a repository with no commits yet.
    """
    start = Path(path or ".").expanduser()
    if not start.exists():
        raise RepoError(f"{start}: no such folder. Pass --repo with the path of a git repository.")
    if not start.is_dir():
        raise RepoError(f"{start}: not a folder. Pass --repo with the path of a git repository.")
    start = start.resolve()
    git = Git(start)
    if git.run("rev-parse", "--is-bare-repository", check=False).stdout.strip() == b"true":
        raise RepoError(
            f"{start} is a bare repository: surgeon needs a working tree. Run it in a clone with files checked out."
        )
    probe = git.run("rev-parse", "--show-toplevel", "--git-dir", "--git-common-dir", check=False)
    if probe.returncode != 0:
        if b"not a git repository" in probe.stderr:
            raise RepoError(
                f"{start} is not inside a git repository. Run surgeon in a repository "
                "(or `git init` and commit first, or pass --repo DIR)."
            )
        raise RepoError(f"git could not read {start}: {last_line(probe.stderr)}")
    lines = probe.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 3:
        raise RepoError(f"{start} is inside a .git directory, not a working tree. Run surgeon in the working tree.")
    root = Path(lines[0])
    git_dir = (start / lines[1]).resolve()
    common = (start / lines[2]).resolve()
    if need_commit and Git(root).rev("HEAD^{commit}") is None:
        raise RepoError(
            f"{root} has no commits yet: surgeon stages changes on top of a commit. "
            "Commit your files first (git add -A && git commit -m 'initial')."
        )
    return RepoInfo(root=root, git_dir=git_dir, common_dir=common)
