"""Line endings: an added line that replaces a removed one keeps that line's ending; an added
line that replaces nothing takes the ending of the line above it (below it at the start of the
file), or the file's dominant ending when that line has none; lines the diff keeps are never
rewritten. And `git apply` of the normalised diff gives exactly the engine's bytes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surgeon.validate import check_patch

HEADER = "--- a/f.txt\n+++ b/f.txt\n"
NO_NEWLINE = "\\ No newline at end of file\n"

CASES = {
    # the reviewer's case: the replaced line keeps its LF in a mostly-CRLF file
    "mixed, LF line replaced in a CRLF file": (
        b"a\r\nb\nc\r\n", "@@ -1,3 +1,3 @@\n a\n-b\n+b = 5\n c\n", b"a\r\nb = 5\nc\r\n"),
    "mixed, CRLF line replaced in an LF file": (
        b"a\nb\r\nc\nd\n", "@@ -1,4 +1,4 @@\n a\n-b\n+b = 5\n c\n d\n", b"a\nb = 5\r\nc\nd\n"),
    "mixed, one line replaced by three": (
        b"a\nb\r\nc\nd\n", "@@ -1,3 +1,5 @@\n a\n-b\n+b1\n+b2\n+b3\n c\n", b"a\nb1\r\nb2\r\nb3\r\nc\nd\n"),
    "mixed, two lines replaced by one": (
        b"a\r\nb\nc\r\nd\r\n", "@@ -1,4 +1,3 @@\n a\n-b\n-c\n+x\n d\n", b"a\r\nx\nd\r\n"),
    "mixed, two lines replaced pairwise": (
        b"a\nb\r\nc\nd\n", "@@ -1,4 +1,4 @@\n a\n-b\n-c\n+B\n+C\n d\n", b"a\nB\r\nC\nd\n"),
    "mixed, insertion takes the line above's ending": (
        b"a\nb\r\nc\nd\n", "@@ -1,3 +1,4 @@\n a\n b\n+inserted\n c\n", b"a\nb\r\ninserted\r\nc\nd\n"),
    "mixed, insertion under an LF line in a CRLF file": (
        b"a\r\nb\nc\r\nd\r\n", "@@ -1,3 +1,4 @@\n a\n b\n+inserted\n c\n", b"a\r\nb\ninserted\nc\r\nd\r\n"),
    "mixed, insertion at the start takes the first line's ending": (
        b"a\r\nb\nc\n", "@@ -1,2 +1,3 @@\n+first\n a\n b\n", b"first\r\na\r\nb\nc\n"),
    "mixed, insertion at the end takes the last line's ending": (
        b"a\nb\nc\r\n", "@@ -2,2 +2,3 @@\n b\n c\n+last\n", b"a\nb\nc\r\nlast\r\n"),
    "mixed, first line replaced by two": (
        b"a\r\nb\nc\n", "@@ -1,2 +1,3 @@\n-a\n+x\n+y\n b\n", b"x\r\ny\r\nb\nc\n"),
    "mixed, a deletion rewrites nothing else": (
        b"a\r\nb\nc\r\nd\n", "@@ -1,4 +1,3 @@\n a\n b\n-c\n d\n", b"a\r\nb\nd\n"),
    "mixed, two hunks far apart": (
        b"".join(f"l{n}{chr(13) if n % 3 == 0 else ''}\n".encode() for n in range(1, 21)),
        "@@ -2,3 +2,3 @@\n l2\n-l3\n+L3\n l4\n@@ -16,3 +16,4 @@\n l16\n-l17\n+L17\n+L17b\n l18\n",
        b"".join(
            {3: b"L3\r\n", 17: b"L17\nL17b\n"}.get(n, f"l{n}{chr(13) if n % 3 == 0 else ''}\n".encode())
            for n in range(1, 21))),
    "pure CRLF": (
        b"a\r\nb\r\nc\r\n", "@@ -1,3 +1,4 @@\n a\n-b\n+b = 5\n+b2\n c\n", b"a\r\nb = 5\r\nb2\r\nc\r\n"),
    "pure CRLF, insertion at the start": (
        b"a\r\nb\r\n", "@@ -1,2 +1,3 @@\n+first\n a\n b\n", b"first\r\na\r\nb\r\n"),
    "pure CRLF, insertion at the end": (
        b"a\r\nb\r\n", "@@ -1,2 +1,3 @@\n a\n b\n+last\n", b"a\r\nb\r\nlast\r\n"),
    "pure LF": (
        b"a\nb\nc\n", "@@ -1,3 +1,4 @@\n a\n-b\n+b = 5\n+b2\n c\n", b"a\nb = 5\nb2\nc\n"),
    "pure LF, insertion at the start": (
        b"a\nb\n", "@@ -1,2 +1,3 @@\n+first\n a\n b\n", b"first\na\nb\n"),
    "pure LF, insertion at the end": (
        b"a\nb\n", "@@ -1,2 +1,3 @@\n a\n b\n+last\n", b"a\nb\nlast\n"),
    "no final newline, last line replaced": (
        b"a\r\nb\nc", f"@@ -2,2 +2,2 @@\n b\n-c\n{NO_NEWLINE}+c = 5\n{NO_NEWLINE}", b"a\r\nb\nc = 5"),
    "no final newline, last line replaced by two takes the ending above": (
        b"a\nb\r\nc", f"@@ -2,2 +2,3 @@\n b\n-c\n{NO_NEWLINE}+c = 5\n+d\n{NO_NEWLINE}", b"a\nb\r\nc = 5\r\nd"),
    "no final newline, line appended": (
        b"a\r\nb\r\nc", f"@@ -2,2 +2,3 @@\n b\n-c\n{NO_NEWLINE}+c\n+d\n{NO_NEWLINE}", b"a\r\nb\r\nc\r\nd"),
    "no final newline, line inserted above the last": (
        b"a\nb\r\nc", "@@ -1,2 +1,3 @@\n a\n b\n+inserted\n", b"a\nb\r\ninserted\r\nc"),
    "no final newline kept when the diff adds at the end without markers": (
        b"a\r\nb", "@@ -1,2 +1,3 @@\n a\n b\n+c\n", b"a\r\nb\r\nc"),
}


def git_apply(tmp_path: Path, old: bytes, normalised: str) -> bytes:
    work = tmp_path / "work"
    work.mkdir()
    (work / "f.txt").write_bytes(old)
    (tmp_path / "change.patch").write_bytes(normalised.encode())
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    outcome = subprocess.run(["git", "apply", str(tmp_path / "change.patch")], cwd=work, capture_output=True, env=env)
    assert outcome.returncode == 0, outcome.stderr.decode() + normalised
    return (work / "f.txt").read_bytes()


@pytest.mark.parametrize("name", list(CASES))
def test_added_lines_take_the_ending_of_the_line_they_replace_or_their_neighbour(name, tmp_path):
    old, hunks, expected = CASES[name]
    result = check_patch(HEADER + hunks, {"f.txt": old}.get)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content == expected
    assert git_apply(tmp_path, old, result.normalised) == expected


@pytest.mark.parametrize("name", ["mixed, LF line replaced in a CRLF file", "pure CRLF", "no final newline, last line replaced"])
def test_a_crlf_diff_gives_the_same_bytes(name):
    old, hunks, expected = CASES[name]
    result = check_patch((HEADER + hunks).replace("\n", "\r\n"), {"f.txt": old}.get)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content == expected


def test_the_normalised_diff_shows_only_the_edited_line():
    old, hunks, _ = CASES["mixed, LF line replaced in a CRLF file"]
    result = check_patch(HEADER + hunks, {"f.txt": old}.get)
    assert result.normalised.endswith("@@ -1,3 +1,3 @@\n a\r\n-b\n+b = 5\n c\r\n")
    assert (result.lines_added, result.lines_removed) == (1, 1)


def test_a_file_without_any_ending_takes_the_diffs():
    for diff_ending, expected in (("\n", b"a\nb\n"), ("\r\n", b"a\r\nb\r\n")):
        hunks = f"@@ -1 +1,2 @@\n-a\n{NO_NEWLINE}+a{diff_ending}+b{diff_ending}"
        result = check_patch(HEADER + hunks, {"f.txt": b"a"}.get)
        assert result.ok, [str(r) for r in result.refusals]
        assert result.changes[0].new_content == expected


BOM = "\ufeff".encode()
BOM_CASES = {
    "line 1 edited": ("@@ -1,2 +1,2 @@\n-a\n+A\n b\n", b"A\nb\nc\n"),
    "line 1 edited, the diff showing the mark on both sides": ("@@ -1,2 +1,2 @@\n-\ufeffa\n+\ufeffA\n b\n", b"A\nb\nc\n"),
    "a line inserted above line 1": ("@@ -1,2 +1,3 @@\n+first\n a\n b\n", b"first\na\nb\nc\n"),
    "line 1 removed": ("@@ -1,2 +1 @@\n-a\n b\n", b"b\nc\n"),
    "line 1 kept": ("@@ -1,2 +1,2 @@\n a\n-b\n+B\n", b"a\nB\nc\n"),
}


@pytest.mark.parametrize("name", list(BOM_CASES))
def test_a_byte_order_mark_stays_in_front_of_the_file(name, tmp_path):
    hunks, expected = BOM_CASES[name]
    old = BOM + b"a\nb\nc\n"
    result = check_patch(HEADER + hunks, {"f.txt": old}.get)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content == BOM + expected
    assert git_apply(tmp_path, old, result.normalised) == BOM + expected


def test_a_diff_that_removes_the_mark_in_so_many_words_removes_it():
    result = check_patch(HEADER + "@@ -1,2 +1,2 @@\n-\ufeffa\n+a\n b\n", {"f.txt": BOM + b"a\nb\n"}.get)
    assert result.ok and result.changes[0].new_content == b"a\nb\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["a", "b", "x = 1", "", "end"]), min_size=1, max_size=8),
       st.integers(0, 3), st.lists(st.sampled_from(["new", "a", "y = 2"]), max_size=3), st.booleans(),
       st.sampled_from(["\n", "\r\n"]))
def test_a_file_with_a_byte_order_mark_gets_the_intended_bytes_or_a_refusal(lines, removed, added, shown, ending):
    """An edit at the top of a file that starts with a byte order mark, in a correct diff that
    shows the mark (as git does) or not (as models do): the result is the file with the edit and
    the mark in front, or a refusal."""
    lines = [*lines, "tail"]
    removed = min(removed, len(lines) - 1)
    new_lines = added + lines[removed:]
    old = BOM + "".join(t + ending for t in lines).encode()
    # a diff that shows the mark on a removed first line and on no added line removes it
    kept = not (shown and removed and not added)
    intended = BOM * kept + "".join(t + ending for t in new_lines).encode()
    mark = "\ufeff" if shown else ""
    body = [f"-{mark if k == 0 else ''}{t}" for k, t in enumerate(lines[:removed])]
    body += [f"+{mark if k == 0 and removed else ''}{t}" for k, t in enumerate(added)]
    body += [f" {mark if k == 0 and not removed else ''}{t}" for k, t in enumerate(lines[removed : removed + 3])]
    diff = HEADER + f"@@ -1,{len(body) - len(added)} +1,{len(body) - removed} @@\n" + "\n".join(body) + "\n"
    result = check_patch(diff, {"f.txt": old}.get)
    if result.ok:
        assert result.changes[0].new_content == intended, diff
