"""`surgeon hook install|uninstall`: run `surgeon review --staged` before every commit.
`surgeon hook claude-code install|uninstall|check`: judge the edits Claude Code writes itself."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path

    from surgeon.diff import Refusal
    from surgeon.guard.settings import SettingsResult
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
    from surgeon.git import find_repo
    from surgeon.review import hook as hooks

    _report(hooks.install(find_repo(repo_dir, need_commit=False).root), as_json)


@hook.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def uninstall(repo_dir: str | None, as_json: bool) -> None:
    """Remove surgeon's pre-commit hook and put back the one it replaced."""
    from surgeon.git import find_repo
    from surgeon.review import hook as hooks

    _report(hooks.uninstall(find_repo(repo_dir, need_commit=False).root), as_json)


@hook.group("claude-code")
def claude_code() -> None:
    """Guard the edits Claude Code writes itself (its Edit, MultiEdit and Write tools).

    install adds a PreToolUse hook to the project's .claude/settings.json (everything else in the
    file is kept) that runs `surgeon hook claude-code check` before each edit. It blocks, with the
    reason Claude sees, an edit that writes a new secret, breaks a file's syntax, touches a secret
    file, .surgeonignore or .git, or rewrites most of a file (rewrite_share). SURGEON_SKIP=1 in
    Claude Code's environment turns it off.
    """


def _report_settings(result: SettingsResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"action": result.action, "settings": str(result.settings),
                               "command": result.command}, indent=2))
        return
    messages = {
        "installed": f"surgeon: Claude Code edit hook installed in {result.settings}",
        "updated": f"surgeon: Claude Code edit hook in {result.settings} updated",
        "unchanged": f"surgeon: Claude Code edit hook already installed in {result.settings}",
        "uninstalled": f"surgeon: Claude Code edit hook removed from {result.settings}",
        "absent": f"surgeon: no surgeon hook in {result.settings}; nothing to remove",
    }
    click.echo(messages[result.action])


@claude_code.command("install")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Project (default: current folder).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def claude_install(repo_dir: str | None, as_json: bool) -> None:
    """Add the PreToolUse hook for Edit, MultiEdit and Write to .claude/settings.json."""
    from surgeon.git import find_repo
    from surgeon.guard import settings

    _report_settings(settings.install(find_repo(repo_dir, need_commit=False).root, settings.hook_command()), as_json)


@claude_code.command("uninstall")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Project (default: current folder).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def claude_uninstall(repo_dir: str | None, as_json: bool) -> None:
    """Remove surgeon's hook from .claude/settings.json, and nothing else."""
    from surgeon.git import find_repo
    from surgeon.guard import settings

    _report_settings(settings.uninstall(find_repo(repo_dir, need_commit=False).root), as_json)


def _rewrite_share(root: Path) -> float:
    """rewrite_share as the project sets it; the default when its settings cannot be read (the hook
    must not stop every edit over a setting: `surgeon config` reports it)."""
    from surgeon.config import load_config
    from surgeon.errors import SurgeonError

    try:
        return float(load_config(root).get("rewrite_share"))
    except SurgeonError:
        return float(load_config(None, env={}).get("rewrite_share"))


def _deny(tool: str, refusals: list[Refusal]) -> None:
    """Claude Code blocks a call whose hook exits 2 and shows the model its stderr; the same words go
    to stdout as the JSON decision, for hosts that read that instead."""
    from surgeon.guard.rules import masked

    reason = masked("\n".join(f"surgeon blocked this {tool}: {refusal}" for refusal in refusals))
    click.echo(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                                  "permissionDecisionReason": reason}}))
    click.echo(reason, err=True)
    sys.exit(2)


@claude_code.command("check")
def claude_check() -> None:
    """Judge one call from Claude Code's PreToolUse hook input on stdin: silent (exit 0) when it may
    run, exit 2 with the reasons on stderr when it must not.

    Input that is not what Claude Code sends is let through with a note: it comes from Claude Code,
    not from the model, so it means a version surgeon does not know, and blocking would stop every
    edit; the git pre-commit hook (`surgeon hook install`) still judges the commit.
    """
    from surgeon.cli.review import SKIP_VALUES

    if os.environ.get("SURGEON_SKIP", "").strip().lower() in SKIP_VALUES:
        return
    from surgeon.guard import hook_input, rules

    try:
        call = hook_input.parse(sys.stdin.buffer.read())
    except hook_input.BadInput as exc:
        note = f"surgeon: {exc}; the edit was not checked"
        click.echo(json.dumps({"systemMessage": note}))
        click.echo(note, err=True)
        return
    if call is None:
        return
    refusals = rules.judge(call, _rewrite_share(call.root))
    if refusals:
        _deny(call.tool, refusals)
