"""Packing: the ranked regions that fit a token budget, a region too large for what is left
trimmed around its strongest hits; and the values locate returns. No I/O here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from surgeon.locate.rank import RegionKind, Scored
from surgeon.tokens import estimate_tokens

MIN_TRIMMED_TOKENS = 60


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


def region_text(lines: Sequence[str], start: int, end: int) -> str:
    """The text of lines start..end (1-based, inclusive), each with its newline."""
    return "".join(line + "\n" for line in lines[start - 1:end])


def trim(item: Scored, max_tokens: int) -> tuple[int, int] | None:
    """The largest run of lines around the region's strongest hit that fits `max_tokens`."""
    if not item.hit_lines:
        centre = item.start
    else:
        def density(line: int) -> float:
            return sum(w for other, w in item.hit_lines if abs(other - line) <= 10)
        centre = max((line for line, _ in item.hit_lines if item.start <= line <= item.end),
                     key=lambda line: (density(line), -line), default=item.start)
    start = end = centre
    if estimate_tokens(region_text(item.lines, start, end)) > max_tokens:
        return None
    grow_up = True
    while True:
        options = []
        if start > item.start:
            options.append((start - 1, end))
        if end < item.end:
            options.append((start, end + 1))
        if not options:
            break
        choice = options[0] if (grow_up or len(options) == 1) else options[-1]
        if len(options) == 2:
            choice = options[0] if grow_up else options[1]
        if estimate_tokens(region_text(item.lines, *choice)) > max_tokens:
            other = [o for o in options if o != choice]
            if other and estimate_tokens(region_text(item.lines, *other[0])) <= max_tokens:
                start, end = other[0]
                continue
            break
        start, end = choice
        grow_up = not grow_up
    return start, end


def pack(selected: Sequence[Scored], budget: int) -> list[Region]:
    """Take regions in rank order while they fit; a region too large for what is left is trimmed
    around its hits rather than dropped."""
    remaining = budget
    regions: list[Region] = []
    for item in selected:
        if remaining < MIN_TRIMMED_TOKENS and not item.pinned:
            break
        tokens = estimate_tokens(region_text(item.lines, item.start, item.end))
        start, end, why = item.start, item.end, item.why
        if tokens > remaining:
            span = trim(item, remaining)
            if span is None:
                continue
            start, end = span
            tokens = estimate_tokens(region_text(item.lines, start, end))
            why = (*why, f"trimmed from lines {item.start}-{item.end}")
        regions.append(Region(item.path, start, end, item.symbol, item.kind, item.score, why, tokens))
        remaining -= tokens
    return regions
