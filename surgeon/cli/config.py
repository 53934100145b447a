"""`surgeon config`: the effective settings and where each came from."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from surgeon.config import KNOWN, Config, load_config
from surgeon.git import find_repo


@click.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def config(repo_dir: str | None, as_json: bool) -> None:
    """Print the effective settings and where each came from.

    Order: built-in default, then .surgeon.toml (or [tool.surgeon] in pyproject.toml), then the
    environment (SURGEON_MODEL, ...), then a command's own flags.
    """
    repo = find_repo(repo_dir, need_commit=False)
    cfg = load_config(repo.root)
    keys = sorted(cfg.settings)
    check = _check_json(cfg)
    if as_json:
        payload = {
            "repo": str(repo.root),
            "files": list(cfg.files),
            "settings": {k: {"value": cfg.settings[k].value, "source": cfg.settings[k].source} for k in keys},
            "check": check,
            "warnings": list(cfg.warnings),
        }
        click.echo(json.dumps(payload, indent=2))
        return
    from rich.table import Table

    from surgeon import terminal

    console = terminal.console()
    table = Table(title=f"surgeon settings for {repo.root}", show_lines=False)
    table.add_column("setting")
    table.add_column("value")
    table.add_column("from")
    table.add_column("environment variable")
    for key in keys:
        setting = cfg.settings[key]
        value = "-" if setting.value is None else (", ".join(setting.value) or "-") if isinstance(
            setting.value, tuple) else str(setting.value)
        table.add_row(key, value, setting.source, (KNOWN.get(key) or (None, None, None))[2] or "")
    console.print(table)
    for line in _check_text(check):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for warning in cfg.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


def _check_json(cfg: Config) -> dict[str, Any]:
    """What a check (--check) sees of this environment, and which sandbox it runs in."""
    from surgeon.gate import available_sandbox, check_environment

    allowed = tuple(cfg.get("check_env"))
    passed = check_environment(os.environ, allowed)
    mode = cfg.get("check_sandbox")
    sandbox = available_sandbox(mode)
    return {
        "allowed": list(allowed),
        "passed": sorted(passed),
        "withheld": sorted(name for name in os.environ if name not in passed),
        "sandbox": {"setting": mode, "source": cfg.source("check_sandbox"), "tool": sandbox.tool if sandbox else None},
    }


def _check_text(check: dict[str, Any]) -> list[str]:
    allowed = ", ".join(check["allowed"]) or "none"
    withheld = ", ".join(check["withheld"]) or "nothing"
    sandbox = check["sandbox"]
    if sandbox["setting"] == "off":
        from surgeon.gate import available_sandbox

        here = available_sandbox("auto")
        state = (f"off (check_sandbox, from {sandbox['source']}); --check-sandbox would use "
                 f"{here.tool if here else 'nothing: neither bwrap nor unshare works here'}")
    elif sandbox["tool"]:
        state = f"{sandbox['tool']}: no network, writes only to the check's worktree (from {sandbox['source']})"
    else:
        state = f"{sandbox['setting']} asked (from {sandbox['source']}) but unavailable here: a check would not run"
    return [
        f"check environment: a check sees the safe built-in variables (PATH, HOME, locale, virtualenv ...) and "
        f"check_env ({allowed}); withheld from it here: {withheld}",
        f"check sandbox: {state}",
    ]
