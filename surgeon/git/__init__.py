"""The bottom of the house: the one git runner, repository discovery, git's conversion model and
the working-tree file reader and writer. Imports nothing of surgeon above errors."""

from surgeon.git.repo import RepoInfo, find_repo
from surgeon.git.runner import Git, last_line

__all__ = ["Git", "RepoInfo", "find_repo", "last_line"]
