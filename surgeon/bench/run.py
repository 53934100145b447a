"""`surgeon bench`: each model runs the real edit loop on each task, in a throwaway worktree of the
task's parent, under one spend ledger for the whole run; each run is scored against the commit.

Models run one after the other, each over every task in order (newest commit first), so scripted
replies are consumed in a known order. The edit loop runs as `surgeon edit` does, without a gate:
the check decides the score and is not shown to the model.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from surgeon.bench.results import RunResult, compare, grouped, ranked, suggest_routing
from surgeon.bench.score import CheckRun, collateral_lines, is_exact, own_test_command, prepare, run_check
from surgeon.bench.store import previous_run, save_run
from surgeon.bench.tasks import Task, pick_tasks
from surgeon.bench.worktree import Workspace, drop_staged, sweep_stale, throwaway_worktree
from surgeon.config import Config
from surgeon.edit import EditLoop, EditOutcome, EditRequest, events
from surgeon.errors import Refused, SurgeonError, UsageError
from surgeon.gate import GateOptions, gate_options
from surgeon.git import Git, RepoInfo
from surgeon.model import Redactor, SpendCaps, SpendLedger, make_provider, parse_spec, resolve_model

RunCallback = Callable[[RunResult, Task], None]


@dataclass
class BenchOptions:
    models: Sequence[str] = ()
    tasks: int = 10
    since: str | None = None
    paths: str | None = None
    check: str | None = None


def default_models(config: Config) -> list[str]:
    """The models this repository is configured with (model, then [models]); else the default edit model."""
    chosen = [config.get("model")] if config.get("model") else [config.get(f"models.{t}") for t in
                                                                ("edit", "pair", "retry", "review")]
    found = [str(parse_spec(str(spec))) for spec in chosen if spec]
    return list(dict.fromkeys(found)) or [resolve_model("edit", config)]


def _matcher(paths: str | None) -> Callable[[str], bool] | None:
    if not paths:
        return None
    import pathspec

    spec = pathspec.PathSpec.from_lines("gitwildmatch", [p for p in paths.split(",") if p.strip()])
    return spec.match_file


@dataclass
class Bench:
    repo: RepoInfo
    config: Config
    options: BenchOptions
    on_run: RunCallback | None = None
    redactor: Redactor = field(default_factory=Redactor)

    def prepare(self) -> tuple[list[str], list[Task], GateOptions]:
        """The models (each checked: a known provider, a key or script it can use), the tasks and how
        a check runs, all before any model call."""
        git = Git(self.repo.root)
        since = self.options.since
        if since is not None and (since.startswith("-") or git.rev(f"{since}^{{commit}}") is None):
            raise UsageError(f"--since {since}: no such commit in {self.repo.root}")
        models = list(dict.fromkeys(str(parse_spec(m)) for m in self.options.models)) or default_models(self.config)
        for spec in models:
            make_provider(spec, self.config)
        tasks = pick_tasks(git, self.options.tasks, since=since, matches=_matcher(self.options.paths))
        if not tasks:
            where = f" after {since}" if since else ""
            where += f" under {self.options.paths}" if self.options.paths else ""
            raise Refused(f"no commit{where} makes a small focused change (1-3 files, up to 40 changed lines, "
                          "a descriptive subject; merges, reverts, version bumps and formatting are skipped)")
        gate = gate_options(self.config.get("check_env"), self.config.get("check_sandbox"),
                            self.config.source("check_sandbox"))
        return models, tasks, gate

    def run(self) -> dict[str, Any]:
        models, tasks, gate = self.prepare()
        previous = previous_run(self.repo)
        sweep_stale(self.repo)
        ledger = SpendLedger(self.repo, SpendCaps.from_config(self.config), scope="this bench run")
        baselines: dict[str, CheckRun | None] = {}
        runs: list[RunResult] = []
        started = datetime.now(UTC)
        with throwaway_worktree(self.repo, tasks[0].parent, "run") as workspace:
            for spec in models:
                for task in tasks:
                    try:
                        result = self._one(spec, task, workspace, ledger, gate, baselines)
                    finally:
                        drop_staged(self.repo, workspace.branches)
                    runs.append(result)
                    if self.on_run is not None:
                        self.on_run(result, task)
        return self._report(models, tasks, runs, previous, started, ledger.spent)

    # -- one model on one task ----------------------------------------------------------------
    def _one(self, spec: str, task: Task, workspace: Workspace, ledger: SpendLedger, gate: GateOptions,
             baselines: dict[str, CheckRun | None]) -> RunResult:
        workspace.move_to(task.parent)

        def track(event: events.EditEvent) -> None:
            if isinstance(event, events.Staged):
                workspace.branches.append((event.staged.branch, event.staged.commit))

        loop = EditLoop(workspace.repo, self.config, on_event=track, ledger=ledger)
        request = EditRequest(instruction=task.instruction, model=spec, check="")
        clock, spent = time.perf_counter(), ledger.spent
        try:
            outcome = loop.run(request)
        except UsageError:
            raise  # a setting no run can pass (max_attempts, a --files rule): the bench stops
        except SurgeonError as exc:  # a model failure, a spend cap, nothing located: the run is refused
            return RunResult(spec, spec, task.commit, task.kind, task.language, "refused", "error", 0, 0, 0, 0,
                             ledger.spent - spent, time.perf_counter() - clock, None, (),
                             failure=self.redactor.redact(str(exc)))
        seconds = time.perf_counter() - clock
        return self._score(spec, task, outcome, seconds, workspace, gate, baselines)

    def _score(self, spec: str, task: Task, outcome: EditOutcome, seconds: float, workspace: Workspace,
               gate: GateOptions, baselines: dict[str, CheckRun | None]) -> RunResult:
        reasons = "; ".join(e.reason for e in outcome.errors)[:500]
        failure = str(outcome.failure) if outcome.failure is not None else reasons or None
        result = RunResult(
            spec, outcome.model, task.commit, task.kind, task.language, "refused", outcome.status,
            len(outcome.attempts), outcome.total("input_tokens"), outcome.total("output_tokens"),
            outcome.total("cache_read_tokens"), outcome.cost, seconds, None, (),
            failure=None if failure is None else self.redactor.redact(failure),
            errors=tuple((a.number, self.redactor.redact(e.reason)[:500]) for a in outcome.attempts for e in a.errors))
        staged = outcome.staged
        if outcome.status != "staged" or staged is None:
            return result
        git = Git(workspace.repo.root, own_index=True)
        result = replace(result, verdict="other", collateral_lines=collateral_lines(git, task, staged.commit),
                         files=staged.files)
        if is_exact(git, task, staged.commit):
            return replace(result, verdict="exact")
        command = self.options.check or own_test_command(task, self.repo.root)
        if command is None:
            return replace(result, check_note="no check: the commit has no tests surgeon can run, and no --check")
        timeout = float(self.config.get("check_timeout"))
        if task.commit not in baselines:
            prepare(git, task.commit, task)
            baselines[task.commit] = run_check(command, workspace.repo.root, timeout, gate)
        baseline = baselines[task.commit]
        if baseline is None or not baseline.passed:
            return replace(result, check=baseline, check_note="the check fails on the commit itself, so it cannot judge")
        prepare(git, staged.commit, task)
        check = run_check(command, workspace.repo.root, timeout, gate)
        return replace(result, verdict="equivalent" if check.passed else "other", check=check)

    # -- the report ---------------------------------------------------------------------------
    def _report(self, models: list[str], tasks: list[Task], runs: list[RunResult], previous: dict[str, Any] | None,
                started: datetime, spent: float) -> dict[str, Any]:
        ranking = ranked(runs, models)
        routing = suggest_routing(ranking)
        redact = self.redactor.redact
        report: dict[str, Any] = {
            "status": "done",
            "id": f"{started:%Y%m%dT%H%M%S}-{os.getpid()}-{secrets.token_hex(2)}",
            "time": started.isoformat(timespec="seconds"),
            "head": Git(self.repo.root).rev("HEAD"),
            "options": {"models": models, "tasks": self.options.tasks, "since": self.options.since,
                        "paths": self.options.paths, "check": self.options.check,
                        "max_cost": self.config.get("max_cost")},
            "tasks": [{**t.to_json(), "subject": redact(t.subject), "instruction": redact(t.instruction)}
                      for t in tasks],
            "runs": [r.to_json() for r in runs],
            "models": [{"rank": n, **s.to_json()} for n, s in enumerate(ranking, 1)],
            "by_kind": [{"kind": s.group, **s.to_json()} for s in grouped(runs, models, lambda r: r.kind)],
            "by_language": [{"language": s.group, **s.to_json()} for s in grouped(runs, models, lambda r: r.language)],
            "routing": routing.to_json(),
            "spent": round(spent, 6),
            "previous": compare(previous, ranking, runs),
        }
        report["file"] = str(save_run(self.repo, report))
        return report
