"""The stderr progress line."""

from __future__ import annotations

import io

from rich.console import Console

from surgeon.model import Progress
from surgeon.model.progress import progress_text, render_progress


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=200, color_system=None), buffer


def test_text_shows_elapsed_tokens_and_first_token():
    waiting = Progress("anthropic:claude-sonnet-5-5", "waiting", 0.4, 0)
    assert progress_text(waiting) == "anthropic:claude-sonnet-5-5 · 0.4s · waiting for the first token"
    streaming = Progress("anthropic:claude-sonnet-5-5", "streaming", 2.25, 312, 1250, 0.81)
    assert progress_text(streaming) == "anthropic:claude-sonnet-5-5 · 2.2s · 312 tokens · first token 0.8s"


def test_terminal_redraws_one_line_and_ends_it():
    out, buffer = console(True)
    render_progress(out, Progress("m", "waiting", 0.1, 0))
    render_progress(out, Progress("m", "streaming", 1.0, 40, 160, 0.5))
    render_progress(out, Progress("m", "retrying", 1.2, 40, message="overloaded (HTTP 529); retry 1 of 4 in 0.5s"))
    render_progress(out, Progress("m", "done", 2.0, 90, 360, 0.5))
    text = buffer.getvalue()
    assert text.count("\r\x1b[2K") == 4 and text.endswith("done\n")
    assert "m: overloaded (HTTP 529); retry 1 of 4 in 0.5s\n" in text


def test_logs_get_only_retries_and_the_final_line():
    out, buffer = console(False)
    render_progress(out, Progress("m", "waiting", 0.1, 0))
    render_progress(out, Progress("m", "streaming", 1.0, 40, 160, 0.5))
    render_progress(out, Progress("m", "retrying", 1.2, 40, message="rate limited (HTTP 429); retry 1 of 4 in 2.0s"))
    render_progress(out, Progress("m", "done", 2.0, 90, 360, 0.5))
    assert buffer.getvalue().splitlines() == [
        "  m: rate limited (HTTP 429); retry 1 of 4 in 2.0s",
        "  m · 2.0s · 90 tokens · first token 0.5s · done",
    ]
