"""The progress line on stderr while a model answers: elapsed time, tokens so far, time to first
token, and what a retry is waiting for. Commands with --json pass no progress callback, so they
stay quiet; the JSON goes to stdout either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from surgeon.model.types import Progress

if TYPE_CHECKING:
    from rich.console import Console

_open_lines: set[int] = set()  # consoles with an unfinished progress line


def progress_text(progress: Progress) -> str:
    parts = [progress.label, f"{progress.elapsed:.1f}s"]
    if progress.phase == "waiting":
        parts.append("waiting for the first token")
    else:
        parts.append(f"{progress.output_tokens} tokens")
        if progress.first_token_seconds is not None:
            parts.append(f"first token {progress.first_token_seconds:.1f}s")
    if progress.phase == "done":
        parts.append("done")
    return " · ".join(parts)


def render_progress(console: Console, progress: Progress) -> None:
    """Draw `progress` on a rich Console (stderr). On a terminal one line is redrawn in place;
    elsewhere (CI logs) only retries and the final line are printed."""
    key = id(console)
    from surgeon.terminal import dumb_terminal

    terminal = bool(getattr(console, "is_terminal", False)) and not dumb_terminal()
    if progress.phase == "retrying":
        if key in _open_lines:
            console.file.write("\r\x1b[2K")
            _open_lines.discard(key)
        console.print(f"  [yellow]{progress.label}[/]: {progress.message}", highlight=False)
        return
    text = progress_text(progress)
    if terminal:
        console.file.write("\r\x1b[2K  " + text)
        if progress.phase == "done":
            console.file.write("\n")
            _open_lines.discard(key)
        else:
            _open_lines.add(key)
        console.file.flush()
    elif progress.phase == "done":
        console.print(f"  {text}", highlight=False, markup=False)
