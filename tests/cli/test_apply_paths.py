"""The path rules through the console script: `apply --dry-run`, staging and `apply --in-place`
give the same verdict on every path (they all ask the diff engine), and `edit` refuses the same
way. A refused path writes nothing and stages nothing; a normalised one lands under its clean name."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.cli.support import assert_no_traceback
from tests.helpers import git, make_repo, repo_state, run_surgeon

FILES = {"sub/x.txt": "a\nb\nc\n", "app.py": "q\n", "tail.txt": "one\ntwo\n\nthree"}
MODES = ("--dry-run", "--base=head", "--in-place")


def modify(path: str) -> str:
    return f"--- a/{path}\n+++ b/{path}\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"


def create(path: str) -> str:
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+echo hi\n"


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "r", FILES)


def verdicts(repo, diff: str) -> list[tuple[int, str, list]]:
    """(exit code, status, errors) of each way of applying `diff`; checks nothing was left behind
    by a refusal."""
    out = []
    for mode in MODES:
        before = repo_state(repo)
        run = run_surgeon("apply", "-", mode, "--json", cwd=repo, input=diff)
        assert_no_traceback(run)
        payload = json.loads(run.stdout)
        if run.code != 0:
            assert repo_state(repo) == before and git(repo, "branch", "--list", "surgeon/*") == "", mode
        out.append((run.code, payload["status"], payload.get("errors", [])))
    return out


def assert_refused_alike(repo, diff: str, words: str) -> dict:
    results = verdicts(repo, diff)
    assert [code for code, _, _ in results] == [1, 1, 1], results
    errors = [errs for _, _, errs in results]
    assert errors[0] == errors[1] == errors[2], errors  # the same words from every mode
    [error] = errors[0]
    assert words in error["reason"], error
    return error


GIT_SPELLINGS = [".git/config", ".GIT/config", ".Git/hooks/pre-commit", ".git./config", ".git /config", "sub/.git/config"]


@pytest.mark.parametrize("path", GIT_SPELLINGS)
def test_gits_folder_under_any_spelling_is_refused_by_every_mode(repo, path):
    for diff in (modify(path), create(path)):
        error = assert_refused_alike(repo, diff, "git's own files")
        assert error["path"] == path
    assert not (repo / ".GIT").exists() and not (repo / ".git." ).exists()
    assert "echo hi" not in (repo / ".git/config").read_text()


@pytest.mark.parametrize("written", ["./sub/./x.txt", "sub//x.txt", "sub/./x.txt"])
def test_a_non_canonical_path_is_normalised_alike_by_every_mode(repo, written):
    diff = modify(written)
    dry = run_surgeon("apply", "-", "--dry-run", "--json", cwd=repo, input=diff)
    staged = run_surgeon("apply", "-", "--json", cwd=repo, input=diff)
    assert dry.code == 0 and staged.code == 0, dry.stdout + staged.stdout
    for run in (dry, staged):
        payload = json.loads(run.stdout)
        assert payload["files"] == ["sub/x.txt"]
        assert any(f"path {written} written as sub/x.txt" in r for r in payload["repairs"]), payload["repairs"]
    branch = json.loads(staged.stdout)["branch"]
    assert git(repo, "show", f"{branch}:sub/x.txt") == "a\nB\nc\n"
    assert git(repo, "diff", "--name-only", f"HEAD..{branch}").split() == ["sub/x.txt"]
    in_place = run_surgeon("apply", "-", "--in-place", "--json", cwd=repo, input=diff)
    assert in_place.code == 0 and json.loads(in_place.stdout)["files"] == ["sub/x.txt"]
    assert (repo / "sub/x.txt").read_text() == "a\nB\nc\n"


def test_a_trailing_slash_is_refused_by_every_mode(repo):
    assert_refused_alike(repo, modify("sub/x.txt/"), "names a folder")


@pytest.mark.parametrize(("mode", "kind"), [("120000", "symbolic link"), ("160000", "submodule")])
def test_symlink_and_submodule_modes_are_refused_by_every_mode(repo, mode, kind):
    new = (f"diff --git a/link b/link\nnew file mode {mode}\nindex 0000000..1111111\n--- /dev/null\n+++ b/link\n"
           "@@ -0,0 +1 @@\n+app.py\n\\ No newline at end of file\n")
    changed = f"diff --git a/app.py b/app.py\nold mode 100644\nnew mode {mode}\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-q\n+sub\n"
    for diff in (new, changed):
        error = assert_refused_alike(repo, diff, kind)
        assert "regular files only" in error["reason"]
    assert not (repo / "link").exists() and not (repo / "app.py").is_symlink()


def test_a_name_over_255_bytes_is_refused_by_every_mode(repo):
    name = "y" * 300 + ".txt"
    for diff in (modify(name), create(name), modify(f"sub/{name}")):
        error = assert_refused_alike(repo, diff, "at most 255 bytes per name")
        assert "304 bytes long" in error["reason"]


def test_a_quoted_name_that_is_not_utf8_is_refused_by_every_mode(repo):
    diff = ('diff --git "a/caf\\351.txt" "b/caf\\351.txt"\nnew file mode 100644\n--- /dev/null\n'
            '+++ "b/caf\\351.txt"\n@@ -0,0 +1 @@\n+x\n')
    error = assert_refused_alike(repo, diff, "not UTF-8")
    assert error["path"] == "caf\\xe9.txt"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "app.py", "sub", "tail.txt"]


def test_dev_null_on_both_sides_is_refused_by_every_mode(repo):
    assert_refused_alike(repo, "--- /dev/null\n+++ /dev/null\n@@ -1 +1 @@\n-q\n+r\n", "name /dev/null")


def test_deleting_the_last_lines_of_a_file_without_a_final_newline(repo):
    """Once an IndexError in the normalised diff (the hunk removes the last line after a blank one;
    no marker): every mode succeeds, and they agree on the bytes."""
    for diff, left in (("--- a/tail.txt\n+++ b/tail.txt\n@@ -2,3 +2,1 @@\n two\n-\n-three\n", b"one\ntwo"),
                       ("--- a/tail.txt\n+++ b/tail.txt\n@@ -2,3 +2,2 @@\n two\n \n-three\n", None)):
        staged = run_surgeon("apply", "-", "--json", cwd=repo, input=diff)
        in_place = run_surgeon("apply", "-", "--in-place", "--json", cwd=repo, input=diff)
        for run in (staged, in_place):
            assert_no_traceback(run)
            assert run.code == 0, run.stdout + run.stderr
        written = (repo / "tail.txt").read_bytes()
        assert written == (left if left is not None else written)
        blob = subprocess.run(["git", "show", f"{json.loads(staged.stdout)['branch']}:tail.txt"], cwd=repo,
                              capture_output=True, check=True).stdout
        assert blob == written
        git(repo, "checkout", "--", "tail.txt")


def test_an_unclosed_fence_is_refused_as_truncated_by_every_mode(repo):
    reply = "Here you go:\n\n```diff\n" + modify("sub/x.txt")
    assert_refused_alike(repo, reply, "the diff is truncated")
    closed = run_surgeon("apply", "-", "--dry-run", "--json", cwd=repo, input=reply + "```\n")
    assert closed.code == 0, closed.stdout


def test_edit_refuses_the_same_paths_with_the_same_words(repo, fake_model):
    """The model's diff goes through the same engine: each bad path is refused with its reason,
    sent back to the model, and the corrected diff is staged."""
    bad = [create(".GIT/hooks/pre-commit"), "--- /dev/null\n+++ /dev/null\n@@ -1 +1 @@\n-q\n+r\n",
           modify("sub/" + "y" * 300)]
    good = modify("./sub/./x.txt")
    fake_model.script([f"```diff\n{diff}```\n" for diff in [*bad, good]])
    run = run_surgeon("edit", "change b to B in sub/x.txt", "--files", "sub/x.txt", "--allow-any-file",
                      "--max-attempts", "4", "--json", cwd=repo, env=fake_model.env())
    assert_no_traceback(run)
    assert run.code == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    reasons = [a["errors"][0]["reason"] for a in out["attempts"][:3]]
    assert "git's own files" in reasons[0] and "name /dev/null" in reasons[1] and "at most 255" in reasons[2]
    assert out["attempts"][3]["status"] == "staged" and out["files"] == ["sub/x.txt"]
    assert git(repo, "show", f"{out['branch']}:sub/x.txt") == "a\nB\nc\n"


def test_edit_refuses_a_reply_whose_fence_never_closes(repo, fake_model):
    """A reply that stopped inside its ```diff block (whatever the stop reason says) is truncated."""
    cut = "Here is the change:\n\n```diff\n--- a/sub/x.txt\n+++ b/sub/x.txt\n@@ -1,3 +1,3 @@\n a\n-b\n"
    fake_model.script([cut, f"```diff\n{modify('sub/x.txt')}```\n"])
    run = run_surgeon("edit", "change b to B in sub/x.txt", "--files", "sub/x.txt", "--json", cwd=repo,
                      env=fake_model.env())
    assert run.code == 0, run.stdout + run.stderr
    first, second = json.loads(run.stdout)["attempts"]
    assert first["status"] == "refused" and "the diff is truncated" in first["errors"][0]["reason"]
    assert second["status"] == "staged"
    assert "the diff is truncated" in fake_model.requests[1].text()
