"""`surgeon pair`: an interactive session in the terminal, one reviewed diff per turn.

Options -> call -> render: the session (starting or resuming it, its turns, git, persistence) is
surgeon/pair/ (start.py starts it); this module is the terminal: prompt_toolkit for line editing
and history, rich for output, and a plain line reader when stdin is not a terminal (scripts,
pipes). surgeon.pair is imported when the command runs, so `surgeon --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from surgeon.config import load_config
from surgeon.git import find_repo

if TYPE_CHECKING:  # imported lazily at run time (startup cost), not for a cycle
    from prompt_toolkit import PromptSession

    from surgeon.edit.events import EditEvent
    from surgeon.model import Progress
    from surgeon.pair.branch import Ending
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
    Commands:      /add PATH  /drop PATH  /files  /undo  /model NAME  /cost  /check CMD  /log  /help  /quit
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
    controller = session_controller(repo, config, started.session, ui, cwd=Path.cwd())
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


class TerminalUI:
    """prompt_toolkit input (with a history file) and rich output; a plain line reader when stdin
    is not a terminal."""

    def __init__(self, history_file: Path, *, to_stderr: bool = False) -> None:
        from surgeon import terminal
        from surgeon.cli.edit import EditView

        self.out = terminal.console(stderr=to_stderr, quiet=False)  # the conversation itself
        self.err = terminal.console(stderr=True)
        self.view = EditView(attempt_diffs=True)
        self.view.out = self.view.log = self.out  # one conversation on one stream
        self.interactive = sys.stdin.isatty()
        self._progress_shown = False
        self._sessions: dict[bool, PromptSession[str]] = {}
        self.history_file = history_file

    def _session(self, remember: bool) -> PromptSession[str]:
        if remember not in self._sessions:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory, History, InMemoryHistory

            history: History
            if remember:
                self.history_file.parent.mkdir(parents=True, exist_ok=True)
                history = FileHistory(str(self.history_file))
            else:
                history = InMemoryHistory()
            self._sessions[remember] = PromptSession(history=history)
        return self._sessions[remember]

    def ask(self, prompt: str, default: str = "", *, remember: bool = False) -> str | None:
        self._end_progress()
        if not self.interactive:
            self.out.print(prompt, end="", markup=False)
            line = sys.stdin.readline()
            if not line:
                return None
            return line.rstrip("\n") or default
        try:
            return self._session(remember).prompt(prompt, default=default)
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
        from surgeon.cli.render import diff_text

        self.out.print(diff_text(diff))

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False)
        for row in rows:
            table.add_row(*row)
        self.out.print(table)

    def event(self, event: EditEvent) -> None:
        from surgeon.edit import events

        self._end_progress()
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

