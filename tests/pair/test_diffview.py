"""A proposed diff as numbered rows with the changed words marked (surgeon/pair/diffview.py), and
the pure parts of a turn the terminal shows: its cost, the toolbar's cost, the session's carried
files."""

from __future__ import annotations

import json
from types import SimpleNamespace

from surgeon.pair.diffview import Row, changed_spans, diff_rows, number_width
from surgeon.pair.session import Totals, new_session, session_from_json, session_to_json

DIFF = """diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -9,4 +9,5 @@ def greet(name):
 def greet(name):
-    return "Hello, " + name
+    return "Hi, " + name
+
 
\\ No newline at end of file
"""


def marked(row: Row) -> list[str]:
    return [row.text[start:end] for start, end in row.changed]


def test_rows_carry_old_and_new_line_numbers():
    rows = diff_rows(DIFF)
    assert [r.kind for r in rows] == ["header", "header", "header", "hunk", "context", "removed", "added", "added",
                                      "context", "note"]
    numbers = [(r.old, r.new) for r in rows[4:9]]
    assert numbers == [(9, 9), (10, None), (None, 10), (None, 11), (11, 12)]
    assert number_width(rows) == 3 and number_width(()) == 3


def test_only_the_changed_words_of_a_paired_line_are_marked():
    rows = diff_rows(DIFF)
    assert marked(rows[5]) == ["Hello"] and marked(rows[6]) == ["Hi"]
    assert rows[7].changed == ()  # an added line with no removed partner


def test_lines_with_little_in_common_are_not_marked():
    assert changed_spans("import os", "class Cart:") is None
    assert changed_spans("    ", "x = 1") is None
    assert changed_spans("timeout = 30", "timeout = 10") == (((10, 12),), ((10, 12),))


def test_hunk_counts_decide_what_a_line_is():
    """A removed line that reads `--- x` stays a removed line while the header's counts expect one;
    the next file's header starts the numbering again."""
    diff = ("--- a/a.sql\n+++ b/a.sql\n@@ -3,1 +3,1 @@\n--- old comment\n+-- new comment\n"
            "--- a/b.txt\n+++ b/b.txt\n@@ -1 +1,2 @@\n x\n+y\n")
    rows = diff_rows(diff)
    assert [(r.kind, r.old, r.new) for r in rows] == [
        ("header", None, None), ("header", None, None), ("hunk", None, None),
        ("removed", 3, None), ("added", None, 3),
        ("header", None, None), ("header", None, None), ("hunk", None, None),
        ("context", 1, 1), ("added", None, 2)]
    assert marked(rows[3]) == ["old"] and marked(rows[4]) == ["new"]


def test_a_new_file_and_crlf_lines():
    rows = diff_rows("--- /dev/null\r\n+++ b/n.py\r\n@@ -0,0 +1,2 @@\r\n+a\r\n+b\r\n")
    assert [(r.kind, r.text, r.new) for r in rows[3:]] == [("added", "+a", 1), ("added", "+b", 2)]


def test_turn_and_session_costs_in_words():
    priced = SimpleNamespace(input_tokens=10, output_tokens=2, cache_read_tokens=0, cost=0.0123)
    unpriced = SimpleNamespace(input_tokens=10, output_tokens=2, cache_read_tokens=0, cost=None)
    assert Totals().cost_text == "$0.0000"
    assert Totals().add([priced]).cost_text == "$0.0123"
    assert Totals().add([unpriced]).cost_text == "unknown"
    assert Totals().add([priced, unpriced]).cost_text == "$0.0123 + unknown"


def test_carried_files_round_trip_and_drop_like_pinned_ones():
    from dataclasses import replace
    from datetime import datetime

    session = replace(new_session("0" * 40, apply=True, model=None, check=None, now=datetime(2025, 1, 2),
                                  session_id="abcdef").pin("a.py"), carried=("b.py", "a.py"))
    assert session.in_scope == ("a.py", "b.py")
    assert session_from_json(json.loads(json.dumps(session_to_json(session)))) == session
    assert session.unpin("b.py").in_scope == ("a.py",)
    old_file = {k: v for k, v in session_to_json(session).items() if k != "carried"}  # written before carried
    assert session_from_json(old_file).carried == ()
