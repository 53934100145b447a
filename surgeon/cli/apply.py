"""`surgeon apply PATCH`: validate a diff from anywhere against the working tree, repair what is
unambiguous, and stage it on a review branch (or write it with --in-place, or only check it with
--dry-run)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from surgeon.diff import FileChange, PatchResult
from surgeon.errors import EnvironmentFailure, UsageError
from surgeon.validate import ApplyOptions, patch_working_tree

if TYPE_CHECKING:
    from rich.console import Console

    from surgeon.git import RepoInfo
    from surgeon.stage import StagedChange

# ---------------------------------------------------------------------------------------------
# reading


def read_patch(source: str) -> str:
    if source == "-":
        data = sys.stdin.buffer.read()
        where = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"{source}: no such patch file")
        data = path.read_bytes()
        where = source
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: the patch is not UTF-8 text (byte {exc.start})") from None


# ---------------------------------------------------------------------------------------------
# writing


def write_changes(root: Path, changes: Sequence[FileChange]) -> None:
    """Write every change to the working tree, or none (surgeon.git.files.write_files: files are
    checked first, and a failure part-way restores what was replaced)."""
    from surgeon.git.files import write_files, writes_for

    try:
        write_files(root, writes_for(changes))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise EnvironmentFailure(f"{where}could not write the working tree ({exc.strerror or exc}); nothing was changed") from None


# ---------------------------------------------------------------------------------------------
# rendering


def _console() -> Console:
    from surgeon import terminal

    console: Console = terminal.console(soft_wrap=True)
    return console


def print_diff(diff: str, console: Console | None = None) -> None:
    from surgeon.cli.render import diff_text

    (console or _console()).print(diff_text(diff), end="")


def render_success(result: PatchResult, status: Literal["valid", "applied"], as_json: bool,
                   staged: StagedChange | None = None) -> None:
    if as_json:
        from surgeon.cli.render import patch_json

        click.echo(json.dumps(patch_json(result, status, staged), indent=2))
        return
    console = _console()
    print_diff(result.normalised, console)
    if result.repairs:
        console.print("\nrepaired:", style="yellow")
        for repair in result.repairs:
            console.print(f"  - {repair}", markup=False)
    files = ", ".join(f"{c.path} (+{c.lines_added} -{c.lines_removed})" for c in result.changes)
    if status == "valid":
        verdict = f"valid: {files}; nothing was written (dry run)"
    elif staged is not None:
        verdict = f"staged on {staged.branch}: {files}; your working tree is untouched"
    else:
        verdict = f"applied to the working tree: {files}"
    console.print(f"\n{verdict}", style="bold green", markup=False)
    if staged is not None:
        console.print(f"review: surgeon show {staged.id} · keep: surgeon accept {staged.id} · "
                      f"drop: surgeon discard {staged.id}", markup=False)


def render_refused(result: PatchResult, as_json: bool) -> None:
    if as_json:
        from surgeon.cli.render import refused_json

        click.echo(json.dumps(refused_json(result.refusals), indent=2))
        return
    console = _console()
    count = len(result.refusals)
    console.print(f"refused: {count} problem{'s' if count != 1 else ''}, nothing was written", style="bold red")
    for refusal in result.refusals:
        console.print("  - " + str(refusal).replace("\n", "\n    "), markup=False)
    if result.repairs:
        console.print("repairs that would have been made:", style="yellow")
        for repair in result.repairs:
            console.print(f"  - {repair}", markup=False)


def render_staging_refused(refused: Exception) -> None:
    click.echo(json.dumps(staging_refused_json(refused), indent=2))
    click.echo(f"surgeon: {refused}", err=True)


# ---------------------------------------------------------------------------------------------


@click.command()
@click.argument("patch_file", metavar="PATCH_FILE|-")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--in-place", is_flag=True, help="Write the files in the working tree (all hunks or none) instead of staging.")
@click.option("--dry-run", is_flag=True, help="Only validate; print the normalised diff.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.option("--allow-rewrite", is_flag=True, help="Accept a diff that replaces most of a file.")
@click.option("--max-changed-lines", type=click.IntRange(min=1), default=None,
              help="Refuse a diff that changes more lines than this.")
@click.option("--base", type=click.Choice(["head", "worktree"]), default="head", show_default=True,
              help="worktree: stage on top of a snapshot of your uncommitted changes to the touched files.")
@click.option("-m", "--message", help="What the change is for (the review commit's summary).")
@click.pass_context
def apply(ctx: click.Context, patch_file: str, repo_dir: str | None, in_place: bool, dry_run: bool,
          as_json: bool, allow_rewrite: bool, max_changed_lines: int | None, base: str,
          message: str | None) -> None:
    """Check a unified diff against the working tree, repair what is unambiguous, refuse the rest,
    and stage it as one commit on a review branch surgeon/<slug>-<id>.

    PATCH_FILE is a file holding the diff (or a model's reply containing one), or - for standard
    input. By default the working tree, index and current branch are left as they are; review
    with `surgeon show ID`, keep with `surgeon accept ID`. Exit 0: applied (staged, written with
    --in-place, or valid with --dry-run); 1: refused; 2: usage error.
    """
    from surgeon.git import find_repo

    if in_place and dry_run:
        raise UsageError("--in-place and --dry-run exclude each other: pick one")
    reply = read_patch(patch_file)
    repo = find_repo(repo_dir, need_commit=not (in_place or dry_run))
    result = check_reply(repo.root, reply, allow_rewrite=allow_rewrite, max_changed_lines=max_changed_lines)
    if not result.ok:
        render_refused(result, as_json)
        ctx.exit(1)
    if dry_run:
        render_success(result, "valid", as_json)
        return
    if in_place:
        write_changes(repo.root, result.changes)
        render_success(result, "applied", as_json)
        return
    from surgeon.errors import Refused

    name = "standard input" if patch_file == "-" else Path(patch_file).name
    try:
        staged = stage_reply(repo, result, reply, message=message, name=name, base=base)
    except Refused as refused:
        if not as_json:
            raise
        render_staging_refused(refused)
        ctx.exit(1)
    render_success(result, "applied", as_json, staged=staged)


# ---------------------------------------------------------------------------------------------
# what `apply` does, also for `surgeon mcp`


def check_reply(root: Path, reply: str, *, allow_rewrite: bool = False, max_changed_lines: int | None = None
                ) -> PatchResult:
    """The diff in `reply` (any format apply reads) checked against the working tree at `root`: placed,
    repaired, validated, and refused when it would write a placeholder or a new secret."""
    from surgeon.config import load_config
    from surgeon.diff import extract_diff

    config = load_config(root).with_flags(max_changed_lines=max_changed_lines)
    options = ApplyOptions(
        allow_rewrite=allow_rewrite,
        rewrite_share=float(config.get("rewrite_share", 0.6)),
        max_changed_lines=config.get("max_changed_lines"),
    )
    diff_text = extract_diff(reply) or reply
    result = patch_working_tree(root, diff_text, options)
    if result.ok:
        from surgeon.validate.secrets import check_changes

        secrets = check_changes(result.changes, diff_text)  # with the diff as written: refusals name the hunk
        if secrets:  # a placeholder or a new secret never lands in a file, whoever wrote the diff
            result = dataclasses.replace(result, ok=False, refusals=tuple(secrets))
    return result


def stage_reply(repo: RepoInfo, result: PatchResult, reply: str, *, message: str | None, name: str,
                base: str = "head") -> StagedChange:
    """Stage a checked diff as one commit on a review branch; raises Refused when staging is refused."""
    from surgeon.cli.branches import settle
    from surgeon.diff.formats import mail_subject
    from surgeon.stage import stage_diff

    settle(repo)
    summary = message or mail_subject(reply) or f"apply {name}"  # a format-patch mail says what it is for
    return stage_diff(repo, result, instruction=summary, base=base)


def staging_refused_json(refused: Exception) -> dict[str, Any]:
    """A staging refusal as --json prints a refused diff: one error per file it names."""
    from surgeon.cli.render import refused_json
    from surgeon.diff import Refusal

    named = tuple(getattr(refused, "files", ()))
    errors = [Refusal(path, None, None, str(refused)) for path in named or [getattr(refused, "path", None)]]
    return refused_json(errors, files=named)
