"""One model answer of an edit, with the context requests the model makes before it: each reply
that calls tools gets their results and is asked again, up to `context_requests` rounds and
`context_budget` tokens of results for the whole edit. After that the tools stay declared (earlier
turns used them) but may not be called, and the request says so."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from surgeon.edit.tools import SPECS, ContextTools
from surgeon.model import Completion, ProgressCallback, Provider, SpendLedger
from surgeon.model.types import Message, ToolResult, Tools
from surgeon.tokens import estimate_tokens

NO_MORE = ("That was the last context request this edit allows (context_requests = {rounds}, context_budget = "
           "{budget} tokens). Do not ask for more: answer now with the unified diff, from what you were shown.")
CUT = "\n(cut here: the context_budget of this edit is used up)"


@dataclass(frozen=True)
class ContextRequest:
    tool: str
    arguments: dict[str, Any]
    tokens: int  # tokens of the result that went back to the model
    error: bool = False


class Asker:
    """The context requests of one edit: how many rounds and tokens are left, and running them."""

    def __init__(self, tools: ContextTools, *, rounds: int, budget: int, mode: str) -> None:
        self.tools = tools
        self.rounds = rounds
        self.budget = budget
        self.mode = mode  # auto, native, text
        self.rounds_used = 0
        self.tokens_used = 0

    def offer(self, provider: Provider) -> Tools | None:
        if self.rounds <= 0:
            return None
        text = self.mode == "text" or provider.spec.startswith("script:")
        return Tools(SPECS, allowed=self.rounds_used < self.rounds and self.tokens_used < self.budget, text=text)

    def ask(self, provider: Provider, system: Sequence[str], messages: list[Message], *, task: str,
            ledger: SpendLedger, on_progress: ProgressCallback | None = None
            ) -> tuple[Completion, tuple[ContextRequest, ...]]:
        """The model's answer; `messages` gains each round of requests and results."""
        requests: list[ContextRequest] = []
        rounds: list[Completion] = []
        while True:
            tools = self.offer(provider)
            completion = provider.complete(system, messages, task=task, on_progress=on_progress, ledger=ledger,
                                           tools=tools)
            ledger.record(task, completion)
            rounds.append(completion)
            if tools is None or not tools.allowed or not completion.tool_calls or completion.truncated:
                return _combined(rounds), tuple(requests)
            self.rounds_used += 1
            messages.append({"role": "assistant", "content": completion.text, "tool_calls": completion.tool_calls})
            results = []
            for call in completion.tool_calls:
                text, failed = self._run(call)
                tokens = estimate_tokens(text)
                self.tokens_used += tokens
                if text.endswith(CUT):  # what is left would not hold a useful result
                    self.tokens_used = max(self.tokens_used, self.budget)
                results.append(ToolResult(call.id, text, failed))
                requests.append(ContextRequest(call.name, dict(call.arguments), tokens, failed))
            offer = self.offer(provider)
            last = offer is None or not offer.allowed
            note = NO_MORE.format(rounds=self.rounds, budget=self.budget) if last else ""
            messages.append({"role": "user", "content": note, "tool_results": tuple(results)})

    def _run(self, call: Any) -> tuple[str, bool]:
        left = self.budget - self.tokens_used
        if left <= estimate_tokens(CUT):
            self.tokens_used = self.budget
            return "error: the context_budget of this edit is used up; answer with the diff", True
        text, failed = self.tools.run(call)
        if estimate_tokens(text) <= left:
            return text, failed
        kept: list[str] = []
        for line in text.splitlines():
            if estimate_tokens("\n".join([*kept, line]) + CUT) > left:
                break
            kept.append(line)
        return "\n".join(kept) + CUT, failed


def _combined(rounds: list[Completion]) -> Completion:
    """The last reply, with the usage, cost and time of every round that led to it."""
    last = rounds[-1]
    if len(rounds) == 1:
        return last
    usage = rounds[0].usage
    for completion in rounds[1:]:
        usage = usage + completion.usage
    costs = [c.cost for c in rounds]
    total = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
    return replace(last, usage=usage, cost=total, seconds=sum(c.seconds for c in rounds),
                   attempts=sum(c.attempts for c in rounds))
