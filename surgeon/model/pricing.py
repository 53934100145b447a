"""Prices per million tokens, and the cost of a call. A model without a known price costs None,
which people see as "cost unknown": a price is never guessed.

Built-in prices are the providers' published standard (non-batch) rates as read in late 2026:
Anthropic's pricing page and model overview pages (platform.claude.com/docs/en/about-claude/pricing,
…/models/<model>/overview) and OpenAI's pricing and model pages (developers.openai.com/api/docs/pricing).
Cache writes are Anthropic's 5-minute rate (surgeon asks for the default ephemeral cache) and
OpenAI's 30-minute rate. Anything else, or a different rate, goes in the configuration:

    [pricing."openai-compatible:qwen2.5-coder"]
    input = 0.0
    output = 0.0

(keys: input, output, cache_read, cache_write, in USD per million tokens). A configured price
replaces the built-in one for that model, long-context tier included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from surgeon.errors import ConfigError
from surgeon.model.types import Usage

PRICE_FIELDS = ("input", "output", "cache_read", "cache_write")


@dataclass(frozen=True)
class Price:
    """USD per million tokens. A rate of None is not published (or not known): a call that uses
    such tokens has an unknown cost."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None
    # Some models bill the whole request at other rates once the prompt (input + cache reads +
    # cache writes) is longer than a threshold.
    long_prompt_above: int | None = None
    long_prompt: Price | None = None
    source: str = "built-in"

    def for_prompt(self, prompt_tokens: int) -> Price:
        if self.long_prompt is not None and self.long_prompt_above is not None and prompt_tokens > self.long_prompt_above:
            return self.long_prompt
        return self


def _p(input: float, output: float, cache_read: float | None, cache_write: float | None,  # noqa: A002
       long_above: int | None = None, long: tuple[float, float, float | None, float | None] | None = None) -> Price:
    tier = Price(*long) if long else None
    return Price(input, output, cache_read, cache_write, long_above, tier)


_OPUS_45_TO_5 = _p(5.00, 25.00, 0.50, 6.25)
_SONNET_4 = _p(3.00, 15.00, 0.30, 3.75)
_HAIKU_45 = _p(1.00, 5.00, 0.10, 1.25)

BUILTIN: dict[str, Price] = {
    # Anthropic: input, output, cache hits, 5-minute cache writes.
    "anthropic:claude-fable-5-1": _p(10.00, 50.00, 0.25, 12.50),
    "anthropic:claude-mythos-5-1": _p(10.00, 50.00, 0.25, 12.50),
    "anthropic:claude-fable-5": _p(10.00, 50.00, 1.00, 12.50),
    "anthropic:claude-mythos-5": _p(10.00, 50.00, 1.00, 12.50),
    "anthropic:claude-opus-5-5": _p(4.00, 20.00, 0.20, 5.00),
    "anthropic:claude-opus-5": _OPUS_45_TO_5,
    "anthropic:claude-opus-4-8": _OPUS_45_TO_5,
    "anthropic:claude-opus-4-7": _OPUS_45_TO_5,
    "anthropic:claude-opus-4-6": _OPUS_45_TO_5,
    "anthropic:claude-opus-4-5": _OPUS_45_TO_5,
    "anthropic:claude-opus-4-5-20251101": _OPUS_45_TO_5,
    "anthropic:claude-sonnet-5-5": _p(2.00, 10.00, 0.10, 2.50),  # cache hits cut from $0.20 on 2026-10-07
    "anthropic:claude-sonnet-5": _p(2.00, 10.00, 0.20, 2.50),
    "anthropic:claude-sonnet-4-6": _SONNET_4,
    "anthropic:claude-sonnet-4-5": _SONNET_4,
    "anthropic:claude-sonnet-4-5-20250929": _SONNET_4,
    # Haiku 5.5 bills a request whose prompt is over 100,000 tokens at five times the rates.
    "anthropic:claude-haiku-5-5": _p(0.10, 0.50, 0.01, 0.125, 100_000, (0.50, 2.50, 0.05, 0.625)),
    "anthropic:claude-haiku-4-5": _HAIKU_45,
    "anthropic:claude-haiku-4-5-20251001": _HAIKU_45,
    # OpenAI: input, output, cached input, cache writes where billed. The GPT-6 family bills a
    # request over 272K input tokens at twice the input and cache rates and 1.5 times output.
    "openai:gpt-6-sol": _p(2.00, 10.00, 0.20, 2.50, 272_000, (4.00, 15.00, 0.40, 5.00)),
    "openai:gpt-6-luna": _p(0.10, 0.50, 0.01, 0.125, 272_000, (0.20, 0.75, 0.02, 0.25)),
    "openai:gpt-6.1-terra": _p(1.00, 5.00, 0.05, 1.25, 272_000, (2.00, 7.50, 0.10, 2.50)),
    "openai:gpt-5": _p(1.25, 10.00, 0.125, None),
    "openai:gpt-5-mini": _p(0.25, 2.00, 0.025, None),
    "openai:gpt-5-nano": _p(0.05, 0.40, 0.005, None),
    "openai:gpt-4.1": _p(2.00, 8.00, 0.50, None),
    "openai:gpt-4.1-mini": _p(0.40, 1.60, 0.10, None),
    "openai:gpt-4.1-nano": _p(0.10, 0.40, 0.025, None),
    "openai:gpt-4o": _p(2.50, 10.00, 1.25, None),
    "openai:gpt-4o-mini": _p(0.15, 0.60, 0.075, None),
}


def configured_prices(table: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """{"provider:model": {"input": ..}} from config.table("pricing"), whose keys look like
    'openai:gpt-4.1.input' (the model name may itself contain dots)."""
    prices: dict[str, dict[str, float]] = {}
    for key, value in table.items():
        spec, _, field = key.rpartition(".")
        if not spec or field not in PRICE_FIELDS:
            raise ConfigError(
                f"pricing: {key!r} is not a price; write [pricing.\"provider:model\"] with "
                f"{', '.join(PRICE_FIELDS)} in USD per million tokens"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"pricing.\"{spec}\".{field} must be a number of USD per million tokens >= 0, got {value!r}")
        prices.setdefault(spec, {})[field] = float(value)
    return prices


def price_for(spec: str, overrides: Mapping[str, Any] | None = None) -> Price | None:
    """The price of `spec` ("provider:model"): a configured one first, else the built-in one.

    `overrides` is config.table("pricing"). A configured price needs at least input and output
    unless it amends a built-in one, whose other rates it keeps (its long-prompt tier is dropped:
    the configured rates are taken to be the whole truth for that model).
    """
    configured = configured_prices(overrides or {}).get(spec)
    builtin = BUILTIN.get(spec)
    if configured is None:
        return builtin
    if builtin is not None:
        return replace(builtin, long_prompt_above=None, long_prompt=None, source="configuration", **configured)
    missing = [f for f in ("input", "output") if f not in configured]
    if missing:
        raise ConfigError(f"pricing.\"{spec}\": give {' and '.join(missing)} (USD per million tokens)")
    return Price(configured["input"], configured["output"], configured.get("cache_read"), configured.get("cache_write"),
                 source="configuration")


def cost(usage: Usage, price: Price | None) -> float | None:
    """USD for one call, or None when a rate it needs is unknown (or the provider did not report
    usage and the price is not zero)."""
    if price is None:
        return None
    rates = price.for_prompt(usage.prompt_tokens)
    parts: list[tuple[int, float | None]] = [
        (usage.input_tokens, rates.input),
        (usage.output_tokens, rates.output),
        (usage.cache_read_tokens, rates.cache_read),
        (usage.cache_write_tokens, rates.cache_write),
    ]
    if usage.estimated and any(rate for _tokens, rate in parts):
        return None
    total = 0.0
    for tokens, rate in parts:
        if tokens == 0:
            continue
        if rate is None:
            return None
        total += tokens * rate
    return total / 1_000_000


def cost_bound(prompt_tokens: int, max_output_tokens: int, price: Price | None) -> float | None:
    """The most a request can cost before it is sent: every prompt token at the dearer of the input
    and cache-write rates (a prompt may be written to the cache), and the whole output allowance.
    None when the price is unknown."""
    if price is None:
        return None
    rates = price.for_prompt(prompt_tokens)
    prompt_rate = max(rates.input, rates.cache_write or 0.0)
    return (prompt_tokens * prompt_rate + max_output_tokens * rates.output) / 1_000_000


def cost_text(value: float | None) -> str:
    return "cost unknown" if value is None else f"${value:.4f}"
