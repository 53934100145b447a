"""The tolerant pre-pass in front of unidiff."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from surgeon.diff import apply_patch, extract_diff
from surgeon.diff.parse import parse_diff, unquote_path
from surgeon.validate import check_patch
from tests.diff.test_properties import OPTIONS, Case, unified_diff
from tests.diffkit import split_diff


def only_file(text: str):
    parsed = parse_diff(text)
    assert not parsed.problems, parsed.problems
    assert len(parsed.files) == 1
    return parsed.files[0]


def test_bare_header_and_wrong_counts():
    f = only_file("--- a/x\n+++ b/x\n@@ @@\n a\n-b\n+c\n@@ -10,9 +10,1 @@\n d\n+e\n")
    first, second = f.hunks
    assert first.hint is None and [(line.kind, line.text) for line in first.lines] == [(" ", "a"), ("-", "b"), ("+", "c")]
    assert second.hint == 10 and any("line counts corrected" in r for r in second.repairs)


def test_missing_git_header_and_index_lines_and_extended_headers():
    text = "diff --git a/x b/y\nsimilarity index 90%\nrename from x\nrename to y\nindex 1..2 100644\n--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n"
    f = only_file(text)
    assert (f.rename_from, f.rename_to, f.old_path, f.new_path) == ("x", "y", "a/x", "b/y")


def test_new_and_deleted_file_modes():
    parsed = parse_diff(
        "diff --git a/n b/n\nnew file mode 100755\n--- /dev/null\n+++ b/n\n@@ -0,0 +1 @@\n+x\n"
        "diff --git a/o b/o\ndeleted file mode 100644\n--- a/o\n+++ /dev/null\n@@ -1 +0,0 @@\n-y\n"
    )
    new, old = parsed.files
    assert new.creates and new.new_file_mode == "100755" and new.old_path is None
    assert old.deletes and old.deleted_file_mode == "100644" and old.new_path is None


def test_header_pair_inside_a_hunk_is_content_unless_a_hunk_follows():
    f = only_file("--- a/x.sql\n+++ b/x.sql\n@@ -1,3 +1,3 @@\n a\n--- note\n+++ plus\n b\n")
    assert [(line.kind, line.text) for line in f.hunks[0].lines] == [(" ", "a"), ("-", "-- note"), ("+", "++ plus"), (" ", "b")]
    parsed = parse_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n")
    assert [f.new_path for f in parsed.files] == ["b/x", "b/y"]


def test_trailing_blank_lines_are_kept_only_when_the_counts_need_them():
    needed = only_file("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n\n")
    assert [(line.kind, line.text) for line in needed.hunks[0].lines] == [("-", "a"), ("+", "b"), (" ", "")]
    separator = only_file("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\n\n")
    assert [(line.kind, line.text) for line in separator.hunks[0].lines] == [("-", "a"), ("+", "b")]


def test_no_newline_markers():
    both = only_file("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n")
    assert both.hunks[0].old_no_newline and both.hunks[0].new_no_newline
    context = only_file("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n\\ No newline at end of file\n")
    assert context.hunks[0].old_no_newline and context.hunks[0].new_no_newline
    misplaced = only_file("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n c\n\\ No newline at end of file\n-a\n+b\n")
    assert not misplaced.hunks[0].old_no_newline and not misplaced.hunks[0].new_no_newline
    assert any("misplaced" in r for r in misplaced.hunks[0].repairs)


def test_crlf_diff_and_crlf_content():
    transported = parse_diff("--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n")
    assert transported.repairs and not transported.files[0].crlf_content
    assert transported.files[0].hunks[0].lines[1].text == "b"
    content = parse_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\r\n+b\r\n")
    assert content.files[0].crlf_content


def test_hunk_without_file_header_is_a_problem():
    parsed = parse_diff("@@ -1 +1 @@\n-a\n+b\n")
    assert parsed.problems and "without a file header" in parsed.problems[0].reason


def test_binary_sections_are_flagged():
    parsed = parse_diff("diff --git a/i.png b/i.png\nBinary files a/i.png and b/i.png differ\n")
    assert parsed.files[0].binary


def test_paths():
    assert unquote_path('"a/t\\303\\251st.py"') == "a/tést.py"
    assert unquote_path("a/x.py\t2024-01-01 10:00:00") == "a/x.py"
    f = only_file("diff --git a/with space.py b/with space.py\nold mode 100644\nnew mode 100755\n")
    assert (f.old_path, f.new_path, f.old_mode, f.new_mode) == ("a/with space.py", "b/with space.py", "100644", "100755")


def test_format_patch_email_signature_is_not_a_removed_line():
    email = (
        "From 1234 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] fix\n---\n x | 2 +-\n\n"
        "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n-- \n2.39.5\n\n"
    )
    f = only_file(email)
    assert [(line.kind, line.text) for line in f.hunks[0].lines] == [("-", "a"), ("+", "b")]


# --- lines that start with --- or +++ inside a hunk ----------------------------------------------------

SQL = "select 1;\n-- a\nselect 2;\nx\nx\nx\nx\nx\nx\nx\n-- c\ny\n"


def test_a_removed_sql_comment_and_an_added_plus_line_before_the_next_hunk_are_hunk_lines():
    """`--- a` / `+++ b` followed by `@@`: the first hunk's counts still expect one removed and one
    added line, and the pair does not name one file, so it is theirs, not a new file header."""
    diff = "--- a/q.sql\n+++ b/q.sql\n@@ -1,2 +1,2 @@\n select 1;\n--- a\n+++ b\n@@ -10,2 +10,2 @@\n x\n--- c\n+++ d\n"
    f = only_file(diff)
    assert [[(line.kind, line.text) for line in h.lines] for h in f.hunks] == [
        [(" ", "select 1;"), ("-", "-- a"), ("+", "++ b")], [(" ", "x"), ("-", "-- c"), ("+", "++ d")]]
    result = apply_patch(diff, {"q.sql": SQL.encode()}.get)
    assert result.ok and result.changes[0].new_content == SQL.replace("-- a", "++ b").replace("-- c", "++ d").encode()


def test_a_header_pair_after_a_full_or_miscounted_hunk_still_starts_the_next_file():
    full = parse_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n")
    assert [f.new_path for f in full.files] == ["b/x", "b/y"]
    # the counts expect more lines, but the pair names one file: a miscounted hunk, then a new file
    short = parse_diff("--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n")
    assert [f.new_path for f in short.files] == ["b/x", "b/y"]
    created = parse_diff("--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\n--- /dev/null\n+++ b/y\n@@ -0,0 +1 @@\n+d\n")
    assert [f.new_path for f in created.files] == ["b/x", "b/y"]


@pytest.mark.parametrize(("path", "old", "new"), [
    ("doc.rst", "Title\n=====\n\nText.\n", "Longer title\n------------\n\nText.\n"),
    ("doc.md", "# Doc\n\n---\n\nend\n", "# Doc\n\n--- \n+++\n\nend\n"),
    ("conf.yaml", "--- !app\nkey: 1\n---\nother: 2\n", "--- !service\nkey: 1\n--- # second\nother: 2\n"),
    ("q.sql", "-- old comment\nselect 1;\n", "++ new\n-- new comment\nselect 1;\n"),
])
def test_underlines_yaml_documents_and_sql_comments_apply(path, old, new):
    case = Case(path, old.encode(), new.encode())
    result = check_patch(unified_diff(case), lambda p: case.old if p == path else None, OPTIONS)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content == case.new


HEADERISH = ["-- note", "-- a", "--- end", "---", "--- !doc", "++ b", "++ counter", "+++", "=====", "-----",
             "select 1;", "x", "y = 2", "", "unique"]


@st.composite
def headerish_cases(draw):
    lines = draw(st.lists(st.sampled_from(HEADERISH), min_size=1, max_size=25))
    # the shape that read as a file header: a `-- x` line replaced by a `++ x` line
    new = ["++ " + t[3:] if t.startswith("-- ") and draw(st.booleans()) else t for t in lines]
    for spot in sorted(draw(st.lists(st.integers(0, len(lines)), max_size=2, unique=True)), reverse=True):
        remove = draw(st.integers(0, min(2, len(lines) - spot)))
        new[spot : spot + remove] = draw(st.lists(st.sampled_from(HEADERISH), max_size=2))
    case = Case(draw(st.sampled_from(["q.sql", "doc.md", "conf.yaml"])),
                "".join(f"{t}\n" for t in lines).encode(), "".join(f"{t}\n" for t in new).encode())
    assume(case.old != case.new)
    return case


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(headerish_cases(), st.sampled_from([0, 1, 3]))
@example(Case("q.sql", SQL.encode(), SQL.replace("-- ", "++ ").encode()), 0)
def test_header_like_lines_inside_hunks_give_the_intended_file_or_a_refusal(case, context):
    """The parser reads exactly the hunks that were written (never a new file header inside one),
    and the engine gives the intended file or a refusal."""
    diff = unified_diff(case, context)
    parsed = parse_diff(diff)
    assert not parsed.problems, diff
    [section] = parsed.files
    _, hunks = split_diff(diff)
    assert [[(line.kind, line.text) for line in h.lines] for h in section.hunks] == [
        [(line[0], line[1:]) for line in h.lines if not line.startswith("\\")] for h in hunks], diff
    result = check_patch(diff, lambda p: case.old if p == case.path else None, OPTIONS)
    event("applied" if result.ok else "refused")
    if result.ok:
        assert result.changes[0].new_content == case.new, diff


# --- prose after an unfenced diff ---------------------------------------------------------------------

NGINX = "server {\n    location /api/ {\n        proxy_read_timeout 5s;\n    }\n}\n"
NGINX_DIFF = ("--- a/site.conf\n+++ b/site.conf\n@@ -2,3 +2,3 @@\n     location /api/ {\n-        proxy_read_timeout 5s;\n"
              "+        proxy_read_timeout 15s;\n     }\n")
TIMEOUT_15 = NGINX.replace("5s", "15s").encode()


@pytest.mark.parametrize("after", [
    "\n+ Raised the timeout to 15 seconds.\n",
    "\n+ Raised the timeout to 15 seconds.\n+ Nothing else changes.\n",
    "\n- Raised the timeout to 15 seconds.\n",
    "\nThis raises the timeout.\n+ Reload nginx afterwards.\n",
    "+ Raised the timeout to 15 seconds.\n",  # no blank line, but the counts end the hunk before it
])
@pytest.mark.parametrize("header", ["@@ -2,3 +2,3 @@", "@@ @@"])
def test_prose_after_an_unfenced_diff_is_not_part_of_it(after, header):
    if header == "@@ @@" and not after.startswith("\n"):
        return  # without counts or a blank line nothing says where the hunk ends: see the next test
    reply = "I changed the timeout:\n\n" + NGINX_DIFF.replace("@@ -2,3 +2,3 @@", header) + after
    extracted = extract_diff(reply)
    result = apply_patch(extracted, {"site.conf": NGINX.encode()}.get)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content == TIMEOUT_15
    if "+ R" in extracted or "- R" in extracted:  # what extraction did not already leave out
        assert any("of prose after the hunk" in r and "left out of the diff" in r for r in result.repairs), result.repairs


README = "# Tool\n\nIntro.\n\nUsage notes.\n"


@pytest.mark.parametrize(("diff", "expected"), [
    # the counts include the sentence-shaped lines: they are the file's own
    ("--- a/README.md\n+++ b/README.md\n@@ -3,3 +3,5 @@\n Intro.\n \n+ Raised the limit to 15 seconds.\n+\n Usage notes.\n",
     README.replace("Intro.\n\n", "Intro.\n\n Raised the limit to 15 seconds.\n\n")),
    ("--- a/README.md\n+++ b/README.md\n@@ -3,3 +3,4 @@\n Intro.\n\n Usage notes.\n+ Raised the limit to 15 seconds.\n",
     README + " Raised the limit to 15 seconds.\n"),
    # an added sentence with no blank line before it, in a file the hunk adds sentences to
    ("--- a/README.md\n+++ b/README.md\n@@ @@\n Usage notes.\n+ First new sentence here.\n+ Raised the limit to 15 seconds.\n",
     README + " First new sentence here.\n Raised the limit to 15 seconds.\n"),
])
def test_real_added_lines_that_read_like_prose_are_kept(diff, expected):
    result = apply_patch(diff, {"README.md": README.encode()}.get)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.changes[0].new_content == expected.encode()


def test_prose_after_a_blank_line_in_a_text_file_without_counts_is_refused_as_unclear():
    diff = "--- a/README.md\n+++ b/README.md\n@@ @@\n Intro.\n-\n+Added.\n\n+ Raised the limit to 15 seconds.\n"
    result = apply_patch(diff, {"README.md": README.encode()}.get)
    assert not result.ok
    assert "read as prose" in result.refusals[0].reason and result.refusals[0].path == "README.md"


def test_index_line_mode_and_the_broken_off_flag():
    f = only_file("diff --git a/x b/x\nindex 1234567..89abcde 160000\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n")
    assert f.index_mode == "160000"
    assert f.hunks[0].breaks_off and f.hunks[0].promised == (3, 3)
    complete = only_file("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n d\n")
    assert not complete.hunks[0].breaks_off
