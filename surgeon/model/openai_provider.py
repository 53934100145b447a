"""openai:<model> and openai-compatible:<model> through the openai SDK's chat completions API.

openai: reads OPENAI_API_KEY and OPENAI_BASE_URL as the SDK does.
openai-compatible: a local or self-hosted server (Ollama, llama.cpp server, vLLM, LM Studio) at
`openai_base_url` (SURGEON_OPENAI_BASE_URL). Its key is SURGEON_OPENAI_API_KEY when set, else the
placeholder "not-needed": the OpenAI key is never sent to another server.

The system blocks go first, joined into one system message (some local chat templates accept only
one), so OpenAI's automatic prefix caching reuses them. Streaming asks for usage in the last chunk
(stream_options.include_usage); a server that reports no usage gets estimated token counts and an
unknown cost unless its price is configured as zero.
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
from surgeon.tokens import estimate_tokens

if TYPE_CHECKING:
    import openai


class OpenAIProvider(NetworkProvider):
    provider: ProviderName = "openai"
    compatible = False
    sdk_module = "openai"

    def __init__(self, name: str, config: Config, **options: Any) -> None:
        spec = f"{self.provider}:{name}"
        if self.compatible:
            self.base_url = str(config.get("openai_base_url") or "")
            if not self.base_url:
                raise ModelNotConfigured(
                    f"{spec} needs the server's base URL: set SURGEON_OPENAI_BASE_URL "
                    "(e.g. http://localhost:11434/v1 for Ollama) or openai_base_url in .surgeon.toml"
                )
            self.key_hint = "SURGEON_OPENAI_API_KEY (the key of the OpenAI-compatible server)"
        else:
            if not os.environ.get("OPENAI_API_KEY"):
                raise ModelNotConfigured(
                    f"{spec} needs an OpenAI API key: set OPENAI_API_KEY (or use anthropic:NAME with "
                    "ANTHROPIC_API_KEY, or openai-compatible:NAME with SURGEON_OPENAI_BASE_URL)"
                )
            self.key_hint = "OPENAI_API_KEY"
        super().__init__(name, config, **options)

    def _connect(self) -> tuple[openai.OpenAI, SdkErrors]:
        import openai

        errors = SdkErrors(openai.APITimeoutError, openai.APIConnectionError, openai.APIStatusError,
                           openai.APIResponseValidationError)
        timeout = openai.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        if self.compatible:
            api_key = os.environ.get("SURGEON_OPENAI_API_KEY") or "not-needed"
            return openai.OpenAI(api_key=api_key, base_url=self.base_url, max_retries=0, timeout=timeout), errors
        return openai.OpenAI(max_retries=0, timeout=timeout), errors

    def _params(self, system: list[str], messages: Sequence[Message], tools: Tools | None = None) -> dict[str, Any]:
        chat: list[dict[str, Any]] = []
        if system:
            chat.append({"role": "system", "content": "\n\n".join(system)})
        for m in messages:
            chat.extend(_chat_messages(m))
        params: dict[str, Any] = {"model": self.name, "messages": chat}
        if tools is not None:
            params["tools"] = [{"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": dict(t.schema)}} for t in tools.specs]
            params["tool_choice"] = "auto" if tools.allowed else "none"
        # OpenAI's current models take max_completion_tokens; local servers know max_tokens.
        params["max_tokens" if self.compatible else "max_completion_tokens"] = self.max_tokens
        return params

    def _call(self, system: list[str], messages: Sequence[Message], tracker: Tracker, tools: Tools | None) -> RawReply:
        params = self._params(system, messages, tools)
        prompt_chars = sum(len(m.get("content") or "") for m in params["messages"])
        if not self.stream:
            response = self.client.chat.completions.create(**params)
            choices = getattr(response, "choices", None)
            if not choices:
                raise MalformedReply("the reply has no choices")
            message = getattr(choices[0], "message", None)
            text = getattr(message, "content", None) or ""
            tracker.delta(text)
            calls = tuple(_tool_call(c.id, c.function.name, c.function.arguments)
                          for c in getattr(message, "tool_calls", None) or () if getattr(c, "function", None))
            return RawReply(text, getattr(response, "model", None) or self.name,
                            _usage(getattr(response, "usage", None), prompt_chars, text),
                            getattr(choices[0], "finish_reason", None), calls)

        parts: list[str] = []
        pending: dict[int, list[Any]] = {}  # tool call index -> [id, name, argument pieces]
        usage, model, finish = None, self.name, None
        with self.client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True},
        ) as chunks:
            tracker.close = chunks.close
            for chunk in chunks:
                tracker.billing(max(1, prompt_chars // 4))  # the server answers: the prompt is billed
                model = getattr(chunk, "model", None) or model
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in getattr(chunk, "choices", None) or ():
                    piece = getattr(choice.delta, "content", None) if choice.delta is not None else None
                    if piece:
                        parts.append(piece)
                        tracker.delta(piece)
                    for call in (getattr(choice.delta, "tool_calls", None) or ()) if choice.delta is not None else ():
                        entry = pending.setdefault(call.index, ["", "", []])
                        entry[0] = call.id or entry[0]
                        if call.function is not None:
                            entry[1] = call.function.name or entry[1]
                            entry[2].append(call.function.arguments or "")
                        tracker.delta("")
                    finish = choice.finish_reason or finish
        text = "".join(parts)
        if finish is None and usage is None:
            raise MalformedReply("the stream ended without a finish reason")
        calls = tuple(_tool_call(ident, name, "".join(pieces)) for ident, name, pieces in pending.values())
        return RawReply(text, model, _usage(usage, prompt_chars, text), finish, calls)


class OpenAICompatibleProvider(OpenAIProvider):
    provider: ProviderName = "openai-compatible"
    compatible = True
    tools_fallback = True


def _usage(usage: object, prompt_chars: int, text: str) -> Usage:
    if usage is None:
        return Usage(input_tokens=max(1, prompt_chars // 4), output_tokens=estimate_tokens(text), estimated=True)
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    details = getattr(usage, "prompt_tokens_details", None)
    cached = int(getattr(details, "cached_tokens", 0) or 0) if details is not None else 0
    written = int(getattr(details, "cache_write_tokens", 0) or 0) if details is not None else 0
    return Usage(
        input_tokens=max(0, prompt - cached - written),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _tool_call(ident: str, name: str, arguments: str | None) -> ToolCall:
    try:
        data = json.loads(arguments or "{}")
    except json.JSONDecodeError as exc:
        return ToolCall(ident, name, {}, f"the arguments are not valid JSON: {exc.msg}")
    if not isinstance(data, dict):
        return ToolCall(ident, name, {}, "the arguments must be a JSON object")
    return ToolCall(ident, name, data)


def _chat_messages(message: Message) -> list[dict[str, Any]]:
    """One message in chat completions form: tool results are messages of role "tool", each
    answering one call; the text that goes with them follows as a user message."""
    calls, results = message.get("tool_calls") or (), message.get("tool_results") or ()
    if calls:
        return [{"role": "assistant", "content": message["content"] or None, "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))}}
            for c in calls]}]
    chat: list[dict[str, Any]] = [{"role": "tool", "tool_call_id": r.call_id, "content": r.text} for r in results]
    if message["content"] or not results:
        chat.append({"role": message["role"], "content": message["content"]})
    return chat
