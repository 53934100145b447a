"""Scope: a diff may only touch files the model was shown, or create files the instruction asks for."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import PurePosixPath

from surgeon.diff import FileChange, Refusal

# "add a new file", "create tests/test_x.py", "write a smoke-test script" ...
_ASKS_FOR_NEW_FILE = re.compile(
    r"\b(new|create|add|write|generate)\b[^.\n]{0,40}?\b(file|module|script|test|tests|page|unit|config)\b",
    re.IGNORECASE,
)


def instruction_allows_new_file(instruction: str, path: str) -> bool:
    """A new file is in scope when the instruction names its path or file name, or asks for a new
    file, module, script or test in so many words."""
    lowered = instruction.lower()
    pure = PurePosixPath(path)
    if path.lower() in lowered or pure.name.lower() in lowered:
        return True
    return bool(_ASKS_FOR_NEW_FILE.search(instruction))


def check_scope(
    changes: Sequence[FileChange], shown: Collection[str], instruction: str, *, allow_any_file: bool = False
) -> list[Refusal]:
    if allow_any_file:
        return []
    refusals: list[Refusal] = []
    shown_list = ", ".join(sorted(shown)) or "none"
    for change in changes:
        paths = {change.path} | ({change.old_path} if change.old_path else set())
        if paths <= set(shown):
            continue
        if change.old_content is None and instruction_allows_new_file(instruction, change.path):
            continue
        if change.old_content is None:
            reason = (
                f"creates the new file {change.path}, but the instruction does not ask for a new file; "
                f"change only the files you were shown ({shown_list})"
            )
        else:
            reason = (
                f"edits {change.path}, which you were not shown; change only the files you were shown "
                f"({shown_list})"
            )
        refusals.append(Refusal(path=change.path, hunk=None, line=None, reason=reason))
    return refusals
