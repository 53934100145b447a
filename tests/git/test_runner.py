"""surgeon.git: the one runner (errors, worktree listing, batch object reads), blob ids in sha1 and
sha256 repositories, and the one working-tree writer (checks first, all or nothing)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from surgeon.errors import DirtyFiles, GitFailed, GitMissing, Refused, WorkingTreeChanged
from surgeon.git import Git, blob_id
from surgeon.git.files import FileWrite, write_files, writes_for
from surgeon.stage.message import SNAPSHOT_SUBJECT
from tests.helpers import git, make_repo


def sha256_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "--object-format=sha256", "-b", "main")
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


# --- the runner -----------------------------------------------------------------------------------


def test_a_failed_git_call_is_git_failed_with_the_subcommand_and_gits_last_line(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    with pytest.raises(GitFailed, match=r"^git cat-file failed: .*") as caught:
        Git(repo, config=("core.quotepath=false",)).run("cat-file", "blob", "HEAD:missing.txt")
    assert caught.value.exit_code == 3
    unchecked = Git(repo).run("cat-file", "blob", "HEAD:missing.txt", check=False)
    assert unchecked.returncode != 0 and unchecked.stderr


def test_git_missing_from_path_is_git_missing(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(GitMissing, match="git is not installed or not on PATH") as caught:
        Git(repo).run("status")
    assert isinstance(caught.value, GitFailed) and caught.value.exit_code == 3


def test_worktrees_lists_the_main_and_linked_worktrees(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    git(repo, "branch", "topic")
    git(repo, "worktree", "add", "-q", str(tmp_path / "linked"), "topic")
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "loose"), "HEAD")
    head = git(repo, "rev-parse", "HEAD").strip()
    listed = {Path(w.path).name: w for w in Git(repo).worktrees()}
    assert set(listed) == {"r", "linked", "loose"}
    assert listed["r"].branch == "refs/heads/main" and listed["linked"].branch == "refs/heads/topic"
    assert listed["loose"].branch is None and listed["loose"].detached and listed["loose"].head == head
    assert Git(repo).checked_out() == {"refs/heads/main", "refs/heads/topic"}


def test_read_objects_reads_many_blobs_in_one_call(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n", "b.bin": b"\0\1\2"})
    oid = git(repo, "rev-parse", "HEAD:a.txt").strip()
    read = Git(repo).read_objects(["HEAD:a.txt", "HEAD:b.bin", "HEAD:none", oid, "HEAD"])
    assert read == {"HEAD:a.txt": b"a\n", "HEAD:b.bin": b"\0\1\2", "HEAD:none": None, oid: b"a\n", "HEAD": None}


# --- blob ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"x = 1\n", bytes(range(256)) * 3])
def test_blob_id_is_gits_in_sha1_and_sha256_repositories(tmp_path, data):
    sha1 = make_repo(tmp_path / "sha1", {"a.txt": "a\n"})
    sha256 = sha256_repo(tmp_path / "sha256", {"a.txt": "a\n"})
    for repo, width in ((sha1, 40), (sha256, 64)):
        expected = subprocess.run(["git", "hash-object", "--no-filters", "--stdin"], cwd=repo, input=data,
                                  capture_output=True, check=True).stdout.decode().strip()
        runner = Git(repo)
        assert runner.blob_id(data) == blob_id(data, runner.object_format) == expected and len(expected) == width


def test_an_unknown_object_format_is_an_error():
    with pytest.raises(ValueError):
        blob_id(b"", "md5")


# --- the writer -----------------------------------------------------------------------------------


def test_writer_creates_replaces_and_deletes_with_modes(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "keep.sh").write_bytes(b"old\n")
    os.chmod(root / "keep.sh", 0o750)
    (root / "gone.txt").write_bytes(b"bye\n")
    write_files(root, [
        FileWrite("keep.sh", b"old\n", b"new\n"),  # no mode: keeps its permissions
        FileWrite("gone.txt", b"bye\n", None),
        FileWrite("dir/run.sh", None, b"#!/bin/sh\n", "100755"),
        FileWrite("link", None, b"keep.sh", "120000"),
    ])
    assert (root / "keep.sh").read_bytes() == b"new\n" and stat.S_IMODE(os.stat(root / "keep.sh").st_mode) == 0o750
    assert not (root / "gone.txt").exists()
    assert os.stat(root / "dir/run.sh").st_mode & stat.S_IXUSR
    assert os.readlink(root / "link") == "keep.sh"
    assert sorted(p.name for p in root.iterdir()) == ["dir", "keep.sh", "link"]  # no temporary file left


def test_writer_checks_every_file_before_writing_any(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a\n")
    (root / "b.txt").write_bytes(b"changed meanwhile\n")
    with pytest.raises(WorkingTreeChanged, match="b.txt changed while the diff was being checked") as caught:
        write_files(root, [FileWrite("a.txt", b"a\n", b"A\n"), FileWrite("b.txt", b"b\n", b"B\n")])
    assert caught.value.path == "b.txt" and isinstance(caught.value, Refused)
    assert (root / "a.txt").read_bytes() == b"a\n"
    (root / "link").symlink_to("a.txt")  # a symbolic link is not the regular file a write expects
    with pytest.raises(WorkingTreeChanged):
        write_files(root, [FileWrite("link", b"a\n", b"x\n")])
    for outside in ("../escape.txt", ".git/config"):
        with pytest.raises(Refused, match="is not a file of this working tree"):
            write_files(root, [FileWrite(outside, None, b"x\n")])
    assert not (tmp_path / "escape.txt").exists()


def test_writer_puts_everything_back_when_a_write_fails_part_way(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a\n")
    os.chmod(root / "a.txt", 0o640)
    (root / "b.txt").write_bytes(b"b\n")
    (root / "c.txt").write_bytes(b"c\n")
    real_replace = os.replace
    calls = []

    def failing_replace(source, target):
        calls.append(target)
        if Path(target).name == "c.txt":
            raise OSError(28, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    writes = [FileWrite("a.txt", b"a\n", b"A\n"), FileWrite("b.txt", b"b\n", None), FileWrite("new.txt", None, b"n\n"),
              FileWrite("c.txt", b"c\n", b"C\n")]
    with pytest.raises(OSError, match="No space left"):
        write_files(root, writes)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (root / "a.txt").read_bytes() == b"a\n" and stat.S_IMODE(os.stat(root / "a.txt").st_mode) == 0o640
    assert (root / "b.txt").read_bytes() == b"b\n" and (root / "c.txt").read_bytes() == b"c\n"
    assert sorted(p.name for p in root.iterdir()) == ["a.txt", "b.txt", "c.txt"]


def test_inverse_writes_undo_a_change(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.txt").write_bytes(b"a\n")
    writes = [FileWrite("a.txt", b"a\n", b"A\n"), FileWrite("n.txt", None, b"n\n"), FileWrite("l", None, b"a.txt", "120000")]
    write_files(root, writes)
    write_files(root, [w.inverse() for w in reversed(writes)])
    assert sorted(p.name for p in root.iterdir()) == ["a.txt"] and (root / "a.txt").read_bytes() == b"a\n"


class _Change:
    def __init__(self, path, old_path, old_content, new_content, old_mode, new_mode):
        self.path, self.old_path, self.old_content, self.new_content = path, old_path, old_content, new_content
        self.old_mode, self.new_mode = old_mode, new_mode


def test_writes_for_changes_sets_a_mode_only_where_the_diff_changes_it():
    writes = writes_for([
        _Change("a.py", None, b"1", b"2", "100644", "100644"),  # same mode: the file keeps its permissions
        _Change("b.sh", None, b"1", b"1", "100644", "100755"),
        _Change("c.py", None, None, b"new", None, None),
        _Change("new.py", "old.py", b"x", b"y", "100755", None),
    ])
    assert writes == [
        FileWrite("a.py", b"1", b"2"),
        FileWrite("b.sh", b"1", b"1", "100755"),
        FileWrite("c.py", None, b"new"),
        FileWrite("old.py", b"x", None),
        FileWrite("new.py", None, b"y", None, keep_mode_of="old.py"),
    ]


def test_the_dirty_files_message_names_the_snapshot_commit_subject():
    assert f"'{SNAPSHOT_SUBJECT}' commit" in str(DirtyFiles(["a.py"]))


def test_held_commit_settings_are_asked_once_and_kept_as_the_edit_found_them(tmp_path, monkeypatch):
    # an edit asks for them while the model works; staging after the reply then asks git nothing of them
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = make_repo(tmp_path / "r", {"a.txt": "one\n"})
    git(repo, "config", "user.useConfigOnly", "true")  # no identity guessed from the host
    held = Git(repo)
    held.hold_commit_settings()
    asked: list[str] = []
    run = Git.run

    def counting(self: Git, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        asked.append(args[0])
        return run(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Git, "run", counting)
    git(repo, "config", "user.name", "Ada")
    git(repo, "config", "user.email", "ada@example.com")
    git(repo, "config", "core.autocrlf", "true")
    assert held.identity_env()["GIT_AUTHOR_NAME"] == "surgeon"  # as it was: no identity yet
    assert not held.conversions(["a.txt"])["a.txt"].converts
    assert held.object_format == "sha1"
    assert asked == ["check-attr"]  # the attributes are the working tree's, asked each time
    fresh = Git(repo)
    assert fresh.identity_env() == {} and fresh.conversions(["a.txt"])["a.txt"].converts
