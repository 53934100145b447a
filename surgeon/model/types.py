"""The values a model call produces: usage, the completion, and progress while it streams."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from surgeon.errors import ModelError

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
class ToolSpec:
    """A read-only tool the model may call before it answers: its name, what it does, and the
    JSON schema of its input."""

    name: str
    description: str
    schema: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    """One request of the model. `error` is set when its input was not a JSON object."""

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    text: str
    is_error: bool = False


@dataclass(frozen=True)
class Tools:
    """The tools offered in a request. `allowed` False: they stay declared (earlier turns used
    them) but the model must answer now (tool_choice none). `text`: the model asks in plain text
    (a ```tool block) instead of the provider's native tool use."""

    specs: tuple[ToolSpec, ...]
    allowed: bool = True
    text: bool = False


# A message: {"role": "user"|"assistant", "content": str}, and, for the context requests of
# an edit, "tool_calls" (assistant: tuple[ToolCall, ...]) or "tool_results" (user: tuple[ToolResult, ...]).
Message = dict[str, Any]


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
    tool_calls: tuple[ToolCall, ...] = ()  # the model asked for more context instead of answering

    @property
    def truncated(self) -> bool:
        """The reply stopped at the output limit (Anthropic "max_tokens", OpenAI "length"): cut
        short, whatever it holds."""
        return self.stop_reason in TRUNCATED_STOPS


TRUNCATED_STOPS = ("max_tokens", "length")


class CallFailed(ModelError):
    """A model call that failed; `billed` holds what the provider had begun to bill for it (the
    usage of the attempts that streamed before breaking off), None when nothing was billed."""

    def __init__(self, message: str, billed: Completion | None = None) -> None:
        super().__init__(message)
        self.billed = billed


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


class Ledger(Protocol):
    """What a provider tells the spend ledger (usage.Ledger): before each request it sends, what
    the request may cost at most (None: the price is unknown), so the ledger can refuse it; and
    each attempt that failed after it was billed."""

    def before_send(self, label: str, estimate: float | None) -> None: ...
    def billed_failure(self, task: str, completion: Completion) -> None: ...


class Provider(Protocol):
    spec: str
    label: str

    def ready(self) -> None:
        """Wait for the SDK (loaded in the background) and build its client; the first request
        would otherwise, inside the time it counts as the model's."""

    def complete(self, system: Sequence[str], messages: Sequence[Message], *, task: str,
                 on_progress: ProgressCallback | None = None, ledger: Ledger | None = None,
                 tools: Tools | None = None) -> Completion: ...
