"""What Claude Code sends a PreToolUse hook for its file tools, and the file the call would leave.

The input is one JSON object on stdin: `tool_name`, `tool_input` and `cwd` among others. Edit sends
`file_path`, `old_string`, `new_string` and `replace_all`; MultiEdit sends `file_path` and `edits`
(each an Edit's three fields, applied in order, all or none); Write sends `file_path` and `content`.
Paths are absolute. An edit whose old text is not in the file (or is there more than once without
`replace_all`) fails in the tool itself, so it writes nothing and there is nothing to judge.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EDIT_TOOLS = ("Edit", "MultiEdit", "Write")


class BadInput(ValueError):
    """The hook input is not what Claude Code sends; the message says what is wrong, in one line."""


@dataclass(frozen=True)
class ToolCall:
    tool: str  # Edit, MultiEdit or Write
    path: Path  # the file, absolute (not resolved: a link is judged as named and as its target)
    root: Path  # the project the call is judged in: the git work tree around the session's folder
    tool_input: Mapping[str, Any]


def project_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds `.git` (a folder, or a worktree's file);
    `start` itself when there is none."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def parse(raw: bytes, environ: Mapping[str, str] = os.environ) -> ToolCall | None:
    """The call in `raw`, or None for a tool that writes no file. Raises BadInput."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"the hook input is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput("the hook input is not a JSON object")
    tool = data.get("tool_name")
    if tool not in EDIT_TOOLS:
        return None
    tool_input = data.get("tool_input")
    if not isinstance(tool_input, dict):
        raise BadInput(f"the {tool} call has no tool_input object")
    file_path = tool_input.get("file_path")
    if not isinstance(file_path, str) or not file_path or "\0" in file_path:
        raise BadInput(f"the {tool} call has no file_path")
    given = data.get("cwd")
    cwd = given if isinstance(given, str) and given else os.getcwd()
    base = Path(environ.get("CLAUDE_PROJECT_DIR") or cwd)
    path = Path(os.path.normpath(Path(cwd) / file_path))
    _check_fields(tool, tool_input)
    return ToolCall(tool, path, project_root(base), tool_input)


def _check_fields(tool: str, tool_input: Mapping[str, Any]) -> None:
    if tool == "Write":
        if not isinstance(tool_input.get("content"), str):
            raise BadInput("the Write call has no content string")
        return
    edits = tool_input.get("edits") if tool == "MultiEdit" else [tool_input]
    if not isinstance(edits, list) or not edits:
        raise BadInput("the MultiEdit call has no edits list")
    for edit in edits:
        if not isinstance(edit, dict) or not all(isinstance(edit.get(k), str) for k in ("old_string", "new_string")):
            raise BadInput(f"an edit of the {tool} call lacks old_string or new_string")


def _edits(call: ToolCall) -> list[Mapping[str, Any]]:
    return list(call.tool_input["edits"]) if call.tool == "MultiEdit" else [call.tool_input]


def written_text(call: ToolCall) -> str:
    """Everything the call writes (each new_string, or the content), for a file that is not text."""
    if call.tool == "Write":
        return str(call.tool_input["content"])
    return "\n".join(str(edit["new_string"]) for edit in _edits(call))


def resulting_text(call: ToolCall, old: str | None) -> str | None:
    """The file's text after the call (`old` None: the file does not exist yet), or None when the
    tool would fail and write nothing. Line endings are LF on both sides, as the rules compare lines."""
    if call.tool == "Write":
        return str(call.tool_input["content"]).replace("\r\n", "\n")
    text = old
    for edit in _edits(call):
        before, after = str(edit["old_string"]).replace("\r\n", "\n"), str(edit["new_string"]).replace("\r\n", "\n")
        if text is None:  # an empty old_string creates the file
            if before:
                return None
            text = after
            continue
        count = text.count(before) if before else 0
        if count == 0 or (count > 1 and edit.get("replace_all") is not True):
            return None
        text = text.replace(before, after) if edit.get("replace_all") is True else text.replace(before, after, 1)
    return text
