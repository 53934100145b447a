"""Look-alike characters: context that differs from the file only by a non-breaking or zero-width
space, a typographic quote or dash matches; the file's own characters are kept; a tie is still
refused. And the property: whatever look-alikes a correct diff picks up, the result is the
intended file or a refusal, never an exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surgeon.validate import ApplyOptions, check_patch

TEXT = 'def greet(name):\n    """Say hello - politely."""\n    message = "hello " + name\n    return message\n'
LOOK_ALIKES = {" ": ["\u00a0", "\u202f", "\u2009"], '"': ["\u201c", "\u201d"], "'": ["\u2018", "\u2019"],
               "-": ["\u2013", "\u2014", "\u2212"]}


def apply(diff: str, text: str = TEXT):
    return check_patch(diff, {"greet.py": text.encode()}.get, ApplyOptions(check_syntax=False))


def change(context_line: str) -> str:
    return (f"--- a/greet.py\n+++ b/greet.py\n@@ -1,4 +1,4 @@\n def greet(name):\n {context_line}\n"
            '-    message = "hello " + name\n+    message = "hi " + name\n     return message\n')


def test_typographic_quotes_and_dashes_in_context_match_and_the_file_keeps_its_own():
    result = apply(change('    \u201c""Say hello \u2013 politely.""\u201d'))
    assert result.ok, result.refusals
    assert result.changes[0].new_content.decode() == TEXT.replace('"hello "', '"hi "')
    assert any("look-alike characters" in r for r in result.repairs)


def test_non_breaking_and_zero_width_spaces_in_context_match():
    result = apply(change('\u00a0\u00a0\u00a0\u00a0"""Say\u00a0hello - polite\u200bly."""'))
    assert result.ok, result.refusals
    assert result.changes[0].new_content.decode() == TEXT.replace('"hello "', '"hi "')


def test_a_zero_width_space_in_the_file_is_kept():
    text = TEXT.replace("politely", "polite\u200bly")
    result = apply(change('    """Say hello - politely."""'), text)
    assert result.ok, result.refusals
    assert result.changes[0].new_content.decode() == text.replace('"hello "', '"hi "')


def test_a_tie_made_by_look_alikes_is_still_refused():
    text = "x = 'a-b'\ny = 1\n\n\n\n\n\n\n\nx = 'a\u2013b'\ny = 1\n"
    diff = "--- a/f.txt\n+++ b/f.txt\n@@ @@\n x = 'a-b'\n-y = 1\n+y = 2\n"
    result = check_patch(diff, {"f.txt": text.encode()}.get)
    assert not result.ok
    assert "match 2 places (lines 1, 10)" in str(result.refusals[0])


def test_a_line_that_only_changes_a_look_alike_is_a_change():
    diff = ('--- a/greet.py\n+++ b/greet.py\n@@ -2 +2 @@\n-    """Say hello - politely."""\n'
            '+    """Say hello \u2014 politely."""\n')
    result = apply(diff)
    assert result.ok and result.changes[0].new_content.decode() == TEXT.replace("hello -", "hello \u2014")


@st.composite
def damaged(draw):
    """A correct diff of TEXT whose context and removed lines picked up look-alikes."""
    lines = ["def greet(name):", '    """Say hello - politely."""', '-    message = "hello " + name',
             '+    message = "hi " + name', "    return message"]
    out = []
    for line in lines:
        kind, body = (line[0], line[1:]) if line[0] in "-+" else (" ", line)
        if kind != "+":
            body = "".join(draw(st.sampled_from([ch, *LOOK_ALIKES[ch]])) if ch in LOOK_ALIKES else ch for ch in body)
            if draw(st.booleans()):
                at = draw(st.integers(0, len(body)))
                body = body[:at] + draw(st.sampled_from(["\u200b", "\u200d", "\u2060"])) + body[at:]
        out.append(kind + body)
    return "--- a/greet.py\n+++ b/greet.py\n@@ -1,4 +1,4 @@\n" + "\n".join(out) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_look_alikes_give_the_intended_file_or_a_refusal(diff):
    result = apply(diff)
    assert result.ok, result.refusals  # every such diff is recoverable: nothing else matches
    assert result.changes[0].new_content.decode() == TEXT.replace('"hello "', '"hi "')
