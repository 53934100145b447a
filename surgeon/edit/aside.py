"""Work run beside this process in a forked child, for when this process is about to spend its
time in pure Python that holds the GIL (a model SDK's import): a thread would share one core with
it, a child has a core of its own. The child sends back its result, or what it raised, pickled."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from surgeon.errors import EnvironmentFailure, SurgeonError
from surgeon.gate.run import terminate_as_interrupt

T = TypeVar("T", covariant=True)
# Signals that would stop the work: held across the fork, so that neither process takes one in
# between (the child would unwind through its parent's code), and turned into Ctrl-C while this
# process waits, so that the child it started stops with it.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Preparing(Protocol[T]):
    def result(self) -> T: ...

    def close(self) -> object: ...


def beside(work: Callable[[], T]) -> Preparing[T]:
    """`work` in a forked child when this process can fork safely, else here (when it is asked
    for). Only a process that runs no other thread forks: the child would hold every lock as the
    other threads held it at that instant (an import's lock among them), and wait on it for ever."""
    if hasattr(os, "fork") and threading.active_count() == 1:
        try:
            return Aside(work)
        except OSError:  # no process or pipe to be had (EAGAIN, EMFILE): the work is done here instead
            pass
    return Here(work)


class Here(Generic[T]):
    """The work done in this process, when its result is asked for."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work

    def result(self) -> T:
        return self._work()

    def close(self) -> None:
        pass


class Aside(Generic[T]):
    """`work` running in a forked child from the moment this is made; `result()` waits for it.
    The child leads a process group of its own, so that it and anything it started (git grep,
    index workers) are stopped at once when this process is interrupted or gives up on it."""

    def __init__(self, work: Callable[[], T]) -> None:
        for stream in (sys.stdout, sys.stderr):  # or the child's first flush repeats what they hold
            stream.flush()
        read, write = os.pipe()
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            os.close(read)
            os.close(write)
            raise
        if pid == 0:
            _serve(work, read, write, held)  # never returns into the caller's frames
        os.close(write)
        self._pid: int | None = pid
        self._read: int | None = read
        try:
            try:
                os.setpgid(pid, pid)  # here too, so that close() finds the group whoever runs first
            except OSError:  # the child did it first, or has already ended
                pass
            # A signal that came while they were held is taken here: it must not leave the child
            # running (its caller never gets this object to close).
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        except BaseException:
            self.close()
            raise

    def result(self) -> T:
        try:
            with terminate_as_interrupt(STOPPING[1:]):
                assert self._read is not None
                read, self._read = self._read, None
                with os.fdopen(read, "rb") as pipe:
                    data = pipe.read()
        finally:
            status = self.close()
        if not data:
            raise EnvironmentFailure(f"locating the code in a child process failed: it {_ended(status)} "
                                     "without an answer")
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - cut off part-way: the child was killed while it answered
            raise EnvironmentFailure(f"locating the code in a child process failed: its answer was cut off "
                                     f"({type(exc).__name__})") from None
        if not ok:
            raise value
        return value

    def close(self) -> int:
        """Stop the child and what it started, if they still run; reap it. Its wait status (0
        when there was no child left to reap)."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self._pid is None:
            return 0
        pid, self._pid = self._pid, None
        # The child's group outlives an ended child until it is reaped: index workers left behind
        # by a child that was killed go with it.
        for stop in (os.killpg, os.kill):
            try:
                stop(pid, signal.SIGKILL)
                break
            except OSError:
                continue
        return os.waitpid(pid, 0)[1]


def _serve(work: Callable[[], object], read: int, write: int, held: set[int | signal.Signals]) -> None:
    code = 0
    try:
        os.close(read)
        os.setpgid(0, 0)
        for sig in STOPPING:  # this process's handlers are the parent's business
            signal.signal(sig, signal.SIG_DFL)
        # A background group's write to a terminal with `stty tostop` would stop the child (and
        # leave the parent waiting on it) unless SIGTTOU is ignored: then the write goes through.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        # Processes the work forks (index workers) must not hold the answer's pipe open, or a
        # child killed before it answers would never be seen to end.
        os.register_at_fork(after_in_child=lambda: os.close(write))
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        try:
            answer: tuple[bool, object] = (True, work())
        except BaseException as exc:  # noqa: BLE001 - sent back to be raised where it is handled
            answer = (False, _sendable(exc))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(pickle.dumps(answer))
    except BaseException:  # noqa: BLE001 - the parent reports a child that sent nothing
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no stream flushes, no unwinding into the parent's code


def _sendable(exc: BaseException) -> BaseException:
    """The exception as it can come back through pickle: itself, or the nearest class it derives
    from that rebuilds from its message alone (so a Refused subclass still exits 1). An internal
    error keeps where it happened as a note, for --verbose."""
    if not isinstance(exc, SurgeonError) and isinstance(exc, Exception):
        exc.add_note(traceback.format_exc().rstrip())
    for kind in type(exc).__mro__:
        if not issubclass(kind, BaseException):
            break
        try:
            candidate = exc if kind is type(exc) else kind(str(exc))
        except Exception:  # noqa: BLE001 - a constructor that wants other arguments
            continue
        if kind is not type(exc) and getattr(exc, "__notes__", None):
            candidate.__notes__ = list(exc.__notes__)
        if _travels(candidate):
            return candidate
    return EnvironmentFailure(f"{type(exc).__name__}: {exc}")


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
