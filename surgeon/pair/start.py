"""Starting a pair session: a new one, or `--resume` of the last one, with its branch, the model
it names, and the controller wired to the real edit loop and gate (surgeon/cli/pair.py only
parses the options and renders)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from surgeon.config import Config
from surgeon.edit import EditLoop, EditOutcome, EditRequest
from surgeon.edit.events import EditEvent
from surgeon.errors import RepoError, UsageError
from surgeon.gate import GateOptions, GateResult, gate_options, mask_values, run_gate, withheld_values
from surgeon.git import Git, RepoInfo, find_repo
from surgeon.model import Progress, Redactor, SpendCaps, SpendLedger, make_provider, never_send, resolve_model
from surgeon.pair.branch import SessionGit
from surgeon.pair.controller import GateFn, PairContext, PairController, PairUI, ProposeFn
from surgeon.pair.session import DEFAULT_HISTORY_BUDGET, Session, new_session
from surgeon.pair.store import load_last_session, now_local
from surgeon.stage import StagedChange
from surgeon.tokens import estimate_tokens


@dataclass(frozen=True)
class StartOptions:
    """What `surgeon pair` was asked for (None: the session's or the configured value)."""

    model: str | None = None
    check: str | None = None
    apply: bool = True  # False with --no-apply
    resume: bool = False
    history_budget: int | None = None


@dataclass(frozen=True)
class Started:
    session: Session
    label: str  # the model the session uses, as its provider names it


def model_label(spec: str | None, config: Config) -> str:
    """Check that a model spec (None: the one configured for "pair") resolves (raises
    ModelNotConfigured/UsageError) and name it."""
    return make_provider(resolve_model("pair", config, spec), config).label


def start_session(repo: RepoInfo, config: Config, options: StartOptions) -> Started:
    """A new session on a new branch from HEAD, or the last session again (--resume): on its
    branch, or, when that branch was deleted because the session had no accepted turn, on a new
    branch from HEAD. The model is checked before any branch is made."""
    head = Git(repo.root).rev("HEAD^{commit}")
    assert head is not None  # find_repo checked there is a commit
    budget = options.history_budget
    make_branch = True
    if options.resume:
        session = load_last_session(repo.surgeon_dir)
        if SessionGit(repo.root).tip(session.branch) is None:
            if session.last_accepted() is not None:
                raise RepoError(f"the session branch {session.branch} is gone, so session {session.id} cannot "
                                "continue; start a new one with `surgeon pair`")
            # It ended with no accepted turn, so its (empty) branch was deleted: start it again from HEAD.
            session = replace(session, base=head)
        else:
            make_branch = False
        if not options.apply and session.apply:
            raise UsageError(f"--no-apply: session {session.id} writes accepted diffs to your working tree; "
                             "resume it without --no-apply, or start a new session")
        session = replace(session, model=options.model or session.model, check=options.check or session.check,
                          history_budget=budget if budget is not None else session.history_budget)
    else:
        session = new_session(head, apply=options.apply, model=options.model,
                              check=options.check or config.get("check"), now=now_local(),
                              history_budget=budget if budget is not None else DEFAULT_HISTORY_BUDGET)
    label = model_label(session.model, config)
    if make_branch:
        SessionGit(repo.root).create_branch(session.branch, session.base)
    return Started(session, label)


def proposer(repo: RepoInfo, config: Config, ledger: SpendLedger | None = None) -> ProposeFn:
    """The edit loop, run in the person's repository or in a --no-apply session's private worktree;
    every turn spends from one ledger, so max_cost caps the whole session."""
    ledger = ledger or SpendLedger(repo, SpendCaps.from_config(config), scope="this pair session")

    def propose(request: EditRequest, workdir: Path, on_event: Callable[[EditEvent], None],
                on_progress: Callable[[Progress], None]) -> EditOutcome:
        target = repo if workdir == repo.root else find_repo(workdir)
        return EditLoop(target, config, on_event=on_event, on_progress=on_progress, ledger=ledger).run(request)

    return propose


def gate_runner(repo: RepoInfo, options: GateOptions | None = None) -> GateFn:
    """`t`: the check with the session's environment and sandbox settings; its output (kept in the
    gate note) has the values of never-sent files and secrets masked."""
    root = repo.root

    def redact(text: str) -> str:
        return Redactor().redact(mask_values(text, withheld_values(root, lambda path: never_send(path, root))))

    setup = replace(options or GateOptions(), redact=redact)

    def gate(staged: StagedChange, command: str, timeout: float) -> GateResult:
        return run_gate(repo, staged, command, timeout, setup)

    return gate


def session_controller(repo: RepoInfo, config: Config, session: Session, ui: PairUI, *, cwd: Path,
                       label: str = "") -> PairController:
    """The controller of a started session, wired to the real edit loop, model routing and gate;
    `label` names the session's model (Started.label) in the toolbar."""
    context = PairContext(root=repo.root, surgeon_dir=repo.surgeon_dir, cwd=cwd,
                          check_timeout=float(config.get("check_timeout")))
    ledger = SpendLedger(repo, SpendCaps.from_config(config), spent=session.totals.cost, scope="this pair session")
    checks = gate_options(config.get("check_env"), config.get("check_sandbox"), config.source("check_sandbox"))
    return PairController(context, session, ui, propose=proposer(repo, config, ledger),
                          validate_model=lambda spec: model_label(spec, config),
                          count_tokens=estimate_tokens, gate=gate_runner(repo, checks), model_label=label)
