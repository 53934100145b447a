"""A truncated diff (the reply stopped mid-hunk) is refused, saying so; a miscounted hunk, which
models write all the time, still applies. Truncated: a fence that never closes, or a last hunk
that breaks off (it ends in changed lines with no trailing context although the file goes on, and
holds fewer lines than its header promises)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from surgeon.diff import apply_patch, extract_diff
from surgeon.diff.parse import parse_diff, truncation
from surgeon.validate import check_patch
from tests.diff.test_properties import OPTIONS, SCALE, cases, file_texts, unified_diff
from tests.diffkit import counts, split_diff

TWENTY = "".join(f"line {n}\n" for n in range(1, 21))
FILES = {"t.txt": TWENTY.encode()}
# the case: the header promises two new lines, the reply stopped before them
CUT = "--- a/t.txt\n+++ b/t.txt\n@@ -5,4 +5,4 @@\n line 5\n-line 6\n-line 7\n"


def verdict(diff: str, path: str = "t.txt", text: str = TWENTY):
    parsed = parse_diff(diff)
    [section] = parsed.files
    hunks = section.hunks
    return [r for n, h in enumerate(hunks, 1) if (r := truncation(path, n, h, file_texts(text.encode())))]


def test_a_hunk_that_breaks_off_is_truncated():
    [refusal] = verdict(CUT)
    assert refusal.path == "t.txt" and refusal.hunk == 1 and refusal.line == 5
    assert "the diff is truncated" in refusal.reason
    assert "promises 4 old and 4 new lines but it holds 3 and 1" in refusal.reason
    assert "`line 7`" in refusal.reason


def test_a_hunk_that_breaks_off_is_refused_not_staged_as_a_deletion():
    result = apply_patch(CUT, FILES.get)
    assert not result.ok and "the diff is truncated" in result.refusals[0].reason


@pytest.mark.parametrize("diff", [
    # miscounted, with trailing context: applies
    "--- a/t.txt\n+++ b/t.txt\n@@ -5,9 +5,2 @@\n line 5\n-line 6\n+LINE 6\n line 7\n",
    # short of its counts, ending in a change, but at the end of the file: only miscounted
    "--- a/t.txt\n+++ b/t.txt\n@@ -18,5 +18,6 @@\n line 18\n line 19\n-line 20\n+LINE 20\n",
    # an insertion at the end of the file, short of its counts
    "--- a/t.txt\n+++ b/t.txt\n@@ -20,1 +20,5 @@\n line 20\n+line 21\n",
    # a short hunk that is not the last one: the reply went on after it
    "--- a/t.txt\n+++ b/t.txt\n@@ -5,4 +5,4 @@\n line 5\n-line 6\n+LINE 6\n@@ -10,3 +10,3 @@\n line 10\n-line 11\n+LINE 11\n line 12\n",
    # a bare header promises nothing
    "--- a/t.txt\n+++ b/t.txt\n@@ @@\n line 5\n-line 6\n+LINE 6\n",
    # prose after the hunk: the reply went on
    "--- a/t.txt\n+++ b/t.txt\n@@ -5,4 +5,4 @@\n line 5\n-line 6\n+LINE 6\n\nThat renames line 6.\n",
])
def test_a_miscounted_hunk_is_not_truncation_and_applies(diff):
    assert verdict(diff) == []
    result = check_patch(diff, FILES.get, OPTIONS)
    assert result.ok, [str(r) for r in result.refusals]


def test_a_fence_that_never_closes_is_truncated_whatever_the_hunks_hold():
    whole = "--- a/t.txt\n+++ b/t.txt\n@@ -5,3 +5,3 @@\n line 5\n-line 6\n+LINE 6\n line 7\n"
    result = apply_patch(extract_diff(f"Sure:\n\n```diff\n{whole}"), FILES.get)
    assert not result.ok
    [refusal] = result.refusals
    assert refusal.reason.startswith("the diff is truncated (the reply was cut off): the ``` block")
    four = apply_patch(extract_diff(f"````diff\n{whole}```\n"), FILES.get)  # a shorter fence does not close ````
    assert not four.ok and "```` block" in four.refusals[0].reason
    assert apply_patch(extract_diff(f"Sure:\n\n```diff\n{whole}```\n"), FILES.get).ok


@st.composite
def broken_off(draw):
    """A correct diff whose last hunk is cut right after one of its changed lines, where the
    correct hunk went on (the file goes on after the cut)."""
    case = draw(cases())
    diff = unified_diff(case)
    header, hunks = split_diff(diff)
    last = hunks[-1]
    content = [k for k, line in enumerate(last.lines) if not line.startswith("\\")]
    spots = [k for k in content if last.lines[k][0] in "+-" and any(
        last.lines[j][0] == " " for j in content if j > k)]
    assume(spots)
    at = draw(st.sampled_from(spots))
    kept = last.lines[: at + 1]
    old, new = counts(last.lines)
    body = [*header]
    for hunk in hunks[:-1]:
        o, n = counts(hunk.lines)
        body += [f"@@ -{hunk.old_start},{o} +{hunk.new_start},{n} @@", *hunk.lines]
    body += [f"@@ -{last.old_start},{old} +{last.new_start},{new} @@", *kept]
    return case, "\n".join(body) + "\n", len(hunks)


@settings(max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_off())
def test_every_hunk_that_breaks_off_is_told_apart(example):
    case, diff, number = example
    refusals = verdict(diff, case.path, case.old.decode())
    assert [r.hunk for r in refusals] == [number], diff


@settings(max_examples=int(60 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_off())
def test_a_diff_cut_off_mid_hunk_is_refused_never_applied(example):
    case, diff, _ = example
    result = check_patch(diff, lambda path: case.old if path == case.path else None, OPTIONS)
    assert not result.ok and "the diff is truncated" in result.refusals[0].reason


@settings(max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.integers(-3, 3), st.integers(-3, 3))
def test_miscounted_hunks_are_never_taken_for_truncation(case, old_off, new_off):
    """Every header's counts wrong by a few lines either way: the intended file or a refusal, and
    never a refusal for truncation (each hunk keeps its trailing context or ends the file)."""
    assume(old_off or new_off)
    header, hunks = split_diff(unified_diff(case))
    out = list(header)
    for hunk in hunks:
        old, new = counts(hunk.lines)
        out += [f"@@ -{hunk.old_start},{max(0, old + old_off)} +{hunk.new_start},{max(0, new + new_off)} @@", *hunk.lines]
    diff = "\n".join(out) + "\n"
    assert verdict(diff, case.path, case.old.decode()) == []
    result = check_patch(diff, lambda path: case.old if path == case.path else None, OPTIONS)
    assert not any("truncated" in r.reason for r in result.refusals)
    event("applied" if result.ok else "refused")
    if result.ok:
        assert result.changes[0].new_content == case.new
