"""cli/render.py: one JSON serializer per type, one diff colourer."""

from __future__ import annotations

import click

from surgeon.cli.main import error_json
from surgeon.cli.render import (
    diff_line_style,
    diff_text,
    gate_json,
    refusal_json,
    refused_json,
    styled_diff_lines,
)
from surgeon.diff import Refusal
from surgeon.gate import GateResult

DIFF = """diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
 keep
-old
+new
"""


def test_a_refusal_and_an_error_have_one_shape():
    refusal = Refusal("app.py", 2, 7, "does not match")
    assert refusal_json(refusal) == {"path": "app.py", "hunk": 2, "line": 7, "reason": "does not match"}
    assert refused_json([refusal]) == {"status": "refused", "errors": [refusal_json(refusal)]}
    assert error_json("no such branch", 2) == {
        "status": "error", "errors": [{"path": None, "hunk": None, "line": None, "reason": "no such branch"}]}
    assert error_json("refused", 1, ["a.py"]) == {
        "status": "refused", "errors": [{"path": None, "hunk": None, "line": None, "reason": "refused"}],
        "files": ["a.py"]}


def test_a_gate_is_serialized_by_its_own_to_json():
    gate = GateResult("pytest -q", True, 0, False, 1.23456, "ok")
    assert gate_json(gate) == gate.to_json() and gate_json(None) is None


def test_one_rule_colours_a_diff_for_rich_and_for_click():
    styles = [diff_line_style(line) for line in DIFF.splitlines()]
    assert styles == ["header", "header", "header", "header", "hunk", "context", "removed", "added"]
    spans = {DIFF[span.start:span.end].strip(): span.style for span in diff_text(DIFF).spans}
    assert spans["-old"] == "red" and spans["+new"] == "green" and spans["@@ -1,2 +1,2 @@"] == "cyan"
    lines = list(styled_diff_lines(DIFF))
    assert lines[6] == click.style("-old", fg="red") and lines[7] == click.style("+new", fg="green")
    assert lines[2] == click.style("--- a/app.py", bold=True) and lines[5] == click.style(" keep")
