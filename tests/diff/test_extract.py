"""Finding the diff in a model's reply."""

from __future__ import annotations

from surgeon.diff import apply_patch, extract_diff

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n-import os\n+import sys\n \n"


def test_fenced_block_with_prose_around_it():
    reply = f"Here is the change you asked for:\n\n```diff\n{DIFF}```\n\nThis swaps the import.\n"
    assert extract_diff(reply) == DIFF


def test_several_fenced_blocks_are_joined_and_other_code_blocks_skipped():
    second = "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-x\n+y\n"
    reply = f"First:\n```diff\n{DIFF}```\nan example of use:\n```python\nprint(1)\n```\nthen:\n```patch\n{second}```\n"
    assert extract_diff(reply) == DIFF + second


def test_fence_without_language_and_tilde_fences():
    assert extract_diff(f"```\n{DIFF}```") == DIFF
    assert extract_diff(f"~~~diff\n{DIFF}~~~\n") == DIFF


def test_context_line_holding_a_markdown_fence_does_not_close_the_block():
    diff = "--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n ```\n-old\n+new\n ```\n"
    assert extract_diff(f"```diff\n{diff}```\n") == diff


def test_unclosed_fence_keeps_its_opening_line_and_is_refused_as_truncated():
    assert extract_diff(f"Here it is:\n```diff\n{DIFF}") == "```diff\n" + DIFF
    result = apply_patch(extract_diff(f"```diff\n{DIFF}"), {"app.py": b"import os\n\n"}.get)
    assert not result.ok and "the diff is truncated" in result.refusals[0].reason
    assert "never closes" in result.refusals[0].reason
    # a closed block, and an unclosed block that holds no diff, are not truncation
    assert apply_patch(extract_diff(f"```diff\n{DIFF}```\n"), {"app.py": b"import os\n\n"}.get).ok
    assert extract_diff(f"```diff\n{DIFF}```\nthen run:\n```sh\npytest -q\n") == DIFF


def test_unfenced_diff_between_paragraphs():
    reply = f"I changed the import.\n\n{DIFF}\nLet me know if you need more.\n"
    assert extract_diff(reply) == DIFF


def test_the_whole_reply_is_a_diff():
    assert extract_diff(DIFF) == DIFF
    git_style = "diff --git a/app.py b/app.py\nindex 1..2 100644\n" + DIFF
    assert extract_diff(git_style) == git_style


def test_no_diff():
    assert extract_diff("I could not find that function.") == ""
    assert extract_diff("```python\nprint('hi')\n```") == ""
    assert extract_diff("") == ""


def test_crlf_reply_keeps_its_line_ends_for_the_parser():
    reply = "```diff\r\n" + DIFF.replace("\n", "\r\n") + "```\r\n"
    assert extract_diff(reply) == DIFF.replace("\n", "\r\n")


def test_form_feed_inside_a_line_is_not_a_line_break():
    diff = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = '\f'\n+y = '\f'\n"
    assert extract_diff(f"```diff\n{diff}```") == diff


def test_a_markdown_files_fence_in_an_unfenced_diff_opens_no_block():
    """A context line " ```" is the file's own fence; it neither opens a block nor makes the diff
    look truncated."""
    diff = ("--- a/doc.md\n+++ b/doc.md\n@@ -1,4 +1,4 @@\n Run:\n ```sh\n-pytest\n+pytest -q\n@@ -9,2 +9,2 @@\n ```\n-end\n+fin\n")
    doc = b"Run:\n```sh\npytest\n```\n\n\n\n\n```\nend\n"
    for reply in (diff, diff + "\nThis runs the tests quietly.\n", f"Here:\n\n{diff}\nDone.\n"):
        assert not extract_diff(reply).startswith("```")
        result = apply_patch(extract_diff(reply), {"doc.md": doc}.get)
        assert result.ok, [str(r) for r in result.refusals]
        assert result.changes[0].new_content == doc.replace(b"pytest\n", b"pytest -q\n").replace(b"end", b"fin")
