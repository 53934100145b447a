"""Minimality: a diff changes what it must and nothing else.

- no-op churn (lines removed and added back identically) is turned back into unchanged lines;
- a diff that replaces most of an existing file is refused unless a rewrite was asked for;
- a diff larger than max_changed_lines is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from surgeon.diff.types import FileChange, Refusal

# Files shorter than this may be mostly replaced without it counting as a whole-file rewrite.
REWRITE_MIN_LINES = 10


def _line_count(content: bytes) -> int:
    if not content:
        return 0
    return content.count(b"\n") + (0 if content.endswith(b"\n") else 1)


def check_minimality(
    changes: Sequence[FileChange],
    *,
    allow_rewrite: bool = False,
    rewrite_share: float = 0.6,
    max_changed_lines: int | None = None,
) -> list[Refusal]:
    refusals: list[Refusal] = []
    total = sum(change.lines_added + change.lines_removed for change in changes)
    if max_changed_lines is not None and total > max_changed_lines:
        biggest = ", ".join(
            f"{c.path} +{c.lines_added} -{c.lines_removed}"
            for c in sorted(changes, key=lambda c: -(c.lines_added + c.lines_removed))[:3]
        )
        refusals.append(Refusal(None, None, None, (
            f"the diff changes {total} lines ({biggest}), more than max_changed_lines = {max_changed_lines}: "
            "make a smaller change, or raise the limit (--max-changed-lines)")))
    if allow_rewrite:
        return refusals
    for change in changes:
        if change.old_content is None or change.new_content is None:
            continue
        old_lines = _line_count(change.old_content)
        if old_lines >= REWRITE_MIN_LINES and change.lines_removed > rewrite_share * old_lines:
            refusals.append(Refusal(change.path, None, None, (
                f"the diff replaces {change.lines_removed} of its {old_lines} lines "
                f"({change.lines_removed / old_lines:.0%}, more than the {rewrite_share:.0%} allowed): that is a "
                "whole-file rewrite. Change only the lines the task needs, or pass --allow-rewrite")))
    return refusals
