"""A loopback model server for tests: the only stand-in for a model in the test suite.

It speaks two wire protocols, as the real SDKs expect them:

- the Anthropic Messages API (POST /v1/messages), plain JSON or server-sent events with
  message_start / content_block_start / content_block_delta / content_block_stop /
  message_delta / message_stop, usage with cache_read_input_tokens and
  cache_creation_input_tokens, and error bodies {"type": "error", "error": {...}};
- the OpenAI chat completions API (POST /v1/chat/completions), plain JSON or `data:` chunks
  ending in `data: [DONE]`, with a final usage chunk when stream_options.include_usage is set.

Each test gives it a script: a list of steps (Reply, Error, Malformed, Disconnect, Endless), consumed one
per request in order, whichever API the request uses. A Reply with `tool_calls` (see `tool_use()`)
is a tool call in the API's own shape: Anthropic `tool_use` content blocks with stop_reason "tool_use"
(streamed as content_block_start + input_json_delta events), OpenAI `tool_calls` with finish_reason
"tool_calls" (streamed as tool_calls deltas). `RecordedRequest.tool_results()` reads the results the
client sent back. Every request is recorded (path, headers,
JSON body) so a test can assert on exactly what was sent. A request that arrives after the
script ran out gets HTTP 500 with a message saying so, and is recorded too.

The real SDKs reach it through their base URL: `server.url` for Anthropic (ANTHROPIC_BASE_URL),
`server.openai_url` (…/v1) for OpenAI (OPENAI_BASE_URL, SURGEON_OPENAI_BASE_URL). `server.env()`
gives those variables for a subprocess running the CLI.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANTHROPIC_PATH = "/v1/messages"
OPENAI_PATH = "/v1/chat/completions"


# --- script steps -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    """A successful reply. `usage` keys: input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens (the Anthropic names cache_read_input_tokens and
    cache_creation_input_tokens are accepted too). Without usage, tokens are counted as
    characters / 4 of the request and the reply.

    `delay` waits before any byte of the response (to provoke a client timeout);
    `chunk_delay` waits between streamed chunks; `chunks` splits the text into that many deltas.
    `report_usage=False` leaves usage out of an OpenAI reply (as some local servers do).
    """

    text: str
    usage: Mapping[str, int] | None = None
    stop_reason: str = "end_turn"
    model: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunks: int = 3
    report_usage: bool = True
    tool_calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()  # (tool name, input) each


def tool_use(*calls: Any, text: str = "", **options: Any) -> Reply:
    """A reply that calls tools: tool_use("read_lines", {"path": ...}) or several (name, input) pairs."""
    if len(calls) == 2 and isinstance(calls[0], str):
        calls = (calls,)
    return Reply(text, tool_calls=tuple((name, dict(arguments)) for name, arguments in calls),
                 stop_reason="tool_use", **options)


@dataclass(frozen=True)
class Error:
    """An HTTP error in the provider's error shape, e.g. Error(429, headers={"retry-after": "0"})
    or Error(529) (Anthropic's overloaded). With `mid_stream=True` a streaming request first gets
    HTTP 200 and part of a reply, then an error event."""

    status: int
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error_type: str | None = None
    mid_stream: bool = False


@dataclass(frozen=True)
class Malformed:
    """A response whose body is not what the API promises (`body` as given, status 200 by default).
    For a streaming request the body is sent as one server-sent event's data."""

    body: str = '{"id": "msg_broken", "content": [ this is not json'
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without answering (a dropped connection)."""


@dataclass(frozen=True)
class Endless:
    """A stream that starts like a reply and then never ends: after `text` (if any), it sends
    `kind` every `interval` seconds until the client goes away or the server stops.
    kind: "empty_delta" (a text delta with no text), "ping" (Anthropic's ping event; for OpenAI an
    empty content chunk) or "comment" (an SSE comment line, which SDKs read and skip)."""

    kind: str = "empty_delta"
    interval: float = 0.02
    text: str = ""
    input_tokens: int = 1000


Step = Reply | Error | Malformed | Disconnect | Endless


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None when the body was not JSON
    raw: bytes
    api: str  # "anthropic", "openai" or "unknown"

    @property
    def streaming(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    def tool_results(self) -> list[dict[str, Any]]:
        """The tool results the client sent back, in order: {"id", "content", "is_error"}."""
        found: list[dict[str, Any]] = []
        for message in (self.body or {}).get("messages", []) if isinstance(self.body, dict) else []:
            if message.get("role") == "tool":
                found.append({"id": message.get("tool_call_id"), "content": message.get("content"), "is_error": None})
            elif isinstance(message.get("content"), list):
                for block in message["content"]:
                    if block.get("type") == "tool_result":
                        content = block.get("content")
                        if isinstance(content, list):
                            content = "".join(part.get("text", "") for part in content)
                        found.append({"id": block.get("tool_use_id"), "content": content,
                                      "is_error": bool(block.get("is_error"))})
        return found

    @property
    def tool_choice(self) -> Any:
        return self.body.get("tool_choice") if isinstance(self.body, dict) else None

    def text(self) -> str:
        """Everything the request carried, decoded, for "was this secret sent?" assertions."""
        head = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.method} {self.path}\n{head}\n\n" + self.raw.decode("utf-8", "replace")


# --- the server ---------------------------------------------------------------------------------

ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 408: "timeout_error", 413: "request_too_large", 429: "rate_limit_error",
    500: "api_error", 503: "api_error", 529: "overloaded_error",
}
OPENAI_ERROR_TYPES = {
    400: "invalid_request_error", 401: "invalid_api_key", 403: "permission_denied",
    404: "model_not_found", 429: "rate_limit_exceeded", 500: "server_error", 503: "server_error",
}


class FakeModelServer:
    """Start with `with FakeModelServer() as server:` (or .start()/.stop())."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._steps: list[Step] = []
        self._requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer((host, 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> FakeModelServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-model-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes handlers sleeping in a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # addresses
    @property
    def url(self) -> str:
        """Base URL for the Anthropic SDK (it adds /v1/messages)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK and OpenAI-compatible clients (they add /chat/completions)."""
        return self.url + "/v1"

    def env(self, api_key: str = "test-key") -> dict[str, str]:
        """Environment for a CLI subprocess whose model calls should land here."""
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": api_key,
            "OPENAI_BASE_URL": self.openai_url,
            "OPENAI_API_KEY": api_key,
            "SURGEON_OPENAI_BASE_URL": self.openai_url,
        }

    # script and records
    def script(self, steps: Iterable[Step | str]) -> FakeModelServer:
        """Replace the script. A bare string is Reply(text)."""
        prepared = [Reply(step) if isinstance(step, str) else step for step in steps]
        for step in prepared:
            if not isinstance(step, Reply | Error | Malformed | Disconnect | Endless):
                raise TypeError(f"not a script step: {step!r}")
        with self._lock:
            self._steps = prepared
        return self

    def add(self, *steps: Step | str) -> FakeModelServer:
        with self._lock:
            self._steps.extend(Reply(s) if isinstance(s, str) else s for s in steps)
        return self

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._steps)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def all_text(self) -> str:
        return "\n\n".join(r.text() for r in self.requests)

    # used by the handler
    def _record(self, request: RecordedRequest) -> Step | None:
        with self._lock:
            self._requests.append(request)
            return self._steps.pop(0) if self._steps else None

    def _sleep(self, seconds: float) -> bool:
        """Wait; False when the server is shutting down."""
        return not self._closing.wait(seconds) if seconds > 0 else True

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):04d}"


def _make_handler(server: FakeModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass  # keep test output clean

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._record_and_answer(b"")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            self._record_and_answer(self.rfile.read(length) if length else b"")

        def _record_and_answer(self, raw: bytes) -> None:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = self.path.split("?", 1)[0]
            api = "anthropic" if path.endswith("/messages") else "openai" if path.endswith("/chat/completions") else "unknown"
            request = RecordedRequest(
                method=self.command, path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()}, body=body, raw=raw, api=api,
            )
            step = server._record(request)
            if api == "unknown":
                self._json(404, {"error": {"message": f"fake server: no API at {self.path}"}})
                return
            if step is None:
                message = "fake server: the test script has no step left for this request"
                self._error(api, 500, message, {}, None)
                return
            answer = _Answer(self, server, api, request)
            answer.run(step)

        def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, api: str, status: int, message: str, headers: Mapping[str, str], kind: str | None) -> None:
            if api == "anthropic":
                payload = {"type": "error", "error": {"type": kind or ANTHROPIC_ERROR_TYPES.get(status, "api_error"),
                                                      "message": message}}
            else:
                payload = {"error": {"message": message, "type": kind or OPENAI_ERROR_TYPES.get(status, "server_error"),
                                     "param": None, "code": None}}
            self._json(status, payload, {"request-id": "req_fake", **headers})

    return Handler


def _usage_numbers(step: Reply, request: RecordedRequest) -> dict[str, int]:
    usage = dict(step.usage or {})
    if not step.usage:
        return {"input": max(1, len(request.raw) // 4), "output": max(1, len(step.text) // 4), "read": 0, "write": 0}
    return {
        "input": int(usage.get("input_tokens", 0)),
        "output": int(usage.get("output_tokens", 0)),
        "read": int(usage.get("cache_read_tokens", usage.get("cache_read_input_tokens", 0))),
        "write": int(usage.get("cache_write_tokens", usage.get("cache_creation_input_tokens", 0))),
    }


def _split(text: str, parts: int) -> list[str]:
    if not text:
        return []
    parts = max(1, min(parts, len(text)))
    size = -(-len(text) // parts)
    return [text[i:i + size] for i in range(0, len(text), size)]


class _Answer:
    """Writes one step as the response to one request."""

    def __init__(self, handler: Any, server: FakeModelServer, api: str, request: RecordedRequest) -> None:
        self.h = handler
        self.server = server
        self.api = api
        self.request = request
        body = request.body if isinstance(request.body, dict) else {}
        self.model = str(body.get("model") or "fake-model")
        self.stream = bool(body.get("stream"))
        options = body.get("stream_options") or {}
        self.include_usage = bool(isinstance(options, dict) and options.get("include_usage"))

    def run(self, step: Step) -> None:
        if isinstance(step, Disconnect):
            self.h.close_connection = True
            self.h.connection.close()
            return
        if isinstance(step, Malformed):
            self._malformed(step)
            return
        if isinstance(step, Endless):
            self._endless(step)
            return
        if isinstance(step, Error) and not (step.mid_stream and self.stream):
            message = step.message or f"fake {step.status} error"
            self.h._error(self.api, step.status, message, step.headers, step.error_type)
            return
        if isinstance(step, Reply) and not self.server._sleep(step.delay):
            return
        if not self.stream:
            assert isinstance(step, Reply)
            self.h._json(200, self._anthropic_message(step) if self.api == "anthropic" else self._openai_completion(step))
            return
        self._start_stream()
        try:
            if self.api == "anthropic":
                self._anthropic_stream(step)
            else:
                self._openai_stream(step)
            self._write(b"")  # end of chunked body
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to do

    # plain JSON
    def _anthropic_message(self, step: Reply) -> dict[str, Any]:
        n = _usage_numbers(step, self.request)
        return {
            "id": self.server._next_id("msg"), "type": "message", "role": "assistant",
            "model": step.model or self.model, "content": self._anthropic_content(step),
            "stop_reason": step.stop_reason, "stop_sequence": None,
            "usage": {"input_tokens": n["input"], "output_tokens": n["output"],
                      "cache_read_input_tokens": n["read"], "cache_creation_input_tokens": n["write"]},
        }

    def _call_id(self, prefix: str, number: int) -> str:
        return f"{prefix}_{self.server._next_id('call')}_{number}"

    def _anthropic_content(self, step: Reply) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = [{"type": "text", "text": step.text}] if step.text or not step.tool_calls else []
        blocks += [{"type": "tool_use", "id": self._call_id("toolu", n), "name": name, "input": dict(arguments)}
                   for n, (name, arguments) in enumerate(step.tool_calls)]
        return blocks

    def _openai_tool_calls(self, step: Reply) -> list[dict[str, Any]]:
        return [{"id": self._call_id("call", n), "type": "function",
                 "function": {"name": name, "arguments": json.dumps(dict(arguments))}}
                for n, (name, arguments) in enumerate(step.tool_calls)]

    def _openai_usage(self, step: Reply) -> dict[str, Any]:
        n = _usage_numbers(step, self.request)
        prompt = n["input"] + n["read"] + n["write"]
        return {
            "prompt_tokens": prompt, "completion_tokens": n["output"], "total_tokens": prompt + n["output"],
            "prompt_tokens_details": {"cached_tokens": n["read"], "cache_write_tokens": n["write"]},
        }

    def _openai_finish(self, step: Reply) -> str:
        return {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}.get(step.stop_reason, step.stop_reason)

    def _openai_completion(self, step: Reply) -> dict[str, Any]:
        return {
            "id": self.server._next_id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
            "model": step.model or self.model,
            "choices": [{"index": 0, "message": {
                "role": "assistant", "content": step.text if step.text or not step.tool_calls else None,
                **({"tool_calls": self._openai_tool_calls(step)} if step.tool_calls else {})},
                "finish_reason": self._openai_finish(step), "logprobs": None}],
            "usage": self._openai_usage(step) if step.report_usage else None,
        }

    # streaming
    def _start_stream(self) -> None:
        self.h.send_response(200)
        self.h.send_header("content-type", "text/event-stream")
        self.h.send_header("cache-control", "no-cache")
        self.h.send_header("transfer-encoding", "chunked")
        self.h.end_headers()

    def _write(self, data: bytes) -> None:
        self.h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.h.wfile.flush()

    def _event(self, name: str | None, payload: Any) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        prefix = f"event: {name}\n" if name else ""
        self._write(f"{prefix}data: {data}\n\n".encode())

    def _anthropic_stream(self, step: Reply | Error) -> None:
        reply = step if isinstance(step, Reply) else Reply("partial reply, then ", usage={"input_tokens": 10, "output_tokens": 3})
        n = _usage_numbers(reply, self.request)
        self._event("message_start", {"type": "message_start", "message": {
            "id": self.server._next_id("msg"), "type": "message", "role": "assistant",
            "model": reply.model or self.model, "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": n["input"], "output_tokens": 1,
                      "cache_read_input_tokens": n["read"], "cache_creation_input_tokens": n["write"]}}})
        self._event("content_block_start", {"type": "content_block_start", "index": 0,
                                            "content_block": {"type": "text", "text": ""}})
        self._event("ping", {"type": "ping"})
        for piece in _split(reply.text, reply.chunks):
            if not self.server._sleep(reply.chunk_delay):
                return
            self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                "delta": {"type": "text_delta", "text": piece}})
        if isinstance(step, Error):
            kind = step.error_type or ANTHROPIC_ERROR_TYPES.get(step.status, "api_error")
            self._event("error", {"type": "error", "error": {"type": kind, "message": step.message or "Overloaded"}})
            return
        self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
        tool_blocks = [block for block in self._anthropic_content(reply) if block["type"] == "tool_use"]
        for index, block in enumerate(tool_blocks, start=1):
            self._event("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})
            for piece in _split(json.dumps(block["input"]), reply.chunks):
                self._event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                    "delta": {"type": "input_json_delta", "partial_json": piece}})
            self._event("content_block_stop", {"type": "content_block_stop", "index": index})
        self._event("message_delta", {"type": "message_delta",
                                      "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                                      "usage": {"output_tokens": n["output"]}})
        self._event("message_stop", {"type": "message_stop"})

    def _openai_stream(self, step: Reply | Error) -> None:
        reply = step if isinstance(step, Reply) else Reply("partial reply, then ")
        ident, created = self.server._next_id("chatcmpl"), int(time.time())
        model = reply.model or self.model

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

        self._event(None, chunk({"role": "assistant", "content": ""}, None))
        for piece in _split(reply.text, reply.chunks):
            if not self.server._sleep(reply.chunk_delay):
                return
            self._event(None, chunk({"content": piece}, None))
        if isinstance(step, Error):
            self._event(None, {"error": {"message": step.message or "server error", "type": "server_error"}})
            return
        for index, call in enumerate(self._openai_tool_calls(reply)):
            function = call["function"]
            self._event(None, chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                                     "function": {"name": function["name"], "arguments": ""}}]}, None))
            for piece in _split(function["arguments"], reply.chunks):
                self._event(None, chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, None))
        self._event(None, chunk({}, self._openai_finish(reply)))
        if self.include_usage and reply.report_usage:
            self._event(None, {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                               "choices": [], "usage": self._openai_usage(reply)})
        self._write(b"data: [DONE]\n\n")

    def _endless(self, step: Endless) -> None:
        self._start_stream()
        anthropic = self.api == "anthropic"
        ident = self.server._next_id("msg" if anthropic else "chatcmpl")

        def openai_chunk(content: str) -> dict[str, Any]:
            return {"id": ident, "object": "chat.completion.chunk", "created": int(time.time()), "model": self.model,
                    "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None, "logprobs": None}]}

        def delta(text: str) -> None:
            if anthropic:
                self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "text_delta", "text": text}})
            else:
                self._event(None, openai_chunk(text))

        try:
            if anthropic:
                self._event("message_start", {"type": "message_start", "message": {
                    "id": ident, "type": "message", "role": "assistant", "model": self.model, "content": [],
                    "stop_reason": None, "stop_sequence": None,
                    "usage": {"input_tokens": step.input_tokens, "output_tokens": 1}}})
                self._event("content_block_start", {"type": "content_block_start", "index": 0,
                                                    "content_block": {"type": "text", "text": ""}})
            else:
                self._event(None, {**openai_chunk(""), "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
            if step.text:
                delta(step.text)
            while self.server._sleep(step.interval):
                if step.kind == "comment":
                    self._write(b": keep-alive\n\n")
                elif step.kind == "ping" and anthropic:
                    self._event("ping", {"type": "ping"})
                else:
                    delta("")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up: what the test wants

    def _malformed(self, step: Malformed) -> None:
        if self.stream:
            self._start_stream()
            name = "message_start" if self.api == "anthropic" else None
            self._event(name, step.body)
            self._write(b"")
            return
        data = step.body.encode()
        self.h.send_response(step.status)
        self.h.send_header("content-type", step.content_type)
        self.h.send_header("content-length", str(len(data)))
        self.h.end_headers()
        self.h.wfile.write(data)
