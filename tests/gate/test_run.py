"""The gate: a command run in a temporary worktree of a staged commit, always cleaned up."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from surgeon.errors import Refused, UsageError
from surgeon.gate import read_gate, run_gate
from surgeon.git import Git, find_repo
from surgeon.stage import StagedChange, stage_diff
from tests.helpers import ROOT, git, gone, make_repo, repo_state
from tests.stage.support import patch_result

FILES = {"app.py": "VALUE = 1\n", "README.md": "# demo\n"}


@pytest.fixture
def staged_repo(tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    (repo / "README.md").write_text("# local edit, untouched\n")
    (repo / "scratch.txt").write_text("untracked\n")
    staged = stage_diff(find_repo(repo), patch_result(repo, {"app.py": "VALUE = 2\n"}), instruction="bump value")
    return repo, staged


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree ")]


def leftover_dirs(staged: StagedChange) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"surgeon-gate-{staged.id}-*"))


def assert_clean(repo: Path, staged: StagedChange) -> None:
    assert worktrees(repo) == [f"worktree {repo}"]
    assert leftover_dirs(staged) == []
    assert not (repo / ".git" / "worktrees").exists() or not any((repo / ".git" / "worktrees").iterdir())


def test_passing_gate_runs_on_the_staged_commit_and_is_recorded(staged_repo):
    repo, staged = staged_repo
    before = repo_state(repo)
    result = run_gate(find_repo(repo), staged, "cat app.py && git rev-parse HEAD && test ! -e scratch.txt", 30)
    assert result.passed and result.exit_code == 0 and not result.timed_out
    assert "VALUE = 2" in result.output_tail
    assert staged.commit in result.output_tail
    assert result.label == "passed"
    assert read_gate(Git(repo), staged.commit) == result
    assert repo_state(repo) == before
    assert_clean(repo, staged)


def test_failing_gate_keeps_exit_code_and_output_tail(staged_repo):
    repo, staged = staged_repo
    before = repo_state(repo)
    result = run_gate(find_repo(repo), staged, "for i in $(seq 1 100); do echo line $i; done; echo boom >&2; exit 3", 30)
    assert not result.passed and result.exit_code == 3 and not result.timed_out
    lines = result.output_tail.splitlines()
    assert lines[-1] == "boom" and lines[-2] == "line 100" and "line 1" not in lines
    assert len(lines) == 40
    assert result.label == "failed (exit 3)"
    assert read_gate(Git(repo), staged.commit) == result
    assert repo_state(repo) == before
    assert_clean(repo, staged)


def test_gate_that_times_out_is_stopped(staged_repo, tmp_path):
    repo, staged = staged_repo
    pidfile = tmp_path / "pid"
    started = time.monotonic()
    result = run_gate(find_repo(repo), staged, f"echo $$ > {pidfile}; echo waiting; exec sleep 30", 0.5)
    assert time.monotonic() - started < 15
    assert result.timed_out and not result.passed and result.exit_code is None
    assert "waiting" in result.output_tail
    assert result.label.startswith("timed out after")
    assert gone(int(pidfile.read_text()))
    assert read_gate(Git(repo), staged.commit).timed_out
    assert_clean(repo, staged)


def test_background_processes_left_by_the_command_are_stopped(staged_repo, tmp_path):
    repo, staged = staged_repo
    pidfile = tmp_path / "pid"
    result = run_gate(find_repo(repo), staged, f"sleep 60 & echo $! > {pidfile}; echo done", 30)
    assert result.passed
    assert gone(int(pidfile.read_text()))
    assert_clean(repo, staged)


def test_gate_command_does_not_see_the_users_index(staged_repo, monkeypatch, tmp_path):
    repo, staged = staged_repo
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "elsewhere"))
    result = run_gate(find_repo(repo), staged, "git diff --quiet HEAD && echo clean-checkout", 30)
    assert result.passed and "clean-checkout" in result.output_tail


def _gate_in_child(repo: Path, staged: StagedChange, command: str) -> subprocess.Popen[bytes]:
    script = (
        "import json, sys\n"
        "from surgeon.gate import run_gate\n"
        "from surgeon.git import find_repo\n"
        "from surgeon.stage import StagedChange\n"
        "staged = StagedChange(**json.loads(sys.argv[2]))\n"
        "run_gate(find_repo(sys.argv[1]), staged, sys.argv[3], 60)\n"
    )
    fields = {k: (list(v) if isinstance(v, tuple) else v) for k, v in staged.__dict__.items()}
    return subprocess.Popen(
        [sys.executable, "-c", script, str(repo), json.dumps(fields), command],
        cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _wait_for(path: Path, child: subprocess.Popen[bytes], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not (path.exists() and path.read_text().strip()):
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the gate command never started"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["sigint-to-group", "sigterm"])
def test_interrupted_gate_removes_the_worktree(staged_repo, tmp_path, how):
    repo, staged = staged_repo
    before = repo_state(repo)
    pidfile = tmp_path / "pid"
    child = _gate_in_child(repo, staged, f"echo $$ > {pidfile}; exec sleep 60")
    _wait_for(pidfile, child)
    assert len(worktrees(repo)) == 2  # the gate's worktree exists while it runs
    if how == "sigint-to-group":
        os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    else:
        child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode != 0
    assert b"KeyboardInterrupt" in stderr
    assert gone(int(pidfile.read_text()))
    assert_clean(repo, staged)
    assert read_gate(Git(repo), staged.commit) is None
    assert repo_state(repo) == before


def test_gate_refuses_bad_input(staged_repo):
    repo, staged = staged_repo
    info = find_repo(repo)
    with pytest.raises(UsageError):
        run_gate(info, staged, "  ", 10)
    with pytest.raises(UsageError):
        run_gate(info, staged, "true", 0)
    missing = StagedChange(**{**staged.__dict__, "commit": "0" * 40})
    with pytest.raises(Refused, match="does not exist"):
        run_gate(info, missing, "true", 10)
    assert_clean(repo, staged)


def test_a_gate_worktree_left_by_a_killed_process_is_swept(staged_repo):
    repo, staged = staged_repo
    dead = subprocess.Popen(["true"])
    dead.wait()
    holder = Path(tempfile.mkdtemp(prefix=f"surgeon-gate-{staged.id}-"))
    (holder / "owner.pid").write_text(str(dead.pid))
    git(repo, "worktree", "add", "--detach", "-q", str(holder / "repo"), staged.commit)
    alive_holder = Path(tempfile.mkdtemp(prefix=f"surgeon-gate-{staged.id}-"))
    (alive_holder / "owner.pid").write_text(str(os.getpid()))  # a gate still running elsewhere
    git(repo, "worktree", "add", "--detach", "-q", str(alive_holder / "repo"), staged.commit)
    assert len(worktrees(repo)) == 3
    run_gate(find_repo(repo), staged, "true", 30)
    assert worktrees(repo) == [f"worktree {repo}", f"worktree {alive_holder / 'repo'}"]
    assert not holder.exists()
    git(repo, "worktree", "remove", "--force", str(alive_holder / "repo"))
    shutil.rmtree(alive_holder)
    assert_clean(repo, staged)
