"""PairController: one pair session driven through a small UI protocol (PairUI; the terminal one
is surgeon/cli/pair.py), so a turn can be tested without a terminal. It reads instructions and
slash commands, runs the edit loop for a proposal and applies the person's verdict (apply.py),
saving the session (store.py) after every turn and every change."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from surgeon.diff import PatchResult
from surgeon.edit import EditOutcome, EditRequest
from surgeon.edit.events import EditEvent, GateFinished
from surgeon.errors import Refused, SurgeonError, UsageError
from surgeon.gate import GateResult
from surgeon.locate.files import skip_reason_for_path
from surgeon.locate.index import DEFAULT_MAX_FILE_BYTES
from surgeon.model import Progress, never_send
from surgeon.pair.apply import accept_turn, check_branch, plan_undo, touched_files, undo_turn
from surgeon.pair.branch import (
    Ending,
    SessionGit,
    end_session,
    ensure_private_worktree,
    remove_private_worktree,
)
from surgeon.pair.commands import (
    ACCEPT_HELP,
    PROPOSAL_PROMPT,
    SLASH_COMMANDS,
    Command,
    CommandName,
    normalise_pinned_path,
    parse_action,
    parse_input,
)
from surgeon.pair.completion import Candidate, PathIndex, complete
from surgeon.pair.conversation import Conversation, build_conversation, one_line
from surgeon.pair.session import CallUsage, Session, Totals, Turn
from surgeon.pair.store import (
    clear_running,
    mark_running,
    now_local,
    private_worktree_path,
    save_session,
    stamp,
)
from surgeon.stage import StagedChange


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block is done, so a turn is never half-applied or applied but
    unrecorded; the interrupt is delivered afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


class PairUI(Protocol):
    """What the controller needs from a terminal (or a test)."""

    def ask(self, prompt: str, default: str = "", *, remember: bool = False) -> str | None:
        """A line from the person; None on end of input (Ctrl-D). Ctrl-C raises KeyboardInterrupt.
        `remember`: keep the line in the instruction history (up-arrow)."""

    def info(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def diff(self, diff: str) -> None: ...
    def table(self, rows: Sequence[Sequence[str]]) -> None: ...
    def event(self, event: EditEvent) -> None: ...
    def progress(self, progress: Progress) -> None: ...


# The edit loop for one request in a working tree, reporting to these sinks (start.proposer).
ProposeFn = Callable[[EditRequest, Path, Callable[[EditEvent], None], Callable[[Progress], None]], EditOutcome]
# A check command run on a commit, with a timeout in seconds (start.gate_runner).
GateFn = Callable[[StagedChange, str, float], GateResult]


@dataclass
class PairContext:
    """Where the session lives."""

    root: Path  # the person's working tree
    surgeon_dir: Path
    cwd: Path  # where the person started the session, for relative /add paths
    check_timeout: float = 600.0


def turn_cost_line(number: int, attempts: Sequence[CallUsage]) -> str:
    """What one turn's model calls took, printed after its reply."""
    spent = Totals().add(attempts)
    return (f"turn {number}: {spent.calls} model call(s), {spent.input_tokens} input / {spent.output_tokens} output "
            f"tokens, cost {spent.cost_text}")


def read_by_tools(outcome: EditOutcome) -> tuple[str, ...]:
    """The files the model read with its context tools (read_lines, find_definition): in the
    turn's scope (shown_files) without being in the located context. (An outcome without those
    fields, as a stand-in for the loop may give, read nothing.)"""
    located = getattr(outcome, "located", None)
    shown = {region.path for region in located.regions} if located is not None else set()
    return tuple(path for path in getattr(outcome, "shown_files", ()) if path not in shown)


def usage_line(totals: Totals) -> str:
    """/cost: the session's model calls, tokens and cost in one line."""
    if totals.calls and totals.calls_without_price == totals.calls:
        cost = "cost unknown (no price for this model)"
    else:
        cost = f"${totals.cost:.4f}"
        if totals.calls_without_price:
            cost += f" + {totals.calls_without_price} call(s) with unknown price"
    return (f"{totals.calls} model call(s): {totals.input_tokens} input tokens, {totals.output_tokens} output "
            f"tokens, {totals.cache_read_tokens} read from cache ({totals.cache_share:.0%} of prompt tokens), {cost}")


class PairController:
    """Runs a session: reads instructions and slash commands, runs the edit loop for a proposal,
    and applies the person's verdict. Saves the session after every turn and every change."""

    def __init__(self, ctx: PairContext, session: Session, ui: PairUI, propose: ProposeFn,
                 validate_model: Callable[[str], str], count_tokens: Callable[[str], int],
                 gate: GateFn | None = None, model_label: str = "") -> None:
        self.ctx = ctx
        self.model_label = model_label  # the model the next turn uses, as its provider names it
        self.session = session
        self.ui = ui
        self.propose = propose
        self.validate_model = validate_model
        self.count_tokens = count_tokens
        self.gate = gate
        self.git = SessionGit(ctx.root)
        self.workdir = ctx.root
        self.paths = PathIndex(ctx.root, ctx.cwd)
        self._commands: dict[CommandName, Callable[[str], None]] = {  # /quit ends run()
            "/add": self.cmd_add, "/drop": self.cmd_drop, "/files": self.cmd_files, "/undo": self.cmd_undo,
            "/model": self.cmd_model, "/cost": self.cmd_cost, "/check": self.cmd_check, "/log": self.cmd_log,
            "/help": self.cmd_help,
        }

    # -- lifecycle -----------------------------------------------------------------------------
    def save(self) -> None:
        self.session = stamp(self.session)
        save_session(self.ctx.surgeon_dir, self.session)

    def open(self) -> None:
        mark_running(self.ctx.surgeon_dir, self.session.id)
        if not self.session.apply:
            self.workdir = ensure_private_worktree(self.ctx.root, self.ctx.surgeon_dir, self.session)
        self.save()

    def close(self) -> Ending:
        """End the session (see end_session); safe to call when open() did not finish."""
        try:
            self.save()
            if not self.session.apply:
                remove_private_worktree(self.ctx.root, private_worktree_path(self.ctx.surgeon_dir, self.session.id))
            return end_session(self.ctx.root, self.ctx.surgeon_dir, self.session)
        finally:
            clear_running(self.ctx.surgeon_dir, self.session.id)

    def run(self) -> None:
        """The read-eval loop, until /quit or end of input."""
        while True:
            self.paths.refresh()  # files come and go between prompts: list them again when Tab asks
            try:
                line = self.ui.ask("pair> ", remember=True)
            except KeyboardInterrupt:
                continue  # like a shell: Ctrl-C drops the line being typed
            if line is None:
                return
            try:
                parsed = parse_input(line)
                if parsed is None:
                    continue
                if isinstance(parsed, Command):
                    if parsed.name == "/quit":
                        return
                    self.command(parsed)
                else:
                    self.turn(parsed)
            except SurgeonError as exc:
                self.ui.error(str(exc))
            except KeyboardInterrupt:
                self.ui.warn("interrupted")
            except EOFError:  # end of input while a proposal waited: it was rejected
                return

    # -- a turn ----------------------------------------------------------------------------------
    def conversation(self) -> Conversation:
        return build_conversation(self.session.turns, budget=self.session.history_budget,
                                  keep_last=self.session.keep_last, count_tokens=self.count_tokens)

    def _record(self, turn: Turn, outcome: EditOutcome | None = None) -> None:
        self.session = self.session.with_turn(turn)
        if outcome is not None:
            self.session = replace(self.session, totals=self.session.totals.add(outcome.attempts))
        self.save()

    def turn(self, instruction: str) -> None:
        """Run an instruction, then each refined instruction the person gives for it."""
        following: str | None = instruction
        while following is not None:
            following = self._one_turn(following)

    def _one_turn(self, instruction: str) -> str | None:
        """Run one instruction to a verdict. Returns a refined instruction to run next, or None."""
        number = self.session.next_number
        conversation = self.conversation()
        pinned = tuple(p for p in self.session.pinned if (self.workdir / p).is_file())
        missing = [p for p in self.session.pinned if p not in pinned]
        if missing:
            self.ui.warn(f"pinned but missing now, not shown: {', '.join(missing)} (/drop PATH unpins)")
        carried = tuple(p for p in self.session.carried if p not in pinned and self._showable(p))
        if carried:
            self.ui.info(f"also shown (the model read them last turn): {', '.join(carried)}")
        request = EditRequest(instruction=instruction, files=(*pinned, *carried), model=self.session.model,
                              dry_run=True, history=conversation.history, preface=conversation.preface,
                              task="pair")
        at = now_local().isoformat(timespec="seconds")
        if conversation.summarised:
            self.ui.info(f"(turns 1-{conversation.summarised} are sent as a summary to keep the context small)")
        try:
            outcome = self.propose(request, self.workdir, self.ui.event, self.ui.progress)
        except KeyboardInterrupt:
            self._record(Turn(number, instruction, "cancelled", at=at))
            self.ui.warn(f"turn {number} cancelled: nothing was changed")
            return None
        except SurgeonError as exc:
            self._record(Turn(number, instruction, "failed", reason=str(exc), at=at))
            raise
        self.session = replace(self.session, carried=read_by_tools(outcome))
        cost = turn_cost_line(number, outcome.attempts)
        if outcome.failure is not None:  # a model call failed (or the spend cap held) after earlier attempts
            self._record(Turn(number, instruction, "failed", reason=str(outcome.failure), model=outcome.model, at=at),
                         outcome)
            self.ui.error(f"turn {number} stopped after {len(outcome.attempts)} attempt(s): {outcome.failure}")
            self.ui.info(cost)
            return None
        if outcome.status != "proposed" or outcome.result is None:
            reasons = "; ".join(str(e) for e in outcome.errors) or "no valid diff"
            self._record(Turn(number, instruction, "refused", reason=reasons, model=outcome.model, at=at), outcome)
            self.ui.error(f"turn {number}: no valid diff after {len(outcome.attempts)} attempt(s); nothing was changed")
            self.ui.info(cost)
            return None
        result = outcome.result
        turn = Turn(number, instruction, "proposed", diff=result.normalised, files=touched_files(result),
                    lines_added=result.lines_added, lines_removed=result.lines_removed, model=outcome.model, at=at)
        self.session = replace(self.session, totals=self.session.totals.add(outcome.attempts))
        self.ui.info(cost)
        return self._verdict(turn, result)

    def _verdict(self, turn: Turn, result: PatchResult) -> str | None:
        while True:
            try:
                answer = self.ui.ask(PROPOSAL_PROMPT)
            except KeyboardInterrupt:
                self._finish(replace(turn, status="rejected", reason=""))
                self.ui.info(f"turn {turn.number} rejected (Ctrl-C); nothing was changed")
                return None
            if answer is None:
                self._finish(replace(turn, status="rejected", reason=""))
                self.ui.info(f"turn {turn.number} rejected (end of input)")
                raise EOFError
            parsed = parse_action(answer)
            if parsed is None:
                self.ui.info(ACCEPT_HELP)
                continue
            action, rest = parsed
            if action == "diff":
                self.ui.diff(turn.diff)
            elif action == "test":
                try:
                    turn = self._test(turn, result)
                except SurgeonError as exc:
                    self.ui.error(f"check not run: {exc}")
            elif action == "reject":
                reason = rest
                if not reason:
                    try:
                        reason = self.ui.ask("reason (optional, the next turn sees it) > ") or ""
                    except KeyboardInterrupt:
                        reason = ""
                self._finish(replace(turn, status="rejected", reason=reason.strip()))
                self.ui.info(f"turn {turn.number} rejected; nothing was changed")
                return None
            elif action == "edit":
                refined = rest
                if not refined:
                    try:
                        refined = self.ui.ask("refine> ", default=turn.instruction) or ""
                    except KeyboardInterrupt:
                        continue
                if not refined.strip():
                    continue
                self._finish(replace(turn, status="refined", reason=refined.strip()))
                return refined.strip()
            elif action == "accept":
                with sigint_deferred():  # never half-applied, never applied but unrecorded
                    try:
                        accepted = accept_turn(self.git, self.workdir, self.session, turn, result)
                    except Refused as exc:
                        self.ui.error(f"not accepted: {exc}")
                        continue
                    where = ("written to your working tree" if self.session.apply
                             else "not written to your files (--no-apply)")
                    self.ui.info(f"accepted turn {turn.number}: {(accepted.commit or '')[:10]} on "
                                 f"{self.session.branch}; {', '.join(turn.files)} {where}")
                    self._finish(accepted)
                return None

    def _showable(self, path: str) -> bool:
        """Whether a carried file can still be shown as the edit loop shows a named file (the
        checks of its --files, and locate's size and vendored/generated rules), so that a file
        read last turn never stops this one."""
        target = self.workdir / path
        try:
            small = not target.is_symlink() and target.is_file() and target.stat().st_size <= DEFAULT_MAX_FILE_BYTES
        except OSError:
            return False
        return small and skip_reason_for_path(path) is None and not never_send(path, self.workdir)

    def _finish(self, turn: Turn) -> None:
        self.session = self.session.with_turn(turn)
        self.save()

    # -- t: the check on a throwaway branch ------------------------------------------------------
    def _test(self, turn: Turn, result: PatchResult) -> Turn:
        command = self.session.check
        if not command:
            self.ui.warn("no check command: set one with /check CMD (or start with --check CMD)")
            return turn
        if self.gate is None:
            self.ui.warn("checks are not available here")
            return turn
        staged = check_branch(self.git, self.workdir, self.session, turn, result)
        self.ui.info(f"running `{command}` on your files as they would be after accepting (throwaway branch) …")
        try:
            outcome = self.gate(staged, command, self.ctx.check_timeout)
        except KeyboardInterrupt:
            self.ui.warn("check cancelled")
            return turn
        finally:
            self.git.delete_branch(staged.branch, staged.commit)
        self.ui.event(GateFinished(outcome))
        verdict = "passed" if outcome.passed else ("timed out" if outcome.timed_out else f"failed (exit {outcome.exit_code})")
        return replace(turn, check=f"{verdict}: {command}")

    # -- slash commands ----------------------------------------------------------------------------
    def command(self, command: Command) -> None:
        self._commands[command.name](command.argument)

    def cmd_help(self, _argument: str) -> None:
        self.ui.info("Type an instruction to get a proposed diff, then: " + ACCEPT_HELP)
        self.ui.table([(spec, what) for spec, what in SLASH_COMMANDS.items()])

    def cmd_add(self, argument: str) -> None:
        path = normalise_pinned_path(self.ctx.root, self.ctx.cwd, argument)
        if not (self.ctx.root / path).is_file():
            raise UsageError(f"/add {argument}: no such file in the repository")
        if never_send(path, self.ctx.root):
            raise UsageError(f"/add {path}: this file is never sent to a model (a secret file or listed in .surgeonignore)")
        self.session = self.session.pin(path)
        self.save()
        self.ui.info(f"pinned {path}: it is shown to the model on every turn ({len(self.session.pinned)} pinned)")

    def cmd_drop(self, argument: str) -> None:
        path = normalise_pinned_path(self.ctx.root, self.ctx.cwd, argument)
        if path not in self.session.in_scope:
            raise UsageError(f"/drop {argument}: not pinned (pinned: {', '.join(self.session.in_scope) or 'none'})")
        self.session = self.session.unpin(path)
        self.save()
        self.ui.info(f"unpinned {path}")

    def cmd_files(self, _argument: str) -> None:
        if not self.session.in_scope:
            self.ui.info("no pinned files; the locator picks the context for each instruction (/add PATH pins one)")
            return
        if self.session.pinned:
            self.ui.info("pinned files (always shown to the model):")
            self.ui.table([(p, "" if (self.workdir / p).is_file() else "missing") for p in self.session.pinned])
        carried = [p for p in self.session.carried if p not in self.session.pinned]
        if carried:
            self.ui.info("read by the model last turn (shown on the next turn too; /drop PATH leaves one out):")
            self.ui.table([(p, "") for p in carried])

    def cmd_model(self, argument: str) -> None:
        label = self.model_label = self.validate_model(argument)
        self.session = replace(self.session, model=argument)
        self.save()
        self.ui.info(f"model for the next turns: {label}")

    def cmd_check(self, argument: str) -> None:
        if not argument:
            self.ui.info(f"check command: {self.session.check or 'none'} (/check CMD sets it)")
            return
        check = None if argument.lower() in ("off", "none") else argument
        self.session = replace(self.session, check=check)
        self.save()
        self.ui.info(f"check command: {check}" if check else "check command cleared")

    # -- what the terminal shows beside the conversation --------------------------------------------
    def status(self) -> str:
        """The bottom toolbar: model · branch · accepted turns · cost so far."""
        session = self.session
        return (f"{self.model_label or session.model or 'configured model'} · {session.branch} · "
                f"{session.accepted_count} accepted · {session.totals.cost_text} so far")

    def completions(self, before_cursor: str) -> list[Candidate]:
        """Tab: slash commands, repository files after /add, the session's files after /drop."""
        return complete(before_cursor, self.paths.paths,
                        lambda: [self.paths.typed(p) for p in self.session.in_scope])

    def cmd_cost(self, _argument: str) -> None:
        self.ui.info(usage_line(self.session.totals))

    def cmd_log(self, _argument: str) -> None:
        if not self.session.turns:
            self.ui.info("no turns yet")
            return
        rows = []
        for t in self.session.turns:
            status = t.status + (" (undone)" if t.undone else "")
            detail = f"{', '.join(t.files)} +{t.lines_added} -{t.lines_removed}" if t.files else ""
            if t.commit:
                detail += f" {t.commit[:10]}"
            if t.reason and t.status != "refused":
                detail += f" — {one_line(t.reason, 80)}"
            rows.append((str(t.number), status, one_line(t.instruction, 60), detail.strip()))
        self.ui.table(rows)

    def cmd_undo(self, _argument: str) -> None:
        undo = plan_undo(self.git, self.session)
        with sigint_deferred():
            self.session = self.session.replace_turn(undo_turn(self.git, self.workdir, self.session, undo))
            self.save()
        where = " and in your working tree" if self.session.apply else ""
        self.ui.info(f"undid turn {undo.turn.number} on {self.session.branch}{where}: "
                     f"{', '.join(undo.turn.files)} restored")
