"""The syntax guard with the languages' own parsers: a change that makes a file stop parsing is
refused, naming the hunk and line; a file that did not parse before is not the diff's fault."""

from __future__ import annotations

import pytest

from surgeon.validate import check_patch
from surgeon.validate.syntax import check_syntax

APP = ("def total(values):\n    result = 0\n    for value in values:\n        value = int(value)\n"
       "        result += value\n    return result\n")


def reasons(result) -> str:
    assert not result.ok
    return "\n".join(str(r) for r in result.refusals)


def test_an_indentation_error_is_refused_naming_the_hunk_and_line():
    # tree-sitter reads this without an error; Python's compiler does not
    diff = ("--- a/app.py\n+++ b/app.py\n@@ -4,3 +4,3 @@\n         value = int(value)\n-        result += value\n"
            "+      result += value\n     return result\n")
    message = reasons(check_patch(diff, {"app.py": APP.encode()}.get))
    assert message.startswith("app.py: hunk 1 (near line 5): the change breaks the Python syntax: "
                              "unindent does not match any outer indentation level at line 5"), message


def test_the_hunk_named_is_the_one_that_broke_the_file():
    text = APP + "\n\n" + "".join(f"x{n} = {n}\n" for n in range(20)) + "\n\ndef f():\n    return 1\n"
    diff = ("--- a/app.py\n+++ b/app.py\n@@ -8,1 +8,1 @@\n-x0 = 0\n+x0 = 10\n"
            "@@ -31,2 +31,2 @@\n def f():\n-    return 1\n+  return 1\n")
    # the second hunk alone is fine: a function body may be indented by 2
    assert check_patch(diff, {"app.py": text.encode()}.get).ok
    bad = diff.replace("+  return 1\n", "+    return 1\n+  pass\n").replace("+31,2", "+31,3")
    message = reasons(check_patch(bad, {"app.py": text.encode()}.get))
    assert message.startswith("app.py: hunk 2 (near line 33): the change breaks the Python syntax"), message


@pytest.mark.parametrize("path, old, new, what", [
    ("settings.json", '{"a": 1,\n "b": 2}\n', '{"a": 1,\n "b": 2,}\n', "JSON"),
    ("pyproject.toml", '[tool]\nname = "x"\n', '[tool]\nname = "x\n', "TOML"),
    ("ci.yaml", "jobs:\n  test:\n    runs: 1\n", "jobs:\n  test:\n    runs: 1\n   bad: [\n", "YAML"),
    ("app.py", APP, APP.replace("    return result", "   return result"), "Python"),
])
def test_each_real_parser_refuses_what_breaks_the_file(path, old, new, what):
    problem = check_syntax(path, old, new, [2])
    assert problem is not None and f"breaks the {what} syntax" in problem.reason, problem
    assert problem.line is not None


def test_a_file_that_did_not_parse_before_is_not_the_diffs_fault():
    broken = "def f(:\n    pass\n"
    assert check_syntax("app.py", broken, broken + "x = 1\n") is None
    assert check_syntax("c.json", "{'a': 1}\n", "{'a': 2}\n") is None


def test_a_file_the_compiler_rejected_before_is_left_to_tree_sitter():
    # (syntax newer than this Python, or as here an error only the compiler sees): only a new
    # tree-sitter error counts
    old = "x = (yield)\n"
    assert check_syntax("gen.py", old, old + "y = 2\n") is None
    assert check_syntax("gen.py", old, old + "y = (\n") is not None


def test_a_new_file_must_parse():
    diff = "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+def f():\n+return 1\n"
    assert "new.py: hunk 1 (near line 2): the change breaks the Python syntax" in reasons(check_patch(diff, lambda p: None))


def test_valid_python_that_tree_sitter_misreads_is_accepted():
    old = "x = 1\n"
    new = 'x = 1\nprint(f"{x!r:>{10}}")\n'
    assert check_syntax("a.py", old, new) is None


def test_warnings_are_not_errors(capfd):
    assert check_syntax("a.py", "x = 1\n", 'x = "\\d"\n') is None
    assert capfd.readouterr().err == ""
