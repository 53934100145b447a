"""Typed errors that carry the message a user sees and the exit code the CLI returns."""

from __future__ import annotations


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


class Refused(SurgeonError):
    """A diff or an action was refused; the message says why."""

    exit_code = 1
