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


def click_color(stream: IO[Any] | None = None) -> bool:
    """The `color=` argument for click.echo / click.style output."""
    return color_allowed(stream)


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
    return Console(stderr=stderr, **options)


def note(message: str) -> None:
    """A line on stderr for people (a note, a hint, progress); --quiet drops it."""
    if not quiet():
        import click

        click.echo(message, err=True)
