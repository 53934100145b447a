"""Staging in repositories whose files git converts (core.autocrlf, .gitattributes eol, clean/smudge
filters): the commit holds what `git add` would store, accept writes what `git checkout` would."""

from __future__ import annotations

import dataclasses
import json
import shlex
import subprocess
import sys

import pytest

from surgeon.errors import Refused
from surgeon.gate import run_gate
from surgeon.git import Git, find_repo
from surgeon.git.conversions import Conversion, conversion_for
from surgeon.stage import stage_diff
from surgeon.validate import check_patch
from tests.helpers import git, make_repo, repo_state, run_surgeon
from tests.stage.support import patch_result, surgeon_branches

APP = "def f():\n    return 1\n\n\nNAME = 'app'\n"
FIX = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def f():\n-    return 1\n+    return 2\n"
APP_FIXED = APP.replace("return 1", "return 2")


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


def read_blob(repo, spec: str) -> bytes:
    return subprocess.run(["git", "cat-file", "blob", spec], cwd=repo, capture_output=True, check=True).stdout


def reader(repo):
    def read(path: str) -> bytes | None:
        target = repo / path
        return target.read_bytes() if target.is_file() else None

    return read


def engine(repo, diff: str):
    result = check_patch(diff, reader(repo))
    assert result.ok, result.refusals
    return result


def check_out_again(repo, *paths: str) -> None:
    """What the reviewer did: let git write the files anew under the repository's new settings."""
    for path in paths:
        (repo / path).unlink()
    git(repo, "checkout", "--", *paths)


def git_add_blob(repo, path: str, data: bytes) -> str:
    """The oracle: the blob git itself stores for these working-tree bytes (changes the repo)."""
    (repo / path).write_bytes(data)
    git(repo, "add", "--", path)
    return git(repo, "rev-parse", f":{path}").strip()


@pytest.fixture
def autocrlf_repo(tmp_path):
    repo = make_repo(tmp_path / "repo", {"app.py": APP, "other.txt": "untouched\n"})
    git(repo, "config", "core.autocrlf", "true")
    check_out_again(repo, "app.py", "other.txt")
    assert (repo / "app.py").read_bytes() == crlf(APP)
    assert git(repo, "status", "--porcelain") == ""
    return repo


# --- the conversion git picks (pure) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "autocrlf", "expected"),
    [
        ({}, "false", Conversion("none", False)),
        ({}, "true", Conversion("auto", False)),
        ({}, "input", Conversion("auto", False)),
        ({"text": "set"}, "false", Conversion("text", False)),
        ({"text": "unset"}, "true", Conversion("none", False)),
        ({"text": "auto"}, "false", Conversion("auto", False)),
        ({"text": "auto", "eol": "crlf"}, "false", Conversion("auto", False)),
        ({"eol": "crlf"}, "false", Conversion("text", False)),
        ({"text": "unset", "eol": "crlf"}, "false", Conversion("none", False)),
        ({"crlf": "input"}, "false", Conversion("text", False)),
        ({"crlf": "unset"}, "true", Conversion("none", False)),
        ({"filter": "lfs"}, "false", Conversion("none", True)),
        ({"ident": "set"}, "false", Conversion("none", True)),
        ({"working-tree-encoding": "UTF-16"}, "false", Conversion("none", True)),
        ({"filter": "unset", "ident": "unspecified"}, "false", Conversion("none", False)),
    ],
)
def test_conversion_follows_gits_rules(attributes, autocrlf, expected):
    assert conversion_for(attributes, autocrlf) == expected


def test_conversions_read_config_and_attributes(tmp_path):
    repo = make_repo(tmp_path / "repo", {".gitattributes": "*.txt text eol=crlf\n*.bin -text\n", "a.txt": "x\n"})
    git_ = Git(repo)
    assert git_.conversions(["a.txt", "b.bin", "c.py"]) == {
        "a.txt": Conversion("text"), "b.bin": Conversion("none"), "c.py": Conversion("none"),
    }
    git(repo, "config", "core.autocrlf", "input")
    assert git_.conversions(["c.py"]) == {"c.py": Conversion("auto")}


# --- core.autocrlf=true ---------------------------------------------------------------------------


def test_autocrlf_stages_the_clean_form_and_leaves_the_repo_alone(autocrlf_repo):
    repo = autocrlf_repo
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), engine(repo, FIX), instruction="return 2")
    assert repo_state(repo) == before
    assert (repo / "app.py").read_bytes() == crlf(APP)
    assert staged.files == ("app.py",) and (staged.lines_added, staged.lines_removed) == (1, 1)
    assert read_blob(repo, f"{staged.commit}:app.py") == APP_FIXED.encode()
    assert git(repo, "diff", "--name-only", "HEAD", staged.commit).split() == ["app.py"]
    assert git_add_blob(repo, "app.py", crlf(APP_FIXED)) == git(repo, "rev-parse", f"{staged.commit}:app.py").strip()


def test_autocrlf_apply_and_accept_through_the_cli(autocrlf_repo, tmp_path):
    repo = autocrlf_repo
    patch = tmp_path / "fix.patch"
    patch.write_text(FIX)
    before = repo_state(repo)
    applied = run_surgeon("apply", str(patch), "--json", cwd=repo)
    assert applied.code == 0, applied.stderr
    assert repo_state(repo) == before
    staged = json.loads(applied.stdout)
    assert read_blob(repo, f"{staged['commit']}:app.py") == APP_FIXED.encode()

    accepted = run_surgeon("accept", staged["id"], cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert (repo / "app.py").read_bytes() == crlf(APP_FIXED)  # smudged, as git checks it out
    assert git(repo, "rev-parse", "HEAD").strip() == staged["commit"]
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_autocrlf_base_worktree_snapshot_and_accept_onto_the_working_tree(autocrlf_repo):
    repo = autocrlf_repo
    (repo / "app.py").write_bytes(crlf(APP.replace("'app'", "'mine'")))
    result = engine(repo, FIX)
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), result, instruction="return 2", base="worktree")
    assert repo_state(repo) == before
    assert staged.snapshot is not None
    assert read_blob(repo, f"{staged.snapshot}:app.py") == APP.replace("'app'", "'mine'").encode()
    assert read_blob(repo, f"{staged.commit}:app.py") == APP_FIXED.replace("'app'", "'mine'").encode()

    accepted = run_surgeon("accept", staged.id, "--json", cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert json.loads(accepted.stdout)["how"] == "working-tree"
    assert (repo / "app.py").read_bytes() == crlf(APP_FIXED.replace("'app'", "'mine'"))
    assert git(repo, "rev-parse", "HEAD").strip() == before.head


def test_autocrlf_keeps_a_file_committed_with_crlf_as_git_add_does(tmp_path):
    # git's "safer autocrlf": a file whose indexed blob already has CRs is not converted.
    repo = make_repo(tmp_path / "repo", {"app.py": crlf(APP)})
    git(repo, "config", "core.autocrlf", "true")
    check_out_again(repo, "app.py")
    staged = stage_diff(find_repo(repo), engine(repo, FIX), instruction="return 2")
    assert read_blob(repo, f"{staged.commit}:app.py") == crlf(APP_FIXED)
    assert git_add_blob(repo, "app.py", crlf(APP_FIXED)) == git(repo, "rev-parse", f"{staged.commit}:app.py").strip()


def test_autocrlf_new_file_is_stored_with_lf(autocrlf_repo):
    repo = autocrlf_repo
    diff = "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+A = 1\r\n+B = 2\r\n"
    staged = stage_diff(find_repo(repo), engine(repo, diff), instruction="add new.py")
    assert read_blob(repo, f"{staged.commit}:new.py") == b"A = 1\nB = 2\n"


def test_autocrlf_change_that_only_touches_line_endings_stages_nothing(autocrlf_repo):
    repo = autocrlf_repo
    # (written out: the helpers' text-mode git output would turn the CRLFs into LFs)
    eol_diff = "--- a/other.txt\n+++ b/other.txt\n@@ -1 +1 @@\n-untouched\r\n+untouched\n"
    eol_only = patch_result(repo, {"other.txt": b"untouched\n"}, normalised=eol_diff)
    before = repo_state(repo)
    with pytest.raises(Refused, match="changes nothing once git's clean filters"):
        stage_diff(find_repo(repo), eol_only, instruction="eol")
    assert surgeon_branches(repo) == [] and repo_state(repo) == before

    fix_crlf = engine(repo, FIX).normalised
    both = patch_result(repo, {"other.txt": b"untouched\n", "app.py": crlf(APP_FIXED)}, normalised=fix_crlf + eol_diff)
    staged = stage_diff(find_repo(repo), both, instruction="eol and a fix")
    assert staged.files == ("app.py",) and (staged.lines_added, staged.lines_removed) == (1, 1)
    assert git(repo, "diff", "--name-only", "HEAD", staged.commit).split() == ["app.py"]


def test_autocrlf_content_changed_meanwhile_is_still_refused(autocrlf_repo):
    repo = autocrlf_repo
    result = engine(repo, FIX)
    wrong = dataclasses.replace(result.changes[0], old_content=crlf(APP.replace("'app'", "'other'")))
    with pytest.raises(Refused, match="app.py: the content in HEAD differs"):
        stage_diff(find_repo(repo), dataclasses.replace(result, changes=(wrong,)), instruction="x")
    assert surgeon_branches(repo) == []


def test_autocrlf_disagreeing_normalised_diff_is_caught_by_the_independent_check(autocrlf_repo):
    repo = autocrlf_repo
    result = engine(repo, FIX)
    other = engine(repo, FIX.replace("return 2", "return 3"))
    with pytest.raises(Refused, match="staging check failed"):
        stage_diff(find_repo(repo), dataclasses.replace(result, normalised=other.normalised), instruction="x")
    assert surgeon_branches(repo) == []


# --- .gitattributes -------------------------------------------------------------------------------


def test_gitattributes_text_eol_crlf(tmp_path):
    files = {".gitattributes": "*.txt text eol=crlf\n", "notes.txt": "one\ntwo\nthree\n", "app.py": APP}
    repo = make_repo(tmp_path / "repo", files)
    check_out_again(repo, "notes.txt")
    assert (repo / "notes.txt").read_bytes() == b"one\r\ntwo\r\nthree\r\n"
    diff = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+TWO\n three\n" + FIX
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), engine(repo, diff), instruction="shout")
    assert repo_state(repo) == before
    assert read_blob(repo, f"{staged.commit}:notes.txt") == b"one\nTWO\nthree\n"
    assert read_blob(repo, f"{staged.commit}:app.py") == APP_FIXED.encode()  # no attribute: as is

    accepted = run_surgeon("accept", staged.id, cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert (repo / "notes.txt").read_bytes() == b"one\r\nTWO\r\nthree\r\n"
    assert (repo / "app.py").read_bytes() == APP_FIXED.encode()
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_clean_and_smudge_filter_driver(tmp_path):
    # The repository stores upper case, the working tree holds lower case.
    repo = make_repo(tmp_path / "repo", {".gitattributes": "*.cfg filter=case\n", "site.cfg": "LISTEN 80\nNAME A\n"})
    git(repo, "config", "filter.case.clean", "tr a-z A-Z")
    git(repo, "config", "filter.case.smudge", "tr A-Z a-z")
    check_out_again(repo, "site.cfg")
    assert (repo / "site.cfg").read_bytes() == b"listen 80\nname a\n"
    diff = "--- a/site.cfg\n+++ b/site.cfg\n@@ -1,2 +1,2 @@\n-listen 80\n+listen 8080\n name a\n"
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), engine(repo, diff), instruction="port", base="head")
    assert repo_state(repo) == before
    assert read_blob(repo, f"{staged.commit}:site.cfg") == b"LISTEN 8080\nNAME A\n"
    accepted = run_surgeon("accept", staged.id, cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert (repo / "site.cfg").read_bytes() == b"listen 8080\nname a\n"


# --- no conversion: byte for byte, as before ------------------------------------------------------


def test_crlf_file_without_any_filter_keeps_its_bytes_and_never_asks_git_to_clean(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {"app.py": crlf(APP), "lf.py": APP})

    def no_cleaning(*args, **kwargs):
        raise AssertionError("a file without filters went through git's clean step")

    monkeypatch.setattr(Git, "clean_blob", no_cleaning)
    diff = FIX.replace("\n", "\r\n").replace("--- a/app.py\r\n+++ b/app.py\r\n@@ -1,2 +1,2 @@\r\n",
                                             "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n")
    result = engine(repo, diff + FIX.replace("app.py", "lf.py"))
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), result, instruction="return 2")
    assert repo_state(repo) == before
    assert read_blob(repo, f"{staged.commit}:app.py") == crlf(APP_FIXED)
    assert read_blob(repo, f"{staged.commit}:lf.py") == APP_FIXED.encode()

    accepted = run_surgeon("accept", staged.id, cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert (repo / "app.py").read_bytes() == crlf(APP_FIXED)
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_gate_sees_the_files_as_git_checks_them_out(autocrlf_repo):
    repo = autocrlf_repo
    staged = stage_diff(find_repo(repo), engine(repo, FIX), instruction="return 2")
    script = f"import sys; sys.exit(0 if open('app.py', 'rb').read() == {crlf(APP_FIXED)!r} else 1)"
    probe = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}"
    result = run_gate(find_repo(repo), staged, probe, timeout=60)
    assert result.passed, result.output_tail
