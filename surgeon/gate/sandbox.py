"""What a check command may see and touch: a scrubbed environment, and optionally a sandbox.

The check runs model-written code, so it gets only the variables a build or a test run needs
(SAFE_VARIABLES: PATH, HOME, locale, virtualenv and toolchain locations ...) plus those the user
lets through with `check_env`. Everything else (ANTHROPIC_API_KEY, OPENAI_API_KEY, AWS_*, *_TOKEN,
database URLs ...) is left out.

A sandbox (check_sandbox = auto | bwrap | unshare, or --check-sandbox) runs it with no network and
with write access to its temporary worktree only (TMPDIR points inside it): bubblewrap where it is
installed, else util-linux `unshare` with jail.py.
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from surgeon.errors import EnvironmentFailure, UsageError

SAFE_VARIABLES = (
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "COLUMNS", "LINES", "NO_COLOR", "CI",
    "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR", "TEMP", "TMP",
    "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV",
    "PYTHONPATH", "PYTHONHOME", "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE",
    "JAVA_HOME", "GOPATH", "GOROOT", "GOCACHE", "GOMODCACHE", "GOFLAGS", "CARGO_HOME", "RUSTUP_HOME",
    "NODE_PATH", "NVM_DIR", "PNPM_HOME", "GEM_HOME", "GEM_PATH", "LD_LIBRARY_PATH", "PKG_CONFIG_PATH",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
    "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR",
    "SYSTEMROOT", "COMSPEC", "PATHEXT", "WINDIR",
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_CONFIG_NOSYSTEM",
)
# Variables that would point the command's own git calls at the user's repository or index: never
# passed, even when check_env names them.
GIT_LOCATION_VARIABLES = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY",
)
SandboxMode = Literal["off", "auto", "bwrap", "unshare"]
MODES: tuple[SandboxMode, ...] = ("off", "auto", "bwrap", "unshare")
JAIL = Path(__file__).with_name("jail.py")
INSTALL_HINT = ("install bubblewrap (apt install bubblewrap, dnf install bubblewrap) or enable unprivileged "
                "user namespaces for unshare, or run the check without --check-sandbox")


def check_environment(environ: Mapping[str, str], allowed: Sequence[str] = ()) -> dict[str, str]:
    """The variables of `environ` a check sees: SAFE_VARIABLES and `allowed` (names or globs)."""
    patterns = (*SAFE_VARIABLES, *allowed)
    return {name: value for name, value in environ.items()
            if name not in GIT_LOCATION_VARIABLES and any(fnmatch.fnmatchcase(name, p) for p in patterns)}


def withheld_names(environ: Mapping[str, str], allowed: Sequence[str] = ()) -> list[str]:
    """The names check_environment leaves out, for `surgeon config`."""
    kept = check_environment(environ, allowed)
    return sorted(name for name in environ if name not in kept)


@dataclass(frozen=True)
class Sandbox:
    tool: Literal["bwrap", "unshare"]
    executable: str

    def wrap(self, command: str, worktree: Path, writable: Sequence[Path]) -> list[str]:
        """argv that runs `sh -c command` in `worktree` with no network, writing nowhere but in
        `writable` (the worktree and a scratch folder)."""
        if self.tool == "bwrap":
            binds = [arg for folder in writable for arg in ("--bind", str(folder), str(folder))]
            return [self.executable, "--ro-bind", "/", "/", "--dev", "/dev", *binds,
                    "--unshare-net", "--die-with-parent", "--chdir", str(worktree), "/bin/sh", "-c", command]
        return [self.executable, "--user", "--map-root-user", "--mount", "--net", "--",
                sys.executable, "-I", str(JAIL), str(worktree), command, *map(str, writable)]

    @property
    def description(self) -> str:
        return f"{self.tool} ({self.executable}): no network, writes only to the check's worktree"


@lru_cache(maxsize=8)
def _working(tool: str, executable: str) -> bool:
    """Whether the tool can make its sandbox here (user namespaces may be off, mounts refused)."""
    argv = Sandbox("bwrap" if tool == "bwrap" else "unshare", executable).wrap("true", Path("/"), ())
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def available_sandbox(mode: str) -> Sandbox | None:
    """The sandbox `mode` names, if this machine has it (auto: bwrap, else unshare)."""
    if mode not in MODES:
        raise UsageError(f"check_sandbox must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "off":
        return None
    tools = ("bwrap", "unshare") if mode == "auto" else (mode,)
    for tool in tools:
        executable = shutil.which(tool)
        if executable and _working(tool, executable):
            return Sandbox("bwrap" if tool == "bwrap" else "unshare", executable)
    return None


def resolve_sandbox(mode: str, source: str = "--check-sandbox") -> Sandbox | None:
    """The sandbox to use, or None for off; a clear error when one was asked for and none works."""
    sandbox = available_sandbox(mode)
    if sandbox is None and mode != "off":
        wanted = "neither bwrap nor unshare" if mode == "auto" else mode
        raise EnvironmentFailure(f"{source}: {wanted} can run a sandbox on this machine (not installed, or user "
                                 f"namespaces are off); {INSTALL_HINT}")
    return sandbox


@dataclass(frozen=True)
class GateOptions:
    """How run_gate runs a check: which variables pass (`allowed` adds to SAFE_VARIABLES), which
    sandbox, and a redaction applied to the output before it is kept anywhere."""

    allowed: tuple[str, ...] = ()
    sandbox: Sandbox | None = None
    redact: Callable[[str], str] | None = None


def gate_options(allowed: Sequence[str], sandbox: str, source: str | None = None,
                 redact: Callable[[str], str] | None = None) -> GateOptions:
    """GateOptions from the settings check_env and check_sandbox (`source`: where the latter came
    from, for the error when the sandbox cannot run). Checked before any model call."""
    where = "--check-sandbox" if source == "--check-sandbox" else f"check_sandbox = {sandbox} (from {source or 'default'})"
    return GateOptions(tuple(allowed), resolve_sandbox(sandbox, where), redact)
