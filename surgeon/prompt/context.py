"""Located regions rendered as the numbered excerpts the model sees."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from surgeon.locate import Region

CONTEXT_PAD = 3  # lines shown around each region so the model can copy matching context


def _merge_spans(regions: Sequence[Region], line_count: int) -> list[tuple[int, int, list[Region]]]:
    spans: list[tuple[int, int, list[Region]]] = []
    for region in sorted(regions, key=lambda r: r.start_line):
        start = max(1, region.start_line - CONTEXT_PAD)
        end = min(line_count, region.end_line + CONTEXT_PAD)
        if spans and start <= spans[-1][1] + 1:
            first, last, members = spans[-1]
            spans[-1] = (first, max(last, end), [*members, region])
        else:
            spans.append((start, end, [region]))
    return spans


def render_context(root: Path, regions: Sequence[Region]) -> tuple[str, list[str]]:
    """The located regions as numbered excerpts, grouped by file in rank order of each file's
    best region. Returns the text and the list of files shown."""
    by_file: dict[str, list[Region]] = {}
    for region in regions:
        by_file.setdefault(region.path, []).append(region)
    sections: list[str] = []
    for path, file_regions in by_file.items():
        data = (root / path).read_bytes()
        lines = data.decode("utf-8", errors="replace").splitlines()
        parts = [f"=== {path} ({len(lines)} lines) ==="]
        for start, end, members in _merge_spans(file_regions, len(lines)):
            symbols = ", ".join(sorted({r.symbol for r in members if r.symbol}))
            parts.append(f"--- lines {start}-{end}" + (f" ({symbols})" if symbols else ""))
            parts.extend(f"{n:4d}|{lines[n - 1]}" for n in range(start, end + 1))
        sections.append("\n".join(parts))
    return "\n\n".join(sections), list(by_file)
