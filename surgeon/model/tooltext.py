"""Tool use in plain text, for a model reached without native tool calls (an OpenAI-compatible
server without tool support, `context_tools = "text"`, and the scripted provider).

The model asks by writing one fenced block per request, and nothing else:

    ```tool
    {"tool": "read_lines", "arguments": {"path": "app.py", "start_line": 10, "end_line": 40}}
    ```

The results come back in the next user message, one section per request, in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from surgeon.model.types import Message, ToolCall, ToolResult, Tools

_BLOCK = re.compile(r"```tool[ \t]*\r?\n(.*?)```", re.DOTALL)


def instructions(tools: Tools) -> str:
    """The system block that explains the tools and the request format."""
    lines = [
        "Before you answer you may ask for more of the repository (read-only). To ask, reply with one or more",
        "fenced blocks and nothing else, one request each:",
        "```tool",
        '{"tool": "NAME", "arguments": {...}}',
        "```",
        "The results come back in the next message. The tools:",
    ]
    for spec in tools.specs:
        fields = ", ".join(f'"{name}": {value.get("type", "value")}'
                           for name, value in dict(spec.schema.get("properties", {})).items())
        lines.append(f"- {spec.name} {{{fields}}}: {spec.description}")
    return "\n".join(lines)


def parse_requests(text: str) -> tuple[ToolCall, ...]:
    """The requests written in `text`, as tool calls numbered text_1, text_2, ..."""
    calls: list[ToolCall] = []
    for number, match in enumerate(_BLOCK.finditer(text), 1):
        ident = f"text_{number}"
        try:
            data = json.loads(match.group(1))
        except json.JSONDecodeError as exc:
            calls.append(ToolCall(ident, "?", {}, f"the request is not valid JSON: {exc.msg} (line {exc.lineno})"))
            continue
        if not isinstance(data, dict) or not isinstance(data.get("tool"), str):
            calls.append(ToolCall(ident, "?", {}, 'a request is a JSON object {"tool": NAME, "arguments": {...}}'))
            continue
        arguments = data.get("arguments", {k: v for k, v in data.items() if k != "tool"})
        if not isinstance(arguments, dict):
            calls.append(ToolCall(ident, data["tool"], {}, "arguments must be a JSON object"))
            continue
        calls.append(ToolCall(ident, data["tool"], arguments))
    return tuple(calls)


def results_text(results: Sequence[ToolResult], calls: Sequence[ToolCall]) -> str:
    names = {call.id: call for call in calls}
    parts = []
    for result in results:
        call = names.get(result.call_id)
        what = f"{call.name} {json.dumps(dict(call.arguments))}" if call else result.call_id
        head = "Error from" if result.is_error else "Result of"
        parts.append(f"{head} {what}:\n{result.text}")
    return "\n\n".join(parts)


def as_plain(messages: Sequence[Message]) -> list[dict[str, str]]:
    """The conversation with its tool calls and results written as text."""
    plain: list[dict[str, str]] = []
    calls: list[ToolCall] = []
    for message in messages:
        content = message["content"]
        calls.extend(message.get("tool_calls") or ())
        results = message.get("tool_results") or ()
        if results:
            content = results_text(results, calls) + (f"\n\n{content}" if content else "")
        plain.append({"role": message["role"], "content": content})
    return plain


def message_text(message: Message) -> str:
    """Everything a message carries, for token estimates."""
    parts = [message["content"]]
    parts += [json.dumps(dict(c.arguments)) for c in message.get("tool_calls") or ()]
    parts += [r.text for r in message.get("tool_results") or ()]
    return "".join(parts)
