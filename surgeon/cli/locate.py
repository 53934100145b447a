"""`surgeon locate`: print the regions of the repository an instruction is about."""

from __future__ import annotations

import json
from pathlib import Path

import click

from surgeon.config import load_config
from surgeon.errors import UsageError
from surgeon.git import find_repo


@click.command()
@click.argument("instruction", required=False, default="")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--budget", type=int, default=None, help="Token budget for the regions (default: config `budget`, 8000).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.option("--instruction-file", type=click.Path(dir_okay=False), default=None,
              help="Read the instruction from a file (an issue text, a stack trace); '-' reads standard input.")
def locate(instruction: str, repo_dir: str | None, budget: int | None, as_json: bool, instruction_file: str | None) -> None:
    """Find the lines INSTRUCTION is about: ranked regions that fit a token budget.

    Uses a tree-sitter symbol index of the working tree (cached in .git/surgeon/locate/ by git
    blob id, so only changed files are parsed again) and grep (ripgrep if installed, else git
    grep). Tokens are estimated as characters / 4.
    """
    if instruction_file:
        instruction = _read_instruction_file(instruction_file, instruction)
    if not instruction.strip():
        raise UsageError('the instruction is empty: say what to change, e.g. surgeon locate "raise the upload limit" '
                         "(or pass --instruction-file PATH)")
    repo = find_repo(repo_dir, need_commit=False)
    config = load_config(repo.root).with_flags(budget=budget)
    chosen = config.get("budget", 8000)
    if not isinstance(chosen, int) or chosen <= 0:
        raise UsageError(f"--budget must be a positive number of tokens, got {chosen}")
    options = config.table("locate")
    max_bytes = options.get("max_file_bytes")
    from surgeon.locate import locate as run_locate
    from surgeon.locate.files import printable_path
    from surgeon.locate.index import DEFAULT_MAX_FILE_BYTES

    limit = int(max_bytes) if isinstance(max_bytes, int) and max_bytes > 0 else DEFAULT_MAX_FILE_BYTES
    result = run_locate(repo.root, instruction, budget=chosen, max_file_bytes=limit)
    if as_json:
        from surgeon.cli.render import region_json

        payload = {
            "regions": [region_json(r, score_digits=None) for r in result.regions],
            "tokens": result.tokens,
            "files_indexed": result.files_indexed,
            "seconds": result.seconds,
            "skipped": result.skipped,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    if result.files_indexed == 0:
        click.echo(f"No files surgeon can read in {repo.root} ({_skipped_text(result.skipped)}).")
        return
    if not result.regions:
        click.echo("Nothing in the repository matches this instruction. Name a file, a function, a setting or an "
                   "error message it is about.")
    for number, region in enumerate(result.regions, 1):
        symbol = f"  {region.symbol}" if region.symbol else ""
        click.echo(f"{number:>2}. {printable_path(region.path)}:{region.start_line}-{region.end_line}{symbol} ({region.kind})"
                   f"  score {region.score:.2f}  ~{region.tokens} tokens")
        if region.why:
            click.echo("      " + "; ".join(region.why))
    click.echo(f"{result.tokens} of {chosen} tokens, {len(result.regions)} regions, {result.files_indexed} files indexed "
               f"({_skipped_text(result.skipped)}) in {result.seconds:.2f}s")


def _skipped_text(skipped: dict[str, int]) -> str:
    parts = [f"{count} {reason}" for reason, count in skipped.items() if count]
    return "skipped " + ", ".join(parts) if parts else "none skipped"


def _read_instruction_file(path: str, inline: str) -> str:
    if inline.strip():
        raise UsageError("give the instruction either as an argument or with --instruction-file, not both")
    if path == "-":
        text: str = click.open_file("-").read()  # standard input as click reads it (get_text_stream is deprecated)
        return text
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"--instruction-file {path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"--instruction-file {path}: cannot read it ({exc.strerror})") from None
    return data.decode("utf-8", errors="replace")
