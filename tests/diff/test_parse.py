"""The tolerant pre-pass in front of unidiff."""

from __future__ import annotations

from surgeon.diff.parse import parse_diff, unquote_path


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
