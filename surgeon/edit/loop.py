"""The edit loop: locate -> prompt -> model -> diff engine -> validators -> stage -> gate.

A refused diff or a failed gate goes back to the model with the reason, up to max_attempts.
Nothing is staged unless a diff passes every validator (and the gate, when one is set).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from surgeon import prompt as prompts
from surgeon.config import Config
from surgeon.diff import PatchResult, Refusal
from surgeon.edit import events
from surgeon.edit.aside import Aside, Here, Preparing, beside
from surgeon.edit.asking import Asker, ContextRequest
from surgeon.edit.helper import Helper, python_files, serving, warm_quietly
from surgeon.edit.judge import NO_DIFF, Asked
from surgeon.edit.prepare import Prepared, prepare
from surgeon.edit.tools import ContextTools
from surgeon.errors import ModelError, Refused, SpendCapReached, SurgeonError, UsageError
from surgeon.gate import GateOptions, GateResult, gate_options, mask_values, withheld_values
from surgeon.git import Git, RepoInfo
from surgeon.locate import LocateResult, estimate_tokens
from surgeon.model import (
    CallFailed,
    Completion,
    Redactor,
    SpendCaps,
    SpendLedger,
    cost_text,
    make_provider,
    never_send,
    resolve_model,
    sdk_module,
)
from surgeon.model.types import ProgressCallback
from surgeon.validate import ApplyOptions
from surgeon.validate.scope import is_never_sent

if TYPE_CHECKING:  # the stage layer is imported when a diff is staged; only the type is needed here
    from surgeon.stage import StagedChange
    from surgeon.validate.names.run import NamesRun

EventSink = Callable[[events.EditEvent], None]
# refused: the diff was refused (the reasons go back to the model); valid: --dry-run stops here;
# gate_failed: staged, the gate failed, discarded; staged: done; blocked: valid, but it touches
# files with uncommitted work (no retry); failed: the model call failed (or the spend cap stopped it).
AttemptStatus = Literal["refused", "valid", "gate_failed", "staged", "blocked", "failed"]
# staged: on a review branch (gated when a check is set); proposed: --dry-run's validated diff;
# refused: no attempt produced a change that could be staged; error: a model call failed after
# earlier attempts (they are kept; `failure` says what stopped the loop).
OutcomeStatus = Literal["staged", "proposed", "refused", "error"]
UsageField = Literal["input_tokens", "output_tokens", "cache_read_tokens"]


# Where an edit's time goes (EditOutcome.timings, seconds): the command's start (imports; 0 when the
# loop is not a command's first), settings and the provider, locate,
# rendering and redacting the context, the model (context requests included), the validators,
# staging and the gate; then "total" and "other", the part of the total in none of them.
PHASES = ("startup", "setup", "locate", "context", "model", "validate", "stage", "gate")


@dataclass(frozen=True)
class EditRequest:
    instruction: str
    files: tuple[str, ...] = ()
    budget: int | None = None
    model: str | None = None
    check: str | None = None
    max_attempts: int | None = None
    dry_run: bool = False
    allow_any_file: bool = False
    base: str = "head"
    # Earlier turns of a pair session: [{"role": "user"|"assistant", "content": str}, ...]
    history: tuple[dict[str, str], ...] = ()
    # Notes that open this turn's message, before the instruction (pair: what became of the last turn)
    preface: str = ""
    task: str = "edit"


@dataclass(frozen=True)
class Attempt:
    number: int
    model: str
    status: AttemptStatus
    errors: tuple[Refusal, ...] = ()
    gate: GateResult | None = None  # when a gate ran
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float | None = None
    context_requests: tuple[ContextRequest, ...] = ()  # what the model asked for before it answered


@dataclass(frozen=True)
class EditOutcome:
    status: OutcomeStatus
    instruction: str
    model: str
    located: LocateResult
    shown_files: tuple[str, ...]
    attempts: tuple[Attempt, ...]
    result: PatchResult | None = None
    staged: StagedChange | None = None
    gate: GateResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    context_tokens: int = 0
    whole_file_tokens: int = 0
    failure: SurgeonError | None = None  # what stopped the loop after earlier attempts (exit code from it)

    @property
    def errors(self) -> tuple[Refusal, ...]:
        return self.attempts[-1].errors if self.attempts and self.status in ("refused", "error") else ()

    @property
    def cost(self) -> float | None:
        costs = [a.cost for a in self.attempts]
        return None if any(c is None for c in costs) else round(sum(c for c in costs if c is not None), 6)

    def total(self, attribute: UsageField) -> int:
        return sum(getattr(a, attribute) for a in self.attempts)


def _attempt(number: int, model: str, completion: Completion, status: AttemptStatus,
             errors: tuple[Refusal, ...] = (), gate: GateResult | None = None,
             requests: tuple[ContextRequest, ...] = ()) -> Attempt:
    usage = completion.usage
    return Attempt(number, model, status, errors, gate, usage.input_tokens, usage.output_tokens,
                   usage.cache_read_tokens, completion.cost, requests)


def _pointless_retry(refusals: Sequence[Refusal], reply: str, earlier: Sequence[str]) -> str | None:
    """Why another attempt would only resend the same context for the same answer: the model
    repeated an earlier reply, or answered twice in a row without a diff."""
    if reply.strip() in earlier:
        return "the reply repeats an earlier one"
    from surgeon.diff import extract_diff  # the reply formats: loaded here only after a refusal

    if earlier and all(r.reason.startswith(NO_DIFF) for r in refusals) and not extract_diff(earlier[-1]).strip():
        return "two replies in a row hold no diff"
    return None


def _failed_attempt(number: int, model: str, error: SurgeonError, billed: Completion | None) -> Attempt:
    """The attempt whose model call failed: its error, and what it was billed before it broke off."""
    errors = (Refusal(None, None, None, str(error)),)
    if billed is None:
        return Attempt(number, model, "failed", errors, cost=0.0)
    return _attempt(number, model, billed, "failed", errors)


def _truncated(max_tokens: int) -> Refusal:
    return Refusal(None, None, None, (
        f"the reply stopped at the output limit (max_tokens = {max_tokens}) before it ended, so its diff is "
        "truncated and nothing of it was applied; answer again with a shorter diff: only the hunks that change "
        "lines, with 3 lines of context each"))


class EditLoop:
    """One instruction, run to a staged (or proposed) diff or to a refusal with reasons."""

    def __init__(self, repo: RepoInfo, config: Config, on_event: EventSink | None = None,
                 on_progress: ProgressCallback | None = None, ledger: SpendLedger | None = None,
                 started: float | None = None) -> None:
        self.repo = repo
        # When the command began (time.perf_counter()): the time before run() is its "startup"
        # (imports, settings), counted in the first run's timings.
        self.started = started
        self.config = config
        self.emit: EventSink = on_event or (lambda _event: None)
        self.on_progress = on_progress
        # The spend caps of this command (a pair session passes its own, for the whole session).
        self.ledger = ledger or SpendLedger(repo, SpendCaps.from_config(config))
        self._warming: threading.Thread | None = None  # the names guard asking ahead (_warm_names)
        self.helper = Helper(repo.root)  # serves past run() only inside `with EditLoop(...)` (the output)
        self._held = False
        self.redactor: Redactor | None = None  # the conversation's, once the context is made

    def __enter__(self) -> EditLoop:
        self._held = True
        return self

    def __exit__(self, *_exc: object) -> None:
        self._held = False
        self.helper.close()

    # -- steps ---------------------------------------------------------------------------------
    def _pinned(self, paths: Sequence[str]) -> tuple[str, ...]:
        """--files paths as repository-relative posix paths; anything surgeon must not show is a
        usage error: outside the repository (also through a link), inside .git, not a file, or a
        secret file that is never sent."""
        root = self.repo.root.resolve()
        pinned: list[str] = []
        for given in paths:
            target = Path(given) if Path(given).is_absolute() else root / given
            where = f"--files {given}"
            if target.is_symlink():
                raise UsageError(f"{where}: is a symbolic link; name the file itself")
            resolved = target.resolve()
            if not resolved.is_relative_to(root):
                raise UsageError(f"{where}: is outside the repository {root}")
            relative = resolved.relative_to(root).as_posix()
            if relative == ".git" or relative.startswith(".git/"):
                raise UsageError(f"{where}: is inside .git; surgeon edits working-tree files only")
            if not resolved.is_file():
                raise UsageError(f"{where}: no such file in {root}")
            if never_send(relative, root):
                raise UsageError(f"{where}: is a secret file (or matched by .surgeonignore) and is never sent to a model")
            pinned.append(relative)
        return tuple(dict.fromkeys(pinned))

    def _settings(self, request: EditRequest) -> tuple[int, str | None, float, GateOptions]:
        """max attempts, gate command, gate timeout and how the gate runs, checked before any model call."""
        max_attempts = request.max_attempts if request.max_attempts is not None else int(self.config.get("max_attempts"))
        if max_attempts < 1:
            raise UsageError(f"max_attempts must be at least 1 (from {self.config.source('max_attempts')}), got {max_attempts}")
        check = request.check if request.check is not None else self.config.get("check")
        timeout = float(self.config.get("check_timeout"))
        if check and timeout <= 0:
            raise UsageError(f"check_timeout must be a positive number of seconds (from "
                             f"{self.config.source('check_timeout')}), got {timeout:g}")
        gate = gate_options(self.config.get("check_env"), self.config.get("check_sandbox"),
                            self.config.source("check_sandbox")) if check else GateOptions()
        return max_attempts, check, timeout, gate

    def _gate_redaction(self, redactor: Redactor) -> Callable[[str], str]:
        """A check's output before it is kept or fed back: values of never-sent files masked (read
        the first time), then secrets replaced as in every prompt."""
        root, withheld = self.repo.root, list[frozenset[str]]()

        def redact(text: str) -> str:
            withheld[:] = withheld or [withheld_values(root, lambda path: never_send(path, root))]
            return redactor.redact(mask_values(text, withheld[0]))

        return redact

    def _options(self) -> ApplyOptions:
        return ApplyOptions(
            rewrite_share=float(self.config.get("rewrite_share")),
            max_changed_lines=self.config.get("max_changed_lines"),
        )

    def _validate(self, reply: str, request: EditRequest, shown: Sequence[str], redactor: Redactor
                  ) -> tuple[PatchResult | None, list[Refusal], dict[str, str]]:
        if self._warming is not None:  # the names guard asking ahead here, when no child serves
            self.helper.hurry()
            self._warming.join()
        asked = Asked(request.instruction, tuple(shown), self._options(), request.allow_any_file)
        judged = self.helper.judge(reply, asked, redactor)
        refusals, verdicts = list(judged.refusals), dict(judged.verdicts)
        if judged.names is not None:  # one run keeps the totals across attempts: `names` in --json
            unknown, verdicts["names"] = self._names().record(judged.names)
            refusals += unknown
        return judged.result, refusals, verdicts

    def _names(self) -> NamesRun:
        if getattr(self, "names", None) is None:
            from surgeon.validate.names.run import NamesRun

            self.names = NamesRun(self.repo.root, allow=bool(self.config.get("allow_unknown_names")), guard=self.helper)
        return self.names

    def _warm_names(self, shown: Sequence[str]) -> None:
        """The names guard asks the project's interpreter about the shown files' imports while the
        model works (see NamesGuard.warm); _validate waits for it."""
        python = python_files(shown)
        if self._warming is not None:  # a pair session's last turn may have ended before judging
            self._warming.join()
        if python:
            self._warming = threading.Thread(target=warm_quietly, args=(self._names().guard, python),
                                             name="surgeon names ahead", daemon=True)
            self._warming.start()

    def _hold_commit_settings(self, request: EditRequest) -> tuple[Git, threading.Thread | None]:
        """The Git that stages this edit, asking git for the commit's settings (identity, autocrlf,
        object format) while the model works; staging asks for whatever this could not get."""
        committer = Git(self.repo.root)
        if request.dry_run:
            return committer, None

        def hold() -> None:
            try:
                committer.hold_commit_settings()
            except Exception:  # noqa: BLE001 - only a head start
                pass

        holding = threading.Thread(target=hold, name="surgeon commit settings", daemon=True)
        holding.start()
        return committer, holding

    def _retry(self, refusals: Sequence[Refusal], shown: Sequence[str]) -> str:
        """The reasons, and the file's real lines where a refused hunk aimed (never a never-sent file's)."""
        root = self.repo.root

        def never(path: str) -> bool:
            return is_never_sent(path, root)

        lines = prompts.refusal_lines(root, refusals, shown, never)
        if lines:
            lines = f"\n{prompts.template('edit_retry_lines').rstrip()}\n\n{lines}\n"
        return prompts.render("edit_retry", reasons=prompts.refusal_reasons(refusals, never), lines=lines)

    # -- the loop ------------------------------------------------------------------------------
    def run(self, request: EditRequest) -> EditOutcome:
        try:
            return self._run(request)
        finally:
            if not self._held:
                self.helper.close()

    def _run(self, request: EditRequest) -> EditOutcome:
        if not request.instruction.strip():
            raise UsageError("the instruction is empty: say what to change, e.g. surgeon edit \"add a /healthz route\"")
        started = begun = time.perf_counter()
        timings: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        if self.started is not None:
            timings["startup"], started, self.started = begun - self.started, self.started, None
        max_attempts, check, check_timeout, gate_setup = self._settings(request)
        pinned = self._pinned(request.files)
        spec = resolve_model(request.task, self.config, request.model)
        work = partial(prepare, self.repo.root, self.config, request.instruction, request.budget, pinned,
                       preface=request.preface, history=tuple(m["content"] for m in request.history))
        # Beside an SDK import, pure Python that holds the GIL for most of a second, locate and the
        # context run several times slower in a thread than in a child process with a core of its own.
        sdk = sdk_module(spec)
        preparing: Preparing[Prepared] = Here(work)
        try:
            if sdk and sdk not in sys.modules:
                preparing = beside(work, serving(self.repo.root))
            provider = make_provider(spec, self.config)  # its SDK loads in the background from here
            committer, holding = self._hold_commit_settings(request)
            timings["setup"] = time.perf_counter() - begun
            t0 = time.perf_counter()
            prepared = preparing.result()
        except BaseException:
            preparing.close()
            raise
        if isinstance(preparing, Aside):
            self.helper.attach(preparing)
            prepared.redactor.finder = self.helper.find
        waited = time.perf_counter() - t0
        # Of the wait, locate (in the child or here) is "locate"; the rest went to the context.
        timings["locate"] = min(prepared.locate_seconds, waited)
        context_started = time.perf_counter() - (waited - timings["locate"])
        located, shown, redactor = prepared.located, list(prepared.shown), prepared.redactor
        self.redactor = redactor  # what it hides from the model, the command's output hides too
        for told in prepared.events:
            self.emit(told)
        self.emit(events.Located(located))
        if not located.regions:
            raise Refused("nothing in the repository matches the instruction; name a file with --files or a symbol to change")

        tools = ContextTools(self.repo.root, redactor)
        asker = Asker(tools, rounds=int(self.config.get("context_requests", 4)),
                      budget=int(self.config.get("context_budget") or request.budget or self.config.get("budget")),
                      mode=str(self.config.get("context_tools", "auto")))
        # The fixed instructions are the system prompt; the located context opens this turn's
        # message, so that a pair session's earlier turns form a stable prefix for prompt caching.
        system = [prompts.template("edit_system")]
        # The earlier turns and this turn's request, redacted where the context was (prepare).
        messages: list[dict[str, str]] = [{"role": m["role"], "content": text}
                                          for m, text in zip(request.history, prepared.history, strict=True)]
        messages.append({"role": "user", "content": f"{prepared.context_block}\n\n{prepared.request}"})
        whole = prepared.whole_file_tokens
        timings["context"] = time.perf_counter() - context_started
        self._warm_names(shown)

        attempts: list[Attempt] = []
        replies: list[str] = []  # each attempt's reply, to tell a retry that would add nothing
        stopped: SurgeonError | None = None
        result: PatchResult | None = None
        staged: StagedChange | None = None
        gate: GateResult | None = None
        status: OutcomeStatus = "refused"
        for number in range(1, max_attempts + 1):
            if number > 1 and not request.model:
                retry_spec = resolve_model("retry", self.config, None) if self.config.get("models.retry") else spec
                if retry_spec != spec:
                    spec, provider = retry_spec, make_provider(retry_spec, self.config)
            self.emit(events.ModelStarted(number, provider.label))
            t0 = time.perf_counter()
            task = request.task if number == 1 else "retry"
            try:
                provider.ready()  # the rest of its SDK's import: the provider's setup, not the model's time
                timings["setup"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                completion, asked = asker.ask(provider, system, messages, task=task, ledger=self.ledger,
                                              on_progress=self.on_progress)
            except (ModelError, SpendCapReached) as exc:
                if not attempts:
                    raise  # nothing earlier to keep: the one error is the whole story
                billed = exc.billed if isinstance(exc, CallFailed) else None
                attempts.append(_failed_attempt(number, provider.label, exc, billed))
                stopped = exc
                break
            timings["model"] += time.perf_counter() - t0
            shown += [path for path in tools.read if path not in shown]  # what the model read is in scope
            reply = completion.text  # secrets are put back in the diff only, where they stood (_validate)
            messages.append({"role": "assistant", "content": completion.text})

            t0 = time.perf_counter()
            if completion.truncated:  # cut off at max_tokens: truncated whatever it holds
                result, refusals = None, [_truncated(int(self.config.get("max_tokens")))]
                verdicts = {"match": "refused: the reply was cut off at max_tokens"}
            else:
                result, refusals, verdicts = self._validate(reply, request, shown, redactor)
            timings["validate"] += time.perf_counter() - t0
            if refusals:
                pointless = _pointless_retry(refusals, reply, replies) if number < max_attempts else None
                replies.append(reply.strip())
                if pointless:
                    refusals.append(Refusal(None, None, None, (
                        f"stopped after attempt {number} of {max_attempts}: {pointless}, and another attempt would "
                        "only resend the same context")))
                attempts.append(_attempt(number, provider.label, completion, "refused", tuple(refusals), requests=asked))
                self.emit(events.AttemptRefused(number, tuple(refusals), verdicts, result))
                if pointless:
                    break
                messages.append({"role": "user", "content": redactor.redact(self._retry(refusals, shown))})
                continue
            assert result is not None
            self.emit(events.Validated(number, result, verdicts))
            if request.dry_run:
                attempts.append(_attempt(number, provider.label, completion, "valid", requests=asked))
                status = "proposed"
                break

            t0 = time.perf_counter()
            from surgeon.gate import run_gate
            from surgeon.stage import DirtyFiles, stage_diff

            if holding is not None:
                holding.join()
            try:
                staged = stage_diff(self.repo, result, instruction=request.instruction, base=request.base,
                                    model=provider.label, cost=cost_text(completion.cost), check=check, git=committer)
            except DirtyFiles as dirty:
                # Not the model's doing: no retry. The validated diff stays in the outcome.
                errors = (Refusal(dirty.path, None, None, str(dirty)),)
                attempts.append(_attempt(number, provider.label, completion, "blocked", errors, requests=asked))
                self.emit(events.Blocked(number, tuple(errors)))
                break
            timings["stage"] += time.perf_counter() - t0
            self.emit(events.Staged(staged))
            if not check:
                attempts.append(_attempt(number, provider.label, completion, "staged", requests=asked))
                status = "staged"
                break
            t0 = time.perf_counter()
            self.emit(events.GateStarted(check))
            try:
                gate = run_gate(self.repo, staged, check, check_timeout,
                                replace(gate_setup, redact=self._gate_redaction(redactor)))
            except BaseException:  # Ctrl-C during the gate: no change is left staged but unchecked
                from surgeon.stage.branches import discard_branch

                discard_branch(self.repo, staged.branch)
                raise
            timings["gate"] += time.perf_counter() - t0
            self.emit(events.GateFinished(gate))
            if gate.passed:
                attempts.append(_attempt(number, provider.label, completion, "staged", gate=gate, requests=asked))
                status = "staged"
                break
            failure = (f"timed out after {check_timeout:g} s" if gate.timed_out
                       else f"failed with exit code {gate.exit_code}")
            errors = (Refusal(None, None, None, f"check `{check}` {failure}"),)
            attempts.append(_attempt(number, provider.label, completion, "gate_failed", errors, gate, asked))
            from surgeon.stage.branches import discard_branch

            discard_branch(self.repo, staged.branch)
            self.emit(events.Discarded(staged))
            staged = None
            messages.append({"role": "user", "content": redactor.redact(prompts.render(
                "edit_gate_failed", command=check, result=failure, output_tail=gate.output_tail))})

        timings["total"] = time.perf_counter() - started
        timings["other"] = max(0.0, timings["total"] - sum(timings[phase] for phase in PHASES))
        if stopped is not None:
            status = "refused" if isinstance(stopped, Refused) else "error"
        return EditOutcome(
            status=status, instruction=request.instruction, model=provider.label, located=located,
            shown_files=tuple(shown), attempts=tuple(attempts),
            result=result if status in ("staged", "proposed") or attempts[-1].status == "blocked" else None, staged=staged, gate=gate, timings=timings,
            context_tokens=estimate_tokens("\n".join([*system, *(m["content"] for m in messages[:len(request.history) + 1])])),
            whole_file_tokens=whole, failure=stopped,
        )
