"""Typed errors that carry the message a user sees and the exit code the CLI returns."""

from __future__ import annotations

from collections.abc import Sequence


class SurgeonError(Exception):
    """Base error. `str(error)` is the one-line message shown to the user."""

    exit_code = 1


class UsageError(SurgeonError):
    """The command cannot run as asked (not a git repo, bad option, missing model ...)."""

    exit_code = 2


class RepoError(UsageError):
    """The folder is not a usable git repository."""


class ConfigError(UsageError):
    """A configuration file or value is invalid."""


class ModelNotConfigured(UsageError):
    """No model can be reached: no key and no configured provider."""


class EnvironmentFailure(SurgeonError):
    """The machine or a service failed, not the request: git missing, a network or model failure, a
    timeout, a crash. Exit 3, so scripts can tell "try again" from "refused" (1) and "bad input" (2)."""

    exit_code = 3


class ModelError(EnvironmentFailure):
    """A model call failed: unreachable, timed out, out of retries, or a reply that cannot be read."""


class GitFailed(EnvironmentFailure):
    """A git command failed in a way surgeon did not expect; the message carries git's words."""


class GitMissing(GitFailed):
    """There is no git on PATH."""

    def __init__(self) -> None:
        super().__init__("git is not installed or not on PATH; surgeon needs git. Install git, "
                         "or add its folder to PATH.")


class Refused(SurgeonError):
    """A diff or an action was refused; the message says why."""

    exit_code = 1


class SpendCapReached(Refused):
    """A model request was not sent: it could pass max_cost or max_cost_per_day (or its price is
    unknown and allow_unknown_price is off)."""


class DirtyFiles(Refused):
    """Files the diff touches have uncommitted changes (in the working tree or the index)."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = tuple(files)
        self.path = self.files[0] if self.files else None
        listed = ", ".join(self.files)
        # 'surgeon: working-tree snapshot' is surgeon.stage.message.SNAPSHOT_SUBJECT (a test keeps them equal)
        super().__init__(
            f"the diff touches files with uncommitted changes: {listed}. Nothing was staged. "
            "Either commit (or stash) those changes first, or run again with --base worktree to "
            "stage the change on top of your working-tree content (recorded as a separate "
            "'surgeon: working-tree snapshot' commit, so the surgeon commit holds only the diff)."
        )


class PathRefused(Refused):
    """A refusal about one file, which `path` names (the "path" of a --json error)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


class WouldOverwrite(Refused):
    """Accepting would overwrite uncommitted changes; nothing was changed."""

    def __init__(self, branch: str, files: Sequence[str], why: str) -> None:
        self.files = tuple(files)
        super().__init__(
            f"accepting {branch} would overwrite {why}: {', '.join(self.files)}. Nothing changed. "
            "Commit or stash those changes first, then accept again (or discard the branch)."
        )


class WorkingTreeChanged(Refused):
    """A file the working-tree writer must replace no longer holds what was checked; nothing was
    written. `path` names it, for callers that word the refusal their own way."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"{path} changed while the diff was being checked; nothing was written")
