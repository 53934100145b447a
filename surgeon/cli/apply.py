"""`surgeon apply PATCH`: validate a diff from anywhere against the working tree, repair what is
unambiguous, and stage it on a review branch (or write it with --in-place, or only check it with
--dry-run)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import click

from surgeon.diff import FileChange, PatchResult
from surgeon.errors import Refused, UsageError
from surgeon.validate import ApplyOptions, patch_working_tree

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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _writes(changes: Sequence[FileChange]) -> list[tuple[str, bytes | None, bytes | None, str | None, str | None]]:
    """(path, expected current bytes, new bytes or None to delete, mode to give, path whose mode to keep)."""
    out = []
    for change in changes:
        if change.old_path and change.old_path != change.path:
            out.append((change.old_path, change.old_content, None, None, None))
            out.append((change.path, None, change.new_content, change.new_mode, change.old_path))
        else:
            mode = change.new_mode if change.new_mode != change.old_mode or change.old_content is None else None
            out.append((change.path, change.old_content, change.new_content, mode, change.path))
    return out


def write_changes(root: Path, changes: Sequence[FileChange]) -> None:
    """Write every change to the working tree, or none: files are checked first, new contents go
    to temporary files beside their targets, and a failure part-way restores what was replaced."""
    plan = _writes(changes)
    for path, expected, _new, _mode, _keep in plan:
        target = root / path
        current = target.read_bytes() if target.is_file() else None
        if current != expected:
            raise Refused(f"{path} changed while the diff was being checked; nothing was written")
    temps: dict[str, Path] = {}
    modes: dict[str, int] = {}
    done: list[tuple[Path, bytes | None, int | None]] = []  # (target, old bytes, old mode) for rollback
    backups: list[tuple[Path, Path]] = []
    try:
        for path, _expected, new, mode, keep in plan:
            if new is None:
                continue
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            keep_from = root / keep if keep else None
            if mode is not None:
                modes[path] = (0o777 if mode == "100755" else 0o666) & ~_umask()
            elif keep_from is not None and keep_from.exists():
                modes[path] = keep_from.stat().st_mode & 0o7777
            else:
                modes[path] = 0o666 & ~_umask()
            handle, name = tempfile.mkstemp(prefix=".surgeon-", dir=target.parent)
            with os.fdopen(handle, "wb") as out:
                out.write(new)
            os.chmod(name, modes[path])
            temps[path] = Path(name)
        for path, expected, new, _mode, _keep in plan:
            target = root / path
            old_mode = target.stat().st_mode & 0o7777 if target.exists() else None
            if new is None:
                backup = target.with_name(f".surgeon-deleted-{target.name}")
                os.replace(target, backup)
                backups.append((target, backup))
            else:
                os.replace(temps.pop(path), target)
                done.append((target, expected, old_mode))
    except OSError as exc:
        for target, old, old_mode in reversed(done):
            if old is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(old)
                if old_mode is not None:
                    os.chmod(target, old_mode)
        for target, backup in reversed(backups):
            os.replace(backup, target)
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise UsageError(f"could not write the working tree ({exc}); nothing was changed") from None
    for _target, backup in backups:
        backup.unlink()


# ---------------------------------------------------------------------------------------------
# rendering


def success_payload(result: PatchResult, status: str) -> dict:
    return {
        "status": status,
        "files": list(result.files),
        "repairs": list(result.repairs),
        "lines_added": result.lines_added,
        "lines_removed": result.lines_removed,
        "diff": result.normalised,
        "changes": [
            {"path": c.path, "old_path": c.old_path, "status": c.status,
             "lines_added": c.lines_added, "lines_removed": c.lines_removed}
            for c in result.changes
        ],
    }


def refused_payload(result: PatchResult) -> dict:
    return {
        "status": "refused",
        "errors": [{"path": r.path, "hunk": r.hunk, "line": r.line, "reason": r.reason} for r in result.refusals],
    }


def _console():
    from surgeon import terminal

    return terminal.console(soft_wrap=True)


def print_diff(diff: str, console=None) -> None:
    from surgeon.cli.render import diff_text

    (console or _console()).print(diff_text(diff), end="")


def render_success(result: PatchResult, status: str, as_json: bool, staged=None) -> None:
    if as_json:
        payload = success_payload(result, status)
        if staged is not None:
            payload.update(branch=staged.branch, id=staged.id, commit=staged.commit)
        click.echo(json.dumps(payload, indent=2))
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
        click.echo(json.dumps(refused_payload(result), indent=2))
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
    from surgeon.config import load_config
    from surgeon.git import find_repo

    if in_place and dry_run:
        raise UsageError("--in-place and --dry-run exclude each other: pick one")
    reply = read_patch(patch_file)
    repo = find_repo(repo_dir, need_commit=not (in_place or dry_run))
    config = load_config(repo.root).with_flags(max_changed_lines=max_changed_lines)
    options = ApplyOptions(
        allow_rewrite=allow_rewrite,
        rewrite_share=float(config.get("rewrite_share", 0.6)),
        max_changed_lines=config.get("max_changed_lines"),
    )
    from surgeon.diff import extract_diff

    diff_text = extract_diff(reply) or reply
    result = patch_working_tree(repo.root, diff_text, options)
    if result.ok:
        from surgeon.validate.secrets import check_changes

        secrets = check_changes(result.changes)
        if secrets:  # a placeholder or a new secret never lands in a file, whoever wrote the diff
            result = dataclasses.replace(result, ok=False, refusals=tuple(secrets))
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
    from surgeon.stage import stage_diff

    name = "standard input" if patch_file == "-" else Path(patch_file).name
    staged = stage_diff(repo, result, instruction=message or f"apply {name}", base=base)
    render_success(result, "applied", as_json, staged=staged)
