"""A small reader for well-formed unified diffs (git's own output), for tests and benchmarks
that take a correct diff apart to damage it the way models do."""

from __future__ import annotations

import re
from dataclasses import dataclass

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass
class Hunk:
    old_start: int
    new_start: int
    lines: list[str]  # with their prefixes, "\\ No newline..." included


def split_diff(text: str) -> tuple[list[str], list[Hunk]]:
    """The file header lines and the hunks of a one-file diff."""
    header: list[str] = []
    hunks: list[Hunk] = []
    for line in text.split("\n")[:-1]:
        found = HUNK_HEADER.match(line)
        if found:
            hunks.append(Hunk(int(found[1]), int(found[2]), []))
        elif hunks:
            hunks[-1].lines.append(line)
        else:
            header.append(line)
    return header, hunks


def counts(lines: list[str]) -> tuple[int, int]:
    """Old-side and new-side line counts of a hunk body."""
    old = sum(1 for line in lines if line[:1] in (" ", "-"))
    new = sum(1 for line in lines if line[:1] in (" ", "+"))
    return old, new
