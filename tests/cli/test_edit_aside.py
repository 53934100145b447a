"""An edit's locate and context in a forked child while the command imports the model SDK
(surgeon/edit/aside.py): the child's answer, its errors, its death and its interruption, and the
edit through the command line with the work done aside or here giving the same result."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from surgeon.edit.aside import Aside, Here
from surgeon.errors import EnvironmentFailure, Refused, UsageError
from tests.helpers import GIT_ENV, git, gone, make_repo

PRICING = 'TAX_RATE = 0.2\n\n\ndef total_price(net: float) -> float:\n    return round(net * (1 + TAX_RATE), 2)\n'
TAX_DIFF = ("```diff\n--- a/pricing.py\n+++ b/pricing.py\n@@ -1,4 +1,4 @@\n-TAX_RATE = 0.2\n+TAX_RATE = 0.25\n"
            " \n \n def total_price(net: float) -> float:\n```\n")


class Unrebuildable(Refused):
    def __init__(self, what: str, why: str) -> None:  # pickle rebuilds it from args: one, not two
        super().__init__(f"{what}: {why}")


def test_the_work_runs_in_another_process_and_its_answer_comes_back():
    aside = Aside(lambda: {"pid": os.getpid(), "lines": ["a", "b"]})
    answer = aside.result()
    assert answer["lines"] == ["a", "b"]
    assert answer["pid"] != os.getpid()
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(answer["pid"], os.WNOHANG)


def test_what_the_child_raises_is_raised_here_with_its_type_and_message():
    def fail() -> None:
        raise UsageError("--files a.py: no such file")

    with pytest.raises(UsageError, match="--files a.py: no such file") as raised:
        Aside(fail).result()
    assert raised.value.exit_code == 2


def test_an_exception_that_pickle_cannot_rebuild_arrives_as_its_nearest_class():
    def fail() -> None:
        raise Unrebuildable("cache", "disk full")

    with pytest.raises(Refused, match="^cache: disk full$") as raised:
        Aside(fail).result()
    assert raised.value.exit_code == 1


def test_a_child_killed_while_a_process_it_forked_lives_on_is_seen_to_end(tmp_path):
    def work() -> None:
        if os.fork() == 0:  # an index worker, say: it must not hold the answer's pipe open
            time.sleep(60)
            os._exit(0)
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(EnvironmentFailure, match="killed by signal 9"):
        Aside(work).result()


def test_a_child_that_dies_without_an_answer_is_an_environment_failure():
    with pytest.raises(EnvironmentFailure, match="killed by signal 9 without an answer"):
        Aside(lambda: os.kill(os.getpid(), signal.SIGKILL)).result()


def test_close_before_the_result_stops_the_child_and_what_it_started(tmp_path):
    pids = tmp_path / "pids"

    def work() -> None:
        sleeper = subprocess.Popen(["sleep", "60"])
        pids.write_text(f"{os.getpid()} {sleeper.pid}")
        time.sleep(60)

    aside = Aside(work)
    deadline = time.monotonic() + 10
    while not pids.exists() or len(pids.read_text().split()) < 2:
        assert time.monotonic() < deadline, "the child never started its work"
        time.sleep(0.02)
    child, sleeper = map(int, pids.read_text().split())
    aside.close()
    assert gone(child) and gone(sleeper)


def test_an_interrupt_while_waiting_stops_the_child(tmp_path):
    started = tmp_path / "started"

    def work() -> None:
        started.write_text(str(os.getpid()))
        time.sleep(60)

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        aside = Aside(work)
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            aside.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert started.exists() and gone(int(started.read_text()))


def test_an_interrupt_that_came_while_signals_were_held_for_the_fork_stops_the_child(monkeypatch):
    parent, forked = os.getpid(), []
    real_fork, real_setpgid = os.fork, os.setpgid

    def fork() -> int:
        forked.append(real_fork())
        return forked[-1]

    def setpgid(pid: int, group: int) -> None:
        if os.getpid() == parent:  # Ctrl-C in the instant after the fork: held, taken as the mask is restored
            os.kill(parent, signal.SIGINT)
        real_setpgid(pid, group)

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(os, "setpgid", setpgid)
    with pytest.raises(KeyboardInterrupt):
        Aside(lambda: time.sleep(60))
    assert forked and forked[0] > 0 and gone(forked[0])


def test_here_runs_the_work_in_this_process():
    assert Here(os.getpid).result() == os.getpid()


# The command line, as its own process: `main()` of a fresh interpreter, with prepare() wrapped to
# say which process ran it. Importing the SDK first makes the edit do the work here instead.
EDIT = textwrap.dedent('''
    import os, sys, time
    from pathlib import Path
    if sys.argv[1] == "sdk-first":
        import anthropic  # noqa: F401
    import surgeon.edit.loop as loop
    from surgeon.cli.main import main

    real = loop.prepare

    def prepare(*args, **kwargs):
        Path(sys.argv[2]).write_text(str(os.getpid()))
        if sys.argv[3] == "hang":
            time.sleep(60)
        return real(*args, **kwargs)

    loop.prepare = prepare
    if os.environ.get("READY_DELAY"):  # the model SDK takes that much longer to be ready
        import surgeon.model.base as base

        ready = base.NetworkProvider.ready
        base.NetworkProvider.ready = lambda self: (time.sleep(float(os.environ["READY_DELAY"])), ready(self))[1]
    print(os.getpid(), flush=True)
    main(["edit", "set TAX_RATE to 0.25", "--json", *sys.argv[4:]])
''')


def edit(repo: Path, server_env: dict[str, str], mode: str, pid_file: Path, *extra: str,
         hang: bool = False) -> subprocess.Popen[str]:
    # PYTHONFAULTHANDLER: a test that finds the command stuck has it print every thread's stack (SIGABRT)
    env = {**os.environ, **GIT_ENV, **server_env, "NO_COLOR": "1", "PYTHONFAULTHANDLER": "1"}
    env.pop("SURGEON_MODEL", None)
    return subprocess.Popen([sys.executable, "-c", EDIT, mode, str(pid_file), "hang" if hang else "go", *extra],
                            cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> tuple[int, dict, str]:
    out, err = process.communicate(timeout=120)
    parent, _, body = out.partition("\n")
    return int(parent), json.loads(body), err


@pytest.mark.parametrize("extra", [(), ("--dry-run",)])
def test_an_edit_with_its_work_aside_gives_what_it_gives_here(tmp_path, fake_model, extra):
    answers = {}
    for mode in ("aside", "sdk-first"):
        repo = make_repo(tmp_path / mode, {"pricing.py": PRICING, "notes.md": "TAX_RATE is set in pricing.py\n",
                                           ".env": "TAX_RATE_KEY=sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c\n"})
        fake_model.script([TAX_DIFF])
        pid_file = tmp_path / f"{mode}.pid"
        parent, answer, err = finished(edit(repo, fake_model.env(), mode, pid_file, *extra))
        assert answer["status"] in ("staged", "proposed"), err
        worker = int(pid_file.read_text())
        assert (worker != parent) == (mode == "aside")
        assert "sk-live" not in fake_model.all_text()
        answers[mode] = answer
        assert git(repo, "status", "--porcelain") == ""
    aside, here = answers["aside"], answers["sdk-first"]
    for key in ("status", "shown_files", "context_tokens", "diff"):
        assert aside.get(key) == here.get(key), key
    assert aside["timings"]["locate"] > 0 and aside["timings"]["context"] > 0


def test_the_wait_for_the_model_sdk_is_setup_time_not_the_model_s(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING})
    fake_model.script([TAX_DIFF])
    _parent, answer, err = finished(edit(repo, {**fake_model.env(), "READY_DELAY": "0.5"}, "aside", tmp_path / "pid"))
    assert answer["status"] == "staged", err
    timings = answer["timings"]
    assert timings["setup"] >= 0.5
    assert abs(sum(v for k, v in timings.items() if k != "total") - timings["total"]) < 0.01


def test_an_interrupt_during_the_work_aside_stops_it_and_changes_nothing(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING})
    before = git(repo, "for-each-ref")
    pid_file = tmp_path / "worker.pid"
    process = edit(repo, fake_model.env(), "aside", pid_file, hang=True)
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        worker_state = subprocess.run(["ps", "-o", "pid,pgid,stat,args", "-p", str(worker)],
                                      capture_output=True, text=True).stdout
        process.send_signal(signal.SIGABRT)
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)
        out, err = process.communicate(timeout=30)
        pytest.fail(f"the edit did not end after Ctrl-C\nworker: {worker_state}\nout: {out}\nerr: {err}")
    assert process.returncode == 130, err
    assert "surgeon: interrupted" in err and "Traceback" not in err
    assert json.loads(out.partition("\n")[2])["status"] == "error"
    assert gone(worker)
    assert git(repo, "for-each-ref") == before and git(repo, "status", "--porcelain") == ""
    assert fake_model.requests == []
