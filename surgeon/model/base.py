"""What every network provider shares: the retry loop with backoff that honours retry-after,
progress while a reply streams, and turning usage into cost."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from surgeon.config import Config
from surgeon.errors import ModelError, UsageError
from surgeon.model.pricing import Price, cost, price_for
from surgeon.model.routing import ProviderName
from surgeon.model.types import Completion, Phase, Progress, ProgressCallback, Usage

if TYPE_CHECKING:  # the SDKs are imported when a provider is built, not with this module
    import anthropic
    import openai

ROLES = ("user", "assistant")
PROGRESS_INTERVAL = 0.1  # seconds between progress callbacks while tokens stream


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


@dataclass
class RawReply:
    text: str
    model: str
    usage: Usage
    stop_reason: str | None


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
        self._last = 0.0

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
        if self.on_progress is None:
            return
        now = self.clock()
        if not force and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        self.on_progress(Progress(
            label=self.label, phase=phase, elapsed=now - self.started, output_tokens=self.output_tokens(),
            characters=self.characters, first_token_seconds=self.first_token, message=message,
        ))


def check_messages(system: Sequence[str], messages: Sequence[dict[str, str]]) -> None:
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
    """Base for providers reached over HTTP through an SDK client. Subclasses set `_errors` (the
    SDK's exception classes), `client` and `key_hint` (the variable that holds the key), and
    implement _call."""

    provider: ProviderName
    key_hint = ""
    _errors: SdkErrors
    client: anthropic.Anthropic | openai.OpenAI

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
        self.max_tokens = int(config.get("max_tokens", 4096))
        if self.timeout <= 0 or self.max_tokens <= 0:
            raise UsageError("model_timeout and max_tokens must be positive")
        self.pricing_table = config.table("pricing")
        self.price: Price | None = price_for(self.spec, self.pricing_table)

    # subclasses
    def _call(self, system: list[str], messages: list[dict[str, str]], tracker: Tracker) -> RawReply:
        raise NotImplementedError

    def _stream_error_retryable(self, exc: Exception) -> bool:
        """An error event in the middle of a stream (HTTP 200): worth another try?"""
        return False

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
    def complete(self, system: Sequence[str], messages: list[dict[str, str]], *, task: str,
                 on_progress: ProgressCallback | None = None) -> Completion:
        check_messages(system, messages)
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            tracker = Tracker(self.label, started, on_progress, self.clock)
            tracker.waiting()
            try:
                raw = self._call([s for s in system if s], messages, tracker)
                break
            except Exception as exc:
                failure = self._classify(exc)
                if failure is None:
                    raise
                retries_used = attempt - 1
                if not failure.retryable:
                    raise ModelError(f"{self.label}: {failure.message}") from exc
                if retries_used >= self.retry.retries:
                    raise ModelError(
                        f"{self.label}: {failure.message}; gave up after {attempt} attempt(s) "
                        f"(model_retries = {self.retry.retries}). Try again later, or raise model_retries."
                    ) from exc
                wait = self.retry.delay(retries_used + 1, failure.retry_after)
                tracker.retrying(f"{failure.message}; retry {retries_used + 1} of {self.retry.retries} in {wait:.1f}s")
                self.sleep(wait)
        tracker.reported_output = raw.usage.output_tokens
        tracker.done()
        price = self.price
        if price is None and raw.model and raw.model != self.name:
            price = price_for(f"{self.provider}:{raw.model}", self.pricing_table)
        return Completion(
            text=raw.text, model=raw.model or self.name, label=self.label, usage=raw.usage,
            seconds=self.clock() - started, first_token_seconds=tracker.first_token,
            cost=cost(raw.usage, price), spec=self.spec, stop_reason=raw.stop_reason, attempts=attempt,
        )


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
