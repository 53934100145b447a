"""The gate: run a check command (pytest -q, nginx -t ...) against a staged commit.

The command runs in a temporary `git worktree` of the commit (detached, in the system temp
folder), in its own process group, with a timeout. Whatever happens - pass, failure, timeout,
Ctrl-C, SIGTERM - the process group is stopped and the worktree is removed before run_gate returns
or raises. The result is recorded as a git note on the staged commit under refs/notes/surgeon
(the commit exists before the gate runs, so it cannot carry the result itself).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from surgeon.errors import Refused, UsageError
from surgeon.gate.notes import record_gate
from surgeon.gate.result import GateResult
from surgeon.gate.sandbox import GateOptions, check_environment
from surgeon.git import Git, RepoInfo

OUTPUT_TAIL_LINES = 40
OUTPUT_TAIL_CHARS = 4000
STOP_GRACE_SECONDS = 3.0
GATE_PREFIX = "surgeon-gate-"
OWNER_FILE = "owner.pid"


class Staged(Protocol):
    """What the gate needs of a staged change (stage.StagedChange, a pair turn's check commit)."""

    @property
    def id(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def commit(self) -> str: ...



def run_gate(repo: RepoInfo, staged: Staged, command: str, timeout: float,
             options: GateOptions | None = None) -> GateResult:
    """Run `command` (a shell command line) in a temporary worktree of `staged.commit`, with the
    scrubbed environment and the sandbox of `options` (sandbox.py).

    Returns the result (its output redacted by options.redact) and records it as a note on the
    commit. KeyboardInterrupt (Ctrl-C, or
    SIGTERM while the gate runs) propagates after the command is stopped and the worktree removed;
    nothing is recorded then.
    """
    if not command.strip():
        raise UsageError("the check command is empty")
    if timeout <= 0:
        raise UsageError(f"the check timeout must be positive, not {timeout}")
    git = Git(repo.root, own_index=True)
    if git.rev(f"{staged.commit}^{{commit}}") is None:
        raise Refused(f"{staged.branch}: commit {staged.commit[:12]} does not exist; nothing to check")
    sweep_stale_gates(git)
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", staged.id)[:40]
    holder = Path(tempfile.mkdtemp(prefix=f"{GATE_PREFIX}{label}-"))
    worktree = holder / repo.root.name
    with terminate_as_interrupt():
        try:
            (holder / OWNER_FILE).write_text(str(os.getpid()))
            git.run("worktree", "add", "--detach", "--quiet", str(worktree), staged.commit)
            result = _run_command(command, worktree, timeout, holder, options or GateOptions())
        finally:
            with interrupts_ignored():
                remove_worktree(git, worktree, holder)
    record_gate(git, staged.commit, result)
    return result


def _run_command(command: str, cwd: Path, timeout: float, holder: Path, options: GateOptions) -> GateResult:
    env = check_environment(os.environ, options.allowed)
    env["SURGEON_GATE"] = "1"
    argv: str | list[str] = command
    if options.sandbox is not None:
        scratch = holder / "tmp"  # the only place besides the worktree the sandbox lets it write
        scratch.mkdir()
        env.update({"TMPDIR": str(scratch), "TMP": str(scratch), "TEMP": str(scratch)})
        argv = options.sandbox.wrap(command, cwd, (cwd, scratch))
    log = holder / "output.log"
    started = time.monotonic()
    timed_out = False
    exit_code: int | None
    with open(log, "wb") as output:
        process = subprocess.Popen(
            argv, shell=isinstance(argv, str), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            try:
                exit_code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                exit_code = None
                _stop(process)
        finally:
            # Also on Ctrl-C, and for anything the command left running in the background.
            _stop(process)
    seconds = round(time.monotonic() - started, 3)
    return GateResult(
        command=command,
        passed=exit_code == 0 and not timed_out,
        exit_code=exit_code,
        timed_out=timed_out,
        seconds=seconds,
        output_tail=(options.redact or str)(output_tail(log)),
    )


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command's process group, SIGKILL what is still there after a grace period."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)
    process.wait()


def output_tail(log: Path, lines: int = OUTPUT_TAIL_LINES, chars: int = OUTPUT_TAIL_CHARS) -> str:
    with open(log, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - chars * 4))
        text = handle.read().decode("utf-8", "replace")
    tail = "\n".join(text.splitlines()[-lines:])
    return tail[-chars:]


def remove_worktree(git: Git, worktree: Path, holder: Path) -> None:
    """Remove the gate's worktree and its administrative entry, whatever state it is in."""
    git.run("worktree", "remove", "--force", "--force", str(worktree), check=False)
    shutil.rmtree(holder, ignore_errors=True)
    if str(worktree) in {listed.path for listed in git.worktrees()}:
        # Only our own entry can be stale here: prune drops entries whose folder is gone.
        git.run("worktree", "prune", check=False)


def sweep_stale_gates(git: Git) -> None:
    """Remove gate worktrees left behind by a surgeon process that was killed outright (SIGKILL,
    power loss)."""
    sweep_stale_worktrees(git, GATE_PREFIX)


def sweep_stale_worktrees(git: Git, prefix: str) -> None:
    """Remove the worktrees in temp-folder holders named `prefix`* whose owner process no longer
    exists (a holder whose owner cannot be read is left alone)."""
    temp = Path(tempfile.gettempdir()).resolve()
    for listed in git.worktrees():
        worktree = Path(listed.path)
        holder = worktree.parent
        if holder.parent.resolve() != temp or not holder.name.startswith(prefix):
            continue
        if holder.exists():
            try:
                owner = int((holder / OWNER_FILE).read_text())
            except (OSError, ValueError):
                continue
            if process_alive(owner):
                continue
        remove_worktree(git, worktree, holder)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def terminate_as_interrupt(signals: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[None]:
    """While it is held, SIGTERM (or `signals`) unwinds like Ctrl-C so the cleanup (a worktree,
    branches, a child process) still happens."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A signal the process was told to ignore (nohup: SIGHUP) stays ignored.
    previous = {sig: signal.signal(sig, interrupt) for sig in signals if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def interrupts_ignored() -> Iterator[None]:
    """A second Ctrl-C must not leave a half-removed worktree (or branch) behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
