"""The reasons a refused diff goes back to the model with. A refusal's reason can quote the file's
lines; for a file that is never sent to a model (a secret file, a .surgeonignore match) only where it
is goes back, never what the reason says."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Protocol


class _Refusal(Protocol):
    @property
    def path(self) -> str | None: ...


NEVER_SENT = ("is never sent to a model (a secret file, or matched by .surgeonignore); leave it out of the diff "
              "and change only the files you were shown")


def refusal_reasons(refusals: Sequence[_Refusal], never_sent: Callable[[str], bool]) -> str:
    """One `- reason` line per refusal (str(refusal) names its file, hunk and line)."""
    return "\n".join(f"- {r.path}: {NEVER_SENT}" if r.path and never_sent(r.path) else f"- {r}" for r in refusals)


class _Placed(Protocol):
    @property
    def path(self) -> str | None: ...
    @property
    def hunk(self) -> int | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def reason(self) -> str: ...


AROUND = 12  # lines shown on each side of the line a refused hunk aimed at
WHOLE_FILE_LINES = 80  # a hunk with no line to aim at: a file this short is shown whole
MAX_LINES = 150  # lines of all files together
_LINE_IN_REASON = re.compile(r"\bline (\d+)\b")


def refusal_lines(root: Path, refusals: Sequence[_Placed], shown: Collection[str],
                  never_sent: Callable[[str], bool]) -> str:
    """The real lines around the place each refused hunk aimed at (its @@ line, else the first line
    its reason names), numbered as the context is. Only files the model was shown; never a never-sent
    file, a binary or non-UTF-8 one."""
    spans: dict[str, list[tuple[int, int]]] = {}
    texts: dict[str, list[str]] = {}
    for refusal in refusals:
        path = refusal.path
        if not path or refusal.hunk is None or path not in shown or never_sent(path):
            continue
        if path not in texts:
            lines = _text_lines(root, path)
            if lines is None:
                continue
            texts[path] = lines
        lines = texts[path]
        named = _LINE_IN_REASON.search(refusal.reason)
        aim = refusal.line or (int(named.group(1)) if named else None)
        if aim is None:
            if len(lines) > WHOLE_FILE_LINES:
                continue
            span = (1, len(lines))
        else:
            aim = min(max(aim, 1), len(lines))
            span = (max(1, aim - AROUND), min(len(lines), aim + AROUND))
        spans.setdefault(path, []).append(span)
    sections: list[str] = []
    budget = MAX_LINES
    for path, found in spans.items():
        lines = texts[path]
        parts = [f"=== {path} ({len(lines)} lines) ==="]
        for start, end in _merged(found):
            end = min(end, start + budget - 1)
            if end < start:
                break
            parts.append(f"--- lines {start}-{end}")
            parts.extend(f"{n:4d}|{lines[n - 1]}" for n in range(start, end + 1))
            budget -= end - start + 1
        if len(parts) > 1:
            sections.append("\n".join(parts))
    return "\n\n".join(sections)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _text_lines(root: Path, path: str) -> list[str] | None:
    base = root.resolve()
    target = (base / path).resolve()
    if not target.is_relative_to(base) or ".git" in Path(path).parts or not target.is_file():
        return None
    data = target.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8").splitlines() or None
    except UnicodeDecodeError:
        return None
