"""Work run beside this process in a forked child, for when this process is about to spend its
time in pure Python that holds the GIL (a model SDK's import): a thread would share one core with
it, a child has a core of its own. The child sends back its result, or what it raised, pickled.

A child given `serve` stays after its answer and answers calls (`Aside.call`) until it is closed or
this process ends: work this process would otherwise do itself later, with the child's imports and
caches warm (the secret detectors, the names guard), costs it nothing but the round trip. Each
message either way is its pickle's length (8 bytes) and the pickle."""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from surgeon.errors import EnvironmentFailure, SurgeonError
from surgeon.gate.run import terminate_as_interrupt

T = TypeVar("T", covariant=True)
# Signals that would stop the work: held across the fork, so that neither process takes one in
# between (the child would unwind through its parent's code), and turned into Ctrl-C while this
# process waits, so that the child it started stops with it.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
LENGTH = struct.Struct(">Q")
LIVENESS_MS = 200  # how often a wait for the child looks at whether it can still answer
# What a serving child runs for each call: (name, arguments) -> the answer. Made in the child from
# the work's result, so that it can keep what the work found.
Handler = Callable[[str, tuple[Any, ...]], object]


class ChildGone(EnvironmentFailure):
    """The serving child is not there to answer (it ended, was killed or was closed): the caller
    does the work itself."""


class Preparing(Protocol[T]):
    def result(self) -> T: ...

    def close(self) -> object: ...


def beside(work: Callable[[], T], serve: Callable[[T], Handler] | None = None) -> Preparing[T]:
    """`work` in a forked child when this process can fork safely, else here (when it is asked
    for). Only a process that runs no other thread forks: the child would hold every lock as the
    other threads held it at that instant (an import's lock among them), and wait on it for ever."""
    if hasattr(os, "fork") and threading.active_count() == 1:
        try:
            return Aside(work, serve)
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

    def __init__(self, work: Callable[[], T], serve: Callable[[T], Handler] | None = None) -> None:
        for stream in (sys.stdout, sys.stderr):  # or the child's first flush repeats what they hold
            stream.flush()
        read, write = os.pipe()
        try:
            call_read, call_write = os.pipe() if serve is not None else (-1, -1)
        except OSError:
            os.close(read)
            os.close(write)
            raise
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            for fd in (read, write, call_read, call_write):
                if fd >= 0:
                    os.close(fd)
            raise
        if pid == 0:
            _child(work, serve, (read, call_write), (write, call_read), held)  # never returns into the caller's frames
        os.close(write)
        if call_read >= 0:
            os.close(call_read)
        self._pid: int | None = pid
        self._read: int | None = read
        self._ask: int | None = call_write if call_write >= 0 else None
        self._calls = threading.Lock()
        self._closing = threading.Lock()
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
                data = _receive(self._read, self._answering)
        except BaseException:
            self.close()
            raise
        if not data:
            raise EnvironmentFailure(f"locating the code in a child process failed: it {_ended(self.close())} "
                                     "without an answer")
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - not what the child sent: it was killed while it answered
            self.close()
            raise EnvironmentFailure(f"locating the code in a child process failed: its answer was cut off "
                                     f"({type(exc).__name__})") from None
        if not ok or self._ask is None:  # a child that does not serve has nothing more to say
            self.close()
        if not ok:
            raise value
        return value

    def call(self, name: str, *args: Any) -> Any:
        """What the serving child's handler answers to `name` with `args`, after result(). What it
        raised is raised here; ChildGone when it cannot answer (it ended, or it was stopped), after
        which it is closed."""
        with self._calls, terminate_as_interrupt(STOPPING[1:]):
            if self._ask is None or self._read is None:
                raise ChildGone("the child that served this edit has ended")
            try:
                _send(self._ask, pickle.dumps((name, args)), self._answering)
                data = _receive(self._read, self._answering)
                answer: tuple[bool, Any] | None = pickle.loads(data) if data else None
            except BaseException as exc:
                self._abandon()
                if isinstance(exc, (KeyboardInterrupt, SystemExit, ChildGone)):
                    raise
                raise ChildGone(f"the child that served this edit did not answer ({type(exc).__name__})") from None
            if answer is None:
                self._abandon()
                raise ChildGone("the child that served this edit ended without an answer")
        ok, value = answer
        if not ok:
            raise value
        return value

    def close(self) -> int:
        """Stop the child and what it started, if they still run; reap it. Its wait status (0
        when there was no child left to reap)."""
        status = self._stop()
        with self._calls:  # a call under way in another thread ends with the child before the pipes go
            self._close_pipes()
        return status

    def _abandon(self) -> None:
        """close(), from a call (which holds the calls' lock)."""
        self._stop()
        self._close_pipes()

    def _stop(self) -> int:
        with self._closing:  # a failed call and the edit's end may both stop it
            pid, self._pid = self._pid, None
        if pid is None:
            return 0
        # The child's group outlives an ended child until it is reaped: index workers left behind
        # by a child that was killed go with it.
        for stop in (os.killpg, os.kill):
            try:
                stop(pid, signal.SIGKILL)
                break
            except OSError:
                continue
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:  # reaped already: the process ignores SIGCHLD (its launcher's setting)
            return 0

    def _close_pipes(self) -> None:
        fds, (self._read, self._ask) = (self._read, self._ask), (None, None)
        for fd in fds:
            if fd is not None:
                os.close(fd)

    def _answering(self) -> bool:
        """Whether the child can still answer: it has not ended and is not stopped (SIGSTOP)."""
        pid = self._pid
        if pid is None:
            return False
        try:  # WNOWAIT: only looked at; the child is reaped by _stop, after its group is killed
            return os.waitid(os.P_PID, pid, os.WEXITED | os.WSTOPPED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False


def _child(work: Callable[[], object], serve: Callable[[Any], Handler] | None, theirs: tuple[int, int],
           mine: tuple[int, int], held: set[int | signal.Signals]) -> None:
    write, calls = mine
    code, leading = 0, False
    try:
        for fd in theirs:
            if fd >= 0:
                os.close(fd)
        os.setpgid(0, 0)
        leading = True
        for sig in STOPPING:  # this process's handlers are the parent's business
            signal.signal(sig, signal.SIG_DFL)
        # A background group's write to a terminal with `stty tostop` would stop the child (and
        # leave the parent waiting on it) unless SIGTTOU is ignored: then the write goes through.
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        # Processes the work forks (index workers) must not hold the answer's pipe open, or a
        # child killed before it answers would never be seen to end.
        def close_mine() -> None:
            for fd in mine:
                if fd >= 0:
                    os.close(fd)

        os.register_at_fork(after_in_child=close_mine)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        try:
            value = work()
            answer: tuple[bool, object] = (True, value)
        except BaseException as exc:  # noqa: BLE001 - sent back to be raised where it is handled
            answer, serve = (False, _sendable(exc)), None
        _send(write, pickle.dumps(answer))
        if serve is not None:
            _answer_calls(serve(value), calls, write)
    except BaseException:  # noqa: BLE001 - the parent reports a child that sent nothing
        code = 1
    finally:
        if serve is not None and leading:  # what it started for its calls (the names guard's interpreter) goes with it
            try:
                os.killpg(0, signal.SIGKILL)
            except OSError:
                pass
        os._exit(code)  # no atexit handlers, no stream flushes, no unwinding into the parent's code


def _answer_calls(handle: Handler, calls: int, write: int) -> None:
    """Until the parent closes its end (or ends): each call's answer, or what it raised."""
    while data := _receive(calls):
        name, args = pickle.loads(data)
        try:
            answer: tuple[bool, object] = (True, handle(name, args))
        except BaseException as exc:  # noqa: BLE001 - raised in the parent, where the call was made
            answer = (False, _sendable(exc))
        _send(write, pickle.dumps(answer))


def _send(fd: int, payload: bytes, answering: Callable[[], bool] | None = None) -> None:
    """The message, whole. With `answering` (this process's side), written only as the pipe takes it,
    so that a child that stopped reading is seen (ChildGone) instead of waited on for ever."""
    view = memoryview(LENGTH.pack(len(payload)) + payload)
    while view:
        if answering is None:
            view = view[os.write(fd, view):]
        else:
            _ready(fd, select.POLLOUT, answering)
            view = view[os.write(fd, view[:select.PIPE_BUF]):]  # no more than a writable pipe takes at once


def _receive(fd: int, answering: Callable[[], bool] | None = None) -> bytes:
    """One message, or b"" when the other end closed (or ended) before a whole one came."""
    head = _read_exactly(fd, LENGTH.size, answering)
    if len(head) < LENGTH.size:
        return b""
    return _read_exactly(fd, LENGTH.unpack(head)[0], answering)


def _read_exactly(fd: int, size: int, answering: Callable[[], bool] | None) -> bytes:
    parts: list[bytes] = []
    while size:
        if answering is not None:
            _ready(fd, select.POLLIN, answering)
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            return b""
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _ready(fd: int, event: int, answering: Callable[[], bool]) -> None:
    """Until the pipe can be read (or written), as long as the child can answer."""
    poller = select.poll()
    poller.register(fd, event)
    while not poller.poll(LIVENESS_MS):
        if not answering():
            raise ChildGone("the child that served this edit stopped answering (it was stopped or has ended)")


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
