"""Indentation of unchanged lines. Unchanged lines are never written, so where the removed lines
and the unchanged lines next to each change match the file exactly and the place is unique, the
other unchanged lines may differ from the file in leading whitespace: the hunk applies, the added
lines as written. Otherwise, where indentation carries meaning, the hunk is refused. And the
property: any indentation damage gives the intended file or a refusal, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surgeon.validate import ApplyOptions, check_patch

RST = """\
Configuration
=============

.. code-block:: yaml

    server:
      port: 8080
      timeout: 5

The timeout is in seconds.
"""


def apply(diff: str, path: str = "docs/config.rst", text: str = RST):
    return check_patch(diff, {path: text.encode()}.get, ApplyOptions(check_syntax=False))


def test_context_indented_differently_away_from_the_change_applies():
    # the model lost the code block's indentation on the lines it did not change
    diff = ("--- a/docs/config.rst\n+++ b/docs/config.rst\n@@ -4,6 +4,6 @@\n .. code-block:: yaml\n \n"
            " server:\n       port: 8080\n-      timeout: 5\n+      timeout: 15\n \n")
    result = apply(diff)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content.decode() == RST.replace("timeout: 5", "timeout: 15")
    assert any("indented differently from the file" in r and "the added lines as written" in r for r in result.repairs)


def test_added_lines_are_kept_as_written_not_re_indented():
    diff = ("--- a/docs/config.rst\n+++ b/docs/config.rst\n@@ -6,3 +6,4 @@\n server:\n       port: 8080\n"
            "+      host: example.org\n       timeout: 5\n")
    result = apply(diff)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content.decode() == RST.replace("      port: 8080\n", "      port: 8080\n      host: example.org\n")


def test_a_neighbour_of_the_change_indented_differently_is_refused():
    diff = ("--- a/docs/config.rst\n+++ b/docs/config.rst\n@@ -6,3 +6,4 @@\n     server:\n   port: 8080\n"
            "+      host: example.org\n       timeout: 5\n")
    message = "\n".join(str(r) for r in apply(diff).refusals)
    assert "docs/config.rst: hunk 1 (near line 6): its lines match lines 6-8 only when indentation is ignored" in message


def test_a_removed_line_indented_differently_is_refused():
    diff = ("--- a/docs/config.rst\n+++ b/docs/config.rst\n@@ -6,3 +6,3 @@\n     server:\n       port: 8080\n"
            "-    timeout: 5\n+    timeout: 15\n")
    assert not apply(diff).ok


def test_the_whole_hunk_shifted_by_one_amount_is_re_indented():
    text = "def f():\n    if x:\n        return 1\n    return 2\n"
    diff = "--- a/f.py\n+++ b/f.py\n@@ -1,4 +1,4 @@\n   def f():\n       if x:\n-          return 1\n+          return 3\n       return 2\n"
    result = apply(diff, "f.py", text)
    assert result.ok and result.changes[0].new_content.decode() == text.replace("return 1", "return 3")


def test_a_removed_line_off_by_another_amount_than_the_rest_is_refused():
    text = "def f():\n    if x:\n        return 1\n    return 2\n"
    diff = "--- a/f.py\n+++ b/f.py\n@@ -1,4 +1,4 @@\n   def f():\n       if x:\n-         return 1\n+         return 3\n       return 2\n"
    assert not apply(diff, "f.py", text).ok


def test_a_context_line_of_a_python_block_may_differ_away_from_the_change():
    text = "def f(x):\n    if x:\n        y = 1\n        z = 2\n        return y + z\n    return 0\n"
    diff = ("--- a/f.py\n+++ b/f.py\n@@ -1,5 +1,5 @@\n def f(x):\n   if x:\n         y = 1\n"
            "-        z = 2\n+        z = 3\n         return y + z\n")
    result = apply(diff, "f.py", text)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content.decode() == text.replace("z = 2", "z = 3")


def test_the_place_must_be_unique():
    text = "a:\n  b: 1\n  c: 2\n  d: 3\n\n\n\n\n\nx:\n  b: 1\n  c: 2\n  d: 3\n"
    diff = "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,3 +2,3 @@\n     b: 1\n-  c: 2\n+  c: 5\n   d: 3\n"
    assert not apply(diff, "f.yaml", text).ok


@st.composite
def damaged(draw):
    """RST's diff for one change, with the leading whitespace of any unchanged or removed line
    changed (added lines are what the diff says the file gets)."""
    old = RST.split("\n")[:-1]
    at = draw(st.sampled_from([k for k, line in enumerate(old) if line.strip()]))
    new = list(old)
    new[at] = old[at] + " # changed"
    lines = [(" ", t) for t in old[max(at - 3, 0) : at]] + [("-", old[at]), ("+", new[at])] + [
        (" ", t) for t in old[at + 1 : at + 4]]
    out = []
    for kind, text in lines:
        if kind != "+" and text.strip() and draw(st.integers(0, 2)) == 0:
            text = draw(st.sampled_from(["", "  ", "    ", "\t", "        "])) + text.lstrip()
        out.append(kind + text)
    start = max(at - 3, 0) + 1
    diff = f"--- a/docs/config.rst\n+++ b/docs/config.rst\n@@ -{start} +{start} @@\n" + "\n".join(out) + "\n"
    return diff, "\n".join(new) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_indentation_damage_gives_the_intended_file_or_a_refusal(example):
    diff, intended = example
    result = apply(diff)
    if result.ok:
        assert result.changes[0].new_content.decode() == intended, diff
