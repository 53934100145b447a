"""Staging a diff as one commit on a review branch, in real repositories."""

from __future__ import annotations

import dataclasses
import os

import pytest

import surgeon.stage.commit as stage
from surgeon.errors import Refused, RepoError
from surgeon.git import find_repo
from surgeon.stage import DirtyFiles, commit_message, parse_trailers, slugify, stage_diff, summary_line
from tests.helpers import git, make_repo, repo_state
from tests.stage.support import patch_result, surgeon_branches

FILES = {
    "app.py": "def greet(name):\n    return 'hello ' + name\n",
    "lib/util.py": "A = 1\nB = 2\nC = 3\n",
    "README.md": "# demo\n",
    "notes.txt": "no newline at end",
    "run.sh": "#!/bin/sh\necho hi\n",
}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", FILES)


def blob_at(repo, commit, path) -> bytes:
    import subprocess

    return subprocess.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=repo, capture_output=True,
                          check=True).stdout


def changed(repo, old, new) -> list[str]:
    return sorted(git(repo, "diff", "--name-only", "--no-renames", old, new).split())


# --- pure parts ---------------------------------------------------------------------------------


def test_slug_is_lowercase_ascii_words_within_limit():
    assert slugify("Add a Timeout to the fetch() call!") == "add-a-timeout-to-the-fetch-call"
    assert slugify("Ünïcode naïve café") == "unicode-naive-cafe"
    assert slugify("?!") == "change"
    long = slugify("retry the upload with exponential backoff and jitter when the server says 503")
    assert len(long) <= 40 and not long.endswith("-") and long.startswith("retry-the-upload")
    assert slugify("x" * 60) == "x" * 40


def test_summary_is_first_line_shortened_at_a_word():
    assert summary_line("fix the bug\n\nmore words") == "fix the bug"
    summary = summary_line("word " * 40)
    assert len(summary) <= 72 and summary.endswith("...")
    assert summary_line("") == "surgeon change"


def test_commit_message_has_summary_instruction_and_known_trailers():
    message = commit_message("Add a timeout\nto the fetch call", model="anthropic:claude", cost="$0.0123")
    lines = message.splitlines()
    assert lines[0] == "Add a timeout"
    assert lines[1] == ""
    assert "Add a timeout\nto the fetch call" in message
    assert parse_trailers(message) == {
        "Surgeon-Instruction": "Add a timeout to the fetch call",
        "Surgeon-Model": "anthropic:claude",
        "Surgeon-Cost": "$0.0123",
    }
    assert "Surgeon-Check" not in message
    assert parse_trailers(commit_message("x", check="pytest -q"))["Surgeon-Check"] == "pytest -q"


# --- staging ------------------------------------------------------------------------------------


def test_stage_modify_create_delete_keeps_repo_state(repo):
    info = find_repo(repo)
    before = repo_state(repo)
    head = before.head
    result = patch_result(repo, {
        "app.py": "def greet(name):\n    return 'hello, ' + name\n",
        "lib/new.py": "X = 1\n",
        "README.md": None,
        "notes.txt": "no newline at end, still",
    })
    staged = stage_diff(info, result, instruction="Add a comma to the greeting", model="script:demo", cost="$0.01")

    assert repo_state(repo) == before
    assert staged.branch.startswith("surgeon/add-a-comma-to-the-greeting-")
    assert staged.branch.endswith(staged.id) and 6 <= len(staged.id) <= 8
    assert surgeon_branches(repo) == [staged.branch]
    assert git(repo, "rev-parse", staged.branch).strip() == staged.commit
    assert staged.base == head == staged.head and staged.snapshot is None
    assert git(repo, "rev-parse", f"{staged.commit}^").strip() == head
    assert changed(repo, head, staged.commit) == sorted(["app.py", "lib/new.py", "README.md", "notes.txt"])
    assert staged.files == tuple(sorted(["app.py", "lib/new.py", "README.md", "notes.txt"]))
    assert blob_at(repo, staged.commit, "app.py") == b"def greet(name):\n    return 'hello, ' + name\n"
    assert blob_at(repo, staged.commit, "notes.txt") == b"no newline at end, still"
    assert (staged.lines_added, staged.lines_removed) == (result.lines_added, result.lines_removed)
    message = git(repo, "log", "-1", "--format=%B", staged.commit)
    assert message.startswith("Add a comma to the greeting\n\n")
    trailers = parse_trailers(message)
    assert trailers["Surgeon-Instruction"] == "Add a comma to the greeting"
    assert trailers["Surgeon-Model"] == "script:demo" and trailers["Surgeon-Cost"] == "$0.01"
    assert git(repo, "log", "-1", "--format=%an <%ae>", staged.commit).strip() == "Test Author <author@example.invalid>"


def test_rename_and_mode_change(repo):
    info = find_repo(repo)
    before = repo_state(repo)
    result = patch_result(
        repo,
        {"lib/helpers.py": "A = 1\nB = 2\nC = 4\n", "run.sh": "#!/bin/sh\necho hi\n"},
        renames={"lib/helpers.py": "lib/util.py"},
        modes={"run.sh": "100755"},
    )
    staged = stage_diff(info, result, instruction="rename util")
    assert repo_state(repo) == before
    assert changed(repo, before.head, staged.commit) == ["lib/helpers.py", "lib/util.py", "run.sh"]
    assert git(repo, "ls-tree", staged.commit, "run.sh").split()[0] == "100755"


def test_dirty_touched_file_is_refused_and_nothing_is_staged(repo):
    info = find_repo(repo)
    (repo / "app.py").write_text("def greet(name):\n    return 'hi ' + name\n")
    before = repo_state(repo)
    result = patch_result(repo, {"app.py": "def greet(name):\n    return 'hey ' + name\n"})
    with pytest.raises(DirtyFiles) as caught:
        stage_diff(info, result, instruction="change greeting")
    assert caught.value.files == ("app.py",)
    message = str(caught.value)
    assert "app.py" in message and "--base worktree" in message and "commit" in message
    assert isinstance(caught.value, Refused) and caught.value.exit_code == 1
    assert repo_state(repo) == before
    assert surgeon_branches(repo) == []


def test_dirty_untouched_file_does_not_matter_and_is_not_swept_in(repo):
    info = find_repo(repo)
    (repo / "README.md").write_text("# my local edit\n")
    before = repo_state(repo)
    staged = stage_diff(info, patch_result(repo, {"app.py": "print('x')\n"}), instruction="x")
    assert repo_state(repo) == before
    assert changed(repo, before.head, staged.commit) == ["app.py"]
    assert (repo / "README.md").read_text() == "# my local edit\n"


def test_untracked_files_are_never_swept_in(repo):
    info = find_repo(repo)
    (repo / "scratch.txt").write_text("mine\n")
    (repo / "lib" / "wip.py").write_text("WIP = True\n")
    (repo / "app.py").write_text("dirty\n")
    before = repo_state(repo)
    for base in ("head", "worktree"):
        staged = stage_diff(info, patch_result(repo, {"lib/util.py": "A = 1\n"}), instruction="x", base=base)
        assert changed(repo, before.head, staged.commit) == ["lib/util.py"]
    assert repo_state(repo) == before


def test_untracked_file_at_a_touched_path_counts_as_dirty(repo):
    info = find_repo(repo)
    (repo / "lib" / "new.py").write_text("mine\n")
    before = repo_state(repo)
    result = patch_result(repo, {"lib/new.py": "theirs\n"})
    with pytest.raises(DirtyFiles) as caught:
        stage_diff(info, result, instruction="x")
    assert caught.value.files == ("lib/new.py",)
    assert repo_state(repo) == before


def test_staged_but_uncommitted_changes(repo):
    info = find_repo(repo)
    (repo / "app.py").write_text("staged version\n")
    git(repo, "add", "app.py")
    (repo / "README.md").write_text("# staged readme\n")
    git(repo, "add", "README.md")
    before = repo_state(repo)
    with pytest.raises(DirtyFiles) as caught:
        stage_diff(info, patch_result(repo, {"app.py": "other\n"}), instruction="x")
    assert caught.value.files == ("app.py",)
    staged = stage_diff(info, patch_result(repo, {"lib/util.py": "A = 2\n"}), instruction="y")
    assert changed(repo, before.head, staged.commit) == ["lib/util.py"]
    assert repo_state(repo) == before


def test_index_only_change_counts_as_dirty(repo):
    info = find_repo(repo)
    (repo / "app.py").write_text("staged\n")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text(FILES["app.py"])  # tree equals HEAD, index does not
    with pytest.raises(DirtyFiles):
        stage_diff(info, patch_result(repo, {"app.py": "new\n"}), instruction="x")


def test_base_worktree_records_a_snapshot_of_touched_files_only(repo):
    info = find_repo(repo)
    (repo / "app.py").write_text("def greet(name):\n    return 'hi ' + name\n")
    (repo / "README.md").write_text("# untouched local edit\n")
    (repo / "scratch.txt").write_text("untracked\n")
    before = repo_state(repo)
    result = patch_result(repo, {"app.py": "def greet(name):\n    return 'hi, ' + name\n"})
    staged = stage_diff(info, result, instruction="comma", base="worktree")
    assert repo_state(repo) == before
    assert staged.snapshot is not None and staged.base == staged.snapshot
    assert git(repo, "rev-parse", f"{staged.snapshot}^").strip() == before.head
    assert git(repo, "log", "-1", "--format=%s", staged.snapshot).strip() == "surgeon: working-tree snapshot"
    assert changed(repo, before.head, staged.snapshot) == ["app.py"]
    assert blob_at(repo, staged.snapshot, "app.py") == b"def greet(name):\n    return 'hi ' + name\n"
    assert changed(repo, staged.snapshot, staged.commit) == ["app.py"]
    assert git(repo, "diff", "--no-color", "--src-prefix=a/", "--dst-prefix=b/", staged.snapshot,
               staged.commit) == result.normalised


def test_base_worktree_without_dirty_files_uses_head(repo):
    info = find_repo(repo)
    staged = stage_diff(info, patch_result(repo, {"app.py": "x\n"}), instruction="x", base="worktree")
    assert staged.snapshot is None and staged.base == git(repo, "rev-parse", "HEAD").strip()


def test_base_worktree_snapshot_keeps_a_deleted_touched_file_deleted(repo):
    info = find_repo(repo)
    (repo / "lib" / "util.py").unlink()
    result = patch_result(repo, {"lib/util.py": "A = 1\n"})  # creates it again
    before = repo_state(repo)
    staged = stage_diff(info, result, instruction="restore util", base="worktree")
    assert repo_state(repo) == before
    assert changed(repo, before.head, staged.snapshot) == ["lib/util.py"]
    assert changed(repo, staged.snapshot, staged.commit) == ["lib/util.py"]


def test_detached_head(repo):
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    info = find_repo(repo)
    before = repo_state(repo)
    assert before.branch == ""
    staged = stage_diff(info, patch_result(repo, {"app.py": "x\n"}), instruction="detached")
    assert repo_state(repo) == before
    assert staged.base == before.head


def test_branch_name_collision_picks_another_id(repo, monkeypatch):
    info = find_repo(repo)
    first = stage_diff(info, patch_result(repo, {"app.py": "one\n"}), instruction="same words")
    ids = iter([first.id, "abcdef"])
    monkeypatch.setattr(stage, "new_id", lambda: next(ids))
    second = stage_diff(info, patch_result(repo, {"app.py": "two\n"}), instruction="same words")
    assert second.id == "abcdef" and second.branch == "surgeon/same-words-abcdef"
    assert git(repo, "rev-parse", first.branch).strip() == first.commit  # not overwritten


def test_an_existing_ref_is_never_overwritten(repo, monkeypatch):
    info = find_repo(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    # A ref with the same name whose id was not seen (hand-made name with an id-like tail).
    git(repo, "update-ref", "refs/heads/surgeon/x-123456", head)
    monkeypatch.setattr(stage, "surgeon_refs", lambda g: {})
    ids = iter(["123456", "654321"])
    monkeypatch.setattr(stage, "new_id", lambda: next(ids))
    staged = stage_diff(info, patch_result(repo, {"app.py": "x\n"}), instruction="x")
    assert staged.id == "654321"
    assert git(repo, "rev-parse", "surgeon/x-123456").strip() == head


def test_disagreeing_normalised_diff_deletes_the_branch_and_refuses(repo):
    info = find_repo(repo)
    other = patch_result(repo, {"app.py": "something else\n"}).normalised
    result = patch_result(repo, {"app.py": "x\n"}, normalised=other)
    before = repo_state(repo)
    with pytest.raises(Refused, match="staging check failed") as caught:
        stage_diff(info, result, instruction="x")
    assert getattr(caught.value, "path", None) == "app.py"  # the --json error names the file
    assert surgeon_branches(repo) == [] and git(repo, "for-each-ref", "refs/surgeon/") == ""
    assert repo_state(repo) == before


def test_an_unsupported_file_mode_is_refused_naming_the_file(repo):
    result = patch_result(repo, {"app.py": "x\n"}, modes={"app.py": "100600"})
    with pytest.raises(Refused, match="unsupported file mode 100600") as caught:
        stage_diff(find_repo(repo), result, instruction="x")
    assert getattr(caught.value, "path", None) == "app.py" and surgeon_branches(repo) == []


def test_a_staged_branch_carries_its_verification_mark(repo):
    staged = stage_diff(find_repo(repo), patch_result(repo, {"app.py": "x\n"}), instruction="marked")
    mark = git(repo, "rev-parse", f"refs/surgeon/staged/{staged.branch.removeprefix('surgeon/')}").strip()
    assert mark == staged.commit


def test_content_that_differs_from_head_is_refused(repo):
    info = find_repo(repo)
    result = patch_result(repo, {"app.py": "x\n"})
    wrong = dataclasses.replace(result.changes[0], old_content=b"not what HEAD has\n")
    with pytest.raises(Refused, match="app.py: the content in HEAD differs"):
        stage_diff(info, dataclasses.replace(result, changes=(wrong,)), instruction="x")
    assert surgeon_branches(repo) == []


def test_creating_an_existing_file_is_refused(repo):
    info = find_repo(repo)
    result = patch_result(repo, {"app.py": "x\n"})
    wrong = dataclasses.replace(result.changes[0], old_content=None)
    with pytest.raises(Refused, match="already exists"):
        stage_diff(info, dataclasses.replace(result, changes=(wrong,)), instruction="x")


def test_refused_or_empty_results_stage_nothing(repo):
    info = find_repo(repo)
    result = patch_result(repo, {"app.py": "x\n"})
    with pytest.raises(Refused, match="nothing staged"):
        stage_diff(info, dataclasses.replace(result, ok=False), instruction="x")
    with pytest.raises(Refused, match="changes nothing"):
        stage_diff(info, dataclasses.replace(result, changes=()), instruction="x")
    assert surgeon_branches(repo) == []


def test_identity_falls_back_when_git_has_none(repo, monkeypatch, tmp_path):
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    git(repo, "config", "user.useConfigOnly", "true")
    info = find_repo(repo)
    staged = stage_diff(info, patch_result(repo, {"app.py": "x\n"}), instruction="x")
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", staged.commit).strip() == (
        "surgeon <surgeon@localhost>|surgeon <surgeon@localhost>"
    )


def test_user_identity_is_used_when_configured(repo, monkeypatch):
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    git(repo, "config", "user.name", "Dana Dev")
    git(repo, "config", "user.email", "dana@example.invalid")
    staged = stage_diff(find_repo(repo), patch_result(repo, {"app.py": "x\n"}), instruction="x")
    assert git(repo, "log", "-1", "--format=%an <%ae>", staged.commit).strip() == "Dana Dev <dana@example.invalid>"


def test_non_git_folder(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(RepoError, match="not inside a git repository"):
        find_repo(folder)


def test_symlink_is_staged_as_a_link(repo):
    if not hasattr(os, "symlink"):
        pytest.skip("no symlinks")
    info = find_repo(repo)
    os.symlink("app.py", repo / "link")
    git(repo, "add", "link")
    git(repo, "commit", "-q", "-m", "link")
    result = patch_result(repo, {"link": "README.md"})
    staged = stage_diff(info, result, instruction="point link to readme")
    mode = git(repo, "ls-tree", staged.commit, "link").split()[0]
    assert mode == "120000" and blob_at(repo, staged.commit, "link") == b"README.md"
