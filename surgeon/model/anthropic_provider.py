"""anthropic:<model> through the anthropic SDK's Messages API.

The SDK reads ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) and ANTHROPIC_BASE_URL as usual. Its
own retries are off: the retry loop in base.py handles 429/5xx/529 and connection errors, so the
progress line can say what is happening. The system blocks are marked for prompt caching
(cache_control ephemeral) on the first and the last block: the first is the fixed instructions,
the last closes the stable context. The last two messages carry a breakpoint too: the last one
writes the whole conversation so far to the cache, and the one before it (the end of earlier turns,
or the previous attempt) is where the next call, which only appends, finds it again.
At most four breakpoints, as the API allows.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from surgeon.config import Config
from surgeon.errors import ModelNotConfigured
from surgeon.model.base import (
    MalformedReply,
    NetworkProvider,
    RawReply,
    SdkErrors,
    Tracker,
)
from surgeon.model.routing import ProviderName
from surgeon.model.types import Usage

if TYPE_CHECKING:
    import anthropic


class AnthropicProvider(NetworkProvider):
    provider: ProviderName = "anthropic"
    key_hint = "ANTHROPIC_API_KEY"
    client: anthropic.Anthropic

    def __init__(self, name: str, config: Config, **options: Any) -> None:
        super().__init__(name, config, **options)
        if not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")
                or os.environ.get("ANTHROPIC_PROFILE")):
            raise ModelNotConfigured(
                f"{self.spec} needs an Anthropic API key: set ANTHROPIC_API_KEY (or pick another model with "
                "--model openai:NAME with OPENAI_API_KEY, or openai-compatible:NAME with SURGEON_OPENAI_BASE_URL)"
            )
        import anthropic

        self._errors = SdkErrors(anthropic.APITimeoutError, anthropic.APIConnectionError, anthropic.APIStatusError,
                                 anthropic.APIResponseValidationError)
        self.client = anthropic.Anthropic(
            max_retries=0, timeout=anthropic.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
        )

    def _params(self, system: list[str], messages: list[dict[str, str]]) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [{"type": "text", "text": text} for text in system]
        if blocks:
            blocks[0]["cache_control"] = {"type": "ephemeral"}
            blocks[-1]["cache_control"] = {"type": "ephemeral"}
        params: dict[str, Any] = {
            "model": self.name,
            "max_tokens": self.max_tokens,
            "messages": [_message(m, cached=i >= len(messages) - 2) for i, m in enumerate(messages)],
        }
        if blocks:
            params["system"] = blocks
        return params

    def _call(self, system: list[str], messages: list[dict[str, str]], tracker: Tracker) -> RawReply:
        params = self._params(system, messages)
        if not self.stream:
            message = self.client.messages.create(**params)
            content = getattr(message, "content", None)
            usage = getattr(message, "usage", None)
            if not isinstance(content, list) or usage is None:
                raise MalformedReply("the reply has no content or no usage")
            text = "".join(getattr(block, "text", "") for block in content if getattr(block, "type", "") == "text")
            tracker.delta(text)
            return RawReply(text, getattr(message, "model", "") or self.name, _usage(usage),
                            getattr(message, "stop_reason", None))

        parts: list[str] = []
        usage_fields: dict[str, int] = {}
        model, stop_reason, finished = self.name, None, False
        with self.client.messages.create(**params, stream=True) as events:
            for event in events:
                kind = getattr(event, "type", None)
                if kind == "message_start":
                    message = event.message
                    model = getattr(message, "model", None) or model
                    usage_fields.update(_usage_fields(getattr(message, "usage", None)))
                elif kind == "content_block_delta":
                    delta = event.delta
                    piece = getattr(delta, "text", None) if getattr(delta, "type", "") == "text_delta" else None
                    if piece:
                        parts.append(piece)
                        tracker.delta(piece)
                    elif getattr(delta, "type", "") == "thinking_delta":
                        tracker.delta("")  # tokens are being produced even if none of them are text
                elif kind == "message_delta":
                    stop_reason = getattr(event.delta, "stop_reason", None) or stop_reason
                    fields = _usage_fields(getattr(event, "usage", None))
                    usage_fields.update(fields)
                    if "output_tokens" in fields:
                        tracker.reported_output = fields["output_tokens"]
                elif kind == "message_stop":
                    finished = True
        if not finished:
            raise MalformedReply("the stream ended before message_stop")
        if "input_tokens" not in usage_fields:
            raise MalformedReply("the stream reported no usage")
        return RawReply("".join(parts), model, _usage_from_fields(usage_fields), stop_reason)

    def _stream_error_retryable(self, exc: Exception) -> bool:
        body = getattr(exc, "body", None)
        kind = body.get("error", {}).get("type") if isinstance(body, dict) else None
        return kind in ("overloaded_error", "api_error", "rate_limit_error")


def _usage_fields(usage: object) -> dict[str, int]:
    if usage is None:
        return {}
    names = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    return {name: int(value) for name in names if isinstance(value := getattr(usage, name, None), int)}


def _usage_from_fields(fields: dict[str, int]) -> Usage:
    return Usage(
        input_tokens=fields.get("input_tokens", 0),
        output_tokens=fields.get("output_tokens", 0),
        cache_read_tokens=fields.get("cache_read_input_tokens", 0),
        cache_write_tokens=fields.get("cache_creation_input_tokens", 0),
    )


def _usage(usage: object) -> Usage:
    return _usage_from_fields(_usage_fields(usage))


def _message(message: dict[str, str], *, cached: bool) -> dict[str, Any]:
    if not cached:
        return {"role": message["role"], "content": message["content"]}
    block = {"type": "text", "text": message["content"], "cache_control": {"type": "ephemeral"}}
    return {"role": message["role"], "content": [block]}
