"""The formats people paste (SEARCH/REPLACE blocks, Codex patches, git format-patch mail) read
as unified diffs and judged by the same engine: the intended file, or a refusal that says why."""

from __future__ import annotations

import os
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surgeon.diff import PatchResult, Refusal, extract_diff
from surgeon.diff.formats import complete, convert, mail_subject, to_unified
from surgeon.validate import ApplyOptions, check_patch

OPTIONS = ApplyOptions(check_syntax=False, allow_rewrite=True)
SCALE = float(os.environ.get("SURGEON_PROPERTY_SCALE", "1"))

APP = textwrap.dedent('''\
    import os


    def total(values):
        result = 0
        for value in values:
            result += value
        return result


    def mean(values):
        return total(values) / len(values)
    ''')


def run(reply: str, files: dict[str, str], options: ApplyOptions = OPTIONS) -> PatchResult:
    """What the engine makes of a reply: extract_diff, then complete (the files' contents at
    hand), then the engine and its validators."""
    contents = {path: text.encode() for path, text in files.items()}
    done = complete(extract_diff(reply), contents.get)
    if done.refusals:
        return PatchResult(False, (), done.refusals, done.repairs, "", 0, 0)
    result = check_patch(done.diff, contents.get, options)
    return PatchResult(result.ok, result.changes, result.refusals, done.repairs + result.repairs,
                       result.normalised, result.lines_added, result.lines_removed)


def new_text(result: PatchResult, path: str) -> str | None:
    assert result.ok, [str(r) for r in result.refusals]
    change = next(c for c in result.changes if c.path == path)
    return None if change.new_content is None else change.new_content.decode()


def reasons(result: PatchResult) -> str:
    assert not result.ok
    return "\n".join(str(r) for r in result.refusals)


# ---------------------------------------------------------------------------------------------
# SEARCH/REPLACE


AIDER = '''I'll make the sum convert each value.

app.py
```python
<<<<<<< SEARCH
    for value in values:
        result += value
=======
    for value in values:
        result += int(value)
>>>>>>> REPLACE
```
'''


def test_aider_block_in_a_fence_with_the_path_before_it():
    result = run(AIDER, {"app.py": APP})
    assert new_text(result, "app.py") == APP.replace("result += value", "result += int(value)")
    assert "read 1 SEARCH/REPLACE block as a unified diff" in result.repairs
    assert result.normalised.startswith("diff --git a/app.py b/app.py\n")
    assert "-        result += value\n+        result += int(value)\n" in result.normalised


def test_unfenced_blocks_and_a_second_block_without_a_path():
    reply = textwrap.dedent('''\
        app.py
        <<<<<<< SEARCH
            result = 0
        =======
            result = 0.0
        >>>>>>> REPLACE

        <<<<<<< SEARCH
            return total(values) / len(values)
        =======
            return total(values) / max(len(values), 1)
        >>>>>>> REPLACE
        ''')
    result = run(reply, {"app.py": APP})
    assert new_text(result, "app.py") == APP.replace("result = 0\n", "result = 0.0\n").replace(
        "/ len(values)", "/ max(len(values), 1)")
    assert "read 2 SEARCH/REPLACE blocks as a unified diff" in result.repairs


def test_path_with_markdown_around_it():
    reply = AIDER.replace("\napp.py\n", "\n**`app.py`**:\n")
    assert new_text(run(reply, {"app.py": APP}), "app.py") == APP.replace("result += value", "result += int(value)")


def test_cline_replace_in_file():
    reply = textwrap.dedent('''\
        <replace_in_file>
        <path>app.py</path>
        <diff>
        ------- SEARCH
                result += value
        =======
                result += abs(value)
        +++++++ REPLACE
        </diff>
        </replace_in_file>
        ''')
    result = run(reply, {"app.py": APP})
    assert new_text(result, "app.py") == APP.replace("result += value", "result += abs(value)")


def test_roo_start_line_breaks_a_tie():
    text = "a = 1\nprint(a)\n\n\nb = 2\nprint(a)\n"
    reply = textwrap.dedent('''\
        <apply_diff>
        <path>two.py</path>
        <diff>
        <<<<<<< SEARCH
        :start_line:6
        -------
        print(a)
        =======
        print(b)
        >>>>>>> REPLACE
        </diff>
        </apply_diff>
        ''')
    result = run(reply, {"two.py": text})
    assert new_text(result, "two.py") == "a = 1\nprint(a)\n\n\nb = 2\nprint(b)\n"
    # without the hint the same block matches two places and is refused
    refused = run(reply.replace(":start_line:6\n-------\n", ""), {"two.py": text})
    assert "match 2 places" in reasons(refused)


def test_empty_search_creates_a_file_and_refuses_an_existing_one():
    reply = "notes/todo.md\n```\n<<<<<<< SEARCH\n=======\n# To do\n\n- tests\n>>>>>>> REPLACE\n```\n"
    result = run(reply, {"app.py": APP})
    assert new_text(result, "notes/todo.md") == "# To do\n\n- tests\n"
    assert result.changes[0].status == "added"
    assert "already exists" in reasons(run(reply, {"notes/todo.md": "old\n"}))


def test_a_truncated_block_refuses_the_whole_reply():
    reply = AIDER + "\napp.py\n<<<<<<< SEARCH\n    return result\n=======\n    return result or 0\n"
    refused = run(reply, {"app.py": APP})
    assert "block 2 has no `>>>>>>> REPLACE` line" in reasons(refused)
    assert refused.refusals[0].path == "app.py" and refused.refusals[0].line == 15


def test_blocks_without_a_path_or_a_divider_are_refused():
    assert "names no file" in reasons(run("<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n", {"app.py": APP}))
    assert "exactly one `=======`" in reasons(run("app.py\n<<<<<<< SEARCH\nx\ny\n>>>>>>> REPLACE\n", {"app.py": APP}))


def test_an_underline_of_equals_signs_in_the_search_part():
    doc = "Title\n=====\n\nSome text.\n"
    reply = "README.rst\n<<<<<<< SEARCH\nTitle\n=====\n=======\nA title\n=======\n>>>>>>> REPLACE\n"
    refused = run(reply, {"README.rst": doc})  # two `=======` lines: which one divides is unknown
    assert "exactly one `=======`" in reasons(refused)
    reply = "README.rst\n<<<<<<< SEARCH\nTitle\n=====\n=======\nHeading\n=====\n>>>>>>> REPLACE\n"
    assert new_text(run(reply, {"README.rst": doc}), "README.rst") == "Heading\n=====\n\nSome text.\n"


def test_elided_replace_is_refused():
    reply = AIDER.replace("        result += int(value)\n", "        # ... rest unchanged ...\n")
    assert "elides code" in reasons(run(reply, {"app.py": APP}))


def test_search_that_matches_nowhere_is_refused():
    reply = AIDER.replace("        result += value\n=", "        result += values\n=")
    refused = run(reply, {"app.py": APP})
    assert refused.refusals[0].path == "app.py" and refused.refusals[0].hunk == 1


def test_markers_inside_a_unified_diff_are_lines_of_a_file():
    diff = ("--- a/prompt.txt\n+++ b/prompt.txt\n@@ -1,3 +1,3 @@\n <<<<<<< SEARCH\n-old\n+new\n"
            " >>>>>>> REPLACE\n")
    assert convert(diff) is None
    result = run(diff, {"prompt.txt": "<<<<<<< SEARCH\nold\n>>>>>>> REPLACE\n"})
    assert new_text(result, "prompt.txt") == "<<<<<<< SEARCH\nnew\n>>>>>>> REPLACE\n"


def test_removed_dash_space_line_at_the_end_is_not_a_signature():
    doc = "# List\n\n- one\n- \n"
    reply = "list.md\n<<<<<<< SEARCH\n- one\n- \n=======\n- one\n>>>>>>> REPLACE\n"
    assert new_text(run(reply, {"list.md": doc}), "list.md") == "# List\n\n- one\n"


def test_crlf_reply_and_a_path_with_spaces():
    reply = AIDER.replace("\napp.py\n", "\nsrc/my app.py\n").replace("\n", "\r\n")
    result = run(reply, {"src/my app.py": APP})
    assert new_text(result, "src/my app.py") == APP.replace("result += value", "result += int(value)")


def test_roo_escaped_markers():
    text = "a\n=======\nb\n"
    reply = "conflict.txt\n<<<<<<< SEARCH\n:start_line:1\n-------\na\n\\=======\n=======\na\n\\=======\nc\n>>>>>>> REPLACE\n"
    assert new_text(run(reply, {"conflict.txt": text}), "conflict.txt") == "a\n=======\nc\nb\n"


# ---------------------------------------------------------------------------------------------
# Codex


CODEX = textwrap.dedent('''\
    *** Begin Patch
    *** Update File: app.py
    @@ def total(values):
         for value in values:
    -        result += value
    +        result += int(value)
    *** Add File: docs/usage.md
    +# Usage
    +
    +Call total().
    *** Delete File: old.txt
    *** End Patch
    ''')


def test_codex_update_add_and_delete():
    result = run(f"Applying this:\n\n```\n{CODEX}```\n", {"app.py": APP, "old.txt": "gone\nsoon"})
    assert new_text(result, "app.py") == APP.replace("result += value", "result += int(value)")
    assert new_text(result, "docs/usage.md") == "# Usage\n\nCall total().\n"
    assert new_text(result, "old.txt") is None
    assert {c.path: c.status for c in result.changes} == {
        "app.py": "modified", "docs/usage.md": "added", "old.txt": "deleted"}
    assert "read a Codex patch (*** Begin Patch) of 3 files as a unified diff" in result.repairs
    assert "@@ -1,2 +0,0 @@\n-gone\n-soon\n\\ No newline at end of file\n" in result.normalised


def test_codex_deletion_of_a_missing_file_is_refused():
    assert "does not exist" in reasons(run(CODEX, {"app.py": APP}))


def test_codex_move_and_end_of_file():
    patch = textwrap.dedent('''\
        *** Begin Patch
        *** Update File: app.py
        *** Move to: lib/stats.py
        @@
             return total(values) / len(values)
        +
        +
        +def spread(values):
        +    return max(values) - min(values)
        *** End of File
        *** End Patch
        ''')
    result = run(patch, {"app.py": APP})
    change = result.changes[0]
    assert (change.path, change.old_path, change.status) == ("lib/stats.py", "app.py", "renamed")
    assert new_text(result, "lib/stats.py") == APP + "\n\ndef spread(values):\n    return max(values) - min(values)\n"


def test_codex_without_end_patch_is_refused_as_cut_off():
    cut = CODEX.replace("*** End Patch\n", "")
    assert "no `*** End Patch` line" in reasons(run(cut, {"app.py": APP, "old.txt": "x\n"}))


def test_codex_line_without_a_prefix_is_refused():
    bad = CODEX.replace("-        result += value\n", "-        result += value\nresult = 1\n")
    refused = run(bad, {"app.py": APP, "old.txt": "x\n"})
    assert "`result = 1` is not a" in reasons(refused)


def test_codex_hunk_without_context_is_refused():
    patch = "*** Begin Patch\n*** Update File: app.py\n@@ def mean(values):\n+    pass\n*** End Patch\n"
    assert "no context or removed lines" in reasons(run(patch, {"app.py": APP}))


# ---------------------------------------------------------------------------------------------
# git format-patch


def mail(sha: str, subject: str, diff: str, body: str = "Why, in prose.\n") -> str:
    return (f"From {sha} Mon Sep 17 00:00:00 2001\nFrom: A U Thor <author@example.invalid>\n"
            f"Date: Tue, 1 Oct 2024 12:00:00 +0200\nSubject: {subject}\n\n{body}---\n"
            f" app.py | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n{diff}-- \n2.43.0\n\n")


FIRST = """diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -5,4 +5,4 @@ def total(values):
     result = 0
     for value in values:
-        result += value
+        result += int(value)
     return result
"""
SECOND = """diff --git a/app.py b/app.py
index 2222222..3333333 100644
--- a/app.py
+++ b/app.py
@@ -6,3 +6,3 @@ def total(values):
     for value in values:
-        result += int(value)
+        result += int(value, 10)
     return result
"""


def test_one_mail():
    text = mail("1" * 40, "[PATCH] Convert values", FIRST)
    result = run(text, {"app.py": APP})
    assert new_text(result, "app.py") == APP.replace("result += value", "result += int(value)")
    assert "read a git format-patch mail as a unified diff" in result.repairs
    assert mail_subject(text) == "Convert values"


def test_an_mbox_of_two_patches_is_one_diff():
    text = mail("1" * 40, "[PATCH 1/2] Convert values", FIRST) + mail("2" * 40, "[PATCH 2/2] Base ten", SECOND)
    result = run(text, {"app.py": APP})
    assert new_text(result, "app.py") == APP.replace("result += value", "result += int(value, 10)")
    assert "read 2 git format-patch mails as one unified diff" in result.repairs
    assert mail_subject(text) == "Convert values; Base ten"


def test_encoded_and_folded_subject():
    text = mail("a" * 40, "[PATCH v2 3/7] =?UTF-8?q?R=C3=A9sum=C3=A9?= of the\n long subject", FIRST)
    assert mail_subject(text) == "Résumé of the long subject"
    assert mail_subject(AIDER) is None


def test_a_mail_without_a_diff_is_not_a_format():
    assert convert("From: someone <a@b.invalid>\nSubject: hello\n\njust words\n") is None


# ---------------------------------------------------------------------------------------------
# complete(): what the engine does where the contents are


def test_complete_leaves_other_diffs_alone():
    diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    assert complete(diff, lambda path: None).diff == diff
    assert to_unified(diff) is None


def test_a_refused_conversion_carries_no_diff():
    text = to_unified("app.py\n<<<<<<< SEARCH\nx\n=======\n")
    assert text is not None and "diff --git" not in text
    done = complete(text, lambda path: None)
    assert done.refusals and done.refusals[0] == Refusal(
        "app.py", None, 2, done.refusals[0].reason)


# ---------------------------------------------------------------------------------------------
# property: random files, random SEARCH/REPLACE edits -> the intended file or a refusal


POOL = ["", "x = 1", "return x", "}", "pass", "    pass", "=======", "- ", "-- ", "+", "@@ x @@",
        "<<<<<<< SEARCH", "*** End Patch", "\tindented", "value  "]


@st.composite
def edits(draw):
    size = draw(st.integers(1, 25))
    lines = [draw(st.sampled_from(POOL)) if draw(st.booleans()) else f"line_{draw(st.integers(0, 40))}"
             for _ in range(size)]
    final_newline = draw(st.booleans())
    start = draw(st.integers(0, size - 1))
    end = draw(st.integers(start + 1, size))
    replace = draw(st.lists(st.sampled_from(POOL + ["new_a", "new_b", "  new_c"]), max_size=5))
    damage = draw(st.sampled_from(["none", "none", "none", "cut", "no-divider", "hint", "wrong-hint",
                                   "cline", "codex", "codex-cut"]))
    return lines, final_newline, start, end, replace, damage


def reply_for(lines, start, end, replace, damage) -> str:
    search = lines[start:end]
    if damage.startswith("codex"):
        body = ["-" + line for line in search] + ["+" + line for line in replace]
        patch = ["*** Begin Patch", "*** Update File: f.txt", "@@", *body] + ([] if damage == "codex-cut" else ["*** End Patch"])
        return "\n".join(patch) + "\n"
    start_marker, end_marker = ("------- SEARCH", "+++++++ REPLACE") if damage == "cline" else (
        "<<<<<<< SEARCH", ">>>>>>> REPLACE")
    head = [f":start_line:{start + 1}" if damage == "hint" else f":start_line:{start + 40}", "-------"] \
        if damage in ("hint", "wrong-hint") else []
    block = ["f.txt", "```", start_marker, *head, *search]
    if damage != "no-divider":
        block.append("=======")
    block += replace
    if damage != "cut":
        block += [end_marker, "```"]
    return "\n".join(block) + "\n"


@settings(max_examples=int(300 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits())
def test_random_search_replace_edits_give_the_intended_file_or_a_refusal(case):
    lines, final_newline, start, end, replace, damage = case
    text = "\n".join(lines) + ("\n" if final_newline else "")
    reply = reply_for(lines, start, end, replace, damage)
    search = lines[start:end]
    result = run(reply, {"f.txt": text})
    if damage in ("cut", "codex-cut") or (damage == "no-divider" and "=======" not in search + replace):
        assert not result.ok
        return
    if damage == "no-divider":
        return  # a "=======" line of the file became the divider: another edit, as written
    if not result.ok:
        assert all(isinstance(r, Refusal) and r.reason for r in result.refusals)
        return
    intended_lines = lines[:start] + replace + lines[end:]
    # the file keeps its final newline, or its lack of one; an empty line the edit leaves last keeps
    # its newline (without one it would not be a line at all)
    blank_last = end == len(lines) and bool(intended_lines) and intended_lines[-1] == ""
    intended = "\n".join(intended_lines) + ("\n" if intended_lines and (final_newline or blank_last) else "")
    assert new_text(result, "f.txt") == intended


MARKERS = ["<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE", "------- SEARCH", "+++++++ REPLACE", ":start_line:2",
           ":start_line:x", "-------", "*** Begin Patch", "*** End Patch", "*** Update File: f.txt",
           "*** Add File: g.txt", "*** Delete File: f.txt", "*** Move to: h.txt", "*** End of File", "@@",
           "@@ line_1", "From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001",
           "From: A <a@b.invalid>", "Subject: [PATCH 1/2] x", "---", "-- ", "2.43.0", "diff --git a/f.txt b/f.txt",
           "--- a/f.txt", "+++ b/f.txt", "@@ -1 +1 @@", "f.txt", "```", "<path>f.txt</path>", "", " line_1",
           "-line_1", "+new", "line_1", "\\=======", "*** Update File: ", "*** Add File:", "@@ -x +y @@"]


@settings(max_examples=int(400 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(MARKERS), max_size=30), st.booleans())
def test_any_mix_of_markers_is_read_or_refused_never_an_exception(lines, crlf):
    reply = ("\r\n" if crlf else "\n").join(lines) + "\n"
    result = run(reply, {"f.txt": "line_0\nline_1\nline_2\n"})
    assert result.ok or all(r.reason for r in result.refusals)
    mail_subject(reply)


def test_codex_deletion_outside_the_repository_reads_nothing():
    asked: list[str] = []

    def read(path: str) -> bytes | None:
        asked.append(path)
        return None

    text = to_unified("*** Begin Patch\n*** Delete File: ../secret.txt\n*** End Patch\n")
    assert text is not None
    complete(text, read)
    assert asked == []
    assert "outside the repository" in reasons(run(text, {}))


@pytest.mark.parametrize(("lines", "start", "end", "replace"), [
    (["line_0"], 0, 1, [""]),  # the last line replaced by an empty one
    (["", "line_0"], 1, 2, []),  # the last line removed, an empty one left last
])
def test_an_empty_line_left_last_keeps_its_newline(lines, start, end, replace):
    # found by hypothesis at the lowest dependency versions (files without a final newline)
    result = run(reply_for(lines, start, end, replace, "none"), {"f.txt": "\n".join(lines)})
    assert new_text(result, "f.txt") == "\n".join(lines[:start] + replace + lines[end:]) + "\n"
