"""The normalised diff: git's format, exact numbers, three lines of context; `git apply` of it to
the original gives exactly the bytes the engine computed."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from surgeon.diff import PatchResult
from surgeon.validate import check_patch
from tests.helpers import git, make_repo

TWENTY = "".join(f"line {n}\n" for n in range(1, 21))


def apply_with_git(repo: Path, result: PatchResult) -> None:
    patch = repo.parent / "normalised.patch"
    patch.write_bytes(result.normalised.encode())
    outcome = subprocess.run(["git", "apply", "--whitespace=nowarn", str(patch)], cwd=repo, capture_output=True, text=True)
    assert outcome.returncode == 0, outcome.stderr + result.normalised


def check_round_trip(tmp_path: Path, files: dict[str, bytes], diff: str) -> PatchResult:
    repo = make_repo(tmp_path / "repo", files)
    result = check_patch(diff, files.get)
    assert result.ok, [str(r) for r in result.refusals]
    apply_with_git(repo, result)
    for change in result.changes:
        target = repo / change.path
        if change.new_content is None:
            assert not target.exists()
        else:
            assert target.read_bytes() == change.new_content
        if change.old_path:
            assert not (repo / change.old_path).exists()
    return result


def test_exact_numbers_and_three_lines_of_context(tmp_path):
    diff = "--- f.txt\n+++ f.txt\n@@ @@\n line 10\n-line 11\n+LINE 11\n"
    result = check_round_trip(tmp_path, {"f.txt": TWENTY.encode()}, diff)
    assert result.normalised == (
        "diff --git a/f.txt b/f.txt\n--- a/f.txt\n+++ b/f.txt\n@@ -8,7 +8,7 @@\n"
        " line 8\n line 9\n line 10\n-line 11\n+LINE 11\n line 12\n line 13\n line 14\n"
    )


def test_changes_close_together_share_a_hunk_and_far_apart_do_not(tmp_path):
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ @@\n-line 2\n+LINE 2\n@@ @@\n-line 9\n+LINE 9\n@@ @@\n-line 17\n+LINE 17\n"
    result = check_round_trip(tmp_path, {"f.txt": TWENTY.encode()}, diff)
    assert result.normalised.count("@@ -") == 2
    assert "@@ -1,12 +1,12 @@" in result.normalised and "@@ -14,7 +14,7 @@" in result.normalised


def test_crlf_file(tmp_path):
    text = TWENTY.replace("\n", "\r\n").encode()
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -5,1 +5,2 @@\n line 5\n+inserted\n"
    result = check_round_trip(tmp_path, {"f.txt": text}, diff)
    assert result.changes[0].new_content == text.replace(b"line 5\r\n", b"line 5\r\ninserted\r\n")


@pytest.mark.parametrize("diff, expected", [
    ("--- a/f.txt\n+++ b/f.txt\n@@ -2 +2 @@\n-b\n+B\n", b"a\nB"),  # last line changed, no newline kept
    ("--- a/f.txt\n+++ b/f.txt\n@@ -2 +2,2 @@\n b\n+c\n", b"a\nb\nc"),  # appended after it
    ("--- a/f.txt\n+++ b/f.txt\n@@ -2 +2 @@\n-b\n\\ No newline at end of file\n+b\n", b"a\nb\n"),  # newline added
])
def test_files_without_a_final_newline(tmp_path, diff, expected):
    result = check_round_trip(tmp_path, {"f.txt": b"a\nb"}, diff)
    assert result.changes[0].new_content == expected
    if not expected.endswith(b"\n"):
        assert result.normalised.endswith("\\ No newline at end of file\n")


def test_new_file_and_deleted_file(tmp_path):
    diff = (
        "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n"
        "diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n"
    )
    result = check_round_trip(tmp_path, {"old.txt": b"x\ny\n", "keep.txt": b"k\n"}, diff)
    assert "new file mode 100644\n--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@" in result.normalised
    assert "deleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@" in result.normalised


def test_empty_new_file(tmp_path):
    diff = "diff --git a/empty.txt b/empty.txt\nnew file mode 100644\n"
    result = check_round_trip(tmp_path, {"keep.txt": b"k\n"}, diff)
    assert result.changes[0].new_content == b""


def test_rename_with_change_and_mode_change(tmp_path):
    diff = (
        "diff --git a/f.txt b/g.txt\nrename from f.txt\nrename to g.txt\n--- a/f.txt\n+++ b/g.txt\n"
        "@@ -3 +3 @@\n-line 3\n+LINE 3\n"
    )
    result = check_round_trip(tmp_path, {"f.txt": TWENTY.encode()}, diff)
    assert result.normalised.startswith("diff --git a/f.txt b/g.txt\nrename from f.txt\nrename to g.txt\n--- a/f.txt\n+++ b/g.txt\n")


def test_mode_change_round_trip(tmp_path):
    repo = make_repo(tmp_path / "repo", {"run.sh": "echo hi\n"})
    diff = "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    result = check_patch(diff, {"run.sh": b"echo hi\n"}.get)
    apply_with_git(repo, result)
    assert os.stat(repo / "run.sh").st_mode & stat.S_IXUSR


@pytest.mark.parametrize("name", ["with space.txt", "ünïcode.txt", 'quote"d.txt'])
def test_unusual_paths(tmp_path, name):
    diff = f"--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n"
    if '"' in name:  # git quotes such a path; the engine reads quoted paths too
        escaped = name.replace('"', '\\"')
        diff = f'--- "a/{escaped}"\n+++ "b/{escaped}"\n@@ -1 +1 @@\n-a\n+b\n'
    check_round_trip(tmp_path, {name: b"a\n"}, diff)


def test_normalised_diff_matches_gits_own_diff(tmp_path):
    repo = make_repo(tmp_path / "repo", {"f.txt": TWENTY})
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ @@\n line 4\n-line 5\n+LINE 5\n+extra\n line 6\n"
    result = check_patch(diff, {"f.txt": TWENTY.encode()}.get)
    apply_with_git(repo, result)
    theirs = git(repo, "diff", "--no-color", "HEAD")
    # git adds a function name after the second @@; surgeon leaves it out
    theirs = re.sub(r"^(@@ [^@]* @@).*$", r"\1", theirs, flags=re.M)
    assert theirs.split("\n--- ", 1)[1] == result.normalised.split("\n--- ", 1)[1]


def test_hunks_applied_one_after_the_other_round_trip(tmp_path):
    diff = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -3,3 +3,4 @@\n line 3\n line 4\n+new line\n line 5\n"
        "@@ -4,3 +4,3 @@\n line 4\n new line\n-line 5\n+LINE 5\n@@ -18 +19 @@\n-line 18\n+LINE 18\n"
    )
    result = check_round_trip(tmp_path, {"f.txt": TWENTY.encode()}, diff)
    assert result.changes[0].new_content == TWENTY.replace("line 4\nline 5\n", "line 4\nnew line\nLINE 5\n").replace(
        "line 18\n", "LINE 18\n").encode()
