"""The state of a `surgeon pair` session: frozen values (Session, Turn, Totals) and their JSON form.

Pure: no git, no files, no terminal. The conversation the model sees is conversation.py, what the
person types is commands.py, the session file is store.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from surgeon.errors import UsageError

SESSION_VERSION = 1
DEFAULT_HISTORY_BUDGET = 6000  # tokens of earlier turns sent with each instruction
DEFAULT_KEEP_LAST = 3  # turns always sent verbatim, however long

TurnStatus = Literal["proposed", "accepted", "rejected", "refined", "refused", "cancelled", "failed"]
"""What became of a turn:

- "accepted" | "rejected" | "refined" (set aside for a refined instruction): the person's verdict
  on a proposed diff;
- "refused": no valid diff after every attempt;
- "cancelled": Ctrl-C during the model call;
- "failed": an error stopped the turn (e.g. no model configured);
- "proposed": a diff waiting for the verdict (never saved: the verdict replaces it).
"""


class CallUsage(Protocol):
    """What Totals needs of one model call (an edit.Attempt)."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cost(self) -> float | None: ...


@dataclass(frozen=True)
class Totals:
    """Tokens and cost of every model call the session made (cancelled calls are not counted:
    their usage never came back)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float = 0.0
    calls_without_price: int = 0

    def add(self, attempts: Sequence[CallUsage]) -> Totals:
        """Add the attempts of one EditOutcome (each has tokens and a cost, None when unknown)."""
        priced = [a.cost for a in attempts if a.cost is not None]
        return Totals(
            calls=self.calls + len(attempts),
            input_tokens=self.input_tokens + sum(a.input_tokens for a in attempts),
            output_tokens=self.output_tokens + sum(a.output_tokens for a in attempts),
            cache_read_tokens=self.cache_read_tokens + sum(a.cache_read_tokens for a in attempts),
            cost=round(self.cost + sum(priced), 6),
            calls_without_price=self.calls_without_price + len(attempts) - len(priced),
        )

    @property
    def cost_text(self) -> str:
        """The cost in words: "$0.0123", "unknown" when no call had a price, or "$0.0123 + unknown"
        when some had none (never a price invented for them)."""
        if self.calls and self.calls_without_price == self.calls:
            return "unknown"
        return f"${self.cost:.4f}" + (" + unknown" if self.calls_without_price else "")

    @property
    def cache_share(self) -> float:
        """Share of prompt tokens served from the provider's cache."""
        prompt = self.input_tokens + self.cache_read_tokens
        return self.cache_read_tokens / prompt if prompt else 0.0


@dataclass(frozen=True)
class Turn:
    """One instruction and what became of it (see TurnStatus)."""

    number: int
    instruction: str
    status: TurnStatus
    diff: str = ""  # the validated, normalised diff that was proposed ("" when none)
    files: tuple[str, ...] = ()
    lines_added: int = 0
    lines_removed: int = 0
    reason: str = ""  # why rejected, the refusal reasons, the refined instruction, or the error
    model: str = ""
    commit: str | None = None  # the turn's commit on the session branch, when accepted
    parent: str | None = None  # the session branch tip before the turn, when accepted
    undone: bool = False
    check: str = ""  # outcome of a `t` check on the proposal, e.g. "passed: pytest -q"
    at: str = ""

    @property
    def proposed(self) -> bool:
        return bool(self.diff) and self.status in ("accepted", "rejected", "refined")


@dataclass(frozen=True)
class Session:
    id: str
    branch: str
    base: str  # the commit the session branch started from
    apply: bool  # accepted diffs are written to the working tree (False with --no-apply)
    created: str
    updated: str = ""
    model: str | None = None  # provider:name override; None = the configured model for "pair"
    check: str | None = None
    pinned: tuple[str, ...] = ()
    # Files the model read with its context tools in the last turn it answered: shown (so in the
    # diff's scope) on the next turn too, then dropped unless read again.
    carried: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = ()
    totals: Totals = field(default_factory=Totals)
    history_budget: int = DEFAULT_HISTORY_BUDGET
    keep_last: int = DEFAULT_KEEP_LAST

    @property
    def next_number(self) -> int:
        return len(self.turns) + 1

    def with_turn(self, turn: Turn) -> Session:
        return replace(self, turns=(*self.turns, turn))

    def replace_turn(self, turn: Turn) -> Session:
        return replace(self, turns=tuple(turn if t.number == turn.number else t for t in self.turns))

    @property
    def worth_resuming(self) -> bool:
        """Whether `--resume` would have something to continue: a turn the model's conversation
        includes (a proposal, or a refusal). Pinned files and a chosen model alone are cheap to set
        again; cancelled and failed turns are never sent to the model."""
        return any(t.proposed or t.status == "refused" for t in self.turns)

    def last_accepted(self) -> Turn | None:
        """The turn /undo reverts: the latest accepted turn not undone yet."""
        for turn in reversed(self.turns):
            if turn.status == "accepted" and not turn.undone:
                return turn
        return None

    @property
    def accepted_count(self) -> int:
        """Accepted turns not undone."""
        return sum(1 for t in self.turns if t.status == "accepted" and not t.undone)

    def pin(self, path: str) -> Session:
        return replace(self, pinned=tuple(dict.fromkeys((*self.pinned, path))))

    def unpin(self, path: str) -> Session:
        return replace(self, pinned=tuple(p for p in self.pinned if p != path),
                       carried=tuple(p for p in self.carried if p != path))

    @property
    def in_scope(self) -> tuple[str, ...]:
        """The files the next turn is shown whatever the locator finds: pinned, then carried."""
        return tuple(dict.fromkeys((*self.pinned, *self.carried)))


def new_session(base: str, *, apply: bool, model: str | None, check: str | None, now: datetime,
                session_id: str | None = None, history_budget: int = DEFAULT_HISTORY_BUDGET) -> Session:
    sid = session_id or secrets.token_hex(3)
    stamp = now.isoformat(timespec="seconds")
    return Session(id=sid, branch=f"surgeon/pair-{now:%Y%m%d}-{sid}", base=base, apply=apply, created=stamp,
                   updated=stamp, model=model, check=check, history_budget=history_budget)


def session_to_json(session: Session) -> dict[str, Any]:
    data = asdict(session)
    data["version"] = SESSION_VERSION
    return data


def session_from_json(data: dict[str, Any]) -> Session:
    if data.get("version") != SESSION_VERSION:
        raise UsageError(f"session file version {data.get('version')!r} is not supported (expected {SESSION_VERSION})")
    turns = tuple(Turn(**{**t, "files": tuple(t.get("files", ()))}) for t in data.get("turns", ()))
    fields = {k: v for k, v in data.items() if k not in ("version", "turns", "totals", "pinned", "carried")}
    return Session(**fields, pinned=tuple(data.get("pinned", ())), carried=tuple(data.get("carried", ())), turns=turns,
                   totals=Totals(**data.get("totals", {})))
