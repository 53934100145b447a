"""A proposed diff as rows to show: each line with its old and new line numbers, and, for a removed
line paired with the added line that replaces it, the words that changed (difflib over word
tokens), so a one-word change inside a long line is what the eye lands on.

Pure: diff text in, rows out. The terminal renders them (surgeon/cli/pair.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Literal

RowKind = Literal["header", "hunk", "context", "removed", "added", "note"]
Span = tuple[int, int]  # [start, end) character offsets into Row.text

_HUNK = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# Below this share of unchanged characters the lines are different lines, not one line edited:
# marking nearly everything would say nothing.
PAIRING_RATIO = 0.4


@dataclass(frozen=True)
class Row:
    kind: RowKind
    text: str  # the diff line without its line ending (a hunk line keeps its leading -, + or space)
    old: int | None = None  # line number in the file before the change
    new: int | None = None  # line number after it
    changed: tuple[Span, ...] = ()  # the parts of `text` that differ from its paired line


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def changed_spans(old: str, new: str) -> tuple[tuple[Span, ...], tuple[Span, ...]] | None:
    """The character spans of `old` and of `new` that differ, by whole words; None when the two
    lines have too little in common to be shown as one line edited."""
    a, b = _tokens(old), _tokens(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    same = sum(len("".join(a[block.a:block.a + block.size])) for block in matcher.get_matching_blocks())
    if not old.strip() or not new.strip() or 2 * same < PAIRING_RATIO * (len(old) + len(new)):
        return None
    a_at = [0]
    for token in a:
        a_at.append(a_at[-1] + len(token))
    b_at = [0]
    for token in b:
        b_at.append(b_at[-1] + len(token))
    old_spans: list[Span] = []
    new_spans: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            old_spans.append((a_at[i1], a_at[i2]))
        if j2 > j1:
            new_spans.append((b_at[j1], b_at[j2]))
    return tuple(old_spans), tuple(new_spans)


def _marked(row: Row, spans: Sequence[Span]) -> Row:
    """`row` with spans of its content (the text after the -/+ prefix) marked as changed."""
    return replace(row, changed=tuple((start + 1, end + 1) for start, end in spans))


def _pair(rows: list[Row], removed: Sequence[int], added: Sequence[int]) -> None:
    """Mark the changed words of the i-th removed line against the i-th added line of one block."""
    for r, a in zip(removed, added, strict=False):
        spans = changed_spans(rows[r].text[1:], rows[a].text[1:])
        if spans is not None:
            rows[r], rows[a] = _marked(rows[r], spans[0]), _marked(rows[a], spans[1])


def diff_rows(diff: str) -> tuple[Row, ...]:
    """The lines of a unified diff (one or more files) as numbered rows."""
    rows: list[Row] = []
    old = new = 0
    old_left = new_left = 0  # lines the current hunk's header still promises (0 and 0: not in a hunk)
    removed: list[int] = []
    added: list[int] = []

    def close_block() -> None:
        _pair(rows, removed, added)
        removed.clear()
        added.clear()

    for raw in diff.splitlines():
        line = raw.rstrip("\r")
        in_hunk = old_left > 0 or new_left > 0
        hunk = None if in_hunk else _HUNK.match(line)
        if hunk:
            close_block()
            old, new = int(hunk.group(1)), int(hunk.group(3))
            old_left = int(hunk.group(2) or 1)
            new_left = int(hunk.group(4) or 1)
            rows.append(Row("hunk", line))
        elif in_hunk and line.startswith("-") and old_left:
            if added:  # a removal after additions starts a new block
                close_block()
            removed.append(len(rows))
            rows.append(Row("removed", line, old=old))
            old, old_left = old + 1, old_left - 1
        elif in_hunk and line.startswith("+") and new_left:
            added.append(len(rows))
            rows.append(Row("added", line, new=new))
            new, new_left = new + 1, new_left - 1
        elif in_hunk and (line.startswith(" ") or not line):
            close_block()
            rows.append(Row("context", line or " ", old=old, new=new))
            old, new = old + 1, new + 1
            old_left, new_left = max(0, old_left - 1), max(0, new_left - 1)
        elif line.startswith("\\"):
            rows.append(Row("note", line))
        else:  # a file header, or a line the counts did not expect
            close_block()
            old_left = new_left = 0
            rows.append(Row("header", line))
    close_block()
    return tuple(rows)


def number_width(rows: Sequence[Row]) -> int:
    """Digits of the largest line number shown (at least 3, so small diffs line up the same)."""
    largest = max((n for row in rows for n in (row.old, row.new) if n is not None), default=0)
    return max(3, len(str(largest)))
