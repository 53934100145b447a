"""What every network provider shares: the retry loop with backoff that honours retry-after,
progress while a reply streams, turning usage into cost, the overall deadline of a call
(model_deadline: a stream that keeps sending nothing useful is cut off, whatever model_timeout,
which is per read, allows) and the spend ledger (each request checked before it is sent, each
attempt that broke off after it was billed recorded)."""

from __future__ import annotations

import gc
import importlib
import json
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from surgeon.config import Config
from surgeon.errors import UsageError
from surgeon.model.pricing import Price, cost, cost_bound, price_for
from surgeon.model.routing import ProviderName
from surgeon.model.tooltext import as_plain, instructions, message_text, parse_requests
from surgeon.model.types import (
    CallFailed,
    Completion,
    Ledger,
    Message,
    Phase,
    Progress,
    ProgressCallback,
    ToolCall,
    Tools,
    Usage,
)
from surgeon.tokens import estimate_tokens

if TYPE_CHECKING:  # the SDKs are imported when a provider is built, not with this module
    import anthropic
    import openai

ROLES = ("user", "assistant")
PROGRESS_INTERVAL = 0.1  # seconds between progress callbacks while tokens stream
DEADLINE_TIMEOUTS = 5  # model_deadline defaults to this many times model_timeout


def _import_early(module: str) -> None:
    """Load an SDK ahead of its first use; an import that fails fails again, with its error, where
    the provider builds its client. What an import makes (a million objects for anthropic) lives on,
    so the cyclic collector, which would walk it again and again as it grows, is paused meanwhile and
    then kept out of it for good (frozen)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        importlib.import_module(module)
    except Exception:  # noqa: BLE001 - reported by the import that needs it
        pass
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class RetryPolicy:
    """Retries after 429, 5xx (529 overloaded included) and connection errors. The wait is what
    the server asked for in retry-after (capped at max_retry_after), else base_delay doubled per
    retry up to max_delay, less up to a quarter of random jitter."""

    retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0

    @classmethod
    def from_config(cls, config: Config) -> RetryPolicy:
        retries = int(config.get("model_retries", 4))
        backoff = float(config.get("model_backoff", 0.5))
        if retries < 0 or backoff < 0:
            raise UsageError("model_retries and model_backoff must not be negative")
        return cls(retries=retries, base_delay=backoff)

    def delay(self, retry: int, retry_after: float | None, jitter: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        backoff = min(self.base_delay * 2.0 ** (retry - 1), self.max_delay)
        return backoff * (1 - 0.25 * jitter())


@dataclass(frozen=True)
class Failure:
    """A provider error, classified."""

    message: str  # one line, for people and logs
    retryable: bool
    retry_after: float | None = None


@dataclass(frozen=True)
class SdkErrors:
    """The exception classes of a provider's SDK that _classify tells apart (the anthropic and
    openai SDKs have the same ones)."""

    timeout: type[Exception]
    connection: type[Exception]
    status: type[anthropic.APIStatusError] | type[openai.APIStatusError]
    validation: type[Exception]


class MalformedReply(Exception):
    """The provider answered, but not in the shape its API promises."""


class DeadlinePassed(Exception):
    """The call's overall deadline (model_deadline) passed before the reply was complete."""


@dataclass
class RawReply:
    text: str
    model: str
    usage: Usage
    stop_reason: str | None
    tool_calls: tuple[ToolCall, ...] = ()


class Tracker:
    """Counts what streamed in during one attempt and reports progress, at most every 0.1 s."""

    def __init__(self, label: str, started: float, on_progress: ProgressCallback | None,
                 clock: Callable[[], float]) -> None:
        self.label = label
        self.started = started  # when complete() was called
        self.attempt_started = clock()
        self.on_progress = on_progress
        self.clock = clock
        self.characters = 0
        self.reported_output: int | None = None
        self.first_token: float | None = None  # seconds from the attempt's start
        self.billed_input: int | None = None  # set once the provider has begun to bill the attempt
        self.close: Callable[[], object] | None = None  # closes the open stream
        self.abandoned = False  # past the deadline: the worker's late progress is not shown
        self._last = 0.0

    def billing(self, input_tokens: int) -> None:
        """The provider accepted the request and began to answer (and to bill)."""
        if self.billed_input is None:
            self.billed_input = input_tokens

    def abandon(self) -> None:
        self.abandoned = True
        if self.close is not None:
            try:
                self.close()
            except Exception:  # noqa: BLE001 - a stream that will not close is left to the daemon thread
                pass

    def waiting(self) -> None:
        self._emit("waiting", force=True)

    def delta(self, text: str) -> None:
        if self.first_token is None:
            self.first_token = self.clock() - self.attempt_started
        self.characters += len(text)
        self._emit("streaming")

    def output_tokens(self) -> int:
        return self.reported_output if self.reported_output is not None else self.characters // 4

    def retrying(self, message: str) -> None:
        self._emit("retrying", force=True, message=message)

    def done(self) -> None:
        self._emit("done", force=True)

    def _emit(self, phase: Phase, force: bool = False, message: str | None = None) -> None:
        if self.on_progress is None or self.abandoned:
            return
        now = self.clock()
        if not force and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        self.on_progress(Progress(
            label=self.label, phase=phase, elapsed=now - self.started, output_tokens=self.output_tokens(),
            characters=self.characters, first_token_seconds=self.first_token, message=message,
        ))


def check_messages(system: Sequence[str], messages: Sequence[Message]) -> None:
    if isinstance(system, str):
        raise TypeError("system must be a sequence of text blocks, not one string")
    if not messages:
        raise ValueError("messages must hold at least one user message")
    for message in messages:
        if message.get("role") not in ROLES or not isinstance(message.get("content"), str):
            raise ValueError(f"each message needs role user|assistant and text content, got {message!r}")
    if messages[0]["role"] != "user":
        raise ValueError("the first message must be the user's")


class NetworkProvider:
    """Base for providers reached over HTTP through an SDK client. Subclasses name their SDK
    (`sdk_module`) and `key_hint` (the variable that holds the key), check their settings in
    __init__, build the client and the SDK's exception classes in _connect, and implement _call.
    The SDK takes most of a second to import: it is imported on a background thread from
    __init__, so that it loads while locate runs, and the client is built on first use."""

    provider: ProviderName
    key_hint = ""
    sdk_module = ""
    # OpenAI-compatible servers may not take tools (a model without tool support in Ollama, vLLM
    # without a tool parser): such a rejection turns the tools into the plain-text format.
    tools_fallback = False
    tools_as_text = False

    def __init__(self, name: str, config: Config, *, retry: RetryPolicy | None = None, stream: bool = True,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.spec = f"{self.provider}:{name}"
        self.label = self.spec
        self.config = config
        self.retry = retry or RetryPolicy.from_config(config)
        self.stream = stream
        self.sleep = sleep
        self.clock = clock
        self.timeout = float(config.get("model_timeout", 120.0))
        self.deadline = float(config.get("model_deadline") or DEADLINE_TIMEOUTS * self.timeout)
        self.max_tokens = int(config.get("max_tokens", 4096))
        if self.timeout <= 0 or self.max_tokens <= 0 or self.deadline <= 0:
            raise UsageError("model_timeout, model_deadline and max_tokens must be positive")
        self.pricing_table = config.table("pricing")
        self.price: Price | None = price_for(self.spec, self.pricing_table)
        self._sdk: tuple[Any, SdkErrors] | None = None
        self._sdk_lock = threading.Lock()
        if self.sdk_module and self.sdk_module not in sys.modules:
            threading.Thread(target=_import_early, args=(self.sdk_module,), daemon=True,
                             name=f"import {self.sdk_module}").start()

    @property
    def client(self) -> Any:
        return self._connected()[0]

    @property
    def _errors(self) -> SdkErrors:
        return self._connected()[1]

    def ready(self) -> None:
        self._connected()

    def _connected(self) -> tuple[Any, SdkErrors]:
        with self._sdk_lock:
            if self._sdk is None:
                self._sdk = self._connect()
            return self._sdk

    # subclasses
    def _connect(self) -> tuple[Any, SdkErrors]:
        """The SDK client and the SDK's exception classes."""
        raise NotImplementedError

    def _call(self, system: list[str], messages: Sequence[Message], tracker: Tracker, tools: Tools | None) -> RawReply:
        raise NotImplementedError

    def _stream_error_retryable(self, exc: Exception) -> bool:
        """An error event in the middle of a stream (HTTP 200): worth another try?"""
        return False

    def _rejects_tools(self, exc: Exception) -> bool:
        """The server refused the request because it carried tools (HTTP 4xx naming them)."""
        if not self.tools_fallback or not isinstance(exc, self._errors.status):
            return False
        detail = error_detail(getattr(exc, "body", None), str(exc)).lower()
        return exc.status_code in (400, 404, 422, 500, 501) and "tool" in detail

    def _classify(self, exc: Exception) -> Failure | None:
        """What an SDK exception means: retry or not, and the words a person reads. The anthropic
        and openai SDKs share these exception names. None: not ours, let it propagate."""
        errors = self._errors
        where = self.client.base_url
        if isinstance(exc, errors.timeout):
            return timeout_failure(self.timeout)
        if isinstance(exc, errors.connection):
            return Failure(f"could not reach {where}: {exc.__cause__ or exc}", True)
        if isinstance(exc, errors.status):
            detail = error_detail(getattr(exc, "body", None), str(exc))
            if exc.status_code == 200:
                return Failure(f"the stream broke off: {detail}", self._stream_error_retryable(exc))
            return status_failure(exc.status_code, detail, exc.response.headers, key_hint=self.key_hint)
        if isinstance(exc, MalformedReply | json.JSONDecodeError | errors.validation):
            return Failure(f"malformed reply from {where}: {exc}", False)
        return transport_failure(exc, self.timeout, where)

    # the loop
    def complete(self, system: Sequence[str], messages: Sequence[Message], *, task: str,
                 on_progress: ProgressCallback | None = None, ledger: Ledger | None = None,
                 tools: Tools | None = None) -> Completion:
        check_messages(system, messages)
        self._connected()  # the SDK (loaded in the background) and its client, before the deadline starts
        if tools is not None and not tools.text and self.tools_as_text:
            tools = replace(tools, text=True)
        started = self.clock()
        deadline_at = started + self.deadline
        blocks = [s for s in system if s]
        text_tools = tools if tools is not None and tools.text else None
        if text_tools is not None:  # the requests are written as text: the API sees plain messages
            blocks, messages, tools = [*blocks, instructions(text_tools)], as_plain(messages), None
        bound = cost_bound(estimate_tokens("".join(blocks) + "".join(message_text(m) for m in messages)),
                           self.max_tokens, self.price)
        billed: Completion | None = None  # the attempts that broke off after billing began
        attempt = 0
        while True:
            attempt += 1
            tracker = Tracker(self.label, started, on_progress, self.clock)
            if ledger is not None:
                ledger.before_send(self.label, bound)
            tracker.waiting()
            try:
                raw = self._within(deadline_at, blocks, messages, tracker, tools)
                break
            except Exception as exc:
                failure = deadline_failure(self.deadline) if isinstance(exc, DeadlinePassed) else self._classify(exc)
                if failure is None:
                    raise
                lost = self._billed(tracker, started)
                if lost is not None:
                    if ledger is not None:
                        ledger.billed_failure(task, lost)
                    billed = lost if billed is None else _added(billed, lost)
                retries_used = attempt - 1
                if tools is not None and self._rejects_tools(exc):
                    # A server without tool support: the same request again, the tools as text, and
                    # every later request of this provider so too.
                    self.tools_as_text = True
                    tracker.retrying(f"{failure.message}; asking again with the context tools written as text")
                    return self.complete(system, messages, task=task, on_progress=on_progress, ledger=ledger,
                                         tools=tools)
                if not failure.retryable:
                    raise CallFailed(f"{self.label}: {failure.message}", billed) from exc
                if retries_used >= self.retry.retries:
                    raise CallFailed(
                        f"{self.label}: {failure.message}; gave up after {attempt} attempt(s) "
                        f"(model_retries = {self.retry.retries}). Try again later, or raise model_retries.", billed
                    ) from exc
                wait = self.retry.delay(retries_used + 1, failure.retry_after)
                if self.clock() + wait >= deadline_at:
                    raise CallFailed(f"{self.label}: {failure.message}; no time left for retry {retries_used + 1} "
                                     f"within model_deadline = {self.deadline:g}s", billed) from exc
                tracker.retrying(f"{failure.message}; retry {retries_used + 1} of {self.retry.retries} in {wait:.1f}s")
                self.sleep(wait)
        tracker.reported_output = raw.usage.output_tokens
        tracker.done()
        price = self.price
        if price is None and raw.model and raw.model != self.name:
            price = price_for(f"{self.provider}:{raw.model}", self.pricing_table)
        calls = raw.tool_calls
        if text_tools is not None and text_tools.allowed:
            calls = parse_requests(raw.text)
        return Completion(
            text=raw.text, model=raw.model or self.name, label=self.label, usage=raw.usage,
            seconds=self.clock() - started, first_token_seconds=tracker.first_token,
            cost=cost(raw.usage, price), spec=self.spec, stop_reason=raw.stop_reason, attempts=attempt,
            tool_calls=calls,
        )

    def _within(self, deadline_at: float, system: list[str], messages: Sequence[Message],
                tracker: Tracker, tools: Tools | None) -> RawReply:
        """_call in a worker thread, given until `deadline_at`: a server that streams empty
        deltas or keep-alives forever never trips the per-read timeout, so the wait is bounded here."""
        remaining = deadline_at - self.clock()
        if remaining <= 0:
            raise DeadlinePassed()
        outcome: dict[str, RawReply] = {}
        failed: list[BaseException] = []

        def work() -> None:
            try:
                outcome["reply"] = self._call(system, messages, tracker, tools)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as is
                failed.append(exc)

        worker = threading.Thread(target=work, name=f"surgeon-model-{self.spec}", daemon=True)
        worker.start()
        try:
            worker.join(remaining)
        except BaseException:  # Ctrl-C while waiting: stop the stream too
            tracker.abandon()
            raise
        if worker.is_alive():
            tracker.abandon()
            raise DeadlinePassed()
        if failed:
            raise failed[0]
        return outcome["reply"]

    def _billed(self, tracker: Tracker, started: float) -> Completion | None:
        """What an attempt that broke off after billing began cost: its input tokens as reported
        (else estimated) and the output that had streamed, at the model's price."""
        if tracker.billed_input is None:
            return None
        usage = Usage(input_tokens=tracker.billed_input, output_tokens=tracker.output_tokens(), estimated=True)
        return Completion(
            text="", model=self.name, label=self.label, usage=usage, seconds=self.clock() - started,
            first_token_seconds=tracker.first_token, cost=cost(replace(usage, estimated=False), self.price),
            spec=self.spec, stop_reason="error",
        )


def _added(first: Completion, second: Completion) -> Completion:
    both = None if first.cost is None or second.cost is None else first.cost + second.cost
    return replace(second, usage=first.usage + second.usage, cost=both, attempts=first.attempts + second.attempts)


def deadline_failure(deadline: float) -> Failure:
    return Failure(f"no complete reply within {deadline:g}s (model_deadline); the stream was cut off. "
                   "Raise model_deadline, or try again", False)


def retry_after_seconds(headers: object) -> float | None:
    """retry-after-ms, else retry-after in seconds (HTTP dates are not used by model APIs)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


RETRYABLE_STATUS = frozenset({408, 409, 429})


def status_failure(status: int, detail: str, headers: object, *, key_hint: str) -> Failure:
    """A failure for an HTTP error status, with a message that says what to do."""
    retry_after = retry_after_seconds(headers)
    retryable = status in RETRYABLE_STATUS or status >= 500
    if status == 429:
        what = "rate limited (HTTP 429)"
    elif status == 529:
        what = "overloaded (HTTP 529)"
    elif status in (401, 403):
        return Failure(f"authentication failed (HTTP {status}): {detail}. Check {key_hint}.", False)
    elif status == 404:
        return Failure(f"not found (HTTP 404): {detail}. Check the model name (--model provider:name).", False)
    elif status >= 500:
        what = f"server error (HTTP {status})"
    else:
        what = f"request rejected (HTTP {status})"
    return Failure(f"{what}: {detail}" if detail else what, retryable, retry_after)


def error_detail(body: object, fallback: str) -> str:
    """The message inside an API error body ({"error": {"message": ...}} in both APIs)."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            kind = inner.get("type")
            return f"{kind}: {inner['message']}" if kind else str(inner["message"])
    return fallback.splitlines()[0][:300] if fallback else ""


def timeout_failure(timeout: float) -> Failure:
    return Failure(f"no answer within {timeout:g}s (model_timeout); raise model_timeout or try again", False)


def transport_failure(exc: Exception, timeout: float, where: object) -> Failure | None:
    """Errors of the HTTP layer that reach us unwrapped, which happens while a stream is read."""
    import httpx2

    if isinstance(exc, httpx2.TimeoutException):
        return timeout_failure(timeout)
    if isinstance(exc, httpx2.TransportError):
        return Failure(f"the connection to {where} broke off: {exc or type(exc).__name__}", True)
    return None
