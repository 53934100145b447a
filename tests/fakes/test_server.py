"""The loopback fake model server speaks both wire protocols well enough for the real SDKs."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from tests.fakes.server import Disconnect, Error, FakeModelServer, Malformed, Reply

USER = [{"role": "user", "content": "hello"}]


def anthropic_client(server: FakeModelServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0, timeout=5)


def openai_client(server: FakeModelServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.openai_url, api_key="k", max_retries=0, timeout=5)


def test_anthropic_plain_reply_with_usage_and_recorded_request(fake_model):
    fake_model.script([Reply("hi there", usage={"input_tokens": 12, "output_tokens": 3,
                                                "cache_read_tokens": 100, "cache_write_tokens": 7})])
    message = anthropic_client(fake_model).messages.create(
        model="claude-sonnet-5-5", max_tokens=50, messages=USER, system="be brief")
    assert message.content[0].text == "hi there"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 3)
    assert message.usage.cache_read_input_tokens == 100
    assert message.usage.cache_creation_input_tokens == 7
    [request] = fake_model.requests
    assert request.path == "/v1/messages" and request.api == "anthropic" and not request.streaming
    assert request.body["system"] == "be brief" and request.body["messages"] == USER
    assert request.headers["anthropic-version"]
    assert fake_model.remaining == 0


def test_anthropic_stream_has_the_event_sequence_the_sdk_expects(fake_model):
    fake_model.script([Reply("streamed words", chunks=4, usage={"input_tokens": 5, "output_tokens": 9})])
    with anthropic_client(fake_model).messages.create(
            model="m", max_tokens=50, messages=USER, stream=True) as events:
        seen = [event for event in events]
    kinds = [event.type for event in seen]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(e.delta.text for e in seen if e.type == "content_block_delta")
    assert text == "streamed words" and kinds.count("content_block_delta") == 4
    assert seen[0].message.usage.input_tokens == 5
    assert seen[-2].usage.output_tokens == 9 and seen[-2].delta.stop_reason == "end_turn"


def test_anthropic_errors_carry_status_body_and_retry_headers(fake_model):
    fake_model.script([Error(529, headers={"retry-after": "3"}), Error(429, "slow down", {"retry-after-ms": "20"})])
    client = anthropic_client(fake_model)
    with pytest.raises(anthropic.OverloadedError) as overloaded:
        client.messages.create(model="m", max_tokens=5, messages=USER)
    assert overloaded.value.response.headers["retry-after"] == "3"
    assert overloaded.value.body["error"]["type"] == "overloaded_error"
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.messages.create(model="m", max_tokens=5, messages=USER)
    assert "slow down" in str(limited.value)
    assert limited.value.response.headers["retry-after-ms"] == "20"


def test_openai_plain_and_streaming_with_usage(fake_model):
    fake_model.script([
        Reply("plain", usage={"input_tokens": 10, "output_tokens": 2, "cache_read_tokens": 30}),
        Reply("in pieces", chunks=3, usage={"input_tokens": 4, "output_tokens": 6, "cache_write_tokens": 2}),
    ])
    client = openai_client(fake_model)
    response = client.chat.completions.create(model="gpt-6-sol", messages=USER)
    assert response.choices[0].message.content == "plain"
    assert response.usage.prompt_tokens == 40 and response.usage.prompt_tokens_details.cached_tokens == 30
    stream = client.chat.completions.create(model="gpt-6-sol", messages=USER, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "in pieces"
    assert chunks[-1].usage.completion_tokens == 6 and chunks[-1].usage.prompt_tokens == 6
    assert chunks[-1].usage.prompt_tokens_details.cache_write_tokens == 2
    assert [r.path for r in fake_model.requests] == ["/v1/chat/completions"] * 2
    assert fake_model.requests[1].body["stream_options"] == {"include_usage": True}


def test_openai_stream_without_include_usage_sends_no_usage_chunk(fake_model):
    fake_model.script(["abc"])
    chunks = list(openai_client(fake_model).chat.completions.create(model="x", messages=USER, stream=True))
    assert all(c.usage is None for c in chunks)


def test_openai_error_shape(fake_model):
    fake_model.script([Error(401, "bad key")])
    with pytest.raises(openai.AuthenticationError) as error:
        openai_client(fake_model).chat.completions.create(model="x", messages=USER)
    assert error.value.body["message"] == "bad key"


def test_malformed_delay_disconnect_and_exhausted_script(fake_model):
    fake_model.script([Malformed(), Reply("late", delay=1.0), Disconnect()])
    with httpx.Client(base_url=fake_model.url, timeout=5) as http:
        broken = http.post("/v1/messages", json={"model": "m"})
        assert broken.status_code == 200 and broken.text.startswith('{"id": "msg_broken"')
        with pytest.raises(httpx.ReadTimeout):
            http.post("/v1/messages", json={"model": "m"}, timeout=0.2)
    with httpx.Client(base_url=fake_model.url, timeout=5) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/v1/messages", json={"model": "m"})
        exhausted = http.post("/v1/chat/completions", json={"model": "m"})
        assert exhausted.status_code == 500 and "no step left" in exhausted.json()["error"]["message"]
        assert http.post("/elsewhere", json={}).status_code == 404
    assert len(fake_model.requests) == 5


def test_script_accepts_only_steps():
    with FakeModelServer() as server:
        with pytest.raises(TypeError):
            server.script([42])
        server.script(["a"]).add(Reply("b"), "c")
        assert server.remaining == 3


def test_env_points_subprocesses_here():
    with FakeModelServer() as server:
        env = server.env()
        assert env["ANTHROPIC_BASE_URL"] == server.url and env["OPENAI_BASE_URL"] == server.url + "/v1"
        assert env["SURGEON_OPENAI_BASE_URL"] == server.openai_url and env["ANTHROPIC_API_KEY"]


READ = {"path": "a.py", "start_line": 1, "end_line": 3}
TOOLS = [{"name": "read_lines", "description": "read", "input_schema": {"type": "object"}}]


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_tool_use_in_the_sdks_shape(fake_model, stream):
    from tests.fakes.server import tool_use

    fake_model.script([tool_use("read_lines", READ)])
    client = anthropic_client(fake_model)
    if stream:
        with client.messages.stream(model="m", max_tokens=10, messages=USER, tools=TOOLS) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(model="m", max_tokens=10, messages=USER, tools=TOOLS)
    assert message.stop_reason == "tool_use"
    [block] = [b for b in message.content if b.type == "tool_use"]
    assert block.name == "read_lines" and block.input == READ
    reply = [{"role": "assistant", "content": [b.model_dump() for b in message.content]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "1|x",
                                           "is_error": False}]}]
    fake_model.add("done")
    client.messages.create(model="m", max_tokens=10, messages=USER + reply, tools=TOOLS)
    assert fake_model.requests[-1].tool_results() == [{"id": block.id, "content": "1|x", "is_error": False}]


@pytest.mark.parametrize("stream", [False, True])
def test_openai_tool_calls_in_the_sdks_shape(fake_model, stream):
    import json

    from tests.fakes.server import tool_use

    fake_model.script([tool_use(("search", {"pattern": "x"}), ("read_lines", READ))])
    client = openai_client(fake_model)
    tools = [{"type": "function", "function": {"name": "read_lines", "parameters": {"type": "object"}}}]
    if stream:
        calls: dict[int, list[str]] = {}
        finish = None
        for chunk in client.chat.completions.create(model="m", messages=USER, tools=tools, stream=True):
            for choice in chunk.choices:
                for call in choice.delta.tool_calls or ():
                    entry = calls.setdefault(call.index, [call.id or "", "", ""])
                    entry[1] = call.function.name or entry[1]
                    entry[2] += call.function.arguments or ""
                finish = choice.finish_reason or finish
        got = [(name, json.loads(args)) for _, name, args in calls.values()]
        first_id = calls[0][0]
    else:
        response = client.chat.completions.create(model="m", messages=USER, tools=tools)
        finish = response.choices[0].finish_reason
        got = [(c.function.name, json.loads(c.function.arguments)) for c in response.choices[0].message.tool_calls]
        first_id = response.choices[0].message.tool_calls[0].id
    assert finish == "tool_calls"
    assert got == [("search", {"pattern": "x"}), ("read_lines", READ)]
    fake_model.add("done")
    client.chat.completions.create(model="m", tools=tools, messages=USER + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": first_id, "type": "function", "function": {"name": "search", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": first_id, "content": "a.py:1: x"}])
    assert fake_model.requests[-1].tool_results() == [{"id": first_id, "content": "a.py:1: x", "is_error": None}]
