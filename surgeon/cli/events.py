"""`surgeon edit --events`: the edit as it runs, one JSON object per line on stdout, for editors and CI.

Every line but the last is an event: an object whose "event" names it. The last line is the result,
the very object `surgeon edit --json` prints (on one line), or the error object when the command
stops with an error. Each line is flushed as it is written. Every string passes through one Redactor
for the whole command, so a secret shows as the same placeholder (<<SECRET_1>>) wherever it appears.

  withheld        paths, reasons          files the instruction names that are never sent
  located         regions, tokens, files_indexed, seconds
  model_request   attempt, model          a request is about to be sent
  tokens          model, phase (waiting, streaming, done), elapsed, output_tokens, first_token_seconds
  model_retry     model, message          the provider is retrying (rate limit, overload, network)
  refused         attempt, errors, verdicts               the reasons go back to the model
  validated       attempt, verdicts, repairs, files, lines_added, lines_removed, diff
  blocked         attempt, errors         valid, but it touches files with uncommitted work
  staged          branch, id, commit, lines_added, lines_removed
  gate_started    command
  gate_finished   check (command, passed, exit_code, timed_out, seconds, output_tail)
  discarded       branch, id, commit      the gate failed; the failure goes back to the model
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from surgeon.cli.render import JSON, refusal_json, region_json, staged_json

if TYPE_CHECKING:
    from surgeon.edit.events import EditEvent
    from surgeon.model import Progress, Redactor

# Values that are surgeon's own names and ids, never file content: left as they are, so that a
# commit id can never be taken for a high-entropy secret.
_OWN = frozenset({"event", "status", "branch", "id", "commit", "model", "phase", "kind", "tool"})


def redact_json(value: Any, redactor: Redactor) -> Any:
    """`value` (a JSON shape) with every string redacted, keys included: their secrets found in one
    pass (one call to the redactor's finder, wherever it runs)."""
    texts: list[str] = []
    _strings(value, None, texts)
    redacted = iter(redactor.redact_all(texts))
    return _rebuilt(value, None, redacted)


def _strings(value: Any, key: str | None, into: list[str]) -> None:
    if isinstance(value, str):
        if key not in _OWN:
            into.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            into.append(str(k))
            _strings(v, str(k), into)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _strings(item, key, into)


def _rebuilt(value: Any, key: str | None, redacted: Iterator[str]) -> Any:
    """`value` with its strings taken in _strings' order from `redacted`."""
    if isinstance(value, str):
        return value if key in _OWN else next(redacted)
    if isinstance(value, dict):
        rebuilt = {}
        for k, v in value.items():
            new_key = next(redacted)
            rebuilt[new_key] = _rebuilt(v, str(k), redacted)
        return rebuilt
    if isinstance(value, (list, tuple)):
        return [_rebuilt(item, key, redacted) for item in value]
    return value


def event_json(event: EditEvent) -> JSON:
    from surgeon.edit import events

    match event:
        case events.Withheld(paths=paths, reasons=reasons):
            return {"event": "withheld", "paths": list(paths), "reasons": dict(reasons)}
        case events.Located(located=located):
            return {"event": "located", "regions": [region_json(r) for r in located.regions],
                    "tokens": located.tokens, "files_indexed": located.files_indexed,
                    "seconds": round(located.seconds, 4)}
        case events.ModelStarted(attempt=attempt, model=model):
            return {"event": "model_request", "attempt": attempt, "model": model}
        case events.AttemptRefused(attempt=attempt, errors=errors, verdicts=verdicts):
            return {"event": "refused", "attempt": attempt, "errors": [refusal_json(e) for e in errors],
                    "verdicts": dict(verdicts)}
        case events.Validated(attempt=attempt, result=result, verdicts=verdicts):
            return {"event": "validated", "attempt": attempt, "verdicts": dict(verdicts),
                    "repairs": list(result.repairs), "files": [c.path for c in result.changes],
                    "lines_added": result.lines_added, "lines_removed": result.lines_removed,
                    "diff": result.normalised}
        case events.Blocked(attempt=attempt, errors=errors):
            return {"event": "blocked", "attempt": attempt, "errors": [refusal_json(e) for e in errors]}
        case events.Staged(staged=staged):
            return {"event": "staged", **staged_json(staged), "lines_added": staged.lines_added,
                    "lines_removed": staged.lines_removed}
        case events.GateStarted(command=command):
            return {"event": "gate_started", "command": command}
        case events.GateFinished(gate=gate):
            return {"event": "gate_finished", "check": gate.to_json()}
        case events.Discarded(staged=staged):
            return {"event": "discarded", **staged_json(staged)}
    raise TypeError(f"no JSON shape for the edit event {type(event).__name__}")


def progress_json(progress: Progress) -> JSON:
    if progress.phase == "retrying":
        return {"event": "model_retry", "model": progress.label, "message": progress.message}
    first = progress.first_token_seconds
    return {"event": "tokens", "model": progress.label, "phase": progress.phase,
            "elapsed": round(progress.elapsed, 3), "output_tokens": progress.output_tokens,
            "first_token_seconds": None if first is None else round(first, 3)}


class EventStream:
    """Writes the lines: events as the loop emits them, then the result."""

    def __init__(self) -> None:
        from surgeon.model.redact import Redactor

        self.redactor = Redactor()
        # The edit's own redactor, once there is one: what it hides from the model is hidden here too.
        self.known: Callable[[], Redactor | None] = lambda: None

    def line(self, payload: JSON) -> None:
        known = self.known()
        if known is not None:
            self.redactor.include(known)
        sys.stdout.write(json.dumps(redact_json(payload, self.redactor)) + "\n")
        sys.stdout.flush()

    def event(self, event: EditEvent) -> None:
        self.line(event_json(event))

    def progress(self, progress: Progress) -> None:
        self.line(progress_json(progress))
