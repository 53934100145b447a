"""A throwaway worktree, moved to each task's parent in turn, and the review branches a run staged.

The edit loop stages through a temporary index and never writes the worktree, so one worktree
serves every run: a checkout between nearby commits costs far less than a new worktree. It is detached (no branch of the user's moves), lives in the system temp folder and is
removed with its administrative entry when the run ends, also on Ctrl-C or SIGTERM. A folder left
by a bench process that was killed outright is swept by the next bench run. Branches the edit loop
staged are tracked from its events and dropped, with their staging marks, before the worktree goes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from surgeon.errors import SurgeonError
from surgeon.gate.run import (
    OWNER_FILE,
    interrupts_ignored,
    remove_worktree,
    sweep_stale_worktrees,
    terminate_as_interrupt,
)
from surgeon.git import Git, RepoInfo, find_repo
from surgeon.stage.branches import drop_branch, find_branch, sweep_marks

PREFIX = "surgeon-bench-"


@dataclass
class Workspace:
    """One task's checkout: `repo` is the worktree as a repository of its own (same objects and
    refs), `branches` what was staged in it."""

    repo: RepoInfo
    holder: Path
    branches: list[tuple[str, str]] = field(default_factory=list)  # (branch, the commit staged on it)

    def move_to(self, commit: str) -> None:
        """The worktree at `commit` and nothing else: whatever a check left there is removed."""
        git = Git(self.repo.root, own_index=True)
        git.run("checkout", "--detach", "--force", "--quiet", commit)
        git.run("clean", "-fdxq")


@contextlib.contextmanager
def throwaway_worktree(user: RepoInfo, commit: str, label: str) -> Iterator[Workspace]:
    git = Git(user.root, own_index=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in label)[:40]
    holder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{safe}-"))
    worktree = holder / (user.root.name or "repo")
    workspace: Workspace | None = None
    with terminate_as_interrupt():
        try:
            (holder / OWNER_FILE).write_text(str(os.getpid()))
            git.run("worktree", "add", "--detach", "--quiet", str(worktree), commit)
            workspace = Workspace(find_repo(worktree), holder)
            yield workspace
        finally:
            with interrupts_ignored():
                if workspace is not None:
                    drop_staged(user, workspace.branches)
                remove_worktree(git, worktree, holder)


def drop_staged(user: RepoInfo, branches: list[tuple[str, str]]) -> None:
    """Delete the review branches a bench run staged, each only while it still holds just the
    commit surgeon put there."""
    git = Git(user.root)
    for branch, commit in branches:
        with contextlib.suppress(SurgeonError):
            info = find_branch(user, branch)
            if info.commit == commit:
                drop_branch(git, info)
    if branches:
        sweep_marks(git)
    branches.clear()


def sweep_stale(user: RepoInfo) -> None:
    """Remove bench worktrees whose bench process no longer exists (killed with SIGKILL)."""
    sweep_stale_worktrees(Git(user.root, own_index=True), PREFIX)
