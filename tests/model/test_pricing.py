"""Cost arithmetic: input, output, cache reads and writes, long-prompt tiers, configured prices,
and "unknown" instead of a guess."""

from __future__ import annotations

import pytest

from surgeon.config import load_config
from surgeon.errors import ConfigError
from surgeon.model import Usage, cost, cost_text, price_for
from surgeon.model.pricing import BUILTIN, Price


def test_the_prices_the_issue_quotes():
    assert (BUILTIN["openai:gpt-4o"].input, BUILTIN["openai:gpt-4o"].output) == (2.50, 10.00)
    assert (BUILTIN["openai:gpt-4o-mini"].input, BUILTIN["openai:gpt-4o-mini"].output) == (0.15, 0.60)
    assert (BUILTIN["anthropic:claude-sonnet-4-6"].input, BUILTIN["anthropic:claude-sonnet-4-6"].output) == (3, 15)


def test_cost_adds_every_kind_of_token():
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=2_000_000, cache_write_tokens=400_000)
    # Sonnet 4.6: $3 in, $15 out, $0.30 cache hits, $3.75 cache writes
    assert cost(usage, price_for("anthropic:claude-sonnet-4-6")) == pytest.approx(3 + 1.5 + 0.6 + 1.5)
    assert cost(Usage(), price_for("anthropic:claude-sonnet-4-6")) == 0.0


def test_long_prompt_tier_applies_to_the_whole_request():
    haiku = price_for("anthropic:claude-haiku-5-5")
    short = Usage(input_tokens=60_000, cache_read_tokens=40_000, output_tokens=1_000)  # prompt = 100,000
    assert cost(short, haiku) == pytest.approx((60_000 * 0.10 + 40_000 * 0.01 + 1_000 * 0.50) / 1e6)
    long = Usage(input_tokens=60_001, cache_read_tokens=40_000, output_tokens=1_000)
    assert cost(long, haiku) == pytest.approx((60_001 * 0.50 + 40_000 * 0.05 + 1_000 * 2.50) / 1e6)
    sol = price_for("openai:gpt-6-sol")
    assert cost(Usage(input_tokens=300_000, output_tokens=10), sol) == pytest.approx((300_000 * 4 + 10 * 15) / 1e6)


def test_unknown_prices_are_never_guessed():
    assert price_for("openai-compatible:llama3") is None
    assert cost(Usage(input_tokens=10, output_tokens=10), None) is None
    # GPT-4o publishes no cache-write rate: a call that reports cache writes has an unknown cost
    assert cost(Usage(input_tokens=10, cache_write_tokens=5), price_for("openai:gpt-4o")) is None
    # estimated token counts with a non-zero price: unknown, not an estimate
    assert cost(Usage(input_tokens=10, output_tokens=10, estimated=True), price_for("openai:gpt-4o")) is None
    assert cost(Usage(input_tokens=10, output_tokens=10, estimated=True), Price(0.0, 0.0)) == 0.0
    assert cost_text(None) == "cost unknown" and cost_text(0.001234) == "$0.0012"


def test_configured_prices_add_and_amend(tmp_path):
    (tmp_path / ".surgeon.toml").write_text(
        '[pricing."openai-compatible:qwen2.5-coder"]\ninput = 0.05\noutput = 0.1\n'
        '[pricing."openai:gpt-4.1"]\ninput = 1.5\n'
        '[pricing."anthropic:claude-haiku-5-5"]\noutput = 0.6\n', encoding="utf-8")
    table = load_config(tmp_path, env={}).table("pricing")
    local = price_for("openai-compatible:qwen2.5-coder", table)
    assert (local.input, local.output, local.cache_read, local.source) == (0.05, 0.1, None, "configuration")
    amended = price_for("openai:gpt-4.1", table)  # a dotted model name
    assert (amended.input, amended.output, amended.cache_read) == (1.5, 8.0, 0.5)
    haiku = price_for("anthropic:claude-haiku-5-5", table)
    assert haiku.output == 0.6 and haiku.long_prompt is None
    assert cost(Usage(input_tokens=200_000, output_tokens=1_000_000), haiku) == pytest.approx(0.02 + 0.6)


@pytest.mark.parametrize("table, message", [
    ({"x:y.input": -1}, "must be a number"),
    ({"x:y.input": "cheap"}, "must be a number"),
    ({"x:y.inputs": 1}, "is not a price"),
    ({"openai-compatible:z.input": 1.0}, "give output"),
])
def test_bad_configured_prices_are_config_errors(table, message):
    spec = next(iter(table)).rpartition(".")[0]
    with pytest.raises(ConfigError, match=message):
        price_for(spec, table)
