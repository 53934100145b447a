"""Scoring one run against the commit it came from.

exact: every file the answer or the model touched is byte for byte the commit's (the commit's test
files aside: they are the check, not the answer). equivalent: not exact, but the check passes on the
result with the commit's test files in place (and it passes on the commit itself, else it cannot
judge). other: staged, neither. refused: nothing staged. Collateral lines: lines the model changed
outside the commit's hunks (git's hunks, with their 3 lines of context), in any file.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from unidiff import PatchSet

from surgeon.bench.tasks import Task
from surgeon.gate import GateOptions, check_environment
from surgeon.git import Git
from surgeon.validate.names.environment import find_interpreter

Verdict = Literal["exact", "equivalent", "other", "refused"]
VERDICTS: tuple[Verdict, ...] = ("exact", "equivalent", "other", "refused")
STOP_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class CheckRun:
    command: str
    passed: bool
    exit_code: int | None
    timed_out: bool
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"command": self.command, "passed": self.passed, "exit_code": self.exit_code,
                "timed_out": self.timed_out, "seconds": round(self.seconds, 3)}


def differing_paths(git: Git, one: str, other: str) -> set[str]:
    return set(git.z_list("diff-tree", "-r", "-z", "--no-renames", "--name-only", one, other))


def is_exact(git: Git, task: Task, staged: str) -> bool:
    return not differing_paths(git, staged, task.commit) - set(task.test_files)


def _diff(git: Git, old: str, new: str, context: int) -> PatchSet:
    text = git.run("diff-tree", "-r", "-p", "--no-renames", "--no-color", "--no-ext-diff", f"-U{context}",
                   "--src-prefix=a/", "--dst-prefix=b/", old, new).stdout.decode("utf-8", "replace")
    return PatchSet(text)


def _path(patched: Any) -> str:
    return str(patched.path)


def collateral_lines(git: Git, task: Task, staged: str) -> int:
    """Changed lines of parent..staged that fall outside every hunk of parent..commit."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for patched in _diff(git, task.parent, task.commit, 3):
        spans[_path(patched)] = [(h.source_start, h.source_start + h.source_length) for h in patched]
    outside = 0
    for patched in _diff(git, task.parent, staged, 0):
        file_spans = spans.get(_path(patched))
        for hunk in patched:
            anchor = hunk.source_start
            for line in hunk:
                if line.is_context:
                    continue
                if line.source_line_no is not None:
                    anchor = line.source_line_no
                if file_spans is None or not any(start - 1 <= anchor <= end for start, end in file_spans):
                    outside += 1
    return outside


def own_test_command(task: Task, project_root: Path) -> str | None:
    """How the commit's own test files are run: pytest for Python, go test for Go, node --test for
    JavaScript; None when there are none (or none of a kind surgeon knows how to run)."""
    python = [p for p in task.test_files if p.endswith(".py")]
    if python:
        python_binary = str(find_interpreter(project_root) or "python3")
        return shlex.join([python_binary, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *python])
    go = sorted({"./" + str(PurePosixPath(p).parent) for p in task.test_files if p.endswith("_test.go")})
    if go:
        return shlex.join(["go", "test", *go])
    js = [p for p in task.test_files if p.endswith((".js", ".mjs", ".cjs"))]
    if js:
        return shlex.join(["node", "--test", *js])
    return None


def prepare(git: Git, commit: str, task: Task) -> None:
    """The worktree at `commit`, with the task commit's own test files laid over it."""
    git.run("checkout", "--detach", "--force", "--quiet", commit)
    git.run("clean", "-fdxq")
    if task.test_files:
        git.run("checkout", task.commit, "--", *task.test_files)


def run_check(command: str, cwd: Path, timeout: float, options: GateOptions) -> CheckRun:
    """The check as the gate runs one: a scrubbed environment (and the sandbox, when one is set), its
    own process group, stopped on timeout and on Ctrl-C. Its output is not kept."""
    env = check_environment(os.environ, options.allowed)
    env["SURGEON_GATE"] = "1"
    argv: str | list[str] = command
    if options.sandbox is not None:
        argv = options.sandbox.wrap(command, cwd, (cwd,))
    started = time.monotonic()
    timed_out = False
    exit_code: int | None = None
    process = subprocess.Popen(argv, shell=isinstance(argv, str), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        try:
            exit_code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
    finally:
        _stop(process)
    return CheckRun(command, exit_code == 0 and not timed_out, exit_code, timed_out, time.monotonic() - started)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the check's process group, SIGKILL what is left of it after a grace period."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
