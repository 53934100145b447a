"""`surgeon config`: the effective settings and where each came from."""

from __future__ import annotations

import json

import click

from surgeon.config import KNOWN, load_config
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
    if as_json:
        payload = {
            "repo": str(repo.root),
            "files": list(cfg.files),
            "settings": {k: {"value": cfg.settings[k].value, "source": cfg.settings[k].source} for k in keys},
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
        value = "-" if setting.value is None else str(setting.value)
        table.add_row(key, value, setting.source, (KNOWN.get(key) or (None, None, None))[2] or "")
    console.print(table)
    for warning in cfg.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
