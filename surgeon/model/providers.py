"""make_provider: from a provider:name spec to something that answers complete()."""

from __future__ import annotations

import time
from collections.abc import Callable

from surgeon.config import Config
from surgeon.model.base import RetryPolicy
from surgeon.model.routing import parse_spec
from surgeon.model.types import Provider


def sdk_module(spec: str) -> str:
    """The module of the model SDK that the provider for `spec` imports ("" for script replies)."""
    kind = parse_spec(spec).provider
    if kind == "script":
        return ""
    if kind == "anthropic":
        from surgeon.model.anthropic_provider import AnthropicProvider

        return AnthropicProvider.sdk_module
    from surgeon.model.openai_provider import OpenAIProvider

    return OpenAIProvider.sdk_module


def make_provider(spec: str, config: Config, *, retry: RetryPolicy | None = None, stream: bool = True,
                  sleep: Callable[[float], None] = time.sleep) -> Provider:
    """A provider for `spec`. Raises ModelNotConfigured (exit 2) when its key or base URL is
    missing and UsageError for a bad spec or script file. `retry` defaults to model_retries and
    model_backoff from the config; `stream=False` asks for one JSON reply instead of a stream."""
    parsed = parse_spec(spec)
    if parsed.provider == "script":
        from surgeon.model.script_provider import ScriptProvider

        return ScriptProvider(parsed.name)
    options = {"retry": retry, "stream": stream, "sleep": sleep}
    if parsed.provider == "anthropic":
        from surgeon.model.anthropic_provider import AnthropicProvider

        return AnthropicProvider(parsed.name, config, **options)
    from surgeon.model.openai_provider import OpenAICompatibleProvider, OpenAIProvider

    if parsed.provider == "openai":
        return OpenAIProvider(parsed.name, config, **options)
    return OpenAICompatibleProvider(parsed.name, config, **options)
