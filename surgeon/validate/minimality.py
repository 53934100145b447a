"""Minimality: a diff changes what it must and nothing else.

- no-op churn (lines removed and added back identically) is turned back into unchanged lines;
- a diff that replaces most of an existing file is refused unless a rewrite was asked for;
- a diff larger than max_changed_lines is refused;
- a model's diff may delete a file only when the instruction asks for that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from surgeon.diff.types import FileChange, Refusal

# Files shorter than this may be mostly replaced without it counting as a whole-file rewrite.
REWRITE_MIN_LINES = 10


_DELETE = r"\b(?:delete|deleting|remove|removing|drop|dropping|erase|get\s+rid\s+of|git\s+rm|rm|unlink)\b"
# between the verb and its object: a few words, none that makes the file the place of the change
# ("remove the timeout from app.py" edits app.py)
_OBJECT_GAP = r"(?:\s+(?!(?:from|in|inside|of|within|to|into|on|at)\b)[\w.'\"`/-]+){0,4}?\s+[`'\"]?"


def instruction_asks_to_delete(instruction: str, path: str) -> bool:
    """Whether `instruction` asks to delete the file `path`: a deleting verb whose object is the
    file (its path, name or stem), or files in general ("remove the unused modules")."""
    pure = PurePosixPath(path)
    names = sorted({path, pure.name, *([pure.stem] if len(pure.stem) > 2 else [])}, key=len, reverse=True)
    objects = "|".join(re.escape(name) for name in names) + r"|files?\b|modules?\b|scripts?\b"
    pattern = _DELETE + _OBJECT_GAP + rf"(?:{objects})"
    return re.search(pattern, instruction, re.IGNORECASE) is not None


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
    instruction: str | None = None,
) -> list[Refusal]:
    """Refusals for rewrites and oversized diffs, and (given the `instruction` a model's diff
    answers) for deleting a file the instruction does not ask to delete."""
    refusals: list[Refusal] = []
    for change in changes:
        if instruction is not None and change.status == "deleted" and not instruction_asks_to_delete(instruction, change.path):
            refusals.append(Refusal(change.path, None, None, (
                "the diff deletes this whole file, but the instruction does not ask to delete it: change the "
                "lines the task needs and keep the file")))
    total = sum(change.lines_added + change.lines_removed for change in changes)
    if max_changed_lines is not None and total > max_changed_lines:
        largest = sorted(changes, key=lambda c: -(c.lines_added + c.lines_removed))
        biggest = ", ".join(f"{c.path} +{c.lines_added} -{c.lines_removed}" for c in largest[:3])
        refusals.append(Refusal(largest[0].path, None, None, (
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
