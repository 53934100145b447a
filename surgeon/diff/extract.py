"""Finding the diff in a model's reply: inside ```diff fences, between paragraphs of prose, split
across several fenced blocks, or the whole reply. Returns "" when there is no diff. A fenced
diff whose fence never closes (the reply was cut off) keeps its opening fence line first, so that
the parser refuses it as truncated."""

from __future__ import annotations

import re

from surgeon.diff.formats import to_unified
from surgeon.diff.parse import FENCE_OPEN

_EXTENDED_HEADER = re.compile(
    r"^(index [0-9a-fA-F]+\.\.[0-9a-fA-F]+|(old|new|deleted file|new file) mode \d+|"
    r"(similarity|dissimilarity) index \d+%|rename (from|to) |copy (from|to) |Binary files |GIT binary patch)"
)


def _starts_diff(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line.startswith("diff --git ") or line.startswith("@@"):
        return True
    return line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")


def looks_like_diff(text: str) -> bool:
    lines = text.split("\n")
    return any(_starts_diff(lines, i) for i in range(len(lines)))


def _fenced_blocks(lines: list[str]) -> list[tuple[list[str], str | None]]:
    """The contents of every fenced block, with the opening line of a fence that never closes
    (it runs to the end of the reply)."""
    blocks: list[tuple[list[str], str | None]] = []
    i = 0
    while i < len(lines):
        opening = FENCE_OPEN.match(lines[i])
        # " ```" right after a diff line is a context line of a Markdown file, not a fence
        if not opening or (opening["indent"] == " " and i and lines[i - 1][:1] in ("@", " ", "+", "-")):
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        i += 1
        # A closing fence sits at the opening fence's indentation; a diff's context line " ```"
        # (one space of prefix, then the fence of a Markdown file) must not close the block.
        closing = re.compile(rf"^ {{{indent}}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        while i < len(lines) and not closing.match(lines[i]):
            line = lines[i]
            body.append(line[indent:] if line[:indent].strip() == "" else line)
            i += 1
        blocks.append((body, None if i < len(lines) else opening[0]))
        i += 1
    return blocks


def _is_diff_body_line(line: str) -> bool:
    line = line.rstrip("\r")
    return (
        line == ""
        or line[0] in " +-\\"
        or line.startswith("@@")
        or line.startswith("diff --git ")
        or bool(_EXTENDED_HEADER.match(line))
    )


def _lost_prefix(lines: list[str], i: int) -> bool:
    """A context line that lost its leading space, between hunk lines (prose follows a blank line)."""
    before, after = lines[i - 1].rstrip("\r"), lines[i + 1].rstrip("\r") if i + 1 < len(lines) else ""
    return before != "" and after != "" and (after[0] in " +-" or after.startswith("@@"))


def _unfenced_diff(lines: list[str]) -> list[str]:
    """Diff lines found in prose: from each diff start, the run of lines that can belong to a diff."""
    picked: list[str] = []
    i = 0
    while i < len(lines):
        if not _starts_diff(lines, i):
            i += 1
            continue
        run = [lines[i]]
        i += 1
        while i < len(lines) and (
            _is_diff_body_line(lines[i]) or _starts_diff(lines, i) or _lost_prefix(lines, i)
        ):
            run.append(lines[i])
            i += 1
        while run and run[-1] in ("", "\r"):
            run.pop()
        picked.extend(run)
    return picked


def extract_diff(reply: str) -> str:
    """The diff text in `reply`, with a final newline; "" when the reply holds no diff."""
    converted = to_unified(reply)  # SEARCH/REPLACE blocks, a Codex patch, format-patch mail
    if converted is not None:
        return converted
    # split on "\n" only: str.splitlines() would also split on form feeds and other separators
    # that are ordinary characters inside a source line; CRs stay for the parser to judge
    lines = reply.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the reply's final newline
    fenced = [(block, unclosed) for block, unclosed in _fenced_blocks(lines) if looks_like_diff("\n".join(block))]
    if fenced:
        picked: list[str] = [unclosed for _, unclosed in fenced[-1:] if unclosed]
        for block, _ in fenced:
            picked.extend(block)
    elif lines and any(_starts_diff(lines, i) for i in range(min(len(lines), 2))):
        picked = lines  # the reply is the diff itself
    else:
        picked = _unfenced_diff(lines)
    if not picked:
        return ""
    return "\n".join(picked) + "\n"
