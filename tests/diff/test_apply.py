"""The diff engine through its entry point, apply_patch: each tolerance and each refusal."""

from __future__ import annotations

import textwrap

import pytest

from surgeon.diff import PatchResult, Refusal
from surgeon.validate import ApplyOptions, check_patch

APP = textwrap.dedent("""\
    import os


    def load(path):
        with open(path) as handle:
            return handle.read()


    def total(values):
        result = 0
        for value in values:
            result += value
        return result


    def main():
        print(total([1, 2, 3]))
    """)


def run(diff: str, files: dict[str, str | bytes], **options) -> PatchResult:
    data = {path: content.encode() if isinstance(content, str) else content for path, content in files.items()}
    return check_patch(textwrap.dedent(diff), data.get, ApplyOptions(**options))


def new_text(result: PatchResult, path: str | None = None) -> str:
    assert result.ok, [str(r) for r in result.refusals]
    change = next(c for c in result.changes if path is None or c.path == path)
    assert change.new_content is not None
    return change.new_content.decode()


def reasons(result: PatchResult) -> str:
    assert not result.ok
    return "\n".join(str(r) for r in result.refusals)


CHANGE_TOTAL = """\
    --- a/app.py
    +++ b/app.py
    @@ -9,5 +9,5 @@
     def total(values):
         result = 0
         for value in values:
    -        result += value
    +        result += int(value)
         return result
    """


def test_a_correct_diff_applies_exactly():
    result = run(CHANGE_TOTAL, {"app.py": APP})
    assert new_text(result) == APP.replace("result += value", "result += int(value)")
    assert result.repairs == ()
    assert (result.lines_added, result.lines_removed) == (1, 1)
    assert result.changes[0].lines_added == 1 and result.changes[0].lines_removed == 1


def test_wrong_line_numbers_are_corrected_and_reported():
    result = run(CHANGE_TOTAL.replace("-9,5 +9,5", "-40,5 +40,5"), {"app.py": APP})
    assert "result += int(value)" in new_text(result)
    assert "hunk 1 of app.py: line numbers corrected from 40 to 9" in result.repairs


def test_bare_hunk_header_and_missing_prefixes():
    diff = CHANGE_TOTAL.replace("@@ -9,5 +9,5 @@", "@@ @@").replace("a/app.py", "app.py").replace("b/app.py", "app.py")
    result = run(diff, {"app.py": APP})
    assert "result += int(value)" in new_text(result)
    assert any("placed at line 9 by its content" in r for r in result.repairs)


def test_doubled_prefix():
    diff = CHANGE_TOTAL.replace("a/app.py", "a/a/app.py").replace("b/app.py", "b/b/app.py")
    assert "int(value)" in new_text(run(diff, {"app.py": APP}))


def test_wrong_counts_are_recounted():
    result = run(CHANGE_TOTAL.replace("-9,5 +9,5", "-9,12 +9,2"), {"app.py": APP})
    assert "int(value)" in new_text(result)
    assert any("line counts corrected" in r for r in result.repairs)


def test_crlf_diff_on_lf_file():
    diff = textwrap.dedent(CHANGE_TOTAL).replace("\n", "\r\n")
    result = check_patch(diff, {"app.py": APP.encode()}.get)
    assert new_text(result) == APP.replace("result += value", "result += int(value)")


def test_crlf_file_keeps_crlf_and_added_lines_get_it():
    crlf = APP.replace("\n", "\r\n")
    diff = """\
        --- a/app.py
        +++ b/app.py
        @@ -10,3 +10,4 @@
             result = 0
        +    values = list(values)
             for value in values:
                 result += value
        """
    out = new_text(run(diff, {"app.py": crlf}))
    assert out == crlf.replace("    result = 0\r\n", "    result = 0\r\n    values = list(values)\r\n")
    assert "\n" not in out.replace("\r\n", "")


def test_file_without_final_newline_is_preserved():
    text = "a\nb\nc"
    diff = """\
        --- a/f.txt
        +++ b/f.txt
        @@ -2,2 +2,3 @@
         b
         c
        +d
        """
    assert new_text(run(diff, {"f.txt": text})) == "a\nb\nc\nd"


def test_diff_that_adds_the_final_newline_explicitly():
    text = "a\nb\nc"
    diff = """\
        --- a/f.txt
        +++ b/f.txt
        @@ -2,2 +2,2 @@
         b
        -c
        \\ No newline at end of file
        +c
        """
    assert new_text(run(diff, {"f.txt": text})) == "a\nb\nc\n"


def test_misplaced_no_newline_marker_is_ignored():
    diff = """\
        --- a/f.txt
        +++ b/f.txt
        @@ -1,3 +1,3 @@
         a
        \\ No newline at end of file
        -b
        +B
         c
        """
    result = run(diff, {"f.txt": "a\nb\nc\n"})
    assert new_text(result) == "a\nB\nc\n"
    assert any("misplaced" in r for r in result.repairs)


def test_blank_context_line_without_its_space():
    diff = "--- a/app.py\n+++ b/app.py\n@@ -1,4 +1,4 @@\n-import os\n+import sys\n\n\n def load(path):\n"
    result = check_patch(diff, {"app.py": APP.encode()}.get)
    assert new_text(result).startswith("import sys\n\n\ndef load(path):")
    assert any("blank context line" in r for r in result.repairs)


def test_trailing_whitespace_differences_keep_the_files_whitespace():
    text = "a = 1   \nb = 2\nc = 3  \n"
    diff = """\
        --- a/f.txt
        +++ b/f.txt
        @@ -1,3 +1,3 @@
         a = 1
        -b = 2
        +b = 20
         c = 3
        """
    result = run(diff, {"f.txt": text})
    assert new_text(result) == "a = 1   \nb = 20\nc = 3  \n"
    assert any("trailing whitespace" in r for r in result.repairs)


def test_hunks_out_of_order():
    diff = """\
        --- a/app.py
        +++ b/app.py
        @@ -16,2 +16,2 @@
         def main():
        -    print(total([1, 2, 3]))
        +    print(total([1, 2, 3, 4]))
        @@ -1,3 +1,3 @@
        -import os
        +import sys
        """ + "     \n     \n"
    result = run(diff, {"app.py": APP})
    out = new_text(result)
    assert out.startswith("import sys\n") and "[1, 2, 3, 4]" in out
    assert any("out of order" in r for r in result.repairs)


def test_overlapping_hunks_sharing_context_are_merged():
    text = "".join(f"line {n}\n" for n in range(1, 21))
    diff = """\
        --- a/f.txt
        +++ b/f.txt
        @@ -3,5 +3,5 @@
         line 3
         line 4
        -line 5
        +LINE 5
         line 6
         line 7
        @@ -6,5 +6,5 @@
         line 6
         line 7
        -line 8
        +LINE 8
         line 9
         line 10
        """
    result = run(diff, {"f.txt": text})
    assert new_text(result) == text.replace("line 5\n", "LINE 5\n").replace("line 8\n", "LINE 8\n")
    assert any("overlap" in r for r in result.repairs)


def test_overlapping_hunks_that_contradict_are_refused():
    text = "".join(f"line {n}\n" for n in range(1, 21))
    diff = """\
        --- a/f.txt
        +++ b/f.txt
        @@ -3,3 +3,3 @@
         line 3
        -line 4
        +LINE 4
         line 5
        @@ -4,3 +4,3 @@
         line 4
        -line 5
        +LINE 5
         line 6
        """
    assert "keeps as context" in reasons(run(diff, {"f.txt": text}))


def test_the_same_change_twice_is_applied_once():
    text = "".join(f"line {n}\n" for n in range(1, 21))
    hunk = "@@ -3,3 +3,3 @@\n line 3\n-line 4\n+LINE 4\n line 5\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n" + hunk + hunk
    assert new_text(check_patch(diff, {"f.txt": text.encode()}.get)) == text.replace("line 4\n", "LINE 4\n")


def test_fewer_context_lines():
    diff = """\
        --- a/app.py
        +++ b/app.py
        @@ -12 +12 @@
        -        result += value
        +        result += abs(value)
        """
    assert "abs(value)" in new_text(run(diff, {"app.py": APP}))


def test_indentation_drift_is_repaired_where_indentation_carries_no_meaning():
    js = "function f(a) {\n    if (a) {\n        return 1;\n    }\n    return 2;\n}\n"
    diff = """\
        --- a/web/f.js
        +++ b/web/f.js
        @@ -2,3 +2,4 @@
         if (a) {
        -    return 1;
        +    log(a);
        +    return 10;
         }
        """
    result = run(diff, {"web/f.js": js})
    assert new_text(result) == js.replace("        return 1;\n", "        log(a);\n        return 10;\n")
    assert any("indentation" in r for r in result.repairs)


def test_tabs_for_spaces_in_go():
    go = "func f() {\n\tif x {\n\t\treturn 1\n\t}\n}\n"
    diff = """\
        --- a/f.go
        +++ b/f.go
        @@ -1,5 +1,5 @@
         func f() {
             if x {
        -        return 1
        +        return 2
             }
         }
        """
    assert new_text(run(diff, {"f.go": go})) == go.replace("return 1", "return 2")


@pytest.mark.parametrize("path", ["app.py", "notes.unknownext"])
def test_one_shift_of_the_whole_hunk_is_undone_where_indentation_carries_meaning(path):
    diff = f"""\
        --- a/{path}
        +++ b/{path}
        @@ -10,3 +10,3 @@
           result = 0
           for value in values:
        -      result += value
        +      result += int(value)
        """
    result = run(diff, {path: APP})
    assert new_text(result) == APP.replace("result += value", "result += int(value)")
    assert any("added lines re-indented" in r for r in result.repairs)


@pytest.mark.parametrize("path", ["app.py", "notes.unknownext"])
def test_indentation_drift_is_refused_where_it_may_carry_meaning(path):
    # the lines are off by different amounts, the removed line among them
    diff = f"""\
        --- a/{path}
        +++ b/{path}
        @@ -10,3 +10,3 @@
           result = 0
             for value in values:
        -      result += value
        +      result += int(value)
        """
    text = reasons(run(diff, {path: APP}))
    assert "only when indentation is ignored" in text
    assert f"{path}: hunk 1" in text


def test_several_matches_without_a_line_number_are_refused_with_the_places():
    text = "x = 1\ny = 2\n\nx = 1\ny = 2\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ @@\n x = 1\n-y = 2\n+y = 3\n"
    message = reasons(check_patch(diff, {"f.txt": text.encode()}.get))
    assert "match 2 places (lines 1, 4)" in message
    assert "no line number" in message


def test_a_line_number_next_to_one_of_several_matches_picks_it():
    text = "x = 1\ny = 2\n\n\n\nx = 1\ny = 2\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -5,2 +5,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    result = check_patch(diff, {"f.txt": text.encode()}.get)
    assert new_text(result) == "x = 1\ny = 2\n\n\n\nx = 1\ny = 3\n"
    assert any("picked line 6" in r for r in result.repairs)


def test_a_line_number_far_from_every_match_does_not_pick():
    text = "x = 1\ny = 2\n" + "\n" * 30 + "x = 1\ny = 2\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -17,2 +17,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    assert "none of them is within 3 lines of line 17" in reasons(check_patch(diff, {"f.txt": text.encode()}.get))


def test_a_line_number_within_three_lines_of_two_matches_is_refused():
    # the @@ line number is 0 lines from one place and 2 from the other: it cannot choose
    text = "x = 1\ny = 2\nx = 1\ny = 2\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    message = reasons(check_patch(diff, {"f.txt": text.encode()}.get))
    assert "f.txt: hunk 1 (near line 1): its context and removed lines match 2 places (lines 1, 3)" in message
    assert "2 of them (lines 1, 3) are within 3 lines of line 1 named in its @@ header" in message


def test_no_match_shows_the_closest_lines_and_what_differs():
    diff = CHANGE_TOTAL.replace("for value in values:", "for item in values:")
    message = reasons(run(diff, {"app.py": APP}))
    assert message.startswith("app.py: hunk 1 (near line 9): its context and removed lines match nowhere")
    assert "the diff expects `for item in values:` where line 11 of the file is `for value in values:`" in message


def test_a_removed_line_that_differs_is_refused_with_the_difference():
    diff = CHANGE_TOTAL.replace("-        result += value", "-        result -= value")
    message = reasons(run(diff, {"app.py": APP}))
    assert "the diff removes `result -= value` where line 12 of the file is `result += value`" in message


def test_a_change_that_is_already_there_is_named_as_such():
    done = APP.replace("result += value", "result += int(value)")
    assert "in the file already" in reasons(run(CHANGE_TOTAL, {"app.py": done}))


def test_no_op_churn_is_dropped():
    diff = """\
        --- a/app.py
        +++ b/app.py
        @@ -9,5 +9,5 @@
        -def total(values):
        -    result = 0
        -    for value in values:
        -        result += value
        +def total(values):
        +    result = 0
        +    for value in values:
        +        result += int(value)
             return result
        """
    result = run(diff, {"app.py": APP})
    assert (result.lines_added, result.lines_removed) == (1, 1)
    assert any("removed and added back unchanged" in r for r in result.repairs)
    assert "-def total" not in result.normalised


def test_churn_keeps_the_files_own_whitespace():
    text = "a = 1  \nb = 2\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n-a = 1\n-b = 2\n+a = 1\n+b = 3\n"
    assert new_text(check_patch(diff, {"f.txt": text.encode()}.get)) == "a = 1  \nb = 3\n"


@pytest.mark.parametrize("placeholder", [
    "    # ... existing code ...", "    # rest unchanged", "    # rest of the function unchanged", "    ...",
    "    # 其余代码保持不变",
])
def test_elided_code_is_refused(placeholder):
    diff = CHANGE_TOTAL.replace("         for value in values:\n", f"     {placeholder}\n")
    path = "app.js" if placeholder.strip() == "..." else "app.py"
    message = reasons(run(diff.replace("app.py", path), {path: APP}))
    assert "elides code" in message


def test_an_added_placeholder_is_refused():
    diff = CHANGE_TOTAL.replace("+        result += int(value)", "+        # ... rest of the loop unchanged")
    assert "elides code: an added line" in reasons(run(diff, {"app.py": APP}))


def test_a_real_line_that_looks_like_a_placeholder_is_fine():
    text = "def f():\n    ...\n"
    diff = "--- a/stub.py\n+++ b/stub.py\n@@ -1,2 +1,2 @@\n-def f():\n+def f(x):\n     ...\n"
    assert new_text(check_patch(diff, {"stub.py": text.encode()}.get)) == "def f(x):\n    ...\n"


def test_a_missing_file_is_refused():
    message = reasons(run(CHANGE_TOTAL.replace("app.py", "src/app.py"), {"app.py": APP}))
    assert "src/app.py" in message and "does not exist" in message


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd", ".git/config", "a/../../x.py"])
def test_paths_outside_the_repository_are_refused(path):
    diff = f"--- /dev/null\n+++ {path}\n@@ -0,0 +1 @@\n+x\n"
    result = check_patch(diff, lambda p: None)
    assert not result.ok
    assert any(word in reasons(result) for word in ("outside", "absolute", ".git"))


def test_binary_files_are_refused():
    message = reasons(run(CHANGE_TOTAL, {"app.py": b"\x00\x01" + APP.encode()}))
    assert "binary" in message


def test_non_utf8_files_are_refused():
    assert "not UTF-8" in reasons(run(CHANGE_TOTAL, {"app.py": APP.encode() + b"\xff\xfe"}))


def test_binary_patches_are_refused():
    diff = "diff --git a/logo.png b/logo.png\nindex 1..2 100644\nGIT binary patch\nliteral 3\nxyz\n"
    assert "binary patches are not supported" in reasons(check_patch(diff, lambda p: b"x"))


def test_new_file():
    diff = "diff --git a/pkg/new.py b/pkg/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n"
    result = check_patch(diff, lambda p: None)
    assert new_text(result) == "a = 1\nb = 2\n"
    change = result.changes[0]
    assert change.old_content is None and change.status == "added" and change.new_mode == "100644"


def test_new_file_without_final_newline_and_executable():
    diff = "--- /dev/null\n+++ b/run.sh\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+echo hi\n\\ No newline at end of file\n"
    diff = "diff --git a/run.sh b/run.sh\nnew file mode 100755\n" + diff
    result = check_patch(diff, lambda p: None)
    assert new_text(result) == "#!/bin/sh\necho hi"
    assert result.changes[0].new_mode == "100755"


def test_new_file_that_exists_is_refused():
    diff = "--- /dev/null\n+++ b/app.py\n@@ -0,0 +1 @@\n+x = 1\n"
    assert "already exists" in reasons(run(diff, {"app.py": APP}))


def test_new_file_with_elision_is_refused():
    diff = "--- /dev/null\n+++ b/n.py\n@@ -0,0 +1,2 @@\n+import os\n+# ... rest of the file ...\n"
    assert "elides code" in reasons(check_patch(diff, lambda p: None))


def test_deleted_file():
    text = "a\nb\n"
    diff = "diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
    result = check_patch(diff, {"old.txt": text.encode()}.get)
    assert result.ok
    change = result.changes[0]
    assert change.new_content is None and change.old_content == b"a\nb\n" and change.status == "deleted"
    assert result.lines_removed == 2


def test_deletion_that_leaves_lines_is_refused():
    diff = "--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
    assert "must remove every line" in reasons(check_patch(diff, {"old.txt": b"a\nb\nc\n"}.get))


def test_rename_with_a_change():
    diff = textwrap.dedent("""\
        diff --git a/app.py b/main.py
        similarity index 90%
        rename from app.py
        rename to main.py
        --- a/app.py
        +++ b/main.py
        @@ -1 +1 @@
        -import os
        +import sys
        """)
    result = check_patch(diff, {"app.py": APP.encode()}.get)
    assert result.ok, reasons(result)
    change = result.changes[0]
    assert (change.path, change.old_path, change.status) == ("main.py", "app.py", "renamed")
    assert change.new_content.decode().startswith("import sys\n")
    assert "rename from app.py\nrename to main.py\n" in result.normalised


def test_pure_rename_and_rename_onto_existing_file():
    diff = "diff --git a/app.py b/main.py\nrename from app.py\nrename to main.py\n"
    result = check_patch(diff, {"app.py": APP.encode()}.get)
    assert result.ok and result.changes[0].new_content == APP.encode()
    refused = check_patch(diff, {"app.py": APP.encode(), "main.py": b"x\n"}.get)
    assert "already exists" in reasons(refused)


def test_mode_change():
    diff = "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    result = check_patch(diff, {"run.sh": b"echo hi\n"}.get)
    assert result.ok, reasons(result)
    change = result.changes[0]
    assert (change.old_mode, change.new_mode) == ("100644", "100755")
    assert change.new_content == change.old_content
    assert "old mode 100644\nnew mode 100755\n" in result.normalised


def test_different_paths_without_rename_lines_are_refused():
    diff = CHANGE_TOTAL.replace("+++ b/app.py", "+++ b/other.py")
    assert "name different files" in reasons(run(diff, {"app.py": APP}))


def test_the_same_file_in_two_blocks_is_merged():
    first = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-import os\n+import sys\n"
    second = textwrap.dedent(CHANGE_TOTAL)
    result = check_patch(first + second, {"app.py": APP.encode()}.get)
    out = new_text(result)
    assert out.startswith("import sys\n") and "int(value)" in out
    assert len(result.changes) == 1


def test_several_files_all_or_nothing():
    good = textwrap.dedent(CHANGE_TOTAL)
    bad = "--- a/other.txt\n+++ b/other.txt\n@@ -1 +1 @@\n-nope\n+yes\n"
    result = check_patch(good + bad, {"app.py": APP.encode(), "other.txt": b"something\n"}.get)
    assert not result.ok and result.changes == () and result.normalised == ""
    assert [r.path for r in result.refusals] == ["other.txt"]


def test_whole_file_rewrite_is_refused_unless_allowed():
    old = "".join(f"line {n}\n" for n in range(20))
    new = "".join(f"other {n}\n" for n in range(20))
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,20 +1,20 @@\n" + "".join(f"-{x}\n" for x in old.splitlines()) + "".join(f"+{x}\n" for x in new.splitlines())
    message = reasons(check_patch(diff, {"f.txt": old.encode()}.get))
    assert "whole-file rewrite" in message and "--allow-rewrite" in message
    assert check_patch(diff, {"f.txt": old.encode()}.get, ApplyOptions(allow_rewrite=True)).ok


def test_max_changed_lines():
    message = reasons(run(CHANGE_TOTAL, {"app.py": APP}, max_changed_lines=1))
    assert "changes 2 lines" in message and "max_changed_lines = 1" in message
    assert run(CHANGE_TOTAL, {"app.py": APP}, max_changed_lines=2).ok


def test_syntax_guard_names_the_line():
    diff = CHANGE_TOTAL.replace("+        result += int(value)", "+        result += int(value")
    message = reasons(run(diff, {"app.py": APP}))
    assert "app.py: hunk 1 (near line 12): the change breaks the Python syntax: '(' was never closed" in message
    assert run(diff, {"app.py": APP}, check_syntax=False).ok


def test_syntax_guard_does_not_blame_existing_errors():
    broken = APP + "def broken(:\n    pass\n"
    assert run(CHANGE_TOTAL, {"app.py": broken}).ok


@pytest.mark.parametrize("diff", ["", "   \n", "just some prose, no diff at all\n", "@@ -1 +1 @@\n-a\n+b\n"])
def test_empty_or_malformed_patches_are_refused(diff):
    result = check_patch(diff, lambda p: b"a\n")
    assert not result.ok and result.refusals
    assert all(isinstance(r, Refusal) and r.reason for r in result.refusals)


def test_a_diff_that_changes_nothing_is_refused():
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n-a\n+a\n b\n"
    assert "changes nothing" in reasons(check_patch(diff, {"f.txt": b"a\nb\n"}.get))


def test_refusal_text_format():
    assert str(Refusal("app.py", 2, 58, "why")) == "app.py: hunk 2 (near line 58): why"
    assert str(Refusal("app.py", None, 7, "why")) == "app.py: line 7: why"
    assert str(Refusal("app.py", 1, None, "why")) == "app.py: hunk 1: why"
    assert str(Refusal(None, None, None, "why")) == "why"


def test_pure_and_deterministic():
    calls = []

    def read(path):
        calls.append(path)
        return APP.encode()

    first = check_patch(textwrap.dedent(CHANGE_TOTAL), read)
    second = check_patch(textwrap.dedent(CHANGE_TOTAL), read)
    assert first == second
    assert set(calls) == {"app.py"}


def test_doctest_continuations_are_not_placeholders():
    text = "Example:\n\n>>> f(\n...     1,\n... )\n1\n"
    diff = "--- a/docs/usage.rst\n+++ b/docs/usage.rst\n@@ -3,4 +3,5 @@\n >>> f(\n ...     1,\n+...     2,\n ... )\n-1\n+3\n"
    assert new_text(check_patch(diff, {"docs/usage.rst": text.encode()}.get)) == text.replace("...     1,\n", "...     1,\n...     2,\n").replace(")\n1\n", ")\n3\n")


def test_a_hunk_written_against_the_file_as_earlier_hunks_left_it():
    text = "".join(f"line {n}\n" for n in range(1, 21))
    diff = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -3,3 +3,4 @@\n line 3\n line 4\n+new line\n line 5\n"
        "@@ -4,3 +4,3 @@\n line 4\n new line\n-line 5\n+LINE 5\n"
    )
    result = check_patch(diff, {"f.txt": text.encode()}.get)
    assert new_text(result) == text.replace("line 4\nline 5\n", "line 4\nnew line\nLINE 5\n")
    assert any("only after the other hunks are applied" in r for r in result.repairs)
    assert (result.lines_added, result.lines_removed) == (2, 1)


def test_a_hunk_that_fits_neither_way_keeps_its_first_refusal():
    text = "".join(f"line {n}\n" for n in range(1, 21))
    diff = (
        "--- a/f.txt\n+++ b/f.txt\n@@ -3,3 +3,4 @@\n line 3\n line 4\n+new line\n line 5\n"
        "@@ -10,2 +10,2 @@\n line 10\n-line 99\n+LINE 99\n"
    )
    message = reasons(check_patch(diff, {"f.txt": text.encode()}.get))
    assert "f.txt: hunk 2 (near line 10): its context and removed lines match nowhere" in message


def test_a_diff_naming_dev_null_on_both_sides_is_refused_not_a_crash():
    diff = "--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n"
    result = check_patch(diff, {"app.py": APP.encode()}.get)
    assert not result.ok
    [refusal] = result.refusals
    assert "name /dev/null" in refusal.reason and refusal.line == 1
    deleted = "diff --git a/app.py b/app.py\ndeleted file mode 100644\n--- /dev/null\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    assert not check_patch(deleted, {"app.py": APP.encode()}.get).ok
