"""Providers through the real anthropic and openai SDKs against the loopback fake server."""

from __future__ import annotations

import socket
import sys

import pytest

from surgeon.config import load_config
from surgeon.errors import ModelError, ModelNotConfigured, UsageError
from surgeon.model import make_provider
from tests.fakes.server import Error, Malformed, Reply

SYSTEM = ["You write unified diffs.", "Context: ingest/app.py lines 1-40 ..."]
ASK = [{"role": "user", "content": "add a /healthz route"}]


def config(**flags):
    base = {"model_retries": 3, "model_backoff": 0.01, "model_timeout": 5.0, "max_tokens": 777}
    return load_config(None, env={}).with_flags(**{**base, **flags})


class Sleeps(list):
    """Stands in for time.sleep: records what the retry loop asked for, without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# --- Anthropic ----------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False])
def test_anthropic_reply_usage_and_cost(fake_model, stream):
    fake_model.script([Reply("--- a/x\n+++ b/x\n", usage={
        "input_tokens": 1000, "output_tokens": 500, "cache_read_tokens": 2000, "cache_write_tokens": 300})])
    progress = []
    provider = make_provider("anthropic:claude-sonnet-5-5", config(), stream=stream)
    completion = provider.complete(SYSTEM, ASK, task="edit", on_progress=progress.append)

    assert completion.text == "--- a/x\n+++ b/x\n"
    assert completion.label == "anthropic:claude-sonnet-5-5" and completion.spec == completion.label
    assert not completion.scripted and completion.attempts == 1 and completion.stop_reason == "end_turn"
    usage = completion.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (
        1000, 500, 2000, 300)
    # Sonnet 5.5: $2 in, $10 out, $0.10 cache hits, $2.50 cache writes per million tokens
    assert completion.cost == pytest.approx((1000 * 2 + 500 * 10 + 2000 * 0.10 + 300 * 2.50) / 1e6)
    assert completion.first_token_seconds is not None and completion.seconds >= completion.first_token_seconds
    assert progress[0].phase == "waiting" and progress[-1].phase == "done"
    assert progress[-1].output_tokens == 500

    [request] = fake_model.requests
    body = request.body
    assert request.path == "/v1/messages" and bool(body.get("stream")) is stream
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 777
    assert [b["text"] for b in body["system"]] == SYSTEM
    assert all(b["cache_control"] == {"type": "ephemeral"} for b in body["system"])
    assert body["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": ASK[0]["content"], "cache_control": {"type": "ephemeral"}}]}]
    assert "temperature" not in body
    assert request.headers.get("x-stainless-retry-count", "0") == "0"


def test_anthropic_caches_the_conversation_prefix(fake_model):
    """The last message writes the conversation to the cache; the one before it is where the
    next call (which only appends) reads it back. Earlier messages stay plain."""
    fake_model.script(["ok"])
    conversation = [
        {"role": "user", "content": "turn 1"}, {"role": "assistant", "content": "diff 1"},
        {"role": "user", "content": "turn 2"}, {"role": "assistant", "content": "diff 2"},
        {"role": "user", "content": "turn 3"},
    ]
    make_provider("anthropic:claude-sonnet-5-5", config()).complete(SYSTEM, conversation, task="pair")
    sent = fake_model.requests[0].body["messages"]
    assert [m["content"] for m in sent[:3]] == ["turn 1", "diff 1", "turn 2"]
    assert [m["content"][0]["text"] for m in sent[3:]] == ["diff 2", "turn 3"]
    assert all(m["content"][0]["cache_control"] == {"type": "ephemeral"} for m in sent[3:])
    breakpoints = len(fake_model.requests[0].body["system"]) + 2
    assert breakpoints <= 4


def test_anthropic_single_system_block_is_cached_once(fake_model):
    fake_model.script(["ok"])
    make_provider("anthropic:claude-haiku-5-5", config()).complete(["only block", ""], ASK, task="review")
    assert fake_model.requests[0].body["system"] == [
        {"type": "text", "text": "only block", "cache_control": {"type": "ephemeral"}}]


def test_anthropic_max_tokens_stop_reason_is_reported(fake_model):
    fake_model.script([Reply("cut sh", stop_reason="max_tokens")])
    completion = make_provider("anthropic:claude-sonnet-5-5", config()).complete(SYSTEM, ASK, task="edit")
    assert completion.stop_reason == "max_tokens" and completion.text == "cut sh"


def test_unpriced_model_has_unknown_cost(fake_model):
    fake_model.script(["ok"])
    completion = make_provider("anthropic:claude-experimental-9", config()).complete(SYSTEM, ASK, task="edit")
    assert completion.cost is None


def test_retry_on_429_then_529_then_success_honours_retry_after(fake_model):
    fake_model.script([
        Error(429, "rate limited, slow down", {"retry-after": "0.25"}),
        Error(529, "Overloaded"),
        Reply("finally", usage={"input_tokens": 10, "output_tokens": 2}),
    ])
    sleeps, progress = Sleeps(), []
    provider = make_provider("anthropic:claude-sonnet-5-5", config(), sleep=sleeps)
    completion = provider.complete(SYSTEM, ASK, task="edit", on_progress=progress.append)
    assert completion.text == "finally" and completion.attempts == 3
    assert len(fake_model.requests) == 3
    assert sleeps[0] == 0.25  # what retry-after said
    assert 0.015 <= sleeps[1] <= 0.02  # backoff 0.01 doubled for the second retry, less jitter
    retries = [p.message for p in progress if p.phase == "retrying"]
    assert "rate limited (HTTP 429)" in retries[0] and "retry 1 of 3" in retries[0]
    assert "overloaded (HTTP 529)" in retries[1] and "retry 2 of 3" in retries[1]
    assert completion.cost == pytest.approx((10 * 2 + 2 * 10) / 1e6)


def test_retry_exhaustion_is_a_clear_model_error(fake_model):
    fake_model.script([Error(529, "Overloaded")] * 3)
    sleeps = Sleeps()
    provider = make_provider("anthropic:claude-sonnet-5-5", config(model_retries=2), sleep=sleeps)
    with pytest.raises(ModelError) as error:
        provider.complete(SYSTEM, ASK, task="edit")
    message = str(error.value)
    assert message.startswith("anthropic:claude-sonnet-5-5: overloaded (HTTP 529)")
    assert "gave up after 3 attempt(s)" in message and "model_retries" in message
    assert error.value.exit_code == 3 and len(sleeps) == 2 and len(fake_model.requests) == 3


def test_server_errors_are_retried_and_the_stream_broken_by_overload_too(fake_model):
    fake_model.script([Error(500, "boom"), Error(529, mid_stream=True), Reply("ok")])
    completion = make_provider("anthropic:claude-sonnet-5-5", config(), sleep=Sleeps()).complete(
        SYSTEM, ASK, task="edit")
    assert completion.text == "ok" and completion.attempts == 3


def test_authentication_failure_is_not_retried(fake_model):
    fake_model.script([Error(401, "invalid x-api-key")])
    with pytest.raises(ModelError, match=r"authentication failed \(HTTP 401\).*ANTHROPIC_API_KEY"):
        make_provider("anthropic:claude-sonnet-5-5", config(), sleep=Sleeps()).complete(SYSTEM, ASK, task="edit")
    assert len(fake_model.requests) == 1


def test_unknown_model_404_says_check_the_name(fake_model):
    fake_model.script([Error(404, "model: claude-nope")])
    with pytest.raises(ModelError, match="Check the model name"):
        make_provider("anthropic:claude-nope", config()).complete(SYSTEM, ASK, task="edit")


@pytest.mark.parametrize("stream", [True, False])
def test_timeout_is_a_clear_error_and_not_retried(fake_model, stream):
    fake_model.script([Reply("too late", delay=3.0)])
    sleeps = Sleeps()
    provider = make_provider("anthropic:claude-sonnet-5-5", config(model_timeout=0.3), stream=stream, sleep=sleeps)
    with pytest.raises(ModelError, match=r"no answer within 0.3s \(model_timeout\)"):
        provider.complete(SYSTEM, ASK, task="edit")
    assert len(fake_model.requests) == 1 and sleeps == []


def test_a_stalled_stream_times_out(fake_model):
    fake_model.script([Reply("one two three", chunks=3, chunk_delay=3.0)])
    with pytest.raises(ModelError, match="no answer within 0.3s"):
        make_provider("anthropic:claude-sonnet-5-5", config(model_timeout=0.3)).complete(SYSTEM, ASK, task="edit")


@pytest.mark.parametrize("stream", [True, False])
def test_malformed_reply_is_a_clear_error(fake_model, stream):
    fake_model.script([Malformed()])
    provider = make_provider("anthropic:claude-sonnet-5-5", config(), stream=stream, sleep=Sleeps())
    with pytest.raises(ModelError, match="malformed reply from http://127.0.0.1"):
        provider.complete(SYSTEM, ASK, task="edit")
    assert len(fake_model.requests) == 1


def test_well_formed_json_of_the_wrong_shape_is_malformed(fake_model):
    fake_model.script([Malformed(body='{"hello": "world"}')])
    with pytest.raises(ModelError, match="malformed reply.*no content"):
        make_provider("anthropic:claude-sonnet-5-5", config(), stream=False).complete(SYSTEM, ASK, task="edit")


def test_connection_refused_is_retried_then_reported(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    sleeps = Sleeps()
    provider = make_provider("anthropic:claude-sonnet-5-5", config(model_retries=1), sleep=sleeps)
    with pytest.raises(ModelError, match=rf"could not reach http://127.0.0.1:{port}.*gave up after 2 attempt"):
        provider.complete(SYSTEM, ASK, task="edit")
    assert len(sleeps) == 1


def test_missing_anthropic_key_is_model_not_configured(monkeypatch):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ModelNotConfigured, match="ANTHROPIC_API_KEY") as error:
        make_provider("anthropic:claude-sonnet-5-5", config())
    assert error.value.exit_code == 2


def test_a_spec_without_provider_is_a_usage_error():
    with pytest.raises(UsageError, match="not provider:name.*anthropic:claude-sonnet-5-5"):
        make_provider("claude-sonnet-5-5", config())


def test_bad_messages_are_rejected_before_any_request(fake_model):
    provider = make_provider("anthropic:claude-sonnet-5-5", config())
    with pytest.raises(ValueError):
        provider.complete(SYSTEM, [{"role": "assistant", "content": "hi"}], task="edit")
    with pytest.raises(TypeError):
        provider.complete("one string", ASK, task="edit")
    assert fake_model.requests == []


# --- OpenAI and OpenAI-compatible ---------------------------------------------------------------

@pytest.mark.parametrize("stream", [True, False])
def test_openai_reply_usage_and_cost(fake_model, stream):
    fake_model.script([Reply("diff", usage={"input_tokens": 1000, "output_tokens": 200, "cache_read_tokens": 4000})])
    completion = make_provider("openai:gpt-6-sol", config(), stream=stream).complete(SYSTEM, ASK, task="edit")
    assert completion.text == "diff" and completion.label == "openai:gpt-6-sol"
    assert (completion.usage.input_tokens, completion.usage.cache_read_tokens) == (1000, 4000)
    # GPT-6 Sol: $2 in, $10 out, $0.20 cached input per million tokens
    assert completion.cost == pytest.approx((1000 * 2 + 200 * 10 + 4000 * 0.20) / 1e6)
    [request] = fake_model.requests
    body = request.body
    assert request.path == "/v1/chat/completions"
    assert body["messages"][0] == {"role": "system", "content": "\n\n".join(SYSTEM)}
    assert body["messages"][1:] == ASK
    assert body["max_completion_tokens"] == 777 and "max_tokens" not in body
    if stream:
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert request.headers["authorization"] == "Bearer test-key"


def test_openai_retries_429_and_500(fake_model):
    fake_model.script([Error(429, headers={"retry-after-ms": "5"}), Error(500), Reply("ok")])
    sleeps = Sleeps()
    completion = make_provider("openai:gpt-6-luna", config(), sleep=sleeps).complete(SYSTEM, ASK, task="review")
    assert completion.text == "ok" and completion.attempts == 3 and sleeps[0] == pytest.approx(0.005)


def test_openai_exhaustion_timeout_and_malformed(fake_model):
    fake_model.script([Error(503)] * 2 + [Reply("late", delay=3.0), Malformed()])
    with pytest.raises(ModelError, match=r"server error \(HTTP 503\).*gave up after 2 attempt"):
        make_provider("openai:gpt-6-sol", config(model_retries=1), sleep=Sleeps()).complete(SYSTEM, ASK, task="edit")
    with pytest.raises(ModelError, match="no answer within 0.3s"):
        make_provider("openai:gpt-6-sol", config(model_timeout=0.3)).complete(SYSTEM, ASK, task="edit")
    with pytest.raises(ModelError, match="malformed reply"):
        make_provider("openai:gpt-6-sol", config(), stream=False).complete(SYSTEM, ASK, task="edit")


def test_missing_openai_key_is_model_not_configured(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelNotConfigured, match="OPENAI_API_KEY"):
        make_provider("openai:gpt-6-sol", config())


def test_openai_compatible_uses_its_base_url_and_never_the_openai_key(fake_model, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-real-openai-key")
    monkeypatch.delenv("OPENAI_BASE_URL")
    fake_model.script([Reply("local answer", usage={"input_tokens": 50, "output_tokens": 5})])
    provider = make_provider("openai-compatible:qwen2.5-coder", config(openai_base_url=fake_model.openai_url))
    completion = provider.complete(SYSTEM, ASK, task="edit")
    assert completion.text == "local answer" and completion.label == "openai-compatible:qwen2.5-coder"
    assert completion.cost is None  # no published price: "cost unknown"
    [request] = fake_model.requests
    assert request.headers["authorization"] == "Bearer not-needed"
    assert "sk-the-real-openai-key" not in request.text()
    assert request.body["max_tokens"] == 777 and "max_completion_tokens" not in request.body


def test_openai_compatible_key_and_configured_zero_price(fake_model, monkeypatch, tmp_path):
    monkeypatch.setenv("SURGEON_OPENAI_API_KEY", "local-secret")
    (tmp_path / ".surgeon.toml").write_text(
        '[pricing."openai-compatible:llama3"]\ninput = 0\noutput = 0\n', encoding="utf-8")
    cfg = load_config(tmp_path, env={"SURGEON_OPENAI_BASE_URL": fake_model.openai_url})
    fake_model.script([Reply("free", report_usage=False)])
    completion = make_provider("openai-compatible:llama3", cfg).complete(SYSTEM, ASK, task="edit")
    assert fake_model.requests[0].headers["authorization"] == "Bearer local-secret"
    assert completion.usage.estimated and completion.usage.output_tokens == 1
    assert completion.cost == 0.0


def test_unreported_usage_with_a_real_price_is_cost_unknown(fake_model):
    fake_model.script([Reply("no usage here", report_usage=False)])
    completion = make_provider("openai:gpt-6-sol", config()).complete(SYSTEM, ASK, task="edit")
    assert completion.usage.estimated and completion.cost is None


def test_openai_compatible_without_base_url_is_model_not_configured(monkeypatch):
    monkeypatch.delenv("SURGEON_OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelNotConfigured, match="SURGEON_OPENAI_BASE_URL"):
        make_provider("openai-compatible:llama3", load_config(None, env={}))


@pytest.mark.parametrize("spec", ["anthropic:claude-sonnet-5-5", "openai:gpt-6-sol"])
@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_and_results_round_trip(fake_model, spec, stream):
    """A reply that calls a tool comes back as tool_calls; the results go back in the API's shape,
    and tools that may no longer be called are declared with tool_choice none."""
    from surgeon.model.types import ToolResult, Tools, ToolSpec
    from tests.fakes.server import tool_use

    tools = Tools((ToolSpec("search", "find text", {"type": "object", "properties": {"pattern": {"type": "string"}}}),))
    fake_model.script([tool_use("search", {"pattern": "TAX"}), "```diff\n```"])
    provider = make_provider(spec, config(), stream=stream)
    first = provider.complete(SYSTEM, ASK, task="edit", tools=tools)
    [call] = first.tool_calls
    assert call.name == "search" and call.arguments == {"pattern": "TAX"} and call.error is None
    messages = [*ASK, {"role": "assistant", "content": first.text, "tool_calls": first.tool_calls},
                {"role": "user", "content": "now answer", "tool_results": (ToolResult(call.id, "a.py:1: TAX = 1"),)}]
    second = provider.complete(SYSTEM, messages, task="edit", tools=Tools(tools.specs, allowed=False))
    assert second.tool_calls == ()
    request = fake_model.requests[1]
    assert [r["id"] for r in request.tool_results()] == [call.id]
    assert request.tool_results()[0]["content"] == "a.py:1: TAX = 1"
    assert request.tool_choice in ({"type": "none"}, "none")
    assert "now answer" in request.raw.decode()


def test_an_sdk_loaded_early_is_made_without_the_cyclic_collector_and_then_kept_out_of_its_way(tmp_path, monkeypatch):
    import gc

    from surgeon.model.base import _import_early

    # A module whose import makes many objects in cycles, as an SDK's classes and models are.
    (tmp_path / "big_sdk_for_test.py").write_text("NODES = []\nfor _ in range(100_000):\n    n = []\n    n.append(n)\n"
                                                 "    NODES.append(n)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    collections: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    frozen = gc.get_freeze_count()
    gc.callbacks.append(seen)
    try:
        _import_early("big_sdk_for_test")
    finally:
        gc.callbacks.remove(seen)
        sys.modules.pop("big_sdk_for_test", None)
    assert collections == []  # 100,000 cycles made, none collected meanwhile: they all live on
    assert gc.isenabled()
    assert gc.get_freeze_count() - frozen >= 100_000  # kept out of every later collection
    gc.disable()
    try:
        _import_early("json")
        assert not gc.isenabled()  # a process that had it off keeps it off
    finally:
        gc.enable()
