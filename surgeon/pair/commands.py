"""What the person types in a pair session: slash commands, instructions, the verdict on a
proposal, and paths to pin. Pure parsing: text in, values out (UsageError for what is wrong)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from surgeon.errors import UsageError

CommandName = Literal["/add", "/drop", "/files", "/undo", "/model", "/cost", "/check", "/log", "/help", "/quit"]

SLASH_COMMANDS: dict[str, str] = {
    "/add PATH": "pin a file: it is always shown to the model",
    "/drop PATH": "unpin a file",
    "/files": "list the pinned files",
    "/undo": "revert the last accepted turn (session branch and working tree)",
    "/model NAME": "switch model, e.g. /model anthropic:claude-sonnet-5-5",
    "/cost": "tokens, cache reads and cost so far",
    "/check CMD": "set the check command that `t` runs (/check off to clear; /check alone shows it)",
    "/log": "the turns so far",
    "/help": "this help",
    "/quit": "end the session (Ctrl-D too); `surgeon pair --resume` continues it",
}
COMMAND_NAMES = frozenset(spec.split()[0] for spec in SLASH_COMMANDS)  # the values of CommandName
_NEEDS_ARGUMENT = {"/add", "/drop", "/model"}


@dataclass(frozen=True)
class Command:
    name: CommandName
    argument: str = ""


def parse_input(line: str) -> Command | str | None:
    """A slash command, an instruction (str), or None for an empty line.

    Raises UsageError for an unknown command or a missing argument."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith("/") or text.startswith("//"):
        return text[1:] if text.startswith("//") else text
    name, _, argument = text.partition(" ")
    name = name.lower()
    if name == "/exit":
        name = "/quit"
    if name not in COMMAND_NAMES:
        raise UsageError(f"unknown command {name}; /help lists them (start a line with // to send a literal /)")
    if name in _NEEDS_ARGUMENT and not argument.strip():
        spec = next(s for s in SLASH_COMMANDS if s.split()[0] == name)
        raise UsageError(f"{name} needs an argument: {spec}")
    return Command(cast(CommandName, name), argument.strip())


Action = Literal["accept", "reject", "test", "edit", "diff"]

ACTIONS: dict[str, Action] = {"a": "accept", "r": "reject", "t": "test", "e": "edit", "d": "diff"}

PROPOSAL_PROMPT = "[a]ccept  [r]eject [reason]  [t]est  [e]dit  [d]iff > "

ACCEPT_HELP = "a accept · r [reason] reject · t run the check on it · e refine the instruction · d show the diff"


def parse_action(text: str) -> tuple[Action, str] | None:
    """`a`, `r [reason]`, `t`, `e [refined instruction]`, `d` (or the words) -> (action, rest)."""
    word, _, rest = text.strip().partition(" ")
    word = word.lower()
    for key, name in ACTIONS.items():
        if word in (key, name) or (name == "edit" and word == "refine"):
            return name, rest.strip()
    return None


def normalise_pinned_path(root: Path, cwd: Path, path: str) -> str:
    """A path typed by the person (relative to where they are, or absolute) as a repo-relative
    posix path. Raises UsageError when it is outside the repository."""
    target = Path(path).expanduser()
    if not target.is_absolute():
        target = cwd / target
    target = Path(os.path.normpath(target))
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the repository {root}") from None
