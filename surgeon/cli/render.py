"""Terminal and JSON rendering shared by the commands. Only the shell imports this.

One JSON serializer per type: each shape a `--json` command prints is written once here (a type that
carries its own `to_json()`, such as GateResult, is serialized by it). One diff colourer:
`diff_line_style` decides the colour of each line, for rich (`diff_text`) and for click
(`styled_diff_lines`, which `surgeon review` uses: it must not load rich). rich is imported only
when a rich renderer runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from surgeon.diff import FileChange, PatchResult, Refusal
    from surgeon.edit import Attempt, EditOutcome
    from surgeon.gate import GateResult
    from surgeon.locate import Region
    from surgeon.stage import StagedChange

JSON = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# JSON


def refusal_json(refusal: Refusal) -> JSON:
    return {"path": refusal.path, "hunk": refusal.hunk, "line": refusal.line, "reason": refusal.reason}


def refused_json(refusals: Iterable[Refusal], *, status: Literal["refused", "error"] = "refused",
                 files: Sequence[str] = ()) -> JSON:
    """What a command prints when it stops without a change: a refused diff (`surgeon apply`), or an
    error (surgeon.cli.main.error_json), in one shape so scripts read one format."""
    payload: JSON = {"status": status, "errors": [refusal_json(r) for r in refusals]}
    if files:
        payload["files"] = list(files)
    return payload


def region_json(region: Region, *, score_digits: int | None = 3) -> JSON:
    """`surgeon edit` rounds the score to 3 digits; `surgeon locate` prints it whole (score_digits=None)."""
    return {
        "path": region.path, "start_line": region.start_line, "end_line": region.end_line,
        "symbol": region.symbol, "kind": region.kind,
        "score": region.score if score_digits is None else round(region.score, score_digits),
        "why": list(region.why),
    }


def gate_json(gate: GateResult | None) -> JSON | None:
    return None if gate is None else gate.to_json()


def change_json(change: FileChange) -> JSON:
    return {"path": change.path, "old_path": change.old_path, "status": change.status,
            "lines_added": change.lines_added, "lines_removed": change.lines_removed}


def patch_json(result: PatchResult, status: Literal["valid", "applied"], staged: StagedChange | None = None
               ) -> JSON:
    """A diff that was checked (`surgeon apply`): "valid" (dry run) or "applied", and where it was staged."""
    payload: JSON = {
        "status": status,
        "files": list(result.files),
        "repairs": list(result.repairs),
        "lines_added": result.lines_added,
        "lines_removed": result.lines_removed,
        "diff": result.normalised,
        "changes": [change_json(c) for c in result.changes],
    }
    if staged is not None:
        payload.update(staged_json(staged))
    return payload


def staged_json(staged: StagedChange | None) -> JSON:
    return {"branch": staged.branch if staged else None, "id": staged.id if staged else None,
            "commit": staged.commit if staged else None}


def attempt_json(attempt: Attempt) -> JSON:
    return {
        "attempt": attempt.number, "model": attempt.model, "status": attempt.status,
        "errors": [refusal_json(e) for e in attempt.errors], "check": gate_json(attempt.gate),
        "input_tokens": attempt.input_tokens, "output_tokens": attempt.output_tokens,
        "cache_read_tokens": attempt.cache_read_tokens, "cost": attempt.cost,
        "context_requests": [{"tool": r.tool, "arguments": r.arguments, "tokens": r.tokens}
                             for r in attempt.context_requests],
    }


def outcome_json(outcome: EditOutcome) -> JSON:
    """`surgeon edit --json` (and the edit part of `surgeon demo --json`)."""
    result = outcome.result
    return {
        "status": outcome.status,
        "instruction": outcome.instruction,
        "model": outcome.model,
        "regions": [region_json(r) for r in outcome.located.regions],
        "shown_files": list(outcome.shown_files),
        "attempts": [attempt_json(a) for a in outcome.attempts],
        "errors": [refusal_json(e) for e in outcome.errors],
        "diff": result.normalised if result else None,
        "files": [c.path for c in result.changes] if result else [],
        "repairs": list(result.repairs) if result else [],
        "lines_added": result.lines_added if result else 0,
        "lines_removed": result.lines_removed if result else 0,
        **staged_json(outcome.staged),
        "check": gate_json(outcome.gate),
        "usage": {
            "input_tokens": outcome.total("input_tokens"),
            "output_tokens": outcome.total("output_tokens"),
            "cache_read_tokens": outcome.total("cache_read_tokens"),
            "cost": outcome.cost,
        },
        "context_tokens": outcome.context_tokens,
        "whole_file_tokens": outcome.whole_file_tokens,
        "timings": {k: round(v, 4) for k, v in outcome.timings.items()},
    }


# ---------------------------------------------------------------------------------------------
# diffs

DiffStyle = Literal["header", "hunk", "added", "removed", "context"]

_HEADERS = ("diff --git", "--- ", "+++ ", "index ", "new file", "deleted file", "rename ", "old mode", "new mode",
            "similarity")
_RICH_STYLES: dict[DiffStyle, str] = {"header": "bold", "hunk": "cyan", "added": "green", "removed": "red",
                                      "context": ""}


def diff_line_style(line: str) -> DiffStyle:
    """The one rule for colouring a diff: headers bold, hunks cyan, removals red, additions green."""
    if line.startswith(_HEADERS):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    return "context"


def diff_text(diff: str) -> Text:
    """A unified diff coloured line by line, for a rich console."""
    from rich.text import Text

    text = Text()
    for line in diff.splitlines(keepends=True):
        # CRLF files: a bare \r would garble the terminal
        text.append(line.replace("\r\n", "\n"), style=_RICH_STYLES[diff_line_style(line)])
    return text


def _click_style(line: str, style: DiffStyle) -> str:
    import click

    if style == "header":
        return click.style(line, bold=True)
    if style == "hunk":
        return click.style(line, fg="cyan")
    if style == "added":
        return click.style(line, fg="green")
    if style == "removed":
        return click.style(line, fg="red")
    return click.style(line)


def styled_diff_lines(diff: str) -> Iterator[str]:
    """The same colours as click.style strings, one per line of `diff` (without line endings)."""
    for line in diff.rstrip("\n").split("\n"):
        yield _click_style(line, diff_line_style(line))


def print_regions(console: Console, regions: Sequence[Region], limit: int = 12) -> None:
    from rich.markup import escape

    for region in regions[:limit]:
        symbol = f"  {escape(region.symbol)}" if region.symbol else ""
        console.print(f"  [bold]{escape(region.path)}[/]:{region.start_line}-{region.end_line}{symbol}"
                      f"  [dim]{region.kind} · score {region.score:.2f}[/]", highlight=False)
    if len(regions) > limit:
        console.print(f"  [dim]… and {len(regions) - limit} more[/]")
