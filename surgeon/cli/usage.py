"""`surgeon usage`: tokens, time and cost of the model calls recorded in .git/surgeon/usage.jsonl."""

from __future__ import annotations

import json

import click

from surgeon.git import find_repo
from surgeon.model.usage import DIMENSIONS, cost_summary_text, read_usage, summarise, total, usage_log


@click.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--by", "by", type=click.Choice(DIMENSIONS), multiple=True,
              help="Summarise by day, task or model (repeatable; default: all three).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def usage(repo_dir: str | None, by: tuple[str, ...], as_json: bool) -> None:
    """Summarise model usage: calls, tokens (cached included), seconds and cost, by day, task and
    model. A call whose price is unknown is counted apart, never priced by guess.

    JSON: {"repo", "log", "skipped_lines", "total": {...}, "by": {"day": [...], "task": [...],
    "model": [...]}}; each summary has key, calls, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, seconds, cost (USD of the calls with a known price),
    unknown_cost_calls and scripted_calls.
    """
    repo = find_repo(repo_dir, need_commit=False)
    log = usage_log(repo)
    records, skipped = read_usage(log)
    dimensions = [d for d in DIMENSIONS if d in by] if by else list(DIMENSIONS)
    overall = total(records)
    groups = {d: summarise(records, d) for d in dimensions}
    if as_json:
        click.echo(json.dumps({
            "repo": str(repo.root), "log": str(log), "skipped_lines": skipped, "total": overall.as_json(),
            "by": {d: [row.as_json() for row in rows] for d, rows in groups.items()},
        }, indent=2))
        return

    from rich import box
    from rich.table import Table

    from surgeon import terminal

    console = terminal.console()
    if not records:
        console.print(f"no model calls recorded yet in {log}")
    else:
        console.print(f"[bold]model usage[/] for {repo.root}: {overall.calls} calls, "
                      f"{overall.input_tokens + overall.cache_read_tokens + overall.cache_write_tokens} tokens in, "
                      f"{overall.output_tokens} out, {cost_summary_text(overall)}")
        for dimension, rows in groups.items():
            table = Table(title=f"by {dimension}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
            table.add_column(dimension, overflow="fold", min_width=10)
            for name in ("calls", "tokens in", "cached", "out", "seconds", "cost"):
                table.add_column(name, justify="right", no_wrap=True)
            for row in rows:
                cost = "cost unknown" if row.unknown_cost_calls == row.calls else f"${row.cost:.4f}"
                if 0 < row.unknown_cost_calls < row.calls:
                    cost += f" +{row.unknown_cost_calls} unknown"
                table.add_row(row.key, str(row.calls),
                              str(row.input_tokens + row.cache_read_tokens + row.cache_write_tokens),
                              str(row.cache_read_tokens), str(row.output_tokens), f"{row.seconds:.1f}", cost)
            console.print(table)
    if skipped:
        console.print(f"[yellow]warning:[/] {skipped} unreadable line(s) in {log} were skipped")
