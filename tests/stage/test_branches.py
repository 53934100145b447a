"""Listing, showing, accepting and discarding review branches, in real repositories."""

from __future__ import annotations

import pytest

from surgeon.errors import Refused, UsageError, WouldOverwrite
from surgeon.gate import read_gate, run_gate
from surgeon.git import Git, find_repo
from surgeon.pair.listing import accept, discard
from surgeon.stage import stage_diff
from surgeon.stage.branches import (
    branch_diff,
    discard_all,
    discard_branch,
    find_branch,
    list_branches,
)
from tests.helpers import git, make_repo, repo_state
from tests.stage.support import patch_result, surgeon_branches

FILES = {
    "app.py": "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n",
    "lib/util.py": "A = 1\n",
    "README.md": "# demo\n",
    "old.txt": "to be removed\n",
}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", FILES)


def stage(repo, edits, instruction="change it", **kwargs):
    return stage_diff(find_repo(repo), patch_result(repo, edits), instruction=instruction, **kwargs)


def status(repo) -> str:
    return git(repo, "status", "--porcelain=v1", "--untracked-files=all")


# --- list, find, show ----------------------------------------------------------------------------


def test_list_branches_reports_metadata_and_gate(repo):
    first = stage(repo, {"app.py": FILES["app.py"].replace("two", "TWO"), "new.py": "X = 1\n"},
                  instruction="Capitalise two", model="script:demo", cost="$0.002", check="true")
    second = stage(repo, {"README.md": None}, instruction="drop the readme")
    infos = list_branches(find_repo(repo))
    assert sorted(i.id for i in infos) == sorted([first.id, second.id])
    one = next(i for i in infos if i.id == first.id)
    assert one.branch == first.branch and one.commit == first.commit and one.base == first.base
    assert one.files == ("app.py", "new.py") and (one.lines_added, one.lines_removed) == (2, 1)
    assert one.instruction == "Capitalise two" and one.summary == "Capitalise two"
    assert (one.model, one.cost, one.check_command) == ("script:demo", "$0.002", "true")
    assert one.gate is None and one.check_label == "-" and not one.snapshot
    gate = run_gate(find_repo(repo), first, "true", 30)
    again = find_branch(find_repo(repo), first.id)
    assert again.gate == gate and again.check_label == "passed"
    data = again.to_json()
    assert data["check"]["passed"] is True and data["files"] == ["app.py", "new.py"]
    assert set(data) >= {"id", "branch", "commit", "base", "created", "age_seconds", "files", "lines_added",
                         "lines_removed", "instruction", "model", "cost", "check"}


def test_find_branch_by_id_prefix_or_name(repo):
    staged = stage(repo, {"README.md": "# x\n"}, instruction="readme")
    info = find_repo(repo)
    for spec in (staged.id, staged.id[:4], staged.branch, f"refs/heads/{staged.branch}",
                 staged.branch.removeprefix("surgeon/")):
        assert find_branch(info, spec).commit == staged.commit
    with pytest.raises(UsageError, match="no pending surgeon branch 'nope'"):
        find_branch(info, "nope")
    with pytest.raises(UsageError, match="no pending surgeon branch"):
        find_branch(info, "main")


def test_branch_diff_is_the_change(repo):
    staged = stage(repo, {"lib/util.py": "A = 2\n"})
    diff = branch_diff(find_repo(repo), find_branch(find_repo(repo), staged.id))
    assert "-A = 1\n+A = 2\n" in diff and diff.startswith("diff --git a/lib/util.py b/lib/util.py")


# --- discard -----------------------------------------------------------------------------------


def test_discard_removes_branch_and_note_and_nothing_else(repo):
    (repo / "README.md").write_text("# dirty\n")
    (repo / "scratch").write_text("untracked\n")
    staged = stage(repo, {"app.py": "x\n"})
    keep = stage(repo, {"lib/util.py": "B = 1\n"})
    run_gate(find_repo(repo), staged, "false", 30)
    before = repo_state(repo)
    removed = discard(find_repo(repo), staged.id)
    assert removed.commit == staged.commit
    assert repo_state(repo) == before
    assert surgeon_branches(repo) == [keep.branch]
    assert read_gate(Git(repo), staged.commit) is None
    removed_all = discard_all(find_repo(repo))
    assert [i.branch for i in removed_all] == [keep.branch]
    assert surgeon_branches(repo) == [] and repo_state(repo) == before
    assert discard_all(find_repo(repo)) == []


def test_discard_refuses_a_checked_out_branch(repo):
    staged = stage(repo, {"app.py": "x\n"})
    git(repo, "checkout", "-q", staged.branch)
    with pytest.raises(Refused, match="checked out"):
        discard(find_repo(repo), staged.id)
    with pytest.raises(Refused, match="checked out"):
        discard_all(find_repo(repo))
    assert surgeon_branches(repo) == [staged.branch]


# --- accept ------------------------------------------------------------------------------------


def test_accept_fast_forward_keeps_untouched_work(repo):
    new_app = FILES["app.py"].replace("five", "FIVE")
    staged = stage(repo, {"app.py": new_app, "lib/new.py": "N = 1\n", "old.txt": None})
    (repo / "README.md").write_text("# my unstaged edit\n")
    (repo / "lib" / "util.py").write_text("A = 'staged'\n")
    git(repo, "add", "lib/util.py")
    (repo / "scratch.txt").write_text("untracked\n")
    before = repo_state(repo)

    result = accept(find_repo(repo), staged.id)
    assert result.how == "fast-forward" and result.commit == staged.commit
    assert result.files == ("app.py", "lib/new.py", "old.txt")
    after = repo_state(repo)
    assert after.branch == before.branch == "refs/heads/main"
    assert after.head == staged.commit
    assert (repo / "app.py").read_text() == new_app
    assert (repo / "lib" / "new.py").read_text() == "N = 1\n"
    assert not (repo / "old.txt").exists()
    # the user's own work, exactly as it was
    assert (repo / "README.md").read_text() == "# my unstaged edit\n"
    assert (repo / "scratch.txt").read_text() == "untracked\n"
    assert git(repo, "show", ":lib/util.py") == "A = 'staged'\n"
    assert status(repo) == " M README.md\nM  lib/util.py\n?? scratch.txt\n"
    assert surgeon_branches(repo) == []
    assert git(repo, "reflog", "-1", "--format=%gs").strip().startswith("surgeon: accept")


def test_accept_keeps_the_gate_note_on_a_fast_forwarded_commit(repo):
    staged = stage(repo, {"app.py": "x\n"})
    gate = run_gate(find_repo(repo), staged, "true", 30)
    accept(find_repo(repo), staged.id)
    assert read_gate(Git(repo), staged.commit) == gate


def test_accept_refuses_when_a_touched_file_is_dirty(repo):
    staged = stage(repo, {"app.py": "theirs\n"})
    (repo / "app.py").write_text("mine, uncommitted\n")
    before = repo_state(repo)
    with pytest.raises(WouldOverwrite) as caught:
        accept(find_repo(repo), staged.id)
    assert caught.value.files == ("app.py",) and "Nothing changed" in str(caught.value)
    assert repo_state(repo) == before
    assert (repo / "app.py").read_text() == "mine, uncommitted\n"
    assert surgeon_branches(repo) == [staged.branch]


def test_accept_refuses_when_a_touched_file_is_staged(repo):
    staged = stage(repo, {"app.py": "theirs\n"})
    (repo / "app.py").write_text("mine, staged\n")
    git(repo, "add", "app.py")
    before = repo_state(repo)
    with pytest.raises(WouldOverwrite):
        accept(find_repo(repo), staged.id)
    assert repo_state(repo) == before


def test_accept_refuses_to_overwrite_an_untracked_file(repo):
    staged = stage(repo, {"lib/new.py": "theirs\n"})
    (repo / "lib" / "new.py").write_text("mine, untracked\n")
    before = repo_state(repo)
    with pytest.raises(WouldOverwrite) as caught:
        accept(find_repo(repo), staged.id)
    assert caught.value.files == ("lib/new.py",)
    assert repo_state(repo) == before and (repo / "lib" / "new.py").read_text() == "mine, untracked\n"


def test_accept_after_head_moved_replays_the_change(repo):
    staged = stage(repo, {"app.py": FILES["app.py"].replace("nine", "NINE")}, instruction="shout nine")
    moved = FILES["app.py"].replace("one", "ONE")
    (repo / "app.py").write_text(moved)
    git(repo, "commit", "-q", "-am", "my own commit")
    (repo / "README.md").write_text("# dirty untouched\n")
    head = git(repo, "rev-parse", "HEAD").strip()

    result = accept(find_repo(repo), staged.id)
    assert result.how == "replayed" and result.commit not in (staged.commit, head)
    assert git(repo, "rev-parse", "HEAD^").strip() == head
    assert (repo / "app.py").read_text() == moved.replace("nine", "NINE")
    assert (repo / "README.md").read_text() == "# dirty untouched\n"
    assert git(repo, "log", "-1", "--format=%B").startswith("shout nine\n")
    assert git(repo, "log", "-1", "--format=%an").strip() == git(repo, "log", "-1", "--format=%an", staged.commit).strip()
    assert surgeon_branches(repo) == []
    assert status(repo) == " M README.md\n"


def test_accept_after_head_moved_refuses_a_conflict_cleanly(repo):
    staged = stage(repo, {"app.py": FILES["app.py"].replace("five", "theirs")})
    (repo / "app.py").write_text(FILES["app.py"].replace("five", "mine"))
    git(repo, "commit", "-q", "-am", "conflicting commit")
    (repo / "README.md").write_text("# dirty\n")
    before = repo_state(repo)
    with pytest.raises(Refused, match="no longer applies cleanly .*conflicts in app.py"):
        accept(find_repo(repo), staged.id)
    assert repo_state(repo) == before
    assert surgeon_branches(repo) == [staged.branch]


def test_accept_replay_refuses_a_dirty_touched_file(repo):
    staged = stage(repo, {"lib/util.py": "A = 2\n"})
    git(repo, "commit", "-q", "--allow-empty", "-m", "moved")
    (repo / "lib" / "util.py").write_text("A = 'mine'\n")
    before = repo_state(repo)
    with pytest.raises(WouldOverwrite):
        accept(find_repo(repo), staged.id)
    assert repo_state(repo) == before


def test_accept_what_is_already_merged(repo):
    staged = stage(repo, {"app.py": "x\n"})
    git(repo, "merge", "-q", "--ff-only", staged.branch)
    before = repo_state(repo)
    result = accept(find_repo(repo), staged.id)
    assert result.how == "already-merged" and repo_state(repo) == before
    assert surgeon_branches(repo) == []


def test_accept_on_detached_head(repo):
    git(repo, "checkout", "-q", "--detach")
    staged = stage(repo, {"app.py": "x\n"})
    result = accept(find_repo(repo), staged.id)
    assert result.how == "fast-forward"
    state = repo_state(repo)
    assert state.branch == "" and state.head == staged.commit
    assert git(repo, "rev-parse", "main").strip() != staged.commit
    assert status(repo) == ""


def test_accept_a_worktree_based_change_leaves_it_uncommitted(repo):
    mine = FILES["app.py"].replace("one", "mine")
    (repo / "app.py").write_text(mine)
    (repo / "README.md").write_text("# untouched dirty\n")
    staged = stage(repo, {"app.py": mine.replace("ten", "TEN")}, base="worktree")
    before = repo_state(repo)
    result = accept(find_repo(repo), staged.id)
    assert result.how == "working-tree" and result.commit is None and result.files == ("app.py",)
    after = repo_state(repo)
    assert (after.head, after.index_tree, after.branch) == (before.head, before.index_tree, before.branch)
    assert (repo / "app.py").read_text() == mine.replace("ten", "TEN")  # my edit and theirs
    assert (repo / "README.md").read_text() == "# untouched dirty\n"
    assert surgeon_branches(repo) == []


def test_accept_a_worktree_based_change_refuses_after_further_edits(repo):
    (repo / "app.py").write_text("mine\n")
    staged = stage(repo, {"app.py": "mine and theirs\n"}, base="worktree")
    (repo / "app.py").write_text("mine, edited again\n")
    before = repo_state(repo)
    with pytest.raises(WouldOverwrite, match="since it was staged"):
        accept(find_repo(repo), staged.id)
    assert repo_state(repo) == before and (repo / "app.py").read_text() == "mine, edited again\n"


def test_accept_refuses_the_checked_out_surgeon_branch(repo):
    staged = stage(repo, {"app.py": "x\n"})
    git(repo, "checkout", "-q", staged.branch)
    with pytest.raises(Refused, match="checked out"):
        accept(find_repo(repo), staged.id)


def test_accept_refuses_during_a_merge(repo):
    staged = stage(repo, {"lib/util.py": "A = 2\n"})
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "app.py").write_text("side\n")
    git(repo, "commit", "-q", "-am", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "app.py").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")
    git(repo, "merge", "-q", "side", check=False)  # conflicts, leaves MERGE_HEAD
    def state():  # repo_state cannot write a tree from an unmerged index
        return status(repo), git(repo, "ls-files", "-s"), git(repo, "rev-parse", "HEAD", "MERGE_HEAD")

    before = state()
    with pytest.raises(Refused, match="while a merge is in progress"):
        accept(find_repo(repo), staged.id)
    assert state() == before and surgeon_branches(repo) == [staged.branch]


def test_pair_session_branches_are_not_review_branches(repo):
    head = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", "refs/heads/surgeon/pair-20250101-abc123", head)
    staged = stage(repo, {"app.py": "x\n"})
    assert [i.id for i in list_branches(find_repo(repo))] == [staged.id]
    with pytest.raises(UsageError, match="no pending surgeon branch"):
        find_branch(find_repo(repo), "abc123")
    assert [i.id for i in discard_all(find_repo(repo))] == [staged.id]
    assert surgeon_branches(repo) == ["surgeon/pair-20250101-abc123"]


def test_discard_branch_by_name(repo):
    staged = stage(repo, {"app.py": "x\n"})
    assert discard_branch(find_repo(repo), staged.branch).commit == staged.commit
    assert surgeon_branches(repo) == []


def test_accept_onto_the_working_tree_writes_all_files_or_none(repo, monkeypatch):
    import surgeon.stage.accept as accepting

    (repo / "app.py").write_text("mine\n")
    staged = stage(repo, {"app.py": "mine and theirs\n", "lib/new.py": "N = 1\n", "lib/util.py": None},
                   base="worktree")
    real = accepting._checked_out

    def edited_meanwhile(git_runner, path, mode, oid):  # someone saves app.py between the check and the write
        if path == "app.py":
            (repo / "app.py").write_text("mine, saved again\n")
        return real(git_runner, path, mode, oid)

    monkeypatch.setattr(accepting, "_checked_out", edited_meanwhile)
    with pytest.raises(WouldOverwrite, match="since it was staged") as caught:
        accepting.accept(find_repo(repo), staged.id)
    assert caught.value.files == ("app.py",)
    assert not (repo / "lib/new.py").exists() and (repo / "lib/util.py").read_text() == FILES["lib/util.py"]
    monkeypatch.setattr(accepting, "_checked_out", real)
    (repo / "app.py").write_text("mine\n")
    result = accepting.accept(find_repo(repo), staged.id)
    assert result.how == "working-tree" and result.files == ("app.py", "lib/new.py", "lib/util.py")
    assert (repo / "app.py").read_text() == "mine and theirs\n" and (repo / "lib/new.py").read_text() == "N = 1\n"
    assert not (repo / "lib/util.py").exists()


def test_stage_and_accept_in_a_sha256_repository(tmp_path):
    from surgeon.stage.accept import accept as accept_change

    repo = tmp_path / "sha256"
    repo.mkdir()
    git(repo, "init", "-q", "--object-format=sha256", "-b", "main")
    make_repo(repo, FILES)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert len(head) == 64
    edits = {"app.py": FILES["app.py"].replace("two", "TWO"), "lib/new.py": "N = 1\n",
             "lib/helpers.py": FILES["lib/util.py"]}
    result = patch_result(repo, edits, renames={"lib/helpers.py": "lib/util.py"})
    staged = stage_diff(find_repo(repo), result, instruction="change it")
    assert len(staged.commit) == 64 and staged.base == head
    assert git(repo, "show", f"{staged.commit}:lib/new.py") == "N = 1\n"
    assert accept_change(find_repo(repo), staged.id).how == "fast-forward"
    assert (repo / "lib/helpers.py").read_text() == FILES["lib/util.py"] and not (repo / "lib/util.py").exists()

    (repo / "app.py").write_text("mine\n")  # a change staged on a snapshot: blob ids of the working tree
    on_snapshot = stage(repo, {"app.py": "mine and theirs\n"}, base="worktree")
    assert on_snapshot.snapshot is not None and len(on_snapshot.snapshot) == 64
    assert accept_change(find_repo(repo), on_snapshot.id).how == "working-tree"
    assert (repo / "app.py").read_text() == "mine and theirs\n"
