"""Whether a damaged hunk still says where it goes, judged without surgeon: the lines it needs from
the file (context and removed lines) must occur at its true place only, or, when they occur in
several places, the hunk's line number must point within three lines of the true place and of no
other. A trial whose damage made its place unknowable is not generated as recoverable."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.bench.diffbench.model import Hunk

Normalise = Callable[[str], str]
NEAR = 3  # README: a line number may pick one candidate within three lines of it


def same(line: str) -> str:
    return line


def stripped(line: str) -> str:
    return line.strip()


def blank_insensitive(line: str) -> str:
    return re.sub(r"\s+", "", line)


LOOKALIKES = str.maketrans({
    "\u00a0": " ", "\u2007": " ", "\u202f": " ",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
})


def lookalike_insensitive(line: str) -> str:
    return line.translate(LOOKALIKES)


def needed(hunk: Hunk) -> list[str]:
    """The file lines the hunk stands on, in order (context and removed lines)."""
    return [line[1:] for line in hunk.lines if line[:1] in (" ", "-")]


def places(file_lines: list[str], block: list[str], norm: Normalise = same) -> list[int]:
    if not block:
        return []
    keys = [norm(line) for line in file_lines]
    want = [norm(line) for line in block]
    n = len(want)
    return [i for i in range(len(keys) - n + 1) if keys[i:i + n] == want]


def placeable(file_lines: list[str], block: list[str], true_start: int, hint: int | None,
              norm: Normalise = same) -> bool:
    """`block` (0-based true_start in file_lines) can be placed from its content, or from its
    content and the 1-based line number `hint`."""
    found = places(file_lines, block, norm)
    if true_start not in found:
        return False
    if found == [true_start]:
        return True
    if hint is None:
        return False
    near = [p for p in found if abs(p + 1 - hint) <= NEAR]
    return near == [true_start]


def all_placeable(file_lines: list[str], hunks: list[Hunk], true_starts: list[int],
                  hints: list[int | None], norm: Normalise = same) -> bool:
    return all(placeable(file_lines, needed(h), s, hint, norm) for h, s, hint in zip(hunks, true_starts, hints, strict=True))


def true_starts(hunks: list[Hunk]) -> list[int]:
    """0-based index in the old file of each undamaged hunk's first needed line."""
    return [max(h.old_start - 1, 0) if needed(h) else h.old_start for h in hunks]
