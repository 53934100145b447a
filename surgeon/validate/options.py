"""The policy the validators apply to a diff the engine placed: how much of a file a diff may
replace, how many lines it may change, whether the syntax guard runs, which files it may delete."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApplyOptions:
    allow_rewrite: bool = False
    rewrite_share: float = 0.6  # share of an existing file a diff may replace
    max_changed_lines: int | None = None  # added + removed lines over the whole diff
    check_syntax: bool = True
    # The instruction a model's diff answers: a file the diff deletes must be one it asks to delete.
    # None: the diff is the user's own (surgeon apply, re-applied turns), whose deletions are theirs.
    instruction: str | None = None
