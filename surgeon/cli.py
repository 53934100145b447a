"""The `surgeon` command. Thin: each subcommand lives in surgeon/commands/ and is imported only
when it runs, so a pre-commit `surgeon review` does not pay for the model SDKs or tree-sitter."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from surgeon import __version__
from surgeon.errors import SurgeonError

# name -> "module:attribute"; listed in the order `surgeon --help` shows them.
COMMANDS: dict[str, str] = {
    "edit": "surgeon.commands.edit:edit",
    "apply": "surgeon.commands.apply:apply",
    "locate": "surgeon.commands.locate:locate",
    "review": "surgeon.commands.review:review",
    "pair": "surgeon.commands.pair:pair",
    "branches": "surgeon.commands.branches:branches",
    "show": "surgeon.commands.branches:show",
    "accept": "surgeon.commands.branches:accept",
    "discard": "surgeon.commands.branches:discard",
    "hook": "surgeon.commands.hook:hook",
    "usage": "surgeon.commands.usage:usage",
    "config": "surgeon.commands.config:config",
    "demo": "surgeon.commands.demo:demo",
}


def _available(name: str) -> bool:
    module = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _available(name):
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="surgeon")
def cli() -> None:
    """surgeon: minimal, validated diffs from a model, staged on review branches.

    It finds the lines an instruction is about, asks a model for a unified diff and nothing
    else, proves the diff fits the repository, and stages it as one commit on a branch
    surgeon/<slug>. Your working tree, index and current branch are never touched until you
    run `surgeon accept`.
    """


def error_json(message: str, exit_code: int, files: Sequence[str] = ()) -> dict[str, Any]:
    """The one JSON object a --json command prints when it stops with an error: the same shape as
    a refused diff, so scripts read one format ("refused": exit 1, "error": exit 2)."""
    payload: dict[str, Any] = {
        "status": "refused" if exit_code == 1 else "error",
        "errors": [{"path": None, "hunk": None, "line": None, "reason": message}],
    }
    if files:
        payload["files"] = list(files)
    return payload


def main(argv: list[str] | None = None) -> None:
    wants_json = "--json" in (sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=argv, prog_name="surgeon", standalone_mode=False)
    except SurgeonError as exc:
        if wants_json:
            click.echo(json.dumps(error_json(str(exc), exc.exit_code, getattr(exc, "files", ()))))
        click.echo(f"surgeon: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("surgeon: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if wants_json:
            click.echo(json.dumps(error_json(exc.format_message(), exc.exit_code)))
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("surgeon: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
