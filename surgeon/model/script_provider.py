"""script:<path>: replies read from a JSON file, for demos and tests. Never passed off as a model:
its label says "scripted replies", its cost is 0.0 and every completion is marked scripted.

The file holds a JSON list; each reply is a string or {"text": "...", "usage": {"input_tokens": ..,
"output_tokens": .., "cache_read_tokens": .., "cache_write_tokens": ..}}. Replies are used in order,
and the order carries over between providers made for the same file in one process (a retry made
by a fresh provider gets the next reply). When the list runs out the call fails with a clear error.
A scripted reply asks for context in the plain-text format of tooltext.py (a ```tool block).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from surgeon.errors import ModelError, UsageError
from surgeon.model.base import check_messages
from surgeon.model.routing import ProviderName
from surgeon.model.tooltext import instructions, message_text, parse_requests
from surgeon.model.types import Completion, Ledger, Message, Progress, ProgressCallback, Tools, Usage
from surgeon.tokens import estimate_tokens

SCRIPTED = "scripted replies"
USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")

_cursors: dict[Path, int] = {}
_cursor_lock = threading.Lock()


def load_script(path: Path, shown: str) -> list[tuple[str, Usage | None]]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"script:{shown}: no such file (give the path of a JSON list of replies)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"script:{shown}: cannot read it: {exc}") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(f"script:{shown}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    if not isinstance(data, list) or not data:
        raise UsageError(f"script:{shown}: expected a non-empty JSON list of replies")
    replies: list[tuple[str, Usage | None]] = []
    for number, item in enumerate(data, 1):
        if isinstance(item, str):
            replies.append((item, None))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise UsageError(f"script:{shown}: reply {number} must be a string or an object with a \"text\" string")
        usage = item.get("usage")
        if usage is None:
            replies.append((item["text"], None))
            continue
        if not isinstance(usage, dict) or any(
            k not in USAGE_KEYS or isinstance(v, bool) or not isinstance(v, int) or v < 0 for k, v in usage.items()
        ):
            raise UsageError(f"script:{shown}: reply {number}: usage takes whole numbers for {', '.join(USAGE_KEYS)}")
        replies.append((item["text"], Usage(**usage)))
    return replies


class ScriptProvider:
    provider: ProviderName = "script"

    def __init__(self, path: str) -> None:
        self.shown = path
        self.path = Path(path).expanduser().resolve()
        self.spec = f"script:{path}"
        self.label = f"script:{path} ({SCRIPTED})"
        self.replies = load_script(self.path, path)

    def ready(self) -> None:
        pass  # no SDK: the replies were read when it was made

    def complete(self, system: Sequence[str], messages: Sequence[Message], *, task: str,
                 on_progress: ProgressCallback | None = None, ledger: Ledger | None = None,
                 tools: Tools | None = None) -> Completion:
        check_messages(system, messages)
        if ledger is not None:
            ledger.before_send(self.label, 0.0)
        started = time.monotonic()
        with _cursor_lock:
            index = _cursors.get(self.path, 0)
            if index >= len(self.replies):
                raise ModelError(
                    f"{self.label}: all {len(self.replies)} scripted replies were used; "
                    f"add more replies to {self.shown}"
                )
            _cursors[self.path] = index + 1
        text, usage = self.replies[index]
        if usage is None:
            prompt = "".join(system) + (instructions(tools) if tools else "") + "".join(map(message_text, messages))
            usage = Usage(input_tokens=estimate_tokens(prompt), output_tokens=estimate_tokens(text), estimated=True)
        seconds = time.monotonic() - started
        if on_progress is not None:
            on_progress(Progress(label=self.label, phase="done", elapsed=seconds, output_tokens=usage.output_tokens,
                                 characters=len(text), first_token_seconds=seconds))
        return Completion(
            text=text, model=SCRIPTED, label=self.label, usage=usage, seconds=seconds,
            first_token_seconds=seconds, cost=0.0, spec=self.spec, scripted=True, stop_reason="end_turn",
            tool_calls=parse_requests(text) if tools is not None and tools.allowed else (),
        )


def reset_script_cursors() -> None:
    """Start every script file from its first reply again (tests, a new demo run)."""
    with _cursor_lock:
        _cursors.clear()
