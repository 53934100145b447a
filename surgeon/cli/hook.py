"""`surgeon hook install|uninstall`: run `surgeon review --staged` before every commit."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from surgeon.git import find_repo

if TYPE_CHECKING:
    from surgeon.review.hook import HookResult


@click.group()
def hook() -> None:
    """Install or remove the git pre-commit hook that runs `surgeon review --staged`.

    An existing pre-commit hook is kept and still runs first; uninstall restores it. Once you edit
    surgeon's hook it is yours: uninstall (and install) refuse to remove or overwrite it and say how.
    With the pre-commit framework, add surgeon's repository and the `surgeon-review` hook instead.
    """


def _report(result: HookResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"action": result.action, "hook": str(result.hook),
                               "chained": str(result.chained) if result.chained else None}, indent=2))
        return
    messages = {
        "installed": f"surgeon: pre-commit hook installed at {result.hook}",
        "updated": f"surgeon: pre-commit hook at {result.hook} updated",
        "uninstalled": f"surgeon: pre-commit hook removed from {result.hook}",
        "absent": f"surgeon: no pre-commit hook at {result.hook}; nothing to remove",
    }
    click.echo(messages[result.action])
    if result.chained and result.action in ("installed", "updated"):
        click.echo(f"surgeon: the previous hook is kept as {result.chained} and runs first")
    elif result.chained:
        click.echo(f"surgeon: the previous hook is back at {result.chained}")


@hook.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def install(repo_dir: str | None, as_json: bool) -> None:
    """Write the pre-commit hook (core.hooksPath is respected)."""
    from surgeon.review import hook as hooks

    _report(hooks.install(find_repo(repo_dir, need_commit=False).root), as_json)


@hook.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def uninstall(repo_dir: str | None, as_json: bool) -> None:
    """Remove surgeon's pre-commit hook and put back the one it replaced."""
    from surgeon.review import hook as hooks

    _report(hooks.uninstall(find_repo(repo_dir, need_commit=False).root), as_json)
