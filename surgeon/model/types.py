"""The values a model call produces: usage, the completion, and progress while it streams."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

# Where a model call is: no token yet, tokens arriving, waiting to retry, finished.
Phase = Literal["waiting", "streaming", "retrying", "done"]


@dataclass(frozen=True)
class Usage:
    """Tokens of one call. `input_tokens` are the ones billed at the plain input rate: cache reads
    and cache writes are counted apart, whatever the provider's own convention."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    estimated: bool = False  # the provider reported no usage; counts are characters / 4

    @property
    def prompt_tokens(self) -> int:
        """Everything the model read: plain input plus cache reads and writes."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True)
class Completion:
    text: str
    model: str  # the model that answered, as the provider named it ("scripted replies" for script:)
    label: str  # what people see: "anthropic:claude-sonnet-5-5", "script:demo.json (scripted replies)"
    usage: Usage
    seconds: float
    first_token_seconds: float | None
    cost: float | None  # USD; None = the price is unknown (shown as "cost unknown", never guessed)
    spec: str = ""  # provider:name as routed
    scripted: bool = False
    stop_reason: str | None = None  # "end_turn", "max_tokens" (the reply was cut short), ...
    attempts: int = 1  # 1 + the retries it took


@dataclass(frozen=True)
class Progress:
    """A snapshot while a call runs, for the stderr progress line."""

    label: str
    phase: Phase
    elapsed: float
    output_tokens: int  # as reported by the provider when it says, else estimated from characters
    characters: int = 0
    first_token_seconds: float | None = None
    message: str | None = None  # e.g. "HTTP 529 overloaded; retry 1 of 4 in 0.5s"


ProgressCallback = Callable[[Progress], None]


class Provider(Protocol):
    spec: str
    label: str

    def complete(self, system: Sequence[str], messages: list[dict[str, str]], *, task: str,
                 on_progress: ProgressCallback | None = None) -> Completion: ...
