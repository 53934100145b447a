"""Churn: lines a hunk removes and adds back unchanged. The engine turns them into context, so a
diff never rewrites a line it did not change (the minimality validator then judges what is left)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from surgeon.diff.types import LineKind


def drop_churn(lines: Sequence[tuple[LineKind, str]]) -> tuple[list[tuple[LineKind, str]], int]:
    """Hunk lines (kind, text) with lines that a run of changes removes and adds back identically
    turned into context lines; returns (lines, how many lines were kept instead of churned)."""
    out: list[tuple[LineKind, str]] = []
    kept = 0
    k = 0
    while k < len(lines):
        if lines[k][0] == " ":
            out.append(lines[k])
            k += 1
            continue
        end = k
        while end < len(lines) and lines[end][0] != " ":
            end += 1
        removed = [text for kind, text in lines[k:end] if kind == "-"]
        added = [text for kind, text in lines[k:end] if kind == "+"]
        matcher = difflib.SequenceMatcher(None, removed, added, autojunk=False)
        opcodes = matcher.get_opcodes()
        if all(tag != "equal" for tag, *_ in opcodes):
            out.extend(lines[k:end])  # nothing churned: the run stays in the diff's own order
            k = end
            continue
        for tag, a1, a2, b1, b2 in opcodes:
            if tag == "equal":
                out.extend((" ", text) for text in removed[a1:a2])
                kept += a2 - a1
            else:
                out.extend(("-", text) for text in removed[a1:a2])
                out.extend(("+", text) for text in added[b1:b2])
        k = end
    return out, kept
