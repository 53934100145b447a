"""`surgeon edit "<instruction>"`: one instruction, one validated diff, one review branch."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from surgeon.config import load_config
from surgeon.git import find_repo

if TYPE_CHECKING:
    from surgeon.edit.events import EditEvent


class PathsOption(click.Option):
    """`--files a.py b.py`: an option that also takes the words after it that look like paths
    (no leading dash, no spaces), so both `--files a --files b` and `--files a b` work."""

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = parser._long_opt.get(name) or parser._short_opt.get(name)
            if option is None:
                continue
            take_one = option.process

            def process(value: Any, state: Any, take_one: Any = take_one) -> None:
                take_one(value, state)
                while state.rargs and not state.rargs[0].startswith("-") and not any(
                        ch.isspace() for ch in state.rargs[0]):
                    take_one(state.rargs.pop(0), state)

            option.process = process


@click.command()
@click.argument("instruction")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--files", "files", cls=PathsOption, multiple=True, metavar="PATH...",
              help="Always show these files to the model: --files a.py b.py, or repeat --files.")
@click.option("--budget", type=int, help="Tokens of located context shown to the model (default 8000).")
@click.option("--model", help="provider:name, e.g. anthropic:claude-sonnet-5-5, openai:gpt-4o, script:replies.json.")
@click.option("--check", help="Gate command run on the staged commit in a temporary worktree, e.g. 'pytest -q'.")
@click.option("--max-attempts", type=click.IntRange(1, 10), help="Model attempts, first try included (default 3).")
@click.option("--dry-run", is_flag=True, help="Stop before staging: print the validated diff and the cost, write nothing.")
@click.option("--allow-any-file", is_flag=True, help="Let the diff touch or create files the model was not shown.")
@click.option("--base", type=click.Choice(["head", "worktree"]), default="head", show_default=True,
              help="worktree: stage on top of a snapshot of your uncommitted changes to the touched files.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with everything.")
def edit(instruction: str, repo_dir: str | None, files: tuple[str, ...], budget: int | None, model: str | None,
         check: str | None, max_attempts: int | None, dry_run: bool, allow_any_file: bool, base: str,
         as_json: bool) -> None:
    """Make the smallest change that does INSTRUCTION, validated and staged on a review branch.

    \b
    Example:
      surgeon edit "allow origin https://s.ado.im in CORS and the CSP" --check "pytest -q"
    """
    from surgeon.edit import EditLoop, EditRequest

    repo = find_repo(repo_dir)
    config = load_config(repo.root)
    request = EditRequest(
        instruction=instruction, files=_split_files(files), budget=budget, model=model, check=check,
        max_attempts=max_attempts, dry_run=dry_run, allow_any_file=allow_any_file, base=base,
    )
    if as_json:
        outcome = EditLoop(repo, config).run(request)
        click.echo(json.dumps(outcome_json(outcome), indent=2))
    else:
        view = EditView()
        outcome = EditLoop(repo, config, on_event=view.event, on_progress=view.progress).run(request)
        view.summary(outcome)
    sys.exit(0 if outcome.status in ("staged", "proposed") else 1)


def _split_files(files: tuple[str, ...]) -> tuple[str, ...]:
    parts: list[str] = []
    for item in files:
        parts.extend(p for p in item.replace(",", " ").split() if p)
    return tuple(dict.fromkeys(parts))


def outcome_json(outcome: Any) -> dict[str, Any]:
    from surgeon.cli.render import gate_json, refusal_json, region_json

    result = outcome.result
    staged = outcome.staged
    return {
        "status": outcome.status,
        "instruction": outcome.instruction,
        "model": outcome.model,
        "regions": [region_json(r) for r in outcome.located.regions],
        "shown_files": list(outcome.shown_files),
        "attempts": [
            {
                "attempt": a.number, "model": a.model, "status": a.status,
                "errors": [refusal_json(e) for e in a.errors], "check": gate_json(a.gate),
                "input_tokens": a.input_tokens, "output_tokens": a.output_tokens,
                "cache_read_tokens": a.cache_read_tokens, "cost": a.cost,
            }
            for a in outcome.attempts
        ],
        "errors": [refusal_json(e) for e in outcome.errors],
        "diff": result.normalised if result else None,
        "files": [c.path for c in result.changes] if result else [],
        "repairs": list(result.repairs) if result else [],
        "lines_added": result.lines_added if result else 0,
        "lines_removed": result.lines_removed if result else 0,
        "branch": staged.branch if staged else None,
        "id": staged.id if staged else None,
        "commit": staged.commit if staged else None,
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


class EditView:
    """What a person sees. The log (regions, attempts, refusals, verdicts, gate, usage) goes to
    stderr, so stdout holds only the result: the diff that was staged or proposed, and where it is.
    --quiet silences the log; --verbose adds every attempt's diff and the timings."""

    def __init__(self, *, attempt_diffs: bool = False, final_diff: bool = True) -> None:
        from surgeon import terminal

        self.out = terminal.console(soft_wrap=True)
        self.log = terminal.console(stderr=True, soft_wrap=True)
        self.verbose = terminal.verbose()
        self.attempt_diffs = attempt_diffs or self.verbose
        self.final_diff = final_diff

    def progress(self, progress: Any) -> None:
        from surgeon.model.progress import render_progress

        render_progress(self.log, progress)

    def event(self, event: EditEvent) -> None:
        from rich.markup import escape as e

        from surgeon.cli.render import diff_text, print_regions
        from surgeon.edit import events

        log = self.log
        match event:
            case events.Located(located=located):
                log.print(f"[bold]located[/] {len(located.regions)} regions, {located.tokens} tokens "
                          f"[dim]({located.files_indexed} files indexed, {located.seconds:.2f}s)[/]")
                print_regions(log, located.regions, limit=100 if self.verbose else 12)
            case events.Withheld(reasons=reasons):
                for path, reason in reasons.items():
                    log.print(f"[yellow]withheld[/] {e(path)}: {e(reason)}")
            case events.ModelStarted(attempt=attempt, model=model):
                log.print(f"[bold]attempt {attempt}[/] asking {e(model)} …")
            case events.AttemptRefused(attempt=attempt, errors=errors):
                log.print(f"[red]refused[/] attempt {attempt}:")
                for error in errors:
                    log.print(f"  [red]✗[/] {e(str(error))}")
                log.print("  [dim]the reasons go back to the model[/]")
            case events.Blocked(errors=errors):
                for error in errors:
                    log.print(f"[red]not staged[/]: {e(str(error))}")
            case events.Validated(result=result, verdicts=verdicts):
                if self.attempt_diffs:
                    log.print(diff_text(result.normalised), end="")
                for repair in result.repairs:
                    log.print(f"  [yellow]repaired[/] {e(repair)}")
                shown = " · ".join(f"{e(k)} [green]{e(v)}[/]" for k, v in verdicts.items())
                log.print(f"[bold]validators[/] {shown}")
            case events.Staged(staged=staged):
                log.print(f"[bold]staged[/] {e(staged.branch)} [dim]({staged.commit[:10]}, "
                          f"+{staged.lines_added} -{staged.lines_removed})[/]")
            case events.GateStarted(command=command):
                log.print(f"[bold]gate[/] running `{e(command)}` in a temporary worktree …")
            case events.GateFinished(gate=gate):
                verdict = "[green]passed[/]" if gate.passed else ("[red]timed out[/]" if gate.timed_out else "[red]failed[/]")
                log.print(f"[bold]gate[/] {verdict} (exit {gate.exit_code}, {gate.seconds:.1f}s)")
                if not gate.passed and gate.output_tail:
                    log.print(f"[dim]{e(gate.output_tail)}[/]")
            case events.Discarded(staged=staged):
                log.print(f"[yellow]discarded[/] {e(staged.branch)}; the failure goes back to the model")

    def summary(self, outcome: Any) -> None:
        from rich.markup import escape as e

        from surgeon.cli.render import diff_text
        from surgeon.model.pricing import cost_text

        out, log = self.out, self.log
        tokens = f"{outcome.total('input_tokens')} in / {outcome.total('output_tokens')} out"
        if outcome.total("cache_read_tokens"):
            tokens += f" ({outcome.total('cache_read_tokens')} cached)"
        log.print(f"[bold]usage[/] {e(outcome.model)}: {tokens}, {cost_text(outcome.cost)}, "
                  f"{len(outcome.attempts)} attempt(s)")
        if self.verbose:
            log.print("[bold]timings[/] " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings.items()))
        if self.final_diff and outcome.status in ("staged", "proposed") and outcome.result is not None:
            out.print(diff_text(outcome.result.normalised), end="")
        if outcome.status == "staged":
            out.print(f"[bold green]staged[/] {e(outcome.staged.branch)} [dim]({outcome.staged.commit[:10]})[/]")
            log.print(f"review: [bold]surgeon show {outcome.staged.id}[/] · keep: [bold]surgeon accept "
                      f"{outcome.staged.id}[/] · drop: [bold]surgeon discard {outcome.staged.id}[/]")
        elif outcome.status == "proposed":
            log.print("[bold]dry run[/]: nothing was written")  # stdout stays a diff that applies
        else:
            log.print(f"[bold red]no change staged[/] after {len(outcome.attempts)} attempt(s). Reasons:")
            for error in outcome.errors:
                log.print(f"  [red]✗[/] {e(str(error))}")
