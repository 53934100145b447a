"""`surgeon locate`: print the regions of the repository an instruction is about."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from surgeon.config import load_config
from surgeon.errors import UsageError
from surgeon.git import find_repo

if TYPE_CHECKING:
    from surgeon.locate import LocateResult

MASK = "<masked secret>"  # as `surgeon review` prints a detected value
_QUOTED = re.compile(r"'([^']+)'")


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
    _require(instruction)
    repo = find_repo(repo_dir, need_commit=False)
    result, chosen = locate_regions(repo.root, instruction, budget)
    if as_json:
        click.echo(json.dumps(locate_json(result), indent=2))
        return
    from surgeon.locate.files import printable_path

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


def locate_regions(root: Path, instruction: str, budget: int | None) -> tuple[LocateResult, int]:
    """What `surgeon locate` finds (also for `surgeon mcp`): the regions and the budget they fit."""
    _require(instruction)
    config = load_config(root).with_flags(budget=budget)
    chosen = config.get("budget", 8000)
    if not isinstance(chosen, int) or chosen <= 0:
        raise UsageError(f"--budget must be a positive number of tokens, got {chosen}")
    options = config.table("locate")
    max_bytes = options.get("max_file_bytes")
    from surgeon.locate import locate as run_locate
    from surgeon.locate.index import DEFAULT_MAX_FILE_BYTES

    limit = int(max_bytes) if isinstance(max_bytes, int) and max_bytes > 0 else DEFAULT_MAX_FILE_BYTES
    return _masked(root, instruction, run_locate(root, instruction, budget=chosen, max_file_bytes=limit)), chosen


def _masked(root: Path, instruction: str, result: LocateResult) -> LocateResult:
    """The regions with no secret in their `why` or `symbol`. A `why` quotes the instruction's terms as
    written, and the instruction may hold a secret, or a piece of one, that the located lines hold: the
    secrets are looked for (with the detectors `edit` redacts with) in the instruction and in the located
    lines that hold such a term, and a quoted term that is part of one is masked too."""
    said = instruction.lower()
    terms = {t.lower() for r in result.regions for w in r.why for t in _QUOTED.findall(w)
             if _could_be_secret(t) and t.lower() in said}  # not a synonym locate added
    if not terms:
        return result
    from surgeon.secrets import find_secrets

    texts: dict[str, list[str]] = {}
    picked: list[str] = [instruction]
    for region in result.regions:
        if region.path not in texts:
            try:
                texts[region.path] = (root / region.path).read_bytes().decode("utf-8", "replace").splitlines()
            except OSError:  # gone since it was indexed: nothing of it to show, nothing to find
                texts[region.path] = []
        lines = texts[region.path]
        for number in range(max(0, region.start_line - 4), min(len(lines), region.end_line + 3)):
            if any(t in lines[number].lower() for t in terms):
                picked.extend(lines[number:number + 4])  # with the lines a split literal goes on to
    values = sorted({s.value for s in find_secrets("\n".join(picked))}, key=len, reverse=True)
    if not values:
        return result

    def term(match: re.Match[str]) -> str:
        quoted = match.group(1).lower()
        return f"'{MASK}'" if len(quoted) >= 4 and any(quoted in v.lower() for v in values) else match.group(0)

    def mask(text: str) -> str:
        for value in values:
            text = text.replace(value, MASK)
        return _QUOTED.sub(term, text)

    regions = tuple(dataclasses.replace(r, why=tuple(mask(w) for w in r.why),
                                        symbol=mask(r.symbol) if r.symbol else r.symbol) for r in result.regions)
    return dataclasses.replace(result, regions=regions)


def _could_be_secret(term: str) -> bool:
    """A word or a name ("upload", "CORS", "find_secrets", "api/views.py") is no piece of a secret;
    mixed case or a digit among letters may be (finding secrets costs a tenth of a second: not for words)."""
    mixed = any(c.isupper() for c in term[1:]) and any(c.islower() for c in term)
    return mixed or (any(c.isdigit() for c in term) and any(c.isalpha() for c in term))


def locate_json(result: LocateResult) -> dict[str, Any]:
    """The object `surgeon locate --json` prints."""
    from surgeon.cli.render import region_json

    return {
        "regions": [region_json(r, score_digits=None) for r in result.regions],
        "tokens": result.tokens,
        "files_indexed": result.files_indexed,
        "seconds": result.seconds,
        "skipped": result.skipped,
    }


def _require(instruction: str) -> None:
    if not instruction.strip():
        raise UsageError('the instruction is empty: say what to change, e.g. surgeon locate "raise the upload limit" '
                         "(or pass --instruction-file PATH)")


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
