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

import json
import os
from collections.abc import Sequence
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
from surgeon.model.types import Message, ToolCall, Tools, Usage

if TYPE_CHECKING:
    import anthropic


class AnthropicProvider(NetworkProvider):
    provider: ProviderName = "anthropic"
    key_hint = "ANTHROPIC_API_KEY"
    sdk_module = "anthropic"

    def __init__(self, name: str, config: Config, **options: Any) -> None:
        if not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")
                or os.environ.get("ANTHROPIC_PROFILE")):
            raise ModelNotConfigured(
                f"anthropic:{name} needs an Anthropic API key: set ANTHROPIC_API_KEY (or pick another model with "
                "--model openai:NAME with OPENAI_API_KEY, or openai-compatible:NAME with SURGEON_OPENAI_BASE_URL)"
            )
        super().__init__(name, config, **options)

    def _connect(self) -> tuple[anthropic.Anthropic, SdkErrors]:
        import anthropic

        errors = SdkErrors(anthropic.APITimeoutError, anthropic.APIConnectionError, anthropic.APIStatusError,
                           anthropic.APIResponseValidationError)
        client = anthropic.Anthropic(
            max_retries=0, timeout=anthropic.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
        )
        return client, errors

    def _params(self, system: list[str], messages: Sequence[Message], tools: Tools | None = None) -> dict[str, Any]:
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
        if tools is not None:
            params["tools"] = [{"name": t.name, "description": t.description, "input_schema": dict(t.schema)}
                               for t in tools.specs]
            params["tool_choice"] = {"type": "auto" if tools.allowed else "none"}
        return params

    def _call(self, system: list[str], messages: Sequence[Message], tracker: Tracker, tools: Tools | None) -> RawReply:
        params = self._params(system, messages, tools)
        if not self.stream:
            message = self.client.messages.create(**params)
            content = getattr(message, "content", None)
            usage = getattr(message, "usage", None)
            if not isinstance(content, list) or usage is None:
                raise MalformedReply("the reply has no content or no usage")
            text = "".join(getattr(block, "text", "") for block in content if getattr(block, "type", "") == "text")
            tracker.delta(text)
            calls = tuple(_tool_call(block.id, block.name, block.input) for block in content
                          if getattr(block, "type", "") == "tool_use")
            return RawReply(text, getattr(message, "model", "") or self.name, _usage(usage),
                            getattr(message, "stop_reason", None), calls)

        parts: list[str] = []
        uses: dict[int, list[Any]] = {}  # block index -> [id, name, input JSON pieces]
        usage_fields: dict[str, int] = {}
        model, stop_reason, finished = self.name, None, False
        with self.client.messages.create(**params, stream=True) as events:
            tracker.close = events.close
            for event in events:
                kind = getattr(event, "type", None)
                if kind == "message_start":
                    message = event.message
                    model = getattr(message, "model", None) or model
                    usage_fields.update(_usage_fields(getattr(message, "usage", None)))
                    tracker.billing(_usage_from_fields(usage_fields).prompt_tokens)
                elif kind == "content_block_start" and getattr(event.content_block, "type", "") == "tool_use":
                    uses[event.index] = [event.content_block.id, event.content_block.name, []]
                elif kind == "content_block_delta":
                    delta = event.delta
                    piece = getattr(delta, "text", None) if getattr(delta, "type", "") == "text_delta" else None
                    if piece:
                        parts.append(piece)
                        tracker.delta(piece)
                    elif getattr(delta, "type", "") == "input_json_delta" and event.index in uses:
                        uses[event.index][2].append(delta.partial_json)
                        tracker.delta("")
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
        calls = tuple(_tool_call(ident, name, "".join(pieces) or "{}") for ident, name, pieces in uses.values())
        return RawReply("".join(parts), model, _usage_from_fields(usage_fields), stop_reason, calls)

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


def _tool_call(ident: str, name: str, arguments: object) -> ToolCall:
    """A tool_use block; its input arrives as an object (plain JSON) or as JSON text (streamed)."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return ToolCall(ident, name, {}, f"the input is not valid JSON: {exc.msg}")
    if not isinstance(arguments, dict):
        return ToolCall(ident, name, {}, "the input must be a JSON object")
    return ToolCall(ident, name, arguments)


def _message(message: Message, *, cached: bool) -> dict[str, Any]:
    calls, results = message.get("tool_calls") or (), message.get("tool_results") or ()
    if not cached and not calls and not results:
        return {"role": message["role"], "content": message["content"]}
    # tool results open a user message; the text follows them
    blocks: list[dict[str, Any]] = [{"type": "tool_result", "tool_use_id": r.call_id, "content": r.text,
                                     "is_error": r.is_error} for r in results]
    if message["content"]:
        blocks.append({"type": "text", "text": message["content"]})
    blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": dict(c.arguments)} for c in calls]
    if cached and blocks:
        blocks[-1]["cache_control"] = {"type": "ephemeral"}
    return {"role": message["role"], "content": blocks}
