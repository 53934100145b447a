"""`surgeon bench`: which model edits this repository best, measured on its own history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from surgeon.config import load_config
from surgeon.git import find_repo

if TYPE_CHECKING:
    from rich.console import Console

    from surgeon.bench import Task
    from surgeon.bench.results import RunResult

COLUMNS = ("tasks", "exact", "equivalent", "other", "refused", "solved", "collateral_lines", "tokens", "cost_text",
           "seconds", "attempts")
HEADERS = ("tasks", "exact", "equiv", "other", "refused", "solved", "collateral", "tokens", "cost", "seconds",
           "attempts")


@click.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--models", "models", multiple=True, metavar="M1,M2,...",
              help="Models to compare (provider:name, comma-separated or repeated; default: the configured ones).")
@click.option("--tasks", "count", type=click.IntRange(1, 200), default=10, show_default=True,
              help="How many recent commits become tasks.")
@click.option("--since", metavar="REV", help="Only commits after REV (REV..HEAD).")
@click.option("--paths", metavar="GLOB", help="Only commits whose changed files all match GLOB (gitignore style; "
              "comma-separated for several).")
@click.option("--check", help="Command that decides 'equivalent' on a result that is not exact (default: the "
              "commit's own test files).")
@click.option("--max-cost", type=float, metavar="USD",
              help="Refuse to send a model request that could take the whole bench past USD (max_cost).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with everything.")
def bench(repo_dir: str | None, models: tuple[str, ...], count: int, since: str | None, paths: str | None,
          check: str | None, max_cost: float | None, as_json: bool) -> None:
    """Rank models on this repository's own history.

    Recent small commits become tasks (the subject as the instruction, the parent as the base, the
    change as the answer); each model runs the real edit loop on each task in a throwaway worktree,
    and each run is scored: exact, equivalent (the check passes), other, or refused.

    \b
    Example:
      surgeon bench --models anthropic:claude-sonnet-5-5,openai:gpt-6-sol --tasks 8 --max-cost 2
    """
    from surgeon.bench import Bench, BenchOptions
    from surgeon.errors import UsageError

    repo = find_repo(repo_dir)
    config = load_config(repo.root).with_flags(max_cost=max_cost)
    specs = tuple(part.strip() for value in models for part in value.split(",") if part.strip())
    if models and not specs:
        raise UsageError("--models: give at least one provider:name")
    if check is not None and not check.strip():
        raise UsageError("--check: the command is empty")
    view = None if as_json else BenchView()
    runner = Bench(repo, config, BenchOptions(specs, count, since, paths, check),
                   on_run=None if view is None else view.progress)
    report = runner.run()
    if view is None:
        click.echo(json.dumps(report, indent=2))
    else:
        view.report(report)


class BenchView:
    """Progress (one line per run) on stderr; the tables, the routing and the comparison on stdout."""

    def __init__(self) -> None:
        from surgeon import terminal

        self.out: Console = terminal.console(soft_wrap=True)
        self.log: Console = terminal.console(stderr=True, soft_wrap=True)

    def progress(self, run: RunResult, task: Task) -> None:
        from rich.markup import escape as e

        from surgeon.model import Redactor

        subject = Redactor().redact(task.subject)
        colour = {"exact": "green", "equivalent": "green", "other": "yellow", "refused": "red"}[run.verdict]
        why = f": {e(run.failure[:160])}" if run.verdict == "refused" and run.failure else ""
        self.log.print(f"[bold]{e(run.model)}[/] {task.short} {e(subject[:60])}: [{colour}]{run.verdict}[/]"
                       f" [dim]({run.attempts} attempt(s), {run.seconds:.1f}s)[/]{why}")

    def _table(self, title: str, rows: Sequence[dict[str, Any]], first: Sequence[str]) -> None:
        from rich.markup import escape as e
        from rich.table import Table

        table = Table(title=title, title_justify="left", box=None, pad_edge=False)
        for name in (*first, *HEADERS):
            table.add_column(name, justify="left" if name in first else "right")
        for row in rows:
            cells = [e(str(row[key])) for key in first]
            cells += [f"{row[key]:.1f}" if key == "seconds" else e(str(row[key])) for key in COLUMNS]
            table.add_row(*cells)
        self.out.print(table)
        self.out.print()

    def report(self, report: dict[str, Any]) -> None:
        from rich.markup import escape as e

        out = self.out
        tasks = report["tasks"]
        out.print(f"[bold]bench[/] {len(tasks)} task(s) from this repository's history, "
                  f"{len(report['models'])} model(s), spent {report['spent']:.4f} USD")
        out.print()
        self._table("models, best first", report["models"], ("rank", "model"))
        self._table("by kind", report["by_kind"], ("model", "kind"))
        self._table("by language", report["by_language"], ("model", "language"))
        routing = report["routing"]
        if routing["models"]:
            out.print("[bold]suggested routing[/] for .surgeon.toml (from the figures above):")
            out.print(e(routing["toml"]), end="")
        else:
            out.print(f"[bold]no routing suggested[/]: {e(routing['reason'])}")
        out.print()
        self._comparison(report.get("previous"))
        out.print(f"[dim]results kept in {e(report['file'])}[/]")

    def _comparison(self, previous: dict[str, Any] | None) -> None:
        from rich.markup import escape as e

        out = self.out
        if not previous:
            out.print("[dim]no earlier bench run of this repository to compare with[/]")
            return
        out.print(f"[bold]compared with the run of {e(str(previous['time']))}[/] ({e(str(previous['id']))}):")
        for row in previous["models"]:
            parts = []
            for key in ("solved", "exact", "cost", "seconds"):
                before, now = row[key]["before"], row[key]["now"]
                if isinstance(now, float) and isinstance(before, int | float):
                    parts.append(f"{key} {before:.2f} -> {now:.2f}")
                else:
                    parts.append(f"{key} {before} -> {now}")
            out.print(f"  {e(row['model'])}: " + ", ".join(parts))
        for change in previous["changed"]:
            out.print(f"  {e(change['model'])} {change['task'][:10]}: {change['before']} -> {change['now']}")
        if not previous["models"]:
            out.print("  no model in common")
