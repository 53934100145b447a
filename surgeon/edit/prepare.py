"""What an edit shows the model, made before its first call: the located regions (less the files
surgeon withholds), the context rendered and redacted, and the files it shows. It touches no
terminal and no network, so it can run in a child process (surgeon/edit/aside.py) while this one
imports the model SDK; its events come back with it, to be emitted where the edit runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from surgeon import prompt as prompts
from surgeon.config import Config
from surgeon.edit import events
from surgeon.errors import UsageError
from surgeon.locate import LocateResult, estimate_tokens
from surgeon.model import Redactor, never_send
from surgeon.prompt import render_context


@dataclass(frozen=True)
class Prepared:
    located: LocateResult
    events: tuple[events.EditEvent, ...]  # what preparing found to tell (files withheld), in order
    locate_seconds: float
    redactor: Redactor  # it has seen the context's secrets: the conversation goes on with it
    context_block: str = ""  # rendered and redacted; empty when nothing was located
    shown: tuple[str, ...] = ()
    whole_file_tokens: int = 0  # the shown files whole, for comparison
    history: tuple[str, ...] = ()  # the earlier turns' texts, redacted
    request: str = ""  # this turn's request after the context (the notes, the instruction), redacted


def prepare(root: Path, config: Config, instruction: str, budget: int | None, pinned: tuple[str, ...],
            preface: str = "", history: Sequence[str] = ()) -> Prepared:
    """`preface` and `history`: the rest of what this turn's conversation holds (a pair session's
    notes for this turn and its earlier turns), redacted here with the context."""
    started = time.perf_counter()
    told: list[events.EditEvent] = []
    located = _locate(root, instruction, budget or int(config.get("budget")), pinned, told.append)
    seconds = time.perf_counter() - started
    redactor = Redactor()
    if not located.regions:
        return Prepared(located, tuple(told), seconds, redactor)
    context_text, shown = render_context(root, located.regions)
    block = redactor.redact(prompts.render("edit_context", regions=context_text))
    # A secret the conversation names is hidden in the context too, where a shown file may hold it
    # bare, and in the output (a region's why names the instruction's words).
    if redactor.learn([instruction, preface, *history]):
        block = redactor.hide_known(block)
    whole = sum(estimate_tokens((root / p).read_bytes().decode("utf-8", "replace")) for p in shown)
    # Earlier turns carry diffs with real file lines: they go through the same redactor as the context.
    earlier = tuple(redactor.redact(text) for text in history)
    request = prompts.render("edit_request", instruction=instruction)
    if preface.strip():
        request = f"{preface.rstrip()}\n\n{request}"
    return Prepared(located, tuple(told), seconds, redactor, block, tuple(shown), whole, earlier,
                    redactor.redact(request))


def _locate(root: Path, instruction: str, budget: int, pinned: tuple[str, ...],
            tell: Callable[[events.EditEvent], None]) -> LocateResult:
    reasons: dict[str, str] = {}

    def withhold(path: str) -> bool:  # kept out of the ranking, so the budget goes to what can be shown
        if never_send(path, root):
            reasons[path] = "never sent: a secret file or matched by .surgeonignore"
        elif not _is_utf8(root / path):
            reasons[path] = "not UTF-8 text, which surgeon cannot edit"
        return path in reasons

    from surgeon.locate import locate  # the engine: here, in the process that prepares the context

    located = locate(root, instruction, budget=budget, pinned=pinned, withhold=withhold)
    missing = [p for p in pinned if p not in {r.path for r in located.regions}]
    if missing:
        raise UsageError(f"--files {', '.join(missing)}: not shown: binary, generated, or over the size "
                         "limit for context (locate.max_file_bytes); edit it by hand or with a smaller file")
    withheld: dict[str, str] = {path: reasons[path] for path in located.withheld}
    for path in {r.path for r in located.regions}:  # pinned files are ranked whatever withhold says
        if withhold(path):
            withheld[path] = reasons[path]
    if withheld:
        tell(events.Withheld(tuple(sorted(withheld)), withheld))
        kept = tuple(r for r in located.regions if r.path not in withheld)
        located = LocateResult(kept, sum(r.tokens for r in kept), located.files_indexed, located.seconds,
                               located.skipped)
    return located


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
