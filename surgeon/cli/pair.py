"""`surgeon pair`: an interactive session in the terminal, one reviewed diff per turn.

The session itself (state, turns, git, persistence) is surgeon.pair; this module is the terminal:
prompt_toolkit for line editing and history, rich for output, and a plain line reader when
stdin is not a terminal (scripts, pipes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from surgeon.config import load_config
from surgeon.errors import RepoError, UsageError
from surgeon.git import find_repo


@click.command()
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.option("--model", help="provider:name for this session, e.g. anthropic:claude-sonnet-5-5 (/model switches).")
@click.option("--check", help="Check command that `t` runs on a proposal, e.g. 'pytest -q' (/check changes it).")
@click.option("--no-apply", is_flag=True,
              help="Commit accepted diffs on the session branch only; leave your files alone.")
@click.option("--resume", is_flag=True, help="Continue the last session (same branch, history, pinned files, model).")
@click.option("--history-budget", type=click.IntRange(0, None), default=None, metavar="TOKENS",
              help="Tokens of earlier turns sent with each instruction before older turns are summarised "
                   "(default 6000).")
@click.option("--json", "as_json", is_flag=True,
              help="At the end, print the session (turns, branch, totals) as one JSON object on stdout; "
                   "the session itself is shown on stderr.")
def pair(repo_dir: str | None, model: str | None, check: str | None, no_apply: bool, resume: bool,
         history_budget: int | None, as_json: bool) -> None:
    """An interactive session: each instruction gets one validated diff that you accept, reject,
    test or refine. Accepted turns are commits on the session branch surgeon/pair-<date>-<id>
    and (unless --no-apply) are written to your working tree. A session that ends with no accepted
    turn deletes its empty branch; `surgeon branches` lists sessions, `surgeon discard ID` deletes one.

    \b
    Per proposal:  a accept · r [reason] reject · t run the check · e refine · d show the diff
    Commands:      /add PATH  /drop PATH  /files  /undo  /model NAME  /cost  /check CMD  /log  /help  /quit
    """
    from surgeon import pair as core

    repo = find_repo(repo_dir)
    config = load_config(repo.root)
    git = core.SessionGit(repo.root)
    head = core.rev_parse(repo.root, "HEAD")
    assert head is not None  # find_repo checked there is a commit
    restart_branch = False
    if resume:
        session = core.load_last_session(repo.surgeon_dir)
        if core.rev_parse(repo.root, f"refs/heads/{session.branch}") is None:
            if session.last_accepted() is not None:
                raise RepoError(f"the session branch {session.branch} is gone, so session {session.id} cannot "
                                "continue; start a new one with `surgeon pair`")
            # It ended with no accepted turn, so its (empty) branch was deleted: start it again from HEAD.
            session, restart_branch = replace(session, base=head), True
        if no_apply and session.apply:
            raise UsageError(f"--no-apply: session {session.id} writes accepted diffs to your working tree; "
                             "resume it without --no-apply, or start a new session")
        session = replace(session, model=model or session.model, check=check or session.check,
                          history_budget=history_budget if history_budget is not None else session.history_budget)
    else:
        session = core.new_session(head, apply=not no_apply, model=model, check=check or config.get("check"),
                                   now=core.now_local(),
                                   history_budget=history_budget if history_budget is not None
                                   else core.DEFAULT_HISTORY_BUDGET)
    label = core.model_label(session.model, config) if session.model else _default_label(config)
    if not resume or restart_branch:
        git.create_branch(session.branch, session.base)

    ui = TerminalUI(repo.surgeon_dir / "pair_history", to_stderr=as_json)
    controller = core.PairController(
        core.PairContext(root=repo.root, surgeon_dir=repo.surgeon_dir, cwd=Path.cwd(),
                         check_timeout=float(config.get("check_timeout"))),
        session, ui, propose=_proposer(repo, config), validate_model=lambda spec: core.model_label(spec, config),
        count_tokens=_count_tokens, gate=_gate(repo),
    )
    ending = core.Ending(branch_deleted=False, resumable=True)
    try:
        controller.open()
        ui.banner(controller.session, label, resumed=resume, repo_root=repo.root)
        controller.run()
    finally:
        ending = controller.close()
        ui.goodbye(controller.session, ending)
    if as_json:
        payload = {**core.session_to_json(controller.session),
                   "branch_deleted": ending.branch_deleted, "resumable": ending.resumable}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _default_label(config: Any) -> str:
    from surgeon.model import make_provider, resolve_model

    return make_provider(resolve_model("pair", config), config).label


def _count_tokens(text: str) -> int:
    from surgeon.locate import estimate_tokens

    return estimate_tokens(text)


def _proposer(repo: Any, config: Any) -> Any:
    def propose(request: Any, workdir: Path, on_event: Any, on_progress: Any) -> Any:
        from surgeon.edit import EditLoop

        target = repo if workdir == repo.root else find_repo(workdir)
        return EditLoop(target, config, on_event=on_event, on_progress=on_progress).run(request)

    return propose


def _gate(repo: Any) -> Any:
    def gate(staged: Any, command: str, timeout: float) -> Any:
        from surgeon.gate import run_gate

        return run_gate(repo, staged, command, timeout)

    return gate


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
        self._sessions: dict[bool, Any] = {}
        self.history_file = history_file

    def _session(self, remember: bool) -> Any:
        if remember not in self._sessions:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory, InMemoryHistory

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

    def event(self, event: Any) -> None:
        from surgeon.edit import events

        self._end_progress()
        self.view.event(event)
        if isinstance(event, events.ModelStarted) and event.attempt == 1 and self.interactive:
            self.out.print("  (Ctrl-C cancels this turn)", style="dim", markup=False)

    def progress(self, progress: Any) -> None:
        """The model's progress line on stderr (shared with `surgeon edit`)."""
        from surgeon.model.progress import render_progress

        render_progress(self.err, progress)
        self._progress_shown = self.err.is_terminal and progress.phase not in ("done", "retrying")

    def _end_progress(self) -> None:
        """Clear a progress line left open (a cancelled call) before printing anything else."""
        if self._progress_shown:
            self.err.file.write("\r\x1b[2K")
            self.err.file.flush()
            self._progress_shown = False

    def banner(self, session: Any, label: str, *, resumed: bool, repo_root: Path) -> None:
        verb = "resumed" if resumed else "started"
        self.out.print(f"surgeon pair: session {session.id} {verb} on branch {session.branch} "
                       f"(from {session.base[:10]})", markup=False)
        where = "written to your working tree" if session.apply else \
            "committed on the session branch only (--no-apply); your files are left alone"
        self.out.print(f"model {label} · check: {session.check or 'none'} · accepted diffs are {where}", markup=False)
        if resumed and session.turns:
            accepted = sum(1 for t in session.turns if t.status == "accepted" and not t.undone)
            self.out.print(f"{len(session.turns)} earlier turn(s), {accepted} accepted; /log lists them", markup=False)
        self.out.print("Type an instruction. /help lists the commands; Ctrl-D or /quit ends the session.",
                       markup=False)

    def goodbye(self, session: Any, ending: Any) -> None:
        accepted = sum(1 for t in session.turns if t.status == "accepted" and not t.undone)
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

