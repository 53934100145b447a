"""Work run beside this process in a forked child, for when this process is about to spend its
time in pure Python that holds the GIL (a model SDK's import): a thread would share one core with
it, a child has a core of its own. The child sends back its result, or what it raised, pickled."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from surgeon.errors import EnvironmentFailure

T = TypeVar("T")


def can_fork() -> bool:
    """Only a process that runs no other thread forks: a child holds every lock as the other
    threads held it at that instant (an import's lock among them), and would wait on it for ever."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Here(Generic[T]):
    """The same work in this process, when forking would not pay (or is not safe)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work

    def result(self) -> T:
        return self._work()

    def close(self) -> None:
        pass


class Aside(Generic[T]):
    """`work` running in a forked child from the moment this is made; `result()` waits for it.
    The child leads a process group of its own, so that `close()` before the result (an error or
    an interrupt here) stops it and anything it started (git grep, index workers) at once."""

    def __init__(self, work: Callable[[], T]) -> None:
        for stream in (sys.stdout, sys.stderr):  # or the child's first flush repeats what they hold
            stream.flush()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's frames
            os.close(read)
            _serve(work, write)
        os.close(write)
        try:
            os.setpgid(pid, pid)  # here too, so that close() finds the group whoever runs first
        except OSError:  # the child did it first, or has already ended
            pass
        self._pid: int | None = pid
        self._read = read

    def result(self) -> T:
        try:
            with os.fdopen(self._read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(self._pid or 0, 0)
            self._pid = None
        finally:
            self.close()
        if not data:
            raise EnvironmentFailure(f"locating the code in a child process failed: it {_ended(status)} "
                                     "without an answer")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the child if it still runs; reap it either way."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:  # gone already, or not yet a group leader
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            os.close(self._read)
        except OSError:
            pass


def _serve(work: Callable[[], object], write: int) -> None:
    code = 0
    try:
        os.setpgid(0, 0)
        # A background group's write to a terminal with `stty tostop` would stop the child (and
        # leave this process waiting on it) unless SIGTTOU is ignored: then the write goes through.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            answer: tuple[bool, object] = (True, work())
        except BaseException as exc:  # noqa: BLE001 - sent back to be raised where it is handled
            answer = (False, exc if _travels(exc) else EnvironmentFailure(f"{type(exc).__name__}: {exc}"))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(pickle.dumps(answer))
    except BaseException:  # noqa: BLE001 - the parent reports a child that sent nothing
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no stream flushes, no unwinding into the parent's code


def _travels(exc: BaseException) -> bool:
    """Whether the exception comes back whole through pickle (one whose arguments do not rebuild
    it would fail in the parent instead)."""
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001
        return False
    return type(back) is type(exc) and str(back) == str(exc)


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
