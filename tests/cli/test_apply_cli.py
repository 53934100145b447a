"""`surgeon apply` as a user runs it, on real git repositories in temporary folders."""

from __future__ import annotations

import json
import os
import stat

from tests.helpers import git, make_repo, repo_state, run_surgeon

APP = "import os\n\n\ndef total(values):\n    result = 0\n    for value in values:\n        result += value\n    return result\n"
DIFF = """\
--- a/app.py
+++ b/app.py
@@ -50,4 +50,4 @@
     result = 0
     for value in values:
-        result += value
+        result += int(value)
     return result
"""
NEW_APP = APP.replace("result += value", "result += int(value)")


def repo_with_app(tmp_path, extra=None):
    repo = make_repo(tmp_path / "repo", {"app.py": APP, "run.sh": "echo hi\n", **(extra or {})})
    os.chmod(repo / "run.sh", 0o755)
    git(repo, "add", "run.sh")
    git(repo, "commit", "-q", "-m", "exec")
    (repo / "change.diff").write_text(DIFF)
    return repo


def test_in_place_json(tmp_path):
    repo = repo_with_app(tmp_path)
    result = run_surgeon("apply", "change.diff", "--in-place", "--json", cwd=repo)
    assert result.code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "applied"
    assert payload["files"] == ["app.py"]
    assert payload["repairs"] == ["hunk 1 of app.py: line numbers corrected from 50 to 5"]
    assert (payload["lines_added"], payload["lines_removed"]) == (1, 1)
    assert payload["diff"].startswith("diff --git a/app.py b/app.py\n")
    assert (repo / "app.py").read_text() == NEW_APP
    assert git(repo, "status", "--porcelain", "--untracked-files=no").split() == ["M", "app.py"]


def test_in_place_human_output(tmp_path):
    repo = repo_with_app(tmp_path)
    result = run_surgeon("apply", "change.diff", "--in-place", cwd=repo)
    assert result.code == 0, result.stderr
    assert "+        result += int(value)" in result.stdout
    assert "line numbers corrected from 50 to 5" in result.stdout
    assert "applied to the working tree: app.py (+1 -1)" in result.stdout


def test_dry_run_writes_nothing(tmp_path):
    repo = repo_with_app(tmp_path)
    before = repo_state(repo)
    result = run_surgeon("apply", "change.diff", "--dry-run", "--json", cwd=repo)
    assert result.code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "valid"
    assert set(payload) >= {"status", "files", "repairs", "lines_added", "lines_removed", "diff"}
    assert "@@ -4,5 +4,5 @@" in payload["diff"]
    assert repo_state(repo) == before
    assert (repo / "app.py").read_text() == APP


def test_refused_json_shape_and_nothing_written(tmp_path):
    repo = repo_with_app(tmp_path)
    (repo / "bad.diff").write_text(DIFF.replace("-        result += value", "-        result -= value"))
    before = repo_state(repo)
    result = run_surgeon("apply", "bad.diff", "--in-place", "--json", cwd=repo)
    assert result.code == 1
    payload = json.loads(result.stdout)
    assert list(payload) == ["status", "errors"]
    assert payload["status"] == "refused"
    [error] = payload["errors"]
    assert list(error) == ["path", "hunk", "line", "reason"]
    assert (error["path"], error["hunk"], error["line"]) == ("app.py", 1, 50)
    assert "the diff removes `result -= value` where line 7 of the file is `result += value`" in error["reason"]
    assert repo_state(repo) == before


def test_refused_human_output(tmp_path):
    repo = repo_with_app(tmp_path)
    (repo / "bad.diff").write_text(DIFF.replace("app.py", "missing.py"))
    result = run_surgeon("apply", "bad.diff", "--dry-run", cwd=repo)
    assert result.code == 1
    assert "refused: 1 problem" in result.stdout
    assert "missing.py: the diff changes this file, but it does not exist" in result.stdout
    assert "Traceback" not in result.stderr


def test_patch_from_stdin_inside_a_model_reply(tmp_path):
    repo = repo_with_app(tmp_path)
    reply = f"Sure! Here is the diff:\n\n```diff\n{DIFF}```\n\nThat converts each value.\n"
    result = run_surgeon("apply", "-", "--in-place", "--json", cwd=repo, input=reply)
    assert result.code == 0, result.stderr
    assert (repo / "app.py").read_text() == NEW_APP


def test_all_files_or_none(tmp_path):
    repo = repo_with_app(tmp_path, {"other.txt": "one\ntwo\n"})
    second = "--- a/other.txt\n+++ b/other.txt\n@@ -1,2 +1,2 @@\n one\n-three\n+four\n"
    (repo / "two.diff").write_text(DIFF + second)
    before = repo_state(repo)
    result = run_surgeon("apply", "two.diff", "--in-place", "--json", cwd=repo)
    assert result.code == 1
    assert [e["path"] for e in json.loads(result.stdout)["errors"]] == ["other.txt"]
    assert repo_state(repo) == before


def test_new_deleted_renamed_and_mode_preserved(tmp_path):
    repo = repo_with_app(tmp_path, {"old.txt": "bye\n", "move.txt": "m\n"})
    diff = (
        "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1 @@\n+x = 1\n"
        "diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n"
        "diff --git a/move.txt b/moved.txt\nrename from move.txt\nrename to moved.txt\n"
        "--- a/run.sh\n+++ b/run.sh\n@@ -1 +1 @@\n-echo hi\n+echo hello\n"
    )
    (repo / "multi.diff").write_text(diff)
    result = run_surgeon("apply", "multi.diff", "--in-place", "--json", cwd=repo)
    assert result.code == 0, result.stdout + result.stderr
    assert (repo / "pkg/new.py").read_text() == "x = 1\n"
    assert not (repo / "old.txt").exists()
    assert not (repo / "move.txt").exists() and (repo / "moved.txt").read_text() == "m\n"
    assert (repo / "run.sh").read_text() == "echo hello\n"
    assert os.stat(repo / "run.sh").st_mode & stat.S_IXUSR
    statuses = {c["path"]: c["status"] for c in json.loads(result.stdout)["changes"]}
    assert statuses == {"pkg/new.py": "added", "old.txt": "deleted", "moved.txt": "renamed", "run.sh": "modified"}
    assert not [p for p in os.listdir(repo) if p.startswith(".surgeon")]


def test_mode_change_is_written(tmp_path):
    repo = repo_with_app(tmp_path)
    (repo / "mode.diff").write_text("diff --git a/app.py b/app.py\nold mode 100644\nnew mode 100755\n")
    result = run_surgeon("apply", "mode.diff", "--in-place", cwd=repo)
    assert result.code == 0, result.stdout + result.stderr
    assert os.stat(repo / "app.py").st_mode & stat.S_IXUSR


def test_path_outside_the_repository_is_refused(tmp_path):
    repo = repo_with_app(tmp_path)
    (repo / "escape.diff").write_text("--- /dev/null\n+++ b/../evil.txt\n@@ -0,0 +1 @@\n+x\n")
    result = run_surgeon("apply", "escape.diff", "--in-place", "--json", cwd=repo)
    assert result.code == 1
    assert "outside the repository" in result.stdout
    assert not (tmp_path / "evil.txt").exists()


def test_symlink_out_of_the_repository_is_refused(tmp_path):
    repo = repo_with_app(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (repo / "link.txt").symlink_to(outside)
    (repo / "link.diff").write_text("--- a/link.txt\n+++ b/link.txt\n@@ -1 +1 @@\n-secret\n+changed\n")
    result = run_surgeon("apply", "link.diff", "--in-place", "--json", cwd=repo)
    assert result.code == 1
    assert "symbolic link" in result.stdout
    assert outside.read_text() == "secret\n"


def test_allow_rewrite_and_max_changed_lines(tmp_path):
    big = "".join(f"line {n}\n" for n in range(30))
    repo = repo_with_app(tmp_path, {"big.txt": big})
    rewrite = "--- a/big.txt\n+++ b/big.txt\n@@ -1,30 +1,1 @@\n" + "".join(f"-line {n}\n" for n in range(30)) + "+all gone\n"
    (repo / "rewrite.diff").write_text(rewrite)
    refused = run_surgeon("apply", "rewrite.diff", "--dry-run", "--json", cwd=repo)
    assert refused.code == 1 and "whole-file rewrite" in refused.stdout
    allowed = run_surgeon("apply", "rewrite.diff", "--dry-run", "--allow-rewrite", "--json", cwd=repo)
    assert allowed.code == 0, allowed.stdout
    limited = run_surgeon("apply", "change.diff", "--dry-run", "--max-changed-lines", "1", "--json", cwd=repo)
    assert limited.code == 1 and "max_changed_lines = 1" in limited.stdout


def test_max_changed_lines_from_config(tmp_path):
    repo = repo_with_app(tmp_path, {".surgeon.toml": "max_changed_lines = 1\n"})
    result = run_surgeon("apply", "change.diff", "--dry-run", "--json", cwd=repo)
    assert result.code == 1 and "max_changed_lines = 1" in result.stdout


def test_usage_errors(tmp_path):
    repo = repo_with_app(tmp_path)
    both = run_surgeon("apply", "change.diff", "--in-place", "--dry-run", cwd=repo)
    assert both.code == 2
    missing = run_surgeon("apply", "nope.diff", "--dry-run", cwd=repo)
    assert missing.code == 2 and "no such patch file" in missing.stderr
    for run in (both, missing):
        assert "Traceback" not in run.stderr


def test_empty_and_garbage_patches_are_refused_cleanly(tmp_path):
    repo = repo_with_app(tmp_path)
    for text in ("", "this is not a diff\n", "@@ -1 +1 @@\n-a\n+b\n"):
        result = run_surgeon("apply", "-", "--dry-run", "--json", cwd=repo, input=text)
        assert result.code == 1, (text, result.stdout, result.stderr)
        assert json.loads(result.stdout)["status"] == "refused"
        assert "Traceback" not in result.stderr


def test_outside_a_git_repository(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    (folder / "change.diff").write_text(DIFF)
    result = run_surgeon("apply", "change.diff", "--in-place", cwd=folder)
    assert result.code == 2
    assert "not inside a git repository" in result.stderr
    assert (folder / "app.py").read_text() == APP


def test_repo_option_and_crlf_file(tmp_path):
    repo = make_repo(tmp_path / "repo", {"win.txt": "a\r\nb\r\nc\r\n"})
    patch = tmp_path / "win.diff"
    patch.write_text("--- a/win.txt\n+++ b/win.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n")
    result = run_surgeon("apply", str(patch), "--repo", str(repo), "--in-place", cwd=tmp_path)
    assert result.code == 0, result.stdout + result.stderr
    assert (repo / "win.txt").read_bytes() == b"a\r\nB\r\nc\r\n"


def test_dev_null_on_both_sides_is_a_clear_refusal(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": "x = 1\n"})
    result = run_surgeon("apply", "-", "--dry-run", "--json", cwd=repo, input="--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n")
    assert result.code == 1 and "Traceback" not in result.stderr
    [error] = json.loads(result.stdout)["errors"]
    assert "name /dev/null" in error["reason"]
