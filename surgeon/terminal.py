"""How loud and how colourful the terminal output is: one switch for every command.

`--quiet` keeps results and errors only; `--verbose` adds detail (and the traceback of an
unexpected error). Colour follows NO_COLOR (https://no-color.org), TERM=dumb and whether the
stream is a terminal."""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # rich is imported when a console is made, not with this module
    from rich.console import Console

Level = Literal["quiet", "normal", "verbose"]

_level: Level = "normal"


def set_level(level: Level) -> None:
    global _level
    _level = level


def level() -> Level:
    return _level


def quiet() -> bool:
    return _level == "quiet"


def verbose() -> bool:
    return _level == "verbose"


def color_allowed(stream: IO[Any] | None = None) -> bool:
    """False when NO_COLOR is set (to anything non-empty), TERM is dumb, or the stream is no terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM", "") == "dumb":
        return False
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def can_redraw(stream: IO[Any] | None = None) -> bool:
    """Whether a progress line may be rewritten in place (\r and erase-line): a terminal that is not
    TERM=dumb. NO_COLOR is about colour only and leaves this alone."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not dumb_terminal()


def dumb_terminal() -> bool:
    """TERM=dumb: a terminal without cursor control (Emacs shells, some CI consoles)."""
    return os.environ.get("TERM", "") == "dumb"


def console(*, stderr: bool = False, **options: Any) -> Console:
    """A rich Console that follows the same colour rules (rich alone colours a TERM=dumb tty).
    `quiet` consoles on stderr print nothing: stderr carries the log, not the results."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    options.setdefault("highlight", False)
    if not color_allowed(stream):
        options.setdefault("no_color", True)
        options.setdefault("color_system", None)
    options.setdefault("quiet", stderr and quiet())
    made = Console(stderr=stderr, **options)
    made.on_broken_pipe = _stdout_closed  # type: ignore[method-assign]  # rich's own exits 1, "refused" here
    return made


class StdoutClosed(Exception):
    """The reader of stdout went away (`surgeon branches | head`). Not an OSError, so neither click's
    nor rich's EPIPE handling (both exit 1, which means "refused" here) sees it; the CLI exits 141."""


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again on it."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _stdout_closed() -> None:
    silence_stdout()
    raise StdoutClosed()


def note(message: str) -> None:
    """A line on stderr for people (a note, a hint, progress); --quiet drops it."""
    if not quiet():
        import click

        click.echo(message, err=True)
