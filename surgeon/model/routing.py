"""Which model answers a task: --model, then the `model` setting, then [models] per task, then a
default that depends on which API key is set.

The defaults are current, non-deprecated models that the installed SDKs name (the tests check
this against anthropic.types.ModelParam, the SDK's DEPRECATED_MODELS and openai's ChatModel, so an
SDK upgrade that deprecates one fails loudly): a Sonnet for careful edits, pair turns and retries;
a Haiku for quick review passes. With only OPENAI_API_KEY set, the OpenAI equivalents.

A task without its own [models] entry uses models.edit when that is set, so that someone who
pointed surgeon at a local server for edits never has a review or a retry sent elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeGuard

from surgeon.config import Config
from surgeon.errors import ModelNotConfigured, UsageError

TASKS = ("edit", "review", "pair", "retry")
ProviderName = Literal["anthropic", "openai", "openai-compatible", "script"]
PROVIDERS: tuple[ProviderName, ...] = ("anthropic", "openai", "openai-compatible", "script")

DEFAULT_MODELS: dict[str, dict[str, str]] = {
    "anthropic": {
        "edit": "anthropic:claude-sonnet-5-5",
        "review": "anthropic:claude-haiku-5-5",
        "pair": "anthropic:claude-sonnet-5-5",
        "retry": "anthropic:claude-sonnet-5-5",
    },
    "openai": {
        "edit": "openai:gpt-6-sol",
        "review": "openai:gpt-6-luna",
        "pair": "openai:gpt-6-sol",
        "retry": "openai:gpt-6-sol",
    },
}

NOT_CONFIGURED = (
    "no model configured: set ANTHROPIC_API_KEY (Anthropic, the default) or OPENAI_API_KEY (OpenAI), "
    "or use a local OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio) with "
    "SURGEON_OPENAI_BASE_URL=http://localhost:11434/v1 and --model openai-compatible:NAME "
    "(or model = \"openai-compatible:NAME\" in .surgeon.toml)"
)


@dataclass(frozen=True)
class ModelSpec:
    provider: ProviderName
    name: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.name}"


def parse_spec(spec: str) -> ModelSpec:
    """"anthropic:claude-sonnet-5-5" -> ModelSpec("anthropic", "claude-sonnet-5-5"). The name of a
    script: spec is a path, so it may itself contain colons."""
    provider, sep, name = spec.strip().partition(":")
    provider = provider.strip().lower()
    name = name.strip()
    if not sep or not name:
        hint = ""
        if spec.startswith("claude"):
            hint = f" (did you mean anthropic:{spec}?)"
        elif spec.startswith(("gpt", "o1", "o3", "o4")):
            hint = f" (did you mean openai:{spec}?)"
        raise UsageError(
            f"model {spec!r} is not provider:name{hint}; use anthropic:NAME, openai:NAME, "
            "openai-compatible:NAME or script:PATH"
        )
    if not _is_provider(provider):
        raise UsageError(
            f"model {spec!r}: unknown provider {provider!r}; use anthropic:NAME, openai:NAME, "
            "openai-compatible:NAME or script:PATH"
        )
    return ModelSpec(provider, name)


def _is_provider(name: str) -> TypeGuard[ProviderName]:
    return name in PROVIDERS


def resolve_model(task: str, config: Config, override: str | None = None,
                  env: Mapping[str, str] | None = None) -> str:
    """The provider:name spec for `task`. Raises ModelNotConfigured (exit 2) when nothing is
    configured and no API key is set."""
    if task not in TASKS:
        raise UsageError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")
    env = os.environ if env is None else env
    chosen = override or config.get("model") or config.get(f"models.{task}")
    if not chosen and task != "edit":
        chosen = config.get("models.edit")
    if chosen:
        return str(parse_spec(str(chosen)))
    if env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN"):
        return DEFAULT_MODELS["anthropic"][task]
    if env.get("OPENAI_API_KEY"):
        return DEFAULT_MODELS["openai"][task]
    if config.get("openai_base_url"):
        raise ModelNotConfigured(
            f"an OpenAI-compatible server is configured ({config.get('openai_base_url')}) but no model name: "
            "pass --model openai-compatible:NAME with a model that server serves "
            "(or set model = \"openai-compatible:NAME\" in .surgeon.toml)"
        )
    raise ModelNotConfigured(NOT_CONFIGURED)
