"""`surgeon pair`: an interactive session in the terminal, one reviewed diff per turn.

Options -> call -> render: the session (starting or resuming it, its turns, git, persistence) is
surgeon/pair/ (start.py starts it); this module is the terminal: prompt_toolkit for line editing,
history, Tab completion, the bottom toolbar and single-key answers, rich for output (diffs with
line numbers and the changed words marked), and a plain line reader when stdin is not a terminal
(scripts, pipes). surgeon.pair is imported when the command runs, so `surgeon --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from surgeon.config import load_config
from surgeon.git import find_repo

if TYPE_CHECKING:  # imported lazily at run time (startup cost), not for a cycle
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document
    from prompt_toolkit.filters import Filter
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
    from rich.text import Text

    from surgeon.edit.events import EditEvent
    from surgeon.model import Progress
    from surgeon.pair.branch import Ending
    from surgeon.pair.completion import Candidate
    from surgeon.pair.session import Session


@click.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--model", help="provider:name for this session, e.g. anthropic:claude-sonnet-5-5 (/model switches).")
@click.option("--check", help="Check command that `t` runs on a proposal, e.g. 'pytest -q' (/check changes it).")
@click.option("--check-sandbox", is_flag=True,
              help="Run the check with no network, writing only its worktree (bwrap, else unshare).")
@click.option("--max-cost", type=float, metavar="USD",
              help="Refuse to send a model request that could take this session past USD (max_cost).")
@click.option("--no-apply", is_flag=True,
              help="Commit accepted diffs on the session branch only; leave your files alone.")
@click.option("--resume", is_flag=True, help="Continue the last session (same branch, history, pinned files, model).")
@click.option("--history-budget", type=click.IntRange(0, None), default=None, metavar="TOKENS",
              help="Tokens of earlier turns sent with each instruction before older turns are summarised "
                   "(default 6000).")
@click.option("--json", "as_json", is_flag=True,
              help="At the end, print the session (turns, branch, totals) as one JSON object on stdout; "
                   "the session itself is shown on stderr.")
def pair(repo_dir: str | None, model: str | None, check: str | None, check_sandbox: bool, max_cost: float | None,
         no_apply: bool, resume: bool, history_budget: int | None, as_json: bool) -> None:
    """An interactive session: each instruction gets one validated diff that you accept, reject,
    test or refine. Accepted turns are commits on the session branch surgeon/pair-<date>-<id>
    and (unless --no-apply) are written to your working tree. A session that ends with no accepted
    turn deletes its empty branch; `surgeon branches` lists sessions, `surgeon discard ID` deletes one.

    \b
    Per proposal:  a accept · r [reason] reject · t run the check · e refine · d show the diff
                   (in a terminal one key answers, without Enter)
    Commands:      /add PATH  /drop PATH  /files  /undo  /model NAME  /cost  /check CMD  /log  /help  /quit
                   (Tab completes commands, and paths after /add and /drop)
    """
    from surgeon.cli.edit import with_spend_and_sandbox
    from surgeon.gate import gate_options
    from surgeon.pair.session import session_to_json
    from surgeon.pair.start import StartOptions, session_controller, start_session

    repo = find_repo(repo_dir)
    config = with_spend_and_sandbox(load_config(repo.root), max_cost, check_sandbox)
    gate_options(config.get("check_env"), config.get("check_sandbox"), config.source("check_sandbox"))  # before a branch
    started = start_session(repo, config, StartOptions(model=model, check=check, apply=not no_apply, resume=resume,
                                                       history_budget=history_budget))
    ui = TerminalUI(repo.surgeon_dir / "pair_history", to_stderr=as_json)
    controller = session_controller(repo, config, started.session, ui, cwd=Path.cwd(), label=started.label)
    ui.attach(controller.status, controller.completions)
    try:
        controller.open()
        ui.banner(controller.session, started.label, resumed=resume)
        controller.run()
    finally:
        ending = controller.close()
        ui.goodbye(controller.session, ending)
    if as_json:
        payload = {**session_to_json(controller.session),
                   "branch_deleted": ending.branch_deleted, "resumable": ending.resumable}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


# "line": instructions and commands (history file, Tab completion); "choice": the answer to a
# proposal (single keys); "text": a reason or a refined instruction.
PromptKind = Literal["line", "choice", "text"]


class TerminalUI:
    """prompt_toolkit input (a history file, Tab completion, a bottom toolbar, single-key answers to
    a proposal) and rich output; a plain line reader when stdin is not a terminal."""

    def __init__(self, history_file: Path, *, to_stderr: bool = False) -> None:
        from surgeon import terminal
        from surgeon.cli.edit import EditView

        self.out = terminal.console(stderr=to_stderr, quiet=False)  # the conversation itself
        self.err = terminal.console(stderr=True)
        self.view = EditView()
        self.view.attempt_diffs = False  # each valid diff is shown here, numbered (see event)
        self.view.out = self.view.log = self.out  # one conversation on one stream
        self.interactive = sys.stdin.isatty()
        self._progress_shown = False
        self._sessions: dict[PromptKind, PromptSession[str]] = {}
        self.history_file = history_file
        self.status: Callable[[], str] = lambda: ""
        self.completions: Callable[[str], list[Candidate]] = lambda _text: []

    def attach(self, status: Callable[[], str], completions: Callable[[str], list[Candidate]]) -> None:
        """What the toolbar shows and what Tab offers (the controller's status and completions)."""
        self.status, self.completions = status, completions

    def _session(self, kind: PromptKind) -> PromptSession[str]:
        if kind not in self._sessions:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory, History, InMemoryHistory

            history: History = InMemoryHistory()
            completer = bindings = None
            if kind == "line":
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                history = FileHistory(str(self.history_file))
                completer = _completer(self)
                bindings = _tab_completes(completer)
            elif kind == "choice":
                bindings = _single_keys()
            self._sessions[kind] = PromptSession(
                history=history, bottom_toolbar=lambda: f" {self.status()} ", completer=completer,
                complete_while_typing=_naming_a_command(), key_bindings=bindings)
        return self._sessions[kind]

    def ask(self, prompt: str, default: str = "", *, remember: bool = False) -> str | None:
        from surgeon.pair.commands import PROPOSAL_PROMPT

        self._end_progress()
        if not self.interactive:
            self.out.print(prompt, end="", markup=False)
            line = sys.stdin.readline()
            if not line:
                return None
            return line.rstrip("\n") or default
        kind: PromptKind = "line" if remember else "choice" if prompt == PROPOSAL_PROMPT else "text"
        try:
            return self._session(kind).prompt(prompt, default=default)
        except EOFError:
            return None

    def info(self, text: str) -> None:
        self._end_progress()
        self.out.print(text, markup=False)

    def warn(self, text: str) -> None:
        self._end_progress()
        self.out.print(text, style="yellow", markup=False)

    def error(self, text: str) -> None:
        self._end_progress()
        self.out.print(text, style="red", markup=False)

    def diff(self, diff: str) -> None:
        self._end_progress()
        self.out.print(numbered_diff(diff), soft_wrap=True, end="")

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False)
        for row in rows:
            table.add_row(*row)
        self.out.print(table)

    def event(self, event: EditEvent) -> None:
        from surgeon.edit import events

        self._end_progress()
        if isinstance(event, events.Validated):
            self.diff(event.result.normalised)
        self.view.event(event)
        if isinstance(event, events.ModelStarted) and event.attempt == 1 and self.interactive:
            self.out.print("  (Ctrl-C cancels this turn)", style="dim", markup=False)

    def progress(self, progress: Progress) -> None:
        """The model's progress line on stderr (shared with `surgeon edit`)."""
        from surgeon.model.progress import render_progress

        render_progress(self.err, progress)
        from surgeon.terminal import dumb_terminal

        self._progress_shown = (self.err.is_terminal and not dumb_terminal()
                                and progress.phase not in ("done", "retrying"))

    def _end_progress(self) -> None:
        """Clear a progress line left open (a cancelled call) before printing anything else."""
        if self._progress_shown:
            self.err.file.write("\r\x1b[2K")
            self.err.file.flush()
            self._progress_shown = False

    def banner(self, session: Session, label: str, *, resumed: bool) -> None:
        verb = "resumed" if resumed else "started"
        self.out.print(f"surgeon pair: session {session.id} {verb} on branch {session.branch} "
                       f"(from {session.base[:10]})", markup=False)
        where = "written to your working tree" if session.apply else \
            "committed on the session branch only (--no-apply); your files are left alone"
        self.out.print(f"model {label} · check: {session.check or 'none'} · accepted diffs are {where}", markup=False)
        if resumed and session.turns:
            self.out.print(f"{len(session.turns)} earlier turn(s), {session.accepted_count} accepted; /log lists them",
                           markup=False)
        self.out.print("Type an instruction. /help lists the commands; Ctrl-D or /quit ends the session.",
                       markup=False)

    def goodbye(self, session: Session, ending: Ending) -> None:
        accepted = session.accepted_count
        if not ending.branch_deleted:
            self.out.print(f"session {session.id} saved: {len(session.turns)} turn(s), {accepted} accepted on "
                           f"{session.branch}. Continue with `surgeon pair --resume`.", markup=False)
        elif ending.resumable:
            self.out.print(f"session {session.id} saved: {len(session.turns)} turn(s), none accepted, so its empty "
                           f"branch {session.branch} was deleted. Continue with `surgeon pair --resume`.",
                           markup=False)
        else:
            self.out.print(f"session {session.id} ended with nothing to keep: its empty branch {session.branch} "
                           "was deleted.", markup=False)



def _completer(ui: TerminalUI) -> Completer:
    """prompt_toolkit completions from the controller's candidates (surgeon/pair/completion.py)."""
    from prompt_toolkit.completion import Completer, Completion

    class PairCompleter(Completer):
        def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
            if not complete_event.completion_requested and not _command_name(document.text):
                return  # while typing, only a command name opens the menu (a late background run too)
            for candidate in ui.completions(document.text_before_cursor):
                yield Completion(candidate.text, start_position=-candidate.replace, display_meta=candidate.meta)

    return PairCompleter()


def _tab_completes(completer: Completer) -> KeyBindings:
    """Tab completes at once, whatever is still being typed: one candidate is inserted, several
    insert what they share (Tab again shows them), none rings the bell. (prompt_toolkit's own Tab
    completes in the background, and keys that arrive meanwhile, as in a paste, can cancel it.)"""
    from prompt_toolkit.buffer import CompletionState
    from prompt_toolkit.completion import CompleteEvent, get_common_complete_suffix
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("tab")
    def complete_now(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
            return
        found = list(completer.get_completions(buffer.document, CompleteEvent(completion_requested=True)))
        common = get_common_complete_suffix(buffer.document, found)
        if len(found) == 1:
            buffer.apply_completion(found[0])
        elif common:
            buffer.insert_text(common)
        elif found:
            buffer.complete_state = CompletionState(original_document=buffer.document, completions=found)
        else:
            event.app.output.bell()

    return bindings


def _naming_a_command() -> Filter:
    """The command menu opens as a slash command is typed; paths complete on Tab (one listing of
    the repository per Tab, not per key)."""
    from prompt_toolkit.application import get_app
    from prompt_toolkit.filters import Condition

    return Condition(lambda: _command_name(get_app().current_buffer.text))


def _command_name(text: str) -> bool:
    """Whether the line so far is the start of a slash command's name."""
    stripped = text.lstrip()
    return stripped.startswith("/") and " " not in stripped


def _single_keys() -> KeyBindings:
    """a r t e d answer a proposal at once, without Enter. When more keys arrive with the first in
    one burst (a paste, a script typing `r too broad` + Enter), the line is read as typed instead."""
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys

    from surgeon.pair.commands import ACTIONS

    bindings = KeyBindings()

    @Condition
    def nothing_typed() -> bool:
        from prompt_toolkit.application import get_app

        return not get_app().current_buffer.text

    def answer(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text(event.data)
        pending = [k for k in event.app.key_processor.input_queue if k.key != Keys.CPRResponse]
        if not pending:  # a key pressed alone (a terminal's cursor report is not a key)
            event.app.exit(result=event.data.lower())

    for key in ACTIONS:
        bindings.add(key, filter=nothing_typed)(answer)
        bindings.add(key.upper(), filter=nothing_typed)(answer)
    return bindings


_GUTTER_STYLE = "dim"
_ROW_STYLES = {"header": "bold", "hunk": "cyan", "note": "dim", "context": "", "removed": "red", "added": "green"}
_CHANGED_STYLES = {"removed": "bold reverse red", "added": "bold reverse green"}
# C0 controls other than tab (and DEL) in a file's lines are shown as their visible symbols: a diff
# line must not move the cursor or recolour the terminal.
_VISIBLE = {code: chr(0x2400 + code) for code in range(32) if code != 9} | {127: "\u2421"}


def numbered_diff(diff: str) -> Text:
    """A unified diff for the terminal: old and new line numbers in a gutter, removed lines red,
    added green, and within a removed/added pair the changed words marked."""
    from rich.text import Text

    from surgeon.pair.diffview import diff_rows, number_width

    rows = diff_rows(diff)
    width = number_width(rows)
    blank = " " * width
    text = Text(end="")
    for row in rows:
        line = Text(row.text.translate(_VISIBLE), style=_ROW_STYLES[row.kind])
        for start, end in row.changed:
            line.stylize(_CHANGED_STYLES[row.kind], start, end)
        if row.kind in ("context", "removed", "added"):
            old = blank if row.old is None else f"{row.old:>{width}}"
            new = blank if row.new is None else f"{row.new:>{width}}"
            text.append(f"{old} {new} │", style=_GUTTER_STYLE)
        text.append_text(line)
        text.append("\n")
    return text
