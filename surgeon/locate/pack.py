"""Packing: the ranked regions that fit a token budget, a region too large for what is left
trimmed around its strongest hits (into the values of result.py). No I/O here."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from surgeon.locate.rank import Scored
from surgeon.locate.result import Region, region_text
from surgeon.tokens import estimate_tokens

MIN_TRIMMED_TOKENS = 60
# Two regions of a file this few lines apart are shown as one: the lines between cost little, an
# edit near either often needs them, and the prompt pads every region by 3 lines (CONTEXT_PAD) anyway.
GAP_LINES = 6
COMPANION = "needed by lines"


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


Companions = Callable[[str, int, int], Sequence[tuple[int, int, str]]]


def _bridge(regions: Sequence[Region], path: str, start: int, end: int) -> tuple[int, int]:
    """start..end grown to touch the nearest shown region of `path` on each side that is at most
    GAP_LINES lines away."""
    before = max((r.end_line for r in regions if r.path == path and r.end_line < start), default=None)
    after = min((r.start_line for r in regions if r.path == path and r.start_line > end), default=None)
    if before is not None and start - before - 1 <= GAP_LINES:
        start = before + 1
    if after is not None and after - end - 1 <= GAP_LINES:
        end = after - 1
    return start, end


def pack(selected: Sequence[Scored], budget: int, companions: Companions | None = None) -> list[Region]:
    """Take regions in rank order while they fit; a region too large for what is left is trimmed
    around its hits rather than dropped. Lines already shown are not paid for twice: a region that
    overlaps shown ones shows only its new lines, and one that holds shown ones replaces them.
    `companions(path, start, end)` names what a shown region needs beside it (its file's imports,
    its class line); each is paid for right after it when it fits, and listed after the ranked ones."""
    remaining = budget
    regions: list[Region] = []
    shown_companions: set[Region] = set()
    queue = list(selected)
    at = -1
    while at + 1 < len(queue):
        at += 1
        item = queue[at]
        companion = item.companion
        if remaining < MIN_TRIMMED_TOKENS and not item.pinned:
            break
        start, end, why = item.start, item.end, item.why
        shown = [r for r in regions if r.path == item.path and r.start_line <= end and start <= r.end_line]
        inside = [r for r in shown if start <= r.start_line and r.end_line <= end]
        for r in shown:
            if r in inside:
                continue
            if r.start_line <= start and end <= r.end_line:
                start, end = 0, -1  # already shown whole
                break
            if r.start_line <= start:
                start = r.end_line + 1
            else:
                end = r.start_line - 1
        if start > end:
            continue
        refund = sum(r.tokens for r in inside)
        tokens = estimate_tokens(region_text(item.lines, start, end))
        bridged = _bridge(regions, item.path, start, end)
        if bridged != (start, end):  # only when the bridged span fits: a region is never cut for its gap lines
            bridged_tokens = estimate_tokens(region_text(item.lines, *bridged))
            if bridged_tokens <= remaining + refund:
                (start, end), tokens = bridged, bridged_tokens
        if tokens > remaining + refund:
            if inside or companion:
                continue
            span = trim(Scored(item.path, start, end, item.symbol, item.kind, item.score, why, item.lines,
                               item.hit_lines, item.pinned), remaining)
            if span is None:
                continue
            why = (*why, f"trimmed from lines {item.start}-{item.end}")
            start, end = span
            tokens = estimate_tokens(region_text(item.lines, start, end))
        score = item.score
        ranked_inside = [r for r in inside if r not in shown_companions]
        if inside:  # a larger region takes the place of shown ones: it says why they were shown
            score = max(score, *(r.score for r in inside))
            why = tuple(dict.fromkeys([*(ranked_inside or inside)[0].why, *why]))[:6]
        region = Region(item.path, start, end, item.symbol, item.kind, score, why, tokens)
        keep = ranked_inside[0] if ranked_inside else None
        regions = [r for r in regions if r is keep or r not in inside]
        if keep is not None:  # it takes the place of the best ranked region it holds
            regions[regions.index(keep)] = region
        else:  # it holds only companions, if anything: it is what it was queued as
            regions.append(region)
            if companion:
                shown_companions.add(region)
        remaining += refund - tokens
        if companions is not None and not companion:
            extras = [Scored(item.path, lo, hi, None, "lines", 0.0, (f"{COMPANION} {start}-{end}: {reason}",),
                             item.lines, (), companion=True) for lo, hi, reason in companions(item.path, start, end)]
            queue[at + 1:at + 1] = extras
    # companions are shown with their file but do not push ranked regions down the list
    ranked = [r for r in regions if r not in shown_companions]
    return ranked + [r for r in regions if r in shown_companions]
