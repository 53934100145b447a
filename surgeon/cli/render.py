"""Terminal and JSON rendering shared by the commands. Only the shell imports this."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text


def refusal_json(refusal: Any) -> dict[str, Any]:
    return {"path": refusal.path, "hunk": refusal.hunk, "line": refusal.line, "reason": refusal.reason}


def region_json(region: Any) -> dict[str, Any]:
    return {
        "path": region.path, "start_line": region.start_line, "end_line": region.end_line,
        "symbol": region.symbol, "kind": region.kind, "score": round(region.score, 3), "why": list(region.why),
    }


def gate_json(gate: Any) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {
        "command": gate.command, "passed": gate.passed, "exit_code": gate.exit_code,
        "timed_out": gate.timed_out, "seconds": round(gate.seconds, 3), "output_tail": gate.output_tail,
    }


def diff_text(diff: str) -> Text:
    """A unified diff coloured line by line: headers bold, hunks cyan, removals red, additions green."""
    text = Text()
    for line in diff.splitlines(keepends=True):
        if line.startswith(("diff --git", "--- ", "+++ ", "index ", "new file", "deleted file", "rename ",
                            "old mode", "new mode", "similarity")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        else:
            style = ""
        text.append(line.replace("\r\n", "\n"), style=style)  # CRLF files: a bare \r would garble the terminal
    return text


def print_regions(console: Console, regions: Sequence[Any], limit: int = 12) -> None:
    from rich.markup import escape

    for region in regions[:limit]:
        symbol = f"  {escape(region.symbol)}" if region.symbol else ""
        console.print(f"  [bold]{escape(region.path)}[/]:{region.start_line}-{region.end_line}{symbol}"
                      f"  [dim]{region.kind} · score {region.score:.2f}[/]", highlight=False)
    if len(regions) > limit:
        console.print(f"  [dim]… and {len(regions) - limit} more[/]")
