"""The `surgeon` command. Thin: each subcommand lives in its own module of surgeon/cli/ and is imported only
when it runs, so a pre-commit `surgeon review` does not pay for the model SDKs or tree-sitter."""

from __future__ import annotations

import atexit
import gc
import importlib
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

import click

from surgeon import __version__, terminal
from surgeon.errors import EnvironmentFailure, GitMissing, SurgeonError

# name -> "module:attribute"; listed in the order `surgeon --help` shows them.
COMMANDS: dict[str, str] = {
    "edit": "surgeon.cli.edit:edit",
    "apply": "surgeon.cli.apply:apply",
    "locate": "surgeon.cli.locate:locate",
    "review": "surgeon.cli.review:review",
    "pair": "surgeon.cli.pair:pair",
    "branches": "surgeon.cli.branches:branches",
    "show": "surgeon.cli.branches:show",
    "accept": "surgeon.cli.branches:accept",
    "discard": "surgeon.cli.branches:discard",
    "hook": "surgeon.cli.hook:hook",
    "usage": "surgeon.cli.usage:usage",
    "bench": "surgeon.cli.bench:bench",
    "config": "surgeon.cli.config:config",
    "mcp": "surgeon.cli.mcp:mcp",
    "demo": "surgeon.cli.demo:demo",
}


def _available(name: str) -> bool:
    module = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module) is not None


def _set_level(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        terminal.set_level("quiet" if param.name == "quiet" else "verbose")


def _verbosity_options() -> list[click.Option]:
    return [
        click.Option(["--quiet", "-q"], is_flag=True, expose_value=False, is_eager=True, callback=_set_level,
                     help="Print results and errors only (no progress, notes or log)."),
        click.Option(["--verbose", "-v"], is_flag=True, expose_value=False, is_eager=True, callback=_set_level,
                     help="Print more detail (every attempt's diff, timings, tracebacks of internal errors)."),
    ]


def _with_verbosity(command: click.Command) -> click.Command:
    """Every command takes --quiet and --verbose, written once here."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_verbosity(sub)
    elif not any(param.name == "quiet" for param in command.params):
        command.params.extend(_verbosity_options())
    return command


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _available(name):
            return None
        module, attr = COMMANDS[name].split(":")
        return _with_verbosity(getattr(importlib.import_module(module), attr))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as exc:
            raise terminal.StdoutClosed() from exc


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="surgeon")
@click.option("--quiet", "-q", is_flag=True, expose_value=False, is_eager=True, callback=_set_level,
              help="Print results and errors only.")
@click.option("--verbose", "-v", is_flag=True, expose_value=False, is_eager=True, callback=_set_level,
              help="Print more detail, and the traceback of an internal error.")
def cli() -> None:
    """surgeon: minimal, validated diffs from a model, staged on review branches.

    It finds the lines an instruction is about, asks a model for a unified diff and nothing
    else, proves the diff fits the repository, and stages it as one commit on a branch
    surgeon/<slug>. Your working tree, index and current branch are never touched until you
    run `surgeon accept`.

    \b
    Exit codes: 0 done · 1 refused (or review findings at or above --fail-on)
                2 usage error (bad option, not a repository, unknown branch, bad setting)
                3 environment or model failure (git missing, network, timeout, internal error)
                130 interrupted · 141 stdout closed by its reader
    """


def error_json(message: str, exit_code: int, files: Sequence[str] = (), path: str | None = None) -> dict[str, Any]:
    """The one JSON object a --json command prints when it stops with an error: the same shape as
    a refused diff, so scripts read one format ("refused": exit 1, "error": exit 2 or 3)."""
    from surgeon.cli.render import refused_json
    from surgeon.diff import Refusal

    return refused_json([Refusal(path, None, None, message)], status="refused" if exit_code == 1 else "error",
                        files=files)


def _tolerant_streams() -> None:
    """Under PYTHONIOENCODING=ascii (or a C locale) a character the stream cannot encode is written
    as an escape instead of ending the command with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a detached or closed stream: nothing to protect
                pass


def _internal_error(exc: BaseException) -> EnvironmentFailure:
    """An exception nobody anticipated, as one line: what broke and how to report it."""
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    try:
        from surgeon.model.redact import Redactor

        detail = Redactor().redact(detail)
    except Exception:  # the masking itself failing must not hide the report; drop the detail instead
        detail = ""
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return EnvironmentFailure(
        f"internal error ({what}). This is a bug in surgeon {__version__}: please report it with the command "
        "you ran and the output of the same command with --verbose.")


def _environment_failure(exc: OSError) -> EnvironmentFailure | None:
    if isinstance(exc, FileNotFoundError) and exc.filename == "git":  # a git started outside git.Git
        return GitMissing()
    if isinstance(exc, PermissionError) and exc.filename:
        return EnvironmentFailure(f"permission denied: {exc.filename}")
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
        return EnvironmentFailure(f"no space left on the device{f' writing {exc.filename}' if exc.filename else ''}")
    return None


def _fail(exc: SurgeonError, wants_json: bool) -> None:
    if wants_json:
        try:
            click.echo(json.dumps(error_json(str(exc), exc.exit_code, getattr(exc, "files", ()),
                                             getattr(exc, "path", None))))
        except OSError:  # stdout itself is what failed (a full disk, a closed pipe): stderr still tells
            terminal.silence_stdout()
    click.echo(f"surgeon: {exc}", err=True)
    sys.exit(exc.exit_code)



# A command imports a model SDK and parses files: millions of allocations, few of them cycles.
# Python's default thresholds (700, 10, 10) ran about 450 collections in an edit (0.34 s of it);
# these run about 6 (0.1 s). Cycles are still collected, in a pair session or an MCP server too.
COMMAND_GC_THRESHOLDS = (50_000, 20, 10)


def main(argv: list[str] | None = None) -> None:
    if argv is None:  # the command line's own process (a caller of main keeps its settings)
        gc.set_threshold(*COMMAND_GC_THRESHOLDS)
    try:
        _main(argv)
    finally:
        if argv is None:  # the process ends here
            # The interpreter's last collections would walk every object still alive, a model
            # SDK's hundreds of thousands among them (0.6 s after anthropic): the OS frees them.
            gc.freeze()


def run() -> None:
    """The `surgeon` console script: main(), then the process's end (_end)."""
    try:
        main()
    except SystemExit as stop:
        _end(stop.code)
    _end(0)


def _end(code: str | int | None) -> None:
    """End the command's process without the interpreter's teardown, which frees every object one by
    one (a model SDK's million: about 15 ms) for the OS to free their memory anyway. Only where the
    teardown has nothing else to do: no thread left that it would wait for, the exit handlers run,
    the output flushed; else (and for an exit code that is not a number) the interpreter ends it."""
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    alive = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if not isinstance(code, int | None) or alive or run_exit_handlers is None:
        sys.exit(code)
    run_exit_handlers()
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except (OSError, ValueError):  # a reader that left, a closed stream: the interpreter says how it ends
        sys.exit(code)
    os._exit(code or 0)


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    wants_json = "--json" in args or "--events" in args  # edit --events ends with the same object
    _tolerant_streams()
    try:
        code = cli.main(args=argv, prog_name="surgeon", standalone_mode=False)
    except SurgeonError as exc:
        _fail(exc, wants_json)
    except (click.exceptions.Abort, KeyboardInterrupt):
        if wants_json:
            try:
                click.echo(json.dumps(error_json("interrupted (Ctrl-C or SIGTERM); nothing was left half done", 130)))
            except OSError:
                terminal.silence_stdout()
        click.echo("surgeon: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if wants_json:
            click.echo(json.dumps(error_json(exc.format_message(), exc.exit_code)))
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (BrokenPipeError, terminal.StdoutClosed):  # `surgeon branches | head`: the reader left; say nothing more
        terminal.silence_stdout()
        sys.exit(141)
    except Exception as exc:  # the last line of defence: never a traceback, always one line and exit 3
        if terminal.verbose():
            import traceback

            traceback.print_exc()
        known = _environment_failure(exc) if isinstance(exc, OSError) else None
        _fail(known or _internal_error(exc), wants_json)
    sys.exit(code if isinstance(code, int) else 0)
