"""What locate returns: the regions packed into the budget, and the result around them. Plain
values, light to import: the process that shows them (an edit waiting on its prepared context, a
renderer) loads neither the index nor the ranking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from surgeon.locate.definitions import DefinitionKind

# What a region is: a definition or block the index found, the first lines of a file, or a file.
RegionKind = DefinitionKind | Literal["lines", "file"]


@dataclass(frozen=True)
class Region:
    path: str
    start_line: int  # 1-based, inclusive
    end_line: int  # inclusive
    symbol: str | None
    kind: RegionKind
    score: float
    why: tuple[str, ...]
    tokens: int


@dataclass(frozen=True)
class LocateResult:
    regions: tuple[Region, ...]
    tokens: int
    files_indexed: int
    seconds: float
    skipped: dict[str, int]
    withheld: tuple[str, ...] = ()  # files that matched but that `withhold` kept out (the budget went on)


def region_text(lines: Sequence[str], start: int, end: int) -> str:
    """The text of lines start..end (1-based, inclusive), each with its newline."""
    return "".join(line + "\n" for line in lines[start - 1:end])
