"""What a bench run found: one result per model and task, the figures per model and per kind of
task, the ranking, the [models] routing they suggest, and how they moved since the previous run.
Everything here is values in, values out; the JSON shapes are written once, in to_json."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surgeon.bench.score import VERDICTS, CheckRun, Verdict

PAIR_SLACK = 0.1  # pair may take a faster model that solves at most this share of tasks fewer


@dataclass(frozen=True)
class RunResult:
    model: str  # the spec, as given to --models
    label: str  # what the provider calls itself ("script:x.json (scripted replies)")
    task: str  # the task's commit
    kind: str
    language: str
    verdict: Verdict
    status: str  # the edit loop's outcome status, or "error" when it raised
    attempts: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cost: float | None
    seconds: float
    collateral_lines: int | None  # None when nothing was staged
    files: tuple[str, ...]  # what the model's change touched
    check: CheckRun | None = None
    check_note: str | None = None  # why the check could not judge (none known, fails on the commit itself)
    failure: str | None = None  # what stopped the loop: a model error, a spend cap, a refusal
    errors: tuple[tuple[int, str], ...] = ()  # (attempt, reason) for every refusal on the way

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "label": self.label, "task": self.task, "kind": self.kind,
            "language": self.language, "verdict": self.verdict, "status": self.status, "attempts": self.attempts,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens, "tokens": self.tokens,
            "cost": None if self.cost is None else round(self.cost, 6), "cost_text": cost_words(self.cost),
            "seconds": round(self.seconds, 3), "collateral_lines": self.collateral_lines,
            "files": list(self.files), "check": None if self.check is None else self.check.to_json(),
            "check_note": self.check_note, "failure": self.failure,
            "errors": [{"attempt": attempt, "reason": reason} for attempt, reason in self.errors],
        }


def cost_words(cost: float | None) -> str:
    return "unknown" if cost is None else f"${cost:.4f}"


@dataclass(frozen=True)
class Summary:
    """The figures of a group of runs: one model's, or one model's on one kind or language."""

    model: str
    group: str  # "all", a kind (code, config, docs) or a language
    tasks: int
    counts: Mapping[Verdict, int]
    collateral_lines: int
    tokens: int
    cost: float | None  # None when any run's cost is unknown
    seconds: float
    attempts: int

    @property
    def solved(self) -> int:
        return self.counts["exact"] + self.counts["equivalent"]

    @property
    def solved_rate(self) -> float:
        return self.solved / self.tasks if self.tasks else 0.0

    def sort_key(self) -> tuple[float, ...]:
        """Best first: more solved, more exact, fewer collateral lines, cheaper, faster."""
        cost = math.inf if self.cost is None else self.cost
        return (-self.solved_rate, -self.counts["exact"], self.collateral_lines, cost, self.seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "tasks": self.tasks, **{v: self.counts[v] for v in VERDICTS},
            "solved": self.solved, "solved_rate": round(self.solved_rate, 4),
            "collateral_lines": self.collateral_lines, "tokens": self.tokens,
            "cost": None if self.cost is None else round(self.cost, 6), "cost_text": cost_words(self.cost),
            "seconds": round(self.seconds, 3), "attempts": self.attempts,
        }

    def evidence(self) -> str:
        return (f"solved {self.solved}/{self.tasks} ({self.counts['exact']} exact, {self.counts['equivalent']} "
                f"equivalent), {self.collateral_lines} collateral lines, {self.attempts} attempts, "
                f"{self.tokens} tokens, {cost_words(self.cost)}, {self.seconds:.1f}s")


def summarise(model: str, group: str, runs: Sequence[RunResult]) -> Summary:
    costs = [r.cost for r in runs]
    return Summary(
        model=model, group=group, tasks=len(runs), counts={v: sum(1 for r in runs if r.verdict == v) for v in VERDICTS},
        collateral_lines=sum(r.collateral_lines or 0 for r in runs), tokens=sum(r.tokens for r in runs),
        cost=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        seconds=sum(r.seconds for r in runs), attempts=sum(r.attempts for r in runs),
    )


def ranked(runs: Sequence[RunResult], models: Sequence[str]) -> list[Summary]:
    summaries = [summarise(m, "all", [r for r in runs if r.model == m]) for m in models]
    return sorted(summaries, key=Summary.sort_key)


def grouped(runs: Sequence[RunResult], models: Sequence[str], key: Callable[[RunResult], str]) -> list[Summary]:
    rows: list[Summary] = []
    for model in models:
        mine = [r for r in runs if r.model == model]
        for group in sorted({key(r) for r in mine}):
            rows.append(summarise(model, group, [r for r in mine if key(r) == group]))
    return rows


@dataclass(frozen=True)
class Routing:
    models: Mapping[str, str]  # task -> spec, for [models]
    evidence: Mapping[str, str]  # task -> why
    reason: str | None = None  # why nothing is suggested

    def toml(self) -> str:
        if not self.models:
            return ""
        lines = ["[models]"] + [f'{task} = "{spec}"  # {self.evidence[task]}' for task, spec in self.models.items()]
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {"models": dict(self.models), "evidence": dict(self.evidence), "reason": self.reason,
                "toml": self.toml()}


def suggest_routing(ranking: Sequence[Summary]) -> Routing:
    """edit and retry: the best model. pair (a person waits on every turn): the fastest model per
    task that solves nearly as many (PAIR_SLACK). review is not measured here, so not suggested."""
    if not ranking or ranking[0].solved == 0:
        return Routing({}, {}, "no model solved a task, so the figures suggest no routing")
    best = ranking[0]
    close = [s for s in ranking if s.solved > 0 and s.solved_rate >= best.solved_rate - PAIR_SLACK]
    fastest = min(close, key=lambda s: (s.seconds / max(s.tasks, 1), s.sort_key()))
    pair_why = ("as solid as the best and faster per turn: " if fastest is not best else "") + fastest.evidence()
    return Routing({"edit": best.model, "retry": best.model, "pair": fastest.model},
                   {"edit": best.evidence(), "retry": "the best at edits also takes the retries",
                    "pair": pair_why})


def compare(previous: Mapping[str, Any] | None, now: Sequence[Summary], runs: Sequence[RunResult]
            ) -> dict[str, Any] | None:
    """This run beside the previous one: per model, solved / exact / cost / seconds before and now, and
    every task (by commit) whose verdict changed."""
    if not previous:
        return None
    before = {row["model"]: row for row in previous.get("models", []) if isinstance(row, dict)}
    models = []
    for summary in now:
        old = before.get(summary.model)
        if old is None:
            continue
        current = summary.to_json()
        models.append({"model": summary.model, **{
            key: {"before": old.get(key), "now": current[key]} for key in ("solved", "exact", "tasks", "cost", "seconds")}})
    old_verdicts = {(r.get("model"), r.get("task")): r.get("verdict") for r in previous.get("runs", [])
                    if isinstance(r, dict)}
    changed = [{"model": r.model, "task": r.task, "before": old_verdicts[(r.model, r.task)], "now": r.verdict}
               for r in runs if old_verdicts.get((r.model, r.task)) not in (None, r.verdict)]
    return {"id": previous.get("id"), "time": previous.get("time"), "models": models, "changed": changed}
