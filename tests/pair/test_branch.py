"""The git and file edges of `surgeon pair`: session-branch commits built with a temporary index,
writes that never lose work, the private worktree of a --no-apply session."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from surgeon.diff.types import FileChange
from surgeon.errors import Refused, RepoError
from surgeon.git.files import FileWrite, writes_for
from surgeon.pair.apply import write
from surgeon.pair.branch import SessionGit, ensure_private_worktree, remove_private_worktree
from surgeon.pair.controller import sigint_deferred
from surgeon.pair.session import new_session
from surgeon.pair.store import clear_running, mark_running, now_local, private_worktree_path, running_pid
from tests.helpers import git, make_repo, repo_state


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"a.py": "a = 1\n", "b.sh": "echo b\n", "keep.txt": "keep\n"})


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_commit_turn_is_exactly_the_change_and_touches_nothing_else(repo):
    sg = SessionGit(repo)
    before = repo_state(repo)
    commit = sg.commit_turn(head(repo), [FileWrite("a.py", b"a = 1\n", b"a = 2\n"),
                                         FileWrite("new/c.py", None, b"c = 3\n", "100755")],
                            "turn 1\n", "snapshot\n")
    assert git(repo, "rev-parse", f"{commit}^").strip() == head(repo)
    assert git(repo, "diff", "--name-status", head(repo), commit).split() == ["M", "a.py", "A", "new/c.py"]
    assert git(repo, "show", f"{commit}:a.py") == "a = 2\n"
    assert git(repo, "ls-tree", commit, "new/c.py").split()[0] == "100755"
    assert git(repo, "log", "-1", "--format=%B", commit).strip() == "turn 1"
    assert repo_state(repo) == before


def test_commit_turn_records_the_persons_own_edits_first(repo):
    sg = SessionGit(repo)
    commit = sg.commit_turn(head(repo), [FileWrite("a.py", b"a = 10\n", b"a = 20\n"),
                                         FileWrite("b.sh", None, None)],
                            "turn\n", "your edits\n")
    snapshot = git(repo, "rev-parse", f"{commit}^").strip()
    assert snapshot != head(repo)
    assert git(repo, "log", "-1", "--format=%s", snapshot).strip() == "your edits"
    assert git(repo, "show", f"{snapshot}:a.py") == "a = 10\n"
    assert "b.sh" not in git(repo, "ls-tree", "--name-only", snapshot)
    assert git(repo, "diff", "--name-only", snapshot, commit).split() == ["a.py"]


def test_moving_the_branch_is_compare_and_swap(repo):
    sg = SessionGit(repo)
    start = head(repo)
    sg.create_branch("surgeon/pair-x", start)
    with pytest.raises(RepoError, match="exists already"):
        sg.create_branch("surgeon/pair-x", start)
    commit = sg.commit_files(start, [("a.py", b"a = 5\n", None)], "m\n")
    sg.move_branch("surgeon/pair-x", commit, start)
    with pytest.raises(RepoError, match="could not move"):
        sg.move_branch("surgeon/pair-x", start, start)
    assert sg.tip("surgeon/pair-x") == commit
    sg.delete_branch("surgeon/pair-x", commit)
    assert sg.tip("surgeon/pair-x") is None
    assert sg.reverse_diff(commit).count("\n-a = 5") == 1


def test_worktree_snapshot_has_uncommitted_tracked_changes_plus_the_proposal(repo):
    (repo / "keep.txt").write_text("kept edit\n")
    (repo / "untracked.txt").write_text("not included\n")
    before = repo_state(repo)
    commit = SessionGit(repo).worktree_snapshot(repo, [FileWrite("a.py", b"a = 1\n", b"a = 9\n")], "check\n")
    assert git(repo, "show", f"{commit}:keep.txt") == "kept edit\n"
    assert git(repo, "show", f"{commit}:a.py") == "a = 9\n"
    assert "untracked.txt" not in git(repo, "ls-tree", "--name-only", commit)
    assert repo_state(repo) == before


def test_write_files_checks_every_file_first(repo):
    (repo / "a.py").write_text("a = 1 (edited)\n")
    with pytest.raises(Refused, match="^a.py changed while the diff waited; nothing was written$"):
        write(repo, [FileWrite("keep.txt", b"keep\n", b"changed\n"), FileWrite("a.py", b"a = 1\n", b"a = 2\n")])
    assert (repo / "keep.txt").read_text() == "keep\n"
    os.chmod(repo / "b.sh", 0o755)
    write(repo, [FileWrite("b.sh", b"echo b\n", b"echo c\n"), FileWrite("d/new.txt", None, b"n\n"),
                 FileWrite("keep.txt", b"keep\n", None)])
    assert (repo / "b.sh").read_text() == "echo c\n" and os.access(repo / "b.sh", os.X_OK)
    assert (repo / "d" / "new.txt").read_text() == "n\n"
    assert not (repo / "keep.txt").exists()
    assert not [p for p in repo.rglob("*surgeon*") if ".git" not in p.parts]
    for outside in ("../escape.txt", ".git/config"):
        with pytest.raises(Refused, match="not a file of this working tree"):
            write(repo, [FileWrite(outside, None, b"x\n")])
    assert not (repo.parent / "escape.txt").exists()


def test_a_failed_write_is_refused_in_pairs_words_and_nothing_is_changed(repo, monkeypatch):
    real_replace = os.replace

    def failing_replace(source, target):
        if Path(target).name == "new.txt":
            raise OSError(28, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(Refused, match=r"^could not write .*new\.txt: No space left on device; nothing was changed$"):
        write(repo, [FileWrite("a.py", b"a = 1\n", b"a = 2\n"), FileWrite("d/new.txt", None, b"n\n")])
    monkeypatch.setattr(os, "replace", real_replace)
    assert (repo / "a.py").read_text() == "a = 1\n" and not (repo / "d" / "new.txt").exists()


def test_writes_for_a_rename():
    change = FileChange("new.py", "old.py", b"x\n", b"y\n", "100644", "100644", 1, 1)
    assert writes_for([change]) == [FileWrite("old.py", b"x\n", None),
                                    FileWrite("new.py", None, b"y\n", "100644", keep_mode_of="old.py")]


def test_a_mode_change_to_100644_drops_the_execute_bits(repo):
    os.chmod(repo / "b.sh", 0o755)
    change = FileChange("b.sh", None, b"echo b\n", b"echo c\n", "100755", "100644", 1, 1)
    write(repo, writes_for([change]))
    assert (repo / "b.sh").read_text() == "echo c\n" and not os.stat(repo / "b.sh").st_mode & 0o111
    sg = SessionGit(repo)
    commit = sg.commit_turn(head(repo), writes_for([FileChange("b.sh", None, b"echo c\n", b"echo d\n",
                                                               "100644", "100755", 1, 1)]), "m\n", "s\n")
    assert git(repo, "ls-tree", commit, "b.sh").split()[0] == "100755"


def test_sigint_is_held_until_the_block_ends():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with sigint_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("finished")
    assert done == ["finished"]


def test_private_worktree_follows_the_branch(repo):
    surgeon_dir = repo / ".git" / "surgeon"
    session = new_session(head(repo), apply=False, model=None, check=None, now=now_local(), session_id="abc123")
    sg = SessionGit(repo)
    sg.create_branch(session.branch, session.base)
    path = ensure_private_worktree(repo, surgeon_dir, session)
    assert path == private_worktree_path(surgeon_dir, "abc123") and (path / "a.py").read_text() == "a = 1\n"
    commit = sg.commit_files(session.base, [("a.py", b"a = 7\n", None)], "m\n")
    sg.move_branch(session.branch, commit, session.base)
    assert ensure_private_worktree(repo, surgeon_dir, session) == path
    assert (path / "a.py").read_text() == "a = 7\n"
    assert git(repo, "status", "--porcelain") == ""
    remove_private_worktree(repo, path)
    assert not path.exists()


def test_a_running_session_is_recognised_and_a_dead_ones_marker_is_ignored(tmp_path):
    surgeon_dir = tmp_path / "surgeon"
    assert running_pid(surgeon_dir, "abc123") is None
    mark_running(surgeon_dir, "abc123")
    assert running_pid(surgeon_dir, "abc123") == os.getpid()
    clear_running(surgeon_dir, "abc123")
    assert running_pid(surgeon_dir, "abc123") is None
    dead = subprocess.Popen(["true"])
    dead.wait()
    marker = surgeon_dir / "pair" / "abc123" / "running"
    marker.write_text(f"{dead.pid}\n")
    assert running_pid(surgeon_dir, "abc123") is None
    clear_running(surgeon_dir, "abc123")  # another process's marker is left alone
    assert marker.exists()
