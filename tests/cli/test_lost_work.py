"""Issue 15, "work that was lost": each attack through the real CLI, as an adversary would try it.

Interrupts are real signals to the real console script, at exact points: after the N-th git call
it makes (tests/stage/faults.py), for every N of an uninterrupted run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import SURGEON, git, make_repo, run_surgeon
from tests.stage.faults import Faults, hooks, run_in_session

APP = "A = 1\nB = 2\nC = 3\nD = 4\nE = 5\nF = 6\nG = 7\nH = 8\n"
NEW_APP = APP.replace("A = 1", "A = 10")
FILES = {"app.py": APP, "other.py": "x = 1\n", "notes.txt": "notes\n"}


def patch(old: str, new: str, path: str = "app.py") -> str:
    return f"--- a/{path}\n+++ b/{path}\n@@ -1,3 +1,3 @@\n-{old}\n+{new}\n B = 2\n C = 3\n"


A_PATCH = patch("A = 1", "A = 10")


def stage(repo: Path, diff: str = A_PATCH, *args: str) -> dict:
    run = run_surgeon("apply", "-", "--json", *args, cwd=repo, input=diff)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def rev(repo: Path, spec: str) -> str | None:
    out = git(repo, "rev-parse", "--verify", "-q", spec, check=False).strip()
    return out or None


def commit_on(repo: Path, branch: str, path: str, text: str, message: str) -> str:
    """A commit the user makes on `branch` (through a linked worktree, their own checkout untouched)."""
    place = repo.parent / f"wt-{abs(hash((branch, message)))}"
    git(repo, "worktree", "add", "-q", str(place), branch)
    (place / path).write_text(text)
    git(place, "commit", "-qam", message)
    git(repo, "worktree", "remove", "--force", str(place))
    return rev(repo, branch) or ""


WRITES = ("update-ref", "read-tree", "update-index", "notes", "commit-tree", "write-tree", "hash-object", "apply")


def points(calls: list[str]) -> list[int]:
    """Where to interrupt: after the first call, the last one before anything is written, and every
    call that may write (after a read-only call the state is the one after the call before it)."""
    writing = [n for n, call in enumerate(calls, 1) if call.split(" ", 1)[0].lstrip("-") in WRITES
               or call.startswith("--literal-pathspecs status")]
    return sorted({1, *writing, *(n - 1 for n in writing[:1] if n > 1), len(calls)})


def branch_rows(repo: Path, run=run_surgeon) -> dict[str, dict]:
    listed = run("branches", "--json", cwd=repo)
    assert listed.code == 0, listed.stderr
    return {row["branch"]: row for row in json.loads(listed.stdout)["branches"]}


# --- 1. accept brings in every commit on the branch, or refuses --------------------------------


def test_accept_brings_in_the_commit_a_user_added_to_the_review_branch(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    staged = stage(repo)
    mine = commit_on(repo, staged["branch"], "other.py", "x = 2\n", "my own follow-up")
    accepted = run_surgeon("accept", staged["id"], cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert "HEAD had moved" not in accepted.stdout and "my own follow-up" in accepted.stdout
    assert rev(repo, "HEAD") == mine  # every commit on the branch, surgeon's and the user's
    assert (repo / "app.py").read_text() == NEW_APP and (repo / "other.py").read_text() == "x = 2\n"
    assert git(repo, "status", "--porcelain") == ""


def test_accept_refuses_user_commits_it_cannot_bring_in_as_they_are(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    staged = stage(repo)
    mine = commit_on(repo, staged["branch"], "other.py", "x = 2\n", "my own follow-up")
    (repo / "notes.txt").write_text("moved on\n")
    git(repo, "commit", "-qam", "HEAD moves on")
    head = rev(repo, "HEAD")
    refused = run_surgeon("accept", staged["id"], cwd=repo)
    assert refused.code == 1
    assert "my own follow-up" in refused.stderr and f"git merge {staged['branch']}" in refused.stderr
    assert rev(repo, "HEAD") == head and rev(repo, staged["branch"]) == mine
    assert (repo / "app.py").read_text() == APP


# --- 2. discard removes only what surgeon made and nobody changed since ---------------------------


def test_discard_never_deletes_a_user_commit_or_a_hand_made_branch(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    changed = stage(repo)
    mine = commit_on(repo, changed["branch"], "other.py", "x = 2\n", "my own follow-up")
    git(repo, "branch", "surgeon/my-experiment")
    experiment = commit_on(repo, "surgeon/my-experiment", "notes.txt", "experiment\n", "an experiment")
    plain = stage(repo, patch("A = 1", "A = 11"))

    refused = run_surgeon("discard", changed["id"], cwd=repo)
    assert refused.code == 1
    assert "my own follow-up" in refused.stderr and f"git branch -D {changed['branch']}" in refused.stderr
    by_name = run_surgeon("discard", "my-experiment", "--json", cwd=repo)
    assert by_name.code == 1 and "surgeon did not make it" in json.loads(by_name.stdout)["errors"][0]["reason"]

    everything = run_surgeon("discard", "--all", "--json", cwd=repo)
    assert everything.code == 0, everything.stderr
    out = json.loads(everything.stdout)
    assert [row["branch"] for row in out["discarded"]] == [plain["branch"]]
    assert sorted(row["branch"] for row in out["kept"]) == sorted([changed["branch"], "surgeon/my-experiment"])
    assert rev(repo, changed["branch"]) == mine and rev(repo, "surgeon/my-experiment") == experiment
    text = run_surgeon("discard", "--all", cwd=repo)
    assert "Kept surgeon/my-experiment: surgeon did not make it" in text.stdout


def test_discard_keeps_a_pair_session_branch_someone_committed_on(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    session = "surgeon/pair-20250101-abc123"
    git(repo, "branch", session)
    mine = commit_on(repo, session, "other.py", "x = 3\n", "work on the session branch")
    for args in (["discard", "abc123"], ["discard", "--all"]):
        run = run_surgeon(*args, cwd=repo)
        assert "work on the session branch" in (run.stdout + run.stderr), args
        assert rev(repo, session) == mine, args
    assert run_surgeon("discard", "abc123", cwd=repo).code == 1


# --- 3. an interrupted accept is either done or undone ---------------------------------------------


def _template(tmp_path: Path, base: str) -> tuple[Path, dict]:
    """A repository with a staged change to app.py and the user's uncommitted work around it: an
    edit in the working tree, a staged edit in the index, an untracked file."""
    repo = make_repo(tmp_path / "template", FILES)
    if base == "worktree":
        (repo / "app.py").write_text(APP + "# my uncommitted line\n")
    staged = stage(repo, A_PATCH, "--base", base)
    (repo / "notes.txt").write_text("my unsaved notes\n")
    (repo / "other.py").write_text("x = 'staged by me'\n")
    git(repo, "add", "other.py")
    (repo / "other.py").write_text("x = 'and edited again'\n")
    (repo / "scratch.txt").write_bytes(b"untracked \x00 bytes\n")
    return repo, staged


def _user_work(repo: Path) -> tuple:
    return ((repo / "notes.txt").read_bytes(), (repo / "other.py").read_bytes(),
            (repo / "scratch.txt").read_bytes(), git(repo, "ls-files", "-s", "other.py", "notes.txt"))


@pytest.mark.parametrize("base", ["head", "worktree"])
def test_accept_interrupted_at_every_point_is_done_or_undone(tmp_path, base):
    template, staged = _template(tmp_path, base)
    faults = Faults(tmp_path / "faults")
    trial = tmp_path / "trial"
    shutil.copytree(template, trial)
    clean = run_in_session("accept", staged["id"], cwd=trial, env=faults.env())
    assert clean.code == 0, clean.stderr
    where_to = points(faults.calls())
    work = _user_work(template)
    head = rev(template, "HEAD")
    old_app, new_app = (template / "app.py").read_bytes(), (trial / "app.py").read_bytes()
    outcomes = {"done": 0, "undone": 0}
    for signal in ("KILL", "INT"):
        for at in where_to:
            shutil.rmtree(trial)
            shutil.copytree(template, trial)
            interrupted = run_in_session("accept", staged["id"], cwd=trial, env=faults.env(at, signal))
            assert "Traceback" not in interrupted.stderr
            rows = branch_rows(trial)  # the next command finishes or rolls back, and says which
            where = f"{signal} after git call {at}: {faults.calls()[-1]}"
            assert _user_work(trial) == work, where
            pending = staged["branch"] in rows
            if pending:  # undone: as if accept never ran
                outcomes["undone"] += 1
                assert rev(trial, "HEAD") == head and (trial / "app.py").read_bytes() == old_app, where
                again = run_surgeon("accept", staged["id"], cwd=trial)
                assert again.code == 0, (where, again.stderr)
            else:
                outcomes["done"] += 1
            assert (trial / "app.py").read_bytes() == new_app, where
            assert _user_work(trial) == work, where
            assert git(trial, "diff", "--cached", "--name-only", "--", "app.py") == "", where  # no staged revert
            assert rev(trial, staged["branch"]) is None and not (trial / ".git/surgeon/accept.json").exists()
    assert outcomes["done"] and outcomes["undone"], outcomes


def test_the_next_run_says_what_happened_to_a_killed_accept(tmp_path):
    template, staged = _template(tmp_path, "head")
    faults = Faults(tmp_path / "faults")
    probe = tmp_path / "probe"
    shutil.copytree(template, probe)
    run_in_session("accept", staged["id"], cwd=probe, env=faults.env())
    calls = faults.calls()
    moved = next(n for n, call in enumerate(calls, 1) if call.startswith("update-ref") and " HEAD " in call)
    for at, said in ((moved, "rolled back"), (moved + 1, "finished")):
        trial = tmp_path / f"trial-{at}"
        shutil.copytree(template, trial)
        run_in_session("accept", staged["id"], cwd=trial, env=faults.env(at, "KILL"))
        listed = run_surgeon("branches", cwd=trial)
        assert listed.code == 0 and f"{said} an interrupted `surgeon accept` of {staged['branch']}" in listed.stderr


# --- 4. two writers, or an editor, on one file -----------------------------------------------------


def test_two_in_place_applies_on_one_file_never_lose_a_change(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    first, second = tmp_path / "one.diff", tmp_path / "two.diff"
    first.write_text(A_PATCH)
    second.write_text("--- a/app.py\n+++ b/app.py\n@@ -6,3 +6,3 @@\n F = 6\n-G = 7\n+G = 70\n H = 8\n")
    env = hooks(tmp_path / "hooks", repo / "app.py", HOOK_MEET="1")
    runs = [subprocess.Popen([str(SURGEON), "apply", str(diff), "--in-place"], cwd=repo, env={**os.environ, **env},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for diff in (first, second)]
    codes = sorted(run.wait(timeout=300) for run in runs)
    errors = "".join(run.stderr.read().decode() for run in runs if run.stderr)
    text = (repo / "app.py").read_text()
    applied = [change for change in ("A = 10", "G = 70") if change in text]
    assert codes == [0, 1], (codes, errors)  # one writes, the other is refused, saying why
    assert len(applied) == 1 and "changed while the diff was being checked" in errors


def test_an_editor_save_while_apply_writes_is_not_overwritten(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    saved = APP + "# saved in my editor\n"
    env = hooks(tmp_path / "hooks", repo / "app.py", HOOK_EDITOR=saved)
    result = run_surgeon("apply", "-", "--in-place", cwd=repo, input=A_PATCH, env=env)
    assert result.code == 1 and "app.py changed" in result.stderr
    assert (repo / "app.py").read_text() == saved
    assert [p.name for p in repo.iterdir() if "surgeon-" in p.name] == []


# --- 5. nothing is written through a link or into .git ---------------------------------------------


def test_no_mode_writes_through_a_symlinked_folder(tmp_path):
    repo = make_repo(tmp_path / "r", {"real/x.txt": "a\n"})
    (repo / "link").symlink_to("real")
    git(repo, "add", "link")
    git(repo, "commit", "-qm", "link")
    diff = "--- a/link/x.txt\n+++ b/link/x.txt\n@@ -1 +1 @@\n-a\n+b\n"
    for mode in ("--dry-run", "--in-place", "--base=head"):
        result = run_surgeon("apply", "-", mode, "--json", cwd=repo, input=diff)
        assert result.code == 1, (mode, result.stdout)
        error = json.loads(result.stdout)["errors"][0]
        assert error["path"] == "link/x.txt" and "symbolic link" in error["reason"], mode
    assert (repo / "real/x.txt").read_text() == "a\n"
    assert git(repo, "branch", "--list", "surgeon/*") == ""


@pytest.mark.parametrize("folder", [".GIT", ".git.", ".Git ", "sub/.git"])
def test_in_place_never_writes_into_a_git_folder_spelling(tmp_path, folder):
    repo = make_repo(tmp_path / "r", FILES)
    diff = f"--- /dev/null\n+++ b/{folder}/hooks/pre-commit\n@@ -0,0 +1 @@\n+echo pwned\n"
    for mode in ("--dry-run", "--in-place", "--base=head"):
        result = run_surgeon("apply", "-", mode, "--json", cwd=repo, input=diff)
        assert result.code == 1, (mode, result.stdout)
        assert json.loads(result.stdout)["errors"][0]["path"], mode
    assert not (repo / folder).exists() and git(repo, "branch", "--list", "surgeon/*") == ""


@pytest.mark.parametrize("mode", ["120000", "160000"])
def test_a_link_or_submodule_mode_is_refused_the_same_way_in_every_mode(tmp_path, mode):
    repo = make_repo(tmp_path / "r", FILES)
    diff = f"diff --git a/newlink b/newlink\nnew file mode {mode}\n--- /dev/null\n+++ b/newlink\n@@ -0,0 +1 @@\n+app.py\n"
    for flag in ("--dry-run", "--in-place", "--base=head"):
        result = run_surgeon("apply", "-", flag, "--json", cwd=repo, input=diff)
        assert result.code == 1, (flag, result.stdout)
        assert json.loads(result.stdout)["errors"][0]["path"] == "newlink", flag
    assert not os.path.lexists(repo / "newlink") and git(repo, "branch", "--list", "surgeon/*") == ""


# --- 14. a staging refusal names its file ------------------------------------------------------------


def test_staging_refusals_name_the_file_in_json(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    (repo / "app.py").write_text(APP + "# wip\n")
    dirty = run_surgeon("apply", "-", "--json", cwd=repo, input=A_PATCH)
    assert dirty.code == 1
    assert [e["path"] for e in json.loads(dirty.stdout)["errors"]] == ["app.py"]


# --- 16. hook uninstall keeps what the user added -------------------------------------------------


def test_hook_uninstall_refuses_to_delete_lines_the_user_added(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    installed = run_surgeon("hook", "install", "--json", cwd=repo)
    hook = Path(json.loads(installed.stdout)["hook"])
    edited = hook.read_text().replace("hook_dir=", "./scripts/lint.sh || exit 1\nhook_dir=")
    hook.write_text(edited)
    for command in ("uninstall", "install"):
        refused = run_surgeon("hook", command, cwd=repo)
        assert refused.code == 1, refused.stderr
        assert "./scripts/lint.sh || exit 1" in refused.stderr and f"rm {hook}" in refused.stderr
        assert hook.read_text() == edited
    hook.unlink()
    assert run_surgeon("hook", "uninstall", cwd=repo).code == 0


# --- 17. a killed staging never leaves an unverified branch, nor its temporary folder ---------------


def test_apply_killed_at_every_point_leaves_no_unverified_branch(tmp_path):
    template = make_repo(tmp_path / "template", FILES)
    faults = Faults(tmp_path / "faults")
    temp = tmp_path / "tmp"
    temp.mkdir()
    trial = tmp_path / "trial"
    shutil.copytree(template, trial)
    assert run_in_session("apply", "-", cwd=trial, env=faults.env(), input=A_PATCH.encode()).code == 0
    for at in points(faults.calls()):
        shutil.rmtree(trial)
        shutil.copytree(template, trial)
        env = {**faults.env(at, "KILL"), "TMPDIR": str(temp)}
        run_in_session("apply", "-", cwd=trial, env=env, input=A_PATCH.encode())
        rows = branch_rows(trial, lambda *a, **k: run_surgeon(*a, **k, env={"TMPDIR": str(temp)}))
        assert all(row["state"] == "verified" for row in rows.values()), (at, rows)
        assert [p.name for p in temp.iterdir() if p.name.startswith("surgeon-stage-")] == [], at


def test_an_unverified_branch_is_told_apart_and_kept(tmp_path):
    repo = make_repo(tmp_path / "r", FILES)
    (repo / "app.py").write_text(NEW_APP)
    git(repo, "add", "app.py")
    tree = git(repo, "write-tree").strip()
    git(repo, "reset", "-q", "--hard")
    message = "lower A\n\nSurgeon-Instruction: lower A\n"
    commit = git(repo, "commit-tree", tree, "-p", "HEAD", input=message).strip()
    git(repo, "update-ref", "refs/heads/surgeon/lower-a-abc123", commit)  # as a staging killed mid-check left it
    (row,) = branch_rows(repo).values()
    assert row["state"] == "unverified"
    assert "never verified" in run_surgeon("branches", cwd=repo).stdout
    assert "surgeon never verified it" in run_surgeon("show", "abc123", cwd=repo).stdout
    for command in ("accept", "discard"):
        refused = run_surgeon(command, "abc123", cwd=repo)
        assert refused.code == 1 and "git branch -D surgeon/lower-a-abc123" in refused.stderr, command
    assert rev(repo, "surgeon/lower-a-abc123") == commit and (repo / "app.py").read_text() == APP
