"""`surgeon edit "<instruction>"`: one instruction, one validated diff, one review branch."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from surgeon import STARTED
from surgeon.config import Config, load_config
from surgeon.git import find_repo

if TYPE_CHECKING:
    from rich.console import Console

    from surgeon.edit import EditLoop, EditOutcome
    from surgeon.edit.events import EditEvent
    from surgeon.model import Progress


class PathsOption(click.Option):
    """`--files a.py b.py`: an option that also takes the words after it that look like paths
    (no leading dash, no spaces), so both `--files a --files b` and `--files a b` work. Needs a
    PathsCommand, which spreads those words before click parses the command line."""


class PathsCommand(click.Command):
    """A command whose PathsOption options take several words: `--files a b` is parsed as
    `--files a --files b`. The words are rewritten before click's own parser sees them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_paths(args, self.get_params(ctx)))


def spread_paths(args: Sequence[str], params: Sequence[click.Parameter]) -> list[str]:
    """`args` with each word that follows a PathsOption's value (and looks like a path) given its own
    option name. The values of other options are skipped as click would take them, and nothing after
    `--` is touched."""
    greedy = {name for p in params if isinstance(p, PathsOption) for name in p.opts}
    takes: dict[str, int] = {}  # option name -> how many words it takes as its value
    for param in params:
        if isinstance(param, click.Option) and not param.is_flag and not param.count:
            takes.update((name, param.nargs) for name in param.opts)
    out: list[str] = []
    rest = list(args)

    def take_value(name: str, inline: bool) -> None:
        """The option's own value words, then (a PathsOption) the path-like words after them."""
        count = takes[name] - (1 if inline else 0)
        out.extend(rest[:count])
        del rest[:count]
        if name in greedy:
            while rest and not rest[0].startswith("-") and not any(ch.isspace() for ch in rest[0]):
                out.extend([name, rest.pop(0)])

    while rest:
        arg = rest.pop(0)
        out.append(arg)
        if arg == "--":
            break
        if arg.startswith("--"):
            name, inline = (arg.split("=", 1)[0], True) if "=" in arg else (arg, False)
            if name in takes:
                take_value(name, inline)
        elif arg.startswith("-") and len(arg) > 1:  # short options, maybe clustered: -qv, -mVALUE
            for index, char in enumerate(arg[1:], start=1):
                if f"-{char}" in takes:
                    take_value(f"-{char}", inline=index < len(arg) - 1)
                    break
    out.extend(rest)
    return out


@click.command(cls=PathsCommand)
@click.argument("instruction")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--files", "files", cls=PathsOption, multiple=True, metavar="PATH...",
              help="Always show these files to the model: --files a.py b.py, or repeat --files.")
@click.option("--budget", type=click.IntRange(min=1), help="Tokens of located context shown to the model (default 8000).")
@click.option("--model", help="provider:name, e.g. anthropic:claude-sonnet-5-5, openai:gpt-4o, script:replies.json.")
@click.option("--check", help="Gate command run on the staged commit in a temporary worktree, e.g. 'pytest -q'.")
@click.option("--check-sandbox", is_flag=True,
              help="Run the check with no network, writing only its worktree (bwrap, else unshare).")
@click.option("--max-attempts", type=click.IntRange(1, 10), help="Model attempts, first try included (default 3).")
@click.option("--max-cost", type=float, metavar="USD",
              help="Refuse to send a model request that could take this command past USD (max_cost).")
@click.option("--dry-run", is_flag=True, help="Stop before staging: print the validated diff and the cost, write nothing.")
@click.option("--allow-any-file", is_flag=True, help="Let the diff touch or create files the model was not shown.")
@click.option("--allow-unknown-names", is_flag=True,
              help="Warn instead of refusing when the diff uses imports, attributes or packages that are not found.")
@click.option("--base", type=click.Choice(["head", "worktree"]), default="head", show_default=True,
              help="worktree: stage on top of a snapshot of your uncommitted changes to the touched files.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with everything.")
@click.option("--events", "as_events", is_flag=True,
              help="Stream JSON lines to stdout as the edit runs; the last line is the --json object.")
def edit(instruction: str, repo_dir: str | None, files: tuple[str, ...], budget: int | None, model: str | None,
         check: str | None, check_sandbox: bool, max_attempts: int | None, max_cost: float | None, dry_run: bool,
         allow_any_file: bool, allow_unknown_names: bool, base: str, as_json: bool, as_events: bool) -> None:
    """Make the smallest change that does INSTRUCTION, validated and staged on a review branch.

    \b
    Example:
      surgeon edit "allow origin https://s.ado.im in CORS and the CSP" --check "pytest -q"
    """
    from surgeon.edit import EditLoop, EditRequest

    repo = find_repo(repo_dir)
    config = with_spend_and_sandbox(load_config(repo.root), max_cost, check_sandbox)
    config = config.with_flags(allow_unknown_names=True) if allow_unknown_names else config
    request = EditRequest(
        instruction=instruction, files=_split_files(files, (Path.cwd(), repo.root)), budget=budget, model=model, check=check,
        max_attempts=max_attempts, dry_run=dry_run, allow_any_file=allow_any_file, base=base,
    )
    if as_events:  # --json with it changes nothing: the last line is that object
        from surgeon.cli.events import EventStream
        from surgeon.cli.render import outcome_json

        stream = EventStream()
        with EditLoop(repo, config, on_event=stream.event, on_progress=stream.progress, started=STARTED) as loop:
            stream.redactor.finder = loop.helper.find  # the output's secrets are found where the edit's are
            stream.known = lambda: loop.redactor
            outcome = loop.run(request)
            stream.line(with_names(outcome_json(outcome), loop))
    elif as_json:
        from surgeon.cli.events import redact_json
        from surgeon.cli.render import outcome_json
        from surgeon.model.redact import Redactor

        with EditLoop(repo, config, started=STARTED) as loop:
            outcome = loop.run(request)
            output = Redactor(loop.helper.find)
            if loop.redactor is not None:
                output.include(loop.redactor)
            shown = redact_json(with_names(outcome_json(outcome), loop), output)
        click.echo(json.dumps(shown, indent=2))
    else:
        view = EditView()
        loop = EditLoop(repo, config, on_event=view.event, on_progress=view.progress, started=STARTED)
        outcome = loop.run(request)
        view.names_warnings(loop)
        view.summary(outcome)
    if outcome.failure is not None:  # a model call failed after earlier attempts, which the output kept
        click.echo(f"surgeon: {outcome.failure}", err=True)
        sys.exit(outcome.failure.exit_code)
    sys.exit(0 if outcome.status in ("staged", "proposed") else 1)


def with_names(data: dict[str, object], loop: EditLoop) -> dict[str, object]:
    """The --json object with `names`: what the names guard checked, found unknown and skipped, over
    every diff it judged in the run, and the warnings --allow-unknown-names let through."""
    names = getattr(loop, "names", None)
    empty = {"checked": 0, "unknown": 0, "skipped": 0, "skipped_reasons": {}, "allowed": False, "warnings": [],
             "diffs": 0, "seconds": 0.0}
    return {**data, "names": names.json() if names is not None else empty}


def with_spend_and_sandbox(config: Config, max_cost: float | None, check_sandbox: bool) -> Config:
    """--max-cost and --check-sandbox over the settings (the flag picks a sandbox unless the
    settings already name one)."""
    sandbox = "auto" if check_sandbox and config.get("check_sandbox") == "off" else None
    return config.with_flags(max_cost=max_cost, check_sandbox=sandbox)


def _split_files(files: tuple[str, ...], roots: tuple[Path, ...] = ()) -> tuple[str, ...]:
    """`--files a.py,b.py` and `--files "a.py b.py"` name two files; a value that is itself an
    existing path (under any of `roots`) is one file, spaces and all."""
    parts: list[str] = []
    for item in files:
        if any((root / item).exists() for root in roots):
            parts.append(item)
        else:
            parts.extend(p for p in item.replace(",", " ").split() if p)
    return tuple(dict.fromkeys(parts))


class EditView:
    """What a person sees. The log (regions, attempts, refusals, verdicts, gate, usage) goes to
    stderr, so stdout holds only the result: the diff that was staged or proposed, and where it is.
    --quiet silences the log; --verbose adds every attempt's diff and the timings."""

    def __init__(self, *, attempt_diffs: bool = False, final_diff: bool = True) -> None:
        from surgeon import terminal

        self.out: Console = terminal.console(soft_wrap=True)
        self.log: Console = terminal.console(stderr=True, soft_wrap=True)
        self.verbose = terminal.verbose()
        self.attempt_diffs = attempt_diffs or self.verbose
        self.final_diff = final_diff

    def names_warnings(self, loop: EditLoop) -> None:
        """What --allow-unknown-names let through, one line each."""
        from rich.markup import escape as e

        names = getattr(loop, "names", None)
        for warning in names.warnings if names is not None else ():
            self.log.print(f"[yellow]warning[/] (--allow-unknown-names): {e(str(warning))}")

    def progress(self, progress: Progress) -> None:
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

    def summary(self, outcome: EditOutcome) -> None:
        from rich.markup import escape as e

        from surgeon.cli.render import diff_text
        from surgeon.model.pricing import cost_text

        out, log = self.out, self.log
        tokens = f"{outcome.total('input_tokens')} in / {outcome.total('output_tokens')} out"
        if outcome.total("cache_read_tokens"):
            tokens += f" ({outcome.total('cache_read_tokens')} cached)"
        log.print(f"[bold]usage[/] {e(outcome.model)}: {tokens}, {cost_text(outcome.cost)}, "
                  f"{len(outcome.attempts)} attempt(s)")
        asked = [r for a in outcome.attempts for r in a.context_requests]
        if asked:
            log.print(f"[bold]context requests[/] {len(asked)} ({sum(r.tokens for r in asked)} tokens): "
                      + e(", ".join(f"{r.tool} {' '.join(str(v) for v in r.arguments.values())}" for r in asked)))
        if self.verbose:
            log.print("[bold]timings[/] " + ", ".join(f"{k} {v:.2f}s" for k, v in outcome.timings.items()))
        if self.final_diff and outcome.status in ("staged", "proposed") and outcome.result is not None:
            out.print(diff_text(outcome.result.normalised), end="")
        if outcome.status == "staged":
            staged = outcome.staged
            assert staged is not None  # a staged outcome always carries its change
            out.print(f"[bold green]staged[/] {e(staged.branch)} [dim]({staged.commit[:10]})[/]")
            log.print(f"review: [bold]surgeon show {staged.id}[/] · keep: [bold]surgeon accept "
                      f"{staged.id}[/] · drop: [bold]surgeon discard {staged.id}[/]")
        elif outcome.status == "proposed":
            log.print("[bold]dry run[/]: nothing was written")  # stdout stays a diff that applies
        elif outcome.failure is not None:  # its one line follows, as for any error
            log.print(f"[bold red]no change staged[/] after {len(outcome.attempts)} attempt(s): the last one failed")
        else:
            log.print(f"[bold red]no change staged[/] after {len(outcome.attempts)} attempt(s). Reasons:")
            for error in outcome.errors:
                log.print(f"  [red]✗[/] {e(str(error))}")
