"""The bottom of the house: the one git runner, repository discovery, git's conversion model, the
facts about objects (modes, blob ids) and the working-tree file reader and writer. Imports nothing
of surgeon above errors."""

from surgeon.git.objects import blob_id
from surgeon.git.repo import RepoInfo, find_repo
from surgeon.git.runner import Git, Worktree, last_line

__all__ = ["Git", "RepoInfo", "Worktree", "blob_id", "find_repo", "last_line"]
