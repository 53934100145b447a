"""Elided code: a comment (or a bare `...`) written in place of code a model meant to keep is
refused, whatever its words; real comment edits in real code are not. The phrasings below were
collected from the prompts, docs and bug reports of other coding tools (Cursor and Morph's
`// ... existing code ...`, Copilot's `...existing code...`, Cline's `// rest of code here`,
Gemini CLI's `(rest of methods ...)`, aider's reports of `// Existing fields...`) and written out
in several human languages. tests/bench/bench_elision.py measures the rule on real repositories."""

from __future__ import annotations

import pytest

from surgeon.diff.elision import comment_body, find_elision
from surgeon.validate import check_patch

# the placeholder's text, without a comment marker
PHRASINGS = [
    # with an ellipsis
    "... existing code ...", "...existing code...", "... rest of code ...", "... keep the rest as is ...",
    "... (rest of the fields)", "Existing fields...", "rest of code ...", "(rest of methods ...)",
    "(unchanged code ...)", "... other methods ...", "... snip ...", "[...]", "...", "…", "… unchanged …",
    "... previous implementation ...", "... rest of the function stays the same ...", "... etc ...",
    # words only
    "rest of code here", "rest of code unchanged", "Remaining code here", "keep the rest as is",
    "rest of the file unchanged", "same as before", "unchanged", "[previous code]", "<existing code>",
    "existing code here", "Your existing code here", "implementation omitted for brevity",
    "the other routes stay as they are", "existing imports", "no changes below this line",
    "nothing else changes", "code continues as before", "(omitted)", "TODO: rest of the implementation",
    "other handlers", "as above", "keep everything else",
    # other languages
    "... 其余代码保持不变 ...", "省略部分代码", "原有代码", "其他代码不变", "... 既存のコード ...",
    "残りのコードは変更なし", "... 기존 코드 ...", "나머지 코드는 동일", "... остальной код без изменений ...",
    "существующий код", "... restlicher Code unverändert ...", "bestehender Code bleibt", "... reste du code inchangé ...",
    "code existant", "... resto del código sin cambios ...", "código existente", "... restante do código ...",
    "o resto permanece igual", "... resto del codice invariato ...", "... mevcut kod ...", "reszta kodu bez zmian",
    "... mã hiện có ...", "... बाकी कोड वही ...", "... باقي الكود كما هو ...",
]

MARKERS = {"app.py": "#", "web/app.js": "//", "main.go": "//", "query.sql": "--", "style.css": "/*"}

APP = """\
import os


def total(values):
    result = 0
    for value in values:
        result += value
    count = len(values)
    return result


def main():
    print(total([1, 2, 3]))
"""


def comment(path: str, indent: str, phrase: str) -> str:
    marker = MARKERS[path]
    if marker == "/*":
        return f"{indent}/* {phrase} */"
    return f"{indent}{marker} {phrase}"


def elided_diff(line: str) -> str:
    """The issue's case: a hunk removes real lines and adds a placeholder in their place."""
    return (
        "--- a/app.py\n+++ b/app.py\n@@ -4,6 +4,4 @@\n def total(values):\n     result = 0\n"
        f"-    for value in values:\n-        result += value\n-    count = len(values)\n+{line}\n     return result\n")


@pytest.mark.parametrize("phrase", PHRASINGS)
def test_a_placeholder_in_place_of_removed_lines_is_refused_whatever_its_words(phrase):
    result = check_patch(elided_diff(comment("app.py", "    ", phrase)), {"app.py": APP.encode()}.get)
    assert not result.ok
    message = "\n".join(str(r) for r in result.refusals)
    assert message.startswith("app.py: hunk 1 (near line 4): it elides code"), message


@pytest.mark.parametrize("path", sorted(MARKERS))
@pytest.mark.parametrize("phrase", ["... keep the rest as is ...", "rest of code here", "省略部分代码"])
def test_each_language_s_comments_are_read(path, phrase):
    lines = [(" ", "start()"), ("-", "  step_one();"), ("-", "  step_two();"), ("-", "  step_three();"),
             ("+", "  step_four();"), ("+", comment(path, "  ", phrase)), (" ", "finish()")]
    found = find_elision(lines, path)
    assert found is not None and found.text == lines[5][1]


@pytest.mark.parametrize("path", sorted(MARKERS))
def test_a_comment_right_above_the_code_it_adds_explains_that_code(path):
    # real patches (SWE-bench): `# Directly evaluate without caching` above the new `return eval(...)`
    lines = [(" ", "start()"), ("-", "  cache = lookup();"), ("-", "  if (cache) return cache;"),
             ("-", "  value = compute();"), ("+", comment(path, "  ", "evaluate directly, without a cache")),
             ("+", "  return compute();"), (" ", "finish()")]
    assert find_elision(lines, path) is None
    aside = [*lines[:4], ("+", comment(path, "  ", "(the rest as before)")), *lines[5:]]
    assert find_elision(aside, path) is not None


def test_a_bare_ellipsis_in_place_of_code_is_refused_where_it_cannot_be_code():
    lines = [(" ", "function f() {"), ("-", "  a();"), ("-", "  b();"), ("+", "  ..."), (" ", "}")]
    assert find_elision(lines, "f.js") is not None
    # in Python `...` is code: a body of only `...` is a stub ...
    stub = [(" ", "def f():"), ("-", "    a()"), ("-", "    b()"), ("+", "    ..."), (" ", "")]
    assert find_elision(stub, "f.py") is None
    # ... but `...` beside new code stands in for the lines it removes
    gap = [(" ", "def f():"), ("-", "    a()"), ("-", "    b()"), ("+", "    ..."), ("+", "    c()")]
    assert find_elision(gap, "f.py") is not None


@pytest.mark.parametrize("lines", [
    # a comment reworded
    [(" ", "x = 1"), ("-", "# compute the total"), ("-", "total = sum(v)"), ("+", "# compute the sum"),
     ("+", "total = sum(v)")],
    # code commented out
    [(" ", "x = 1"), ("-", "debug(x)"), ("+", "# debug(x)")],
    # a comment beside the code it explains, as many lines of code as before
    [(" ", "x = 1"), ("-", "y = slow(x)"), ("+", "# the fast path is exact for ints"), ("+", "y = fast(x)")],
    # code added under a comment, nothing removed
    [(" ", "x = 1"), ("+", "# keep the rest as is"), ("+", "y = 2")],
    # a comment that continues the one above it
    [(" ", "# first we load"), ("+", "# ...and then we parse"), (" ", "load()")],
    # a separator comment
    [(" ", "x = 1"), ("-", "y = 2"), ("-", "z = 3"), ("+", "# ----------")],
])
def test_real_comment_edits_are_not_elision(lines):
    assert find_elision(lines, "mod.py") is None


def test_a_placeholder_the_file_already_has_is_real():
    text = APP.replace("    return result\n", "    # ... keep the rest as is ...\n    return result\n")
    diff = ("--- a/app.py\n+++ b/app.py\n@@ -7,3 +7,2 @@\n         result += value\n-    count = len(values)\n"
            "     # ... keep the rest as is ...\n")
    assert check_patch(diff, {"app.py": text.encode()}.get).ok


def test_the_refusal_says_what_the_placeholder_stands_for():
    result = check_patch(elided_diff("    # keep the rest as is"), {"app.py": APP.encode()}.get)
    [refusal] = result.refusals
    assert "`# keep the rest as is` takes the place of 3 lines it removes (from `for value in values:`)" in str(refusal)
    assert "to delete lines, remove them without a comment in their place" in str(refusal)


def test_deleting_the_lines_without_a_placeholder_is_fine():
    diff = elided_diff("    # keep the rest as is").replace("+    # keep the rest as is\n", "").replace("+4,4", "+4,3")
    assert check_patch(diff, {"app.py": APP.encode()}.get).ok


def test_comment_markers():
    assert comment_body("    # note", "a.py") == "note"
    assert comment_body("  /* note */", "a.c") == "note"
    assert comment_body("   * note", "a.c") == "note"
    assert comment_body("{/* ... */}", "a.tsx") == "..."
    assert comment_body("<!-- note -->", "a.md") == "note"
    assert comment_body("# Heading", "README.md") is None
    assert comment_body("*p = 3;", "a.c") is None
    assert comment_body("-- note", "q.sql") == "note"


def test_an_unchanged_line_that_stands_for_lines_left_out_is_named():
    # the model kept the loop in mind but wrote a comment in its place, as an unchanged line
    diff = ("--- a/app.py\n+++ b/app.py\n@@ -4,6 +4,6 @@\n def total(values):\n     result = 0\n"
            "     # keep the loop as it is\n-    count = len(values)\n+    count = len(list(values))\n     return result\n")
    [refusal] = check_patch(diff, {"app.py": APP.encode()}.get).refusals
    assert str(refusal) == ("app.py: hunk 1 (near line 4): it elides code: the line `# keep the loop as it is` it keeps "
                            "is not in the file; it stands for lines 6-7 (2 lines the hunk leaves out). Write out every "
                            "line the hunk keeps, removes or adds")


def test_a_bracketed_aside_above_another_comment_still_stands_in_for_removed_code():
    # from a real model patch (sympy lambdify): three lines replaced by an aside, a comment, new code
    lines = [("-", '            left, right = "[]"'), ("-", "        elif isinstance(arg, tuple):"),
             ("-", '            left, right = "()"'), ("+", "            # (code continues as before)"),
             ("+", "            # Ensure single-element tuples have a trailing comma"),
             ("+", "            if len(arg) == 1:"), ("+", "                return left + x + ',' + right"),
             (" ", "        else:")]
    assert find_elision(lines, "sympy/utilities/lambdify.py") is not None
