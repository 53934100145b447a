"""The usage log: one JSON line per model call in .git/surgeon/usage.jsonl, and its summaries.

A line holds: time (UTC, ISO 8601), day (the local date), task, model (the label people see),
spec, scripted, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
tokens_estimated, seconds, first_token_seconds, attempts, cost (USD, or null when unknown) and
failed (the call broke off after the provider had begun to bill it: its tokens are what had
streamed, its cost is that at the model's price).

The Ledger keeps the spend caps (max_cost per command or pair session, max_cost_per_day over this
log): each request is checked before it is sent, and every billed call is written here as it
happens, failed ones included.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from surgeon.config import Config
from surgeon.errors import SpendCapReached
from surgeon.git import RepoInfo
from surgeon.model.types import Completion

LOG_NAME = "usage.jsonl"
DIMENSIONS = ("day", "task", "model")


def usage_log(repo: RepoInfo) -> Path:
    return repo.surgeon_dir / LOG_NAME


def usage_line(task: str, completion: Completion, when: datetime | None = None, *, failed: bool = False) -> dict[str, Any]:
    when = when or datetime.now(UTC)
    usage = completion.usage
    return {
        "time": when.astimezone(UTC).isoformat(timespec="seconds"),
        "day": when.astimezone().date().isoformat(),
        "task": task,
        "model": completion.label,
        "spec": completion.spec,
        "scripted": completion.scripted,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_tokens": usage.cache_read_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "tokens_estimated": usage.estimated,
        "seconds": round(completion.seconds, 3),
        "first_token_seconds": None if completion.first_token_seconds is None else round(completion.first_token_seconds, 3),
        "attempts": completion.attempts,
        "cost": completion.cost,
        "failed": failed,
    }


def record_usage(repo: RepoInfo, task: str, completion: Completion, *, failed: bool = False) -> None:
    """Append one line for this call. A single write of one short line in append mode, so
    concurrent surgeon processes do not interleave within a line."""
    path = usage_log(repo)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(usage_line(task, completion, failed=failed), sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class UsageRecord:
    time: str
    day: str
    task: str
    model: str
    scripted: bool
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    seconds: float
    first_token_seconds: float | None
    cost: float | None

    def key(self, by: str) -> str:
        return {"day": self.day, "task": self.task, "model": self.model}[by]


def _record(data: Any) -> UsageRecord | None:
    if not isinstance(data, dict):
        return None
    try:
        cost = data.get("cost")
        first = data.get("first_token_seconds")
        return UsageRecord(
            time=str(data["time"]), day=str(data["day"]), task=str(data["task"]), model=str(data["model"]),
            scripted=bool(data.get("scripted", False)),
            input_tokens=int(data.get("input_tokens", 0)), output_tokens=int(data.get("output_tokens", 0)),
            cache_read_tokens=int(data.get("cache_read_tokens", 0)),
            cache_write_tokens=int(data.get("cache_write_tokens", 0)),
            seconds=float(data.get("seconds", 0.0)),
            first_token_seconds=None if first is None else float(first),
            cost=None if cost is None else float(cost),
        )
    except (KeyError, TypeError, ValueError):
        return None


def read_usage(path: Path) -> tuple[list[UsageRecord], int]:
    """The records in the log and how many lines could not be read (they are skipped)."""
    if not path.is_file():
        return [], 0
    records: list[UsageRecord] = []
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = _record(json.loads(line))
            except ValueError:
                record = None
            if record is None:
                skipped += 1
            else:
                records.append(record)
    return records, skipped


@dataclass(frozen=True)
class UsageSummary:
    key: str
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    seconds: float
    cost: float  # sum of the known costs
    unknown_cost_calls: int  # calls whose cost is unknown (not in `cost`)
    scripted_calls: int

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "calls": self.calls, "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens, "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens, "seconds": round(self.seconds, 3),
            "cost": round(self.cost, 6), "unknown_cost_calls": self.unknown_cost_calls,
            "scripted_calls": self.scripted_calls,
        }


def total(records: Iterable[UsageRecord], key: str = "total") -> UsageSummary:
    rows = list(records)
    return UsageSummary(
        key=key, calls=len(rows),
        input_tokens=sum(r.input_tokens for r in rows), output_tokens=sum(r.output_tokens for r in rows),
        cache_read_tokens=sum(r.cache_read_tokens for r in rows),
        cache_write_tokens=sum(r.cache_write_tokens for r in rows),
        seconds=sum(r.seconds for r in rows),
        cost=sum(r.cost for r in rows if r.cost is not None),
        unknown_cost_calls=sum(1 for r in rows if r.cost is None),
        scripted_calls=sum(1 for r in rows if r.scripted),
    )


def summarise(records: Sequence[UsageRecord], by: str) -> list[UsageSummary]:
    """One summary per day, task or model; days newest first, the others by cost then name."""
    if by not in DIMENSIONS:
        raise ValueError(f"summarise by one of {DIMENSIONS}, not {by!r}")
    groups: dict[str, list[UsageRecord]] = {}
    for record in records:
        groups.setdefault(record.key(by), []).append(record)
    rows = [total(group, key) for key, group in groups.items()]
    if by == "day":
        return sorted(rows, key=lambda r: r.key, reverse=True)
    return sorted(rows, key=lambda r: (-r.cost, r.key))


def cost_summary_text(summary: UsageSummary) -> str:
    """"$0.0123", "$0.0123 + 2 calls cost unknown", "cost unknown (3 calls)"."""
    known = summary.calls - summary.unknown_cost_calls
    if summary.unknown_cost_calls and not known:
        return f"cost unknown ({summary.unknown_cost_calls} call{'s' if summary.unknown_cost_calls != 1 else ''})"
    text = f"${summary.cost:.4f}"
    if summary.unknown_cost_calls:
        n = summary.unknown_cost_calls
        text += f" + {n} call{'s' if n != 1 else ''} cost unknown"
    return text


# --- spend caps ---------------------------------------------------------------------------------

def _today() -> str:
    return datetime.now().astimezone().date().isoformat()


@dataclass(frozen=True)
class SpendCaps:
    """max_cost (USD per command; a pair session is one), max_cost_per_day (USD a day over the
    usage log), and whether a model with an unknown price may run under them."""

    max_cost: float | None = None
    max_cost_per_day: float | None = None
    allow_unknown_price: bool = False
    sources: tuple[str, str] = ("default", "default")  # where max_cost and max_cost_per_day came from

    @classmethod
    def from_config(cls, config: Config) -> SpendCaps:
        return cls(config.get("max_cost"), config.get("max_cost_per_day"), bool(config.get("allow_unknown_price")),
                   (config.source("max_cost") or "default", config.source("max_cost_per_day") or "default"))

    @property
    def active(self) -> bool:
        return self.max_cost is not None or self.max_cost_per_day is not None


class Ledger:
    """The model spending of one command or pair session. `spent` starts where a resumed session
    left off. Calls whose cost is unknown count as nothing once allow_unknown_price let them run."""

    def __init__(self, repo: RepoInfo | None, caps: SpendCaps, spent: float = 0.0, scope: str = "this command") -> None:
        self.repo = repo
        self.caps = caps
        self.spent = spent
        self.scope = scope  # "this command", "this pair session": words for the refusal

    def record(self, task: str, completion: Completion, *, failed: bool = False) -> None:
        if self.repo is not None:
            record_usage(self.repo, task, completion, failed=failed)
        self.spent += completion.cost or 0.0

    def billed_failure(self, task: str, completion: Completion) -> None:
        self.record(task, completion, failed=True)

    def spent_today(self) -> float:
        if self.repo is None:
            return self.spent
        records, _skipped = read_usage(usage_log(self.repo))
        today = _today()
        return sum(r.cost for r in records if r.day == today and r.cost is not None)

    def before_send(self, label: str, estimate: float | None) -> None:
        """Raise SpendCapReached when the request could pass a cap; nothing is sent then."""
        caps = self.caps
        if not caps.active:
            return
        if estimate is None:
            if caps.allow_unknown_price:
                return
            which = "max_cost" if caps.max_cost is not None else "max_cost_per_day"
            raise SpendCapReached(
                f"{label}: not sent: its price is unknown, so it could pass {which} (from "
                f"{caps.sources[0 if which == 'max_cost' else 1]}); set its price under [pricing], or "
                "allow_unknown_price = true (SURGEON_ALLOW_UNKNOWN_PRICE=1)")
        limits: tuple[tuple[float | None, str, str, str], ...] = (
            (caps.max_cost, "max_cost", caps.sources[0], self.scope),
            (caps.max_cost_per_day, "max_cost_per_day", caps.sources[1], "today"))
        for cap, name, source, scope in limits:
            if cap is None:
                continue
            so_far = self.spent if name == "max_cost" else self.spent_today()
            if so_far + estimate > cap:
                raise SpendCapReached(
                    f"{label}: not sent: {name} = ${cap:g} (from {source}) could be passed: ${so_far:.4f} spent "
                    f"{scope}, and this request may cost up to ${estimate:.4f}. Raise {name}"
                    f"{' (--max-cost)' if name == 'max_cost' else ''}, or lower max_tokens or budget")
