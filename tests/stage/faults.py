"""Interrupting surgeon at exact points, with real processes and real signals.

`Faults` puts a `git` first on PATH that runs the real git, logs the call and, after the N-th call
(counted per run), sends a signal: SIGKILL or SIGTERM to the surgeon process, or SIGINT to its whole
process group, which is what Ctrl-C at a terminal does (git children in that group get it too).
surgeon runs in a session of its own, so no signal reaches the test process. A run without `at`
only records which git calls a command makes, so a test can interrupt after each one in turn.

`Hooks` is a sitecustomize for the surgeon process (on PYTHONPATH) for what happens between two
Python lines rather than around a git call: an editor saving a file, or two processes meeting at
the same point. It only wraps the standard library functions named below; surgeon is unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import GIT_ENV, SURGEON, Run, _text

WRAPPER = """#!/bin/sh
trap '' INT
n=$(( $(cat "$FAULT_DIR/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$FAULT_DIR/count"
printf '%s\\n' "$*" >> "$FAULT_DIR/calls"
"$FAULT_REAL_GIT" "$@"
status=$?
if [ "$n" = "${FAULT_AT:-0}" ]; then
    if [ "$FAULT_SIGNAL" = INT ]; then
        kill -INT -- "-$PPID"
    else
        kill "-$FAULT_SIGNAL" "$PPID"
    fi
fi
exit $status
"""


def run_in_session(*args: str, cwd: Path, env: dict[str, str] | None = None, input: bytes | None = None) -> Run:
    """The console script as tests.helpers.run_surgeon runs it, but as the leader of its own session
    and process group, so a signal sent to that group stays there."""
    full_env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200"}
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SURGEON_MODEL", "SURGEON_OPENAI_BASE_URL"):
        full_env.pop(key, None)
    full_env.update(env or {})
    done = subprocess.run([str(SURGEON), *args], cwd=cwd, env=full_env, input=input, capture_output=True,
                          start_new_session=True, timeout=300)
    return Run(done.returncode, _text(done.stdout), _text(done.stderr))


@dataclass
class Faults:
    folder: Path

    def __post_init__(self) -> None:
        real = shutil.which("git")
        assert real is not None
        self.real_git = real
        self.bin = self.folder / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        wrapper = self.bin / "git"
        wrapper.write_text(WRAPPER)
        wrapper.chmod(0o755)

    def env(self, at: int = 0, signal: str = "KILL") -> dict[str, str]:
        """For one run: the call count starts again; `at`=0 never signals."""
        for name in ("count", "calls"):
            (self.folder / name).unlink(missing_ok=True)
        return {"PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "FAULT_DIR": str(self.folder),
                "FAULT_REAL_GIT": self.real_git, "FAULT_AT": str(at), "FAULT_SIGNAL": signal}

    def calls(self) -> list[str]:
        path = self.folder / "calls"
        return path.read_text().splitlines() if path.exists() else []


HOOKS = '''
import os, tempfile, time

_folder = os.environ.get("HOOK_DIR")
_target = os.environ.get("HOOK_FILE", "")
if _folder:
    _mkstemp = tempfile.mkstemp
    _fired = []

    def _mark(name):
        open(os.path.join(_folder, f"{os.getpid()}.{name}"), "w").close()

    def _others(name):
        return [e for e in os.listdir(_folder) if e.endswith("." + name) and not e.startswith(f"{os.getpid()}.")]

    def mkstemp(*args, **kwargs):
        prefix = kwargs.get("prefix") or ""
        if prefix.startswith(f".{os.path.basename(_target)}.surgeon-") and not _fired:
            _fired.append(1)
            if os.environ.get("HOOK_EDITOR") is not None:  # an editor saves the file now
                with open(_target, "wb") as out:
                    out.write(os.environ["HOOK_EDITOR"].encode())
            if os.environ.get("HOOK_MEET"):  # wait for the other writer here, or until it waits for a lock
                _mark("arrived")
                for _ in range(6000):
                    if _others("arrived") or _others("locking"):
                        break
                    time.sleep(0.01)
        return _mkstemp(*args, **kwargs)

    tempfile.mkstemp = mkstemp
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is not None and os.environ.get("HOOK_MEET"):
        _flock = fcntl.flock

        def flock(fd, operation):
            _mark("locking")
            return _flock(fd, operation)

        fcntl.flock = flock
'''


def hooks(folder: Path, target: Path, **settings: str) -> dict[str, str]:
    """The environment of a surgeon run with HOOKS in place for `target` (HOOK_EDITOR: bytes an
    editor saves when surgeon starts writing it; HOOK_MEET="1": two writers meet there)."""
    site = folder / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(HOOKS)
    meet = folder / "meet"
    meet.mkdir(exist_ok=True)
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "HOOK_DIR": str(meet), "HOOK_FILE": str(target), **settings}
