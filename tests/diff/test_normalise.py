"""The normalised diff: git's format, exact numbers, three lines of context; `git apply` of it to
the original gives exactly the bytes the engine computed."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from surgeon.diff import PatchResult
from surgeon.validate import check_patch
from tests.diff.test_properties import OPTIONS as PROPERTY_OPTIONS
from tests.diff.test_properties import Case, git_apply_files, unified_diff
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


# --- deletions at the end of a file, with and without a final newline ------------------------------------
# (once an IndexError in minimal_ops: the alignment named a blank last line that the content has no more)

END_POOL = ["x = 1", "return x", "}", "", "pass", "# note", "end", "value"]


@st.composite
def end_deletions(draw):
    """A file (LF or CRLF, with or without a final newline), its last 1..n lines removed and 0..2
    added in their place, and the intended bytes: kept lines keep their endings; the last line of
    the result ends as the old last line did unless the diff's markers say otherwise."""
    texts = draw(st.lists(st.one_of(st.sampled_from(END_POOL), st.builds("unique_{}()".format, st.integers(0, 999))),
                          min_size=1, max_size=8))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    final = draw(st.booleans())
    if not final and texts[-1] == "":
        texts[-1] = "end"  # a blank last line without a newline is no line at all
    k = draw(st.integers(1, len(texts)))
    added = draw(st.lists(st.builds("added_{}()".format, st.integers(0, 99)), max_size=2))
    new_texts = texts[: len(texts) - k] + added
    new_final = draw(st.booleans()) if new_texts else True
    if not new_final and new_texts[-1] == "":
        new_texts, new_final = new_texts[:-1], True  # no line at all: the file ends with the line before
    old = "".join(t + ending for t in texts)
    old = old if final else old[: -len(ending)]
    new = "".join(t + ending for t in new_texts)
    new = new if new_final or not new_texts else new[: -len(ending)]
    return Case("f.txt", old.encode(), new.encode()), final, new_texts, ending


def _engine(case: Case, diff: str) -> PatchResult:
    return check_patch(diff, lambda path: case.old if path == case.path else None, PROPERTY_OPTIONS)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(end_deletions(), st.sampled_from(["as written", "no markers", "wrong counts", "bare header"]))
def test_deleting_the_last_lines_gives_the_intended_file_or_a_refusal(example, damage):
    case, final, new_texts, ending = example
    assume(case.old != case.new)
    diff = unified_diff(case)
    if damage == "no markers":
        diff = "".join(line for line in diff.splitlines(keepends=True) if not line.startswith("\\"))
        # without markers the file keeps its final newline, or its lack of one (README); which
        # bytes a blank last line left without a newline gives is test_a_blank_last_line_keeps_its_newline
        expected = ending.join(new_texts) + (ending if final and new_texts else "")
        if new_texts and not final and new_texts[-1] == "":
            expected = None
        if b"\n" not in case.old:  # no line ending to go by but the diff's own, which lost the last one's CR
            expected = None
    else:
        expected = case.new.decode()
        if damage == "wrong counts":
            diff = re.sub(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", lambda m: f"@@ -{m[1]},{int(m[2]) + 2} +{m[3]},{m[4]} @@",
                          diff, flags=re.M)
        elif damage == "bare header":
            diff = re.sub(r"^@@ .* @@$", "@@ @@", diff, flags=re.M)
    result = _engine(case, diff)
    event(f"{damage}: {'applied' if result.ok else 'refused'}")
    if damage == "as written":
        assert result.ok, [str(r) for r in result.refusals]
    if result.ok:
        [change] = result.changes
        assert expected is None or change.new_content == expected.encode(), (diff, change.new_content)
        assert git_apply_files({case.path: case.old}, result.normalised)[case.path] == change.new_content


@pytest.mark.parametrize(("old", "diff", "expected"), [
    (b"a\n\nb", "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,2 @@\n a\n \n-b\n", b"a\n\n"),
    (b"a\nb\nc", "--- a/f.txt\n+++ b/f.txt\n@@ -2,2 +2,2 @@\n b\n-c\n+\n", b"a\nb\n\n"),
])
def test_a_blank_last_line_keeps_its_newline(old, diff, expected):
    result = check_patch(diff, {"f.txt": old}.get, PROPERTY_OPTIONS)
    assert result.ok and result.changes[0].new_content == expected


@pytest.mark.parametrize(("old", "diff"), [
    (b"a\n\nb", "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,2 @@\n a\n \n-b\n"),
    (b"a\nb\nc", "--- a/f.txt\n+++ b/f.txt\n@@ -2,2 +2,2 @@\n b\n-c\n+\n"),
    (b"a\nb\n\nc", "--- a/f.txt\n+++ b/f.txt\n@@ -2,3 +2,1 @@\n b\n-\n-c\n"),
])
def test_a_blank_last_line_without_a_final_newline_never_crashes(old, diff):
    """The IndexError of minimal_ops: whatever content the engine computes, its normalised diff
    describes exactly that content."""
    result = check_patch(diff, {"f.txt": old}.get, PROPERTY_OPTIONS)
    assert result.ok, [str(r) for r in result.refusals]
    assert git_apply_files({"f.txt": old}, result.normalised)["f.txt"] == result.changes[0].new_content
