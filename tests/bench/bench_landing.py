"""With a perfect model, does `surgeon edit` land the exact change of a real commit? Measured on
real repositories' history, with the commit's subject as the instruction and its change as the
answer, beside two baselines in the same run.

    .venv/bin/python tests/bench/bench_landing.py CLONE [CLONE ...] [--tasks 15] [-v]

Each CLONE is a git repository or git directory (the search tool's `fetch` gives
/work/.mirror/<owner>+<name>/repo). Nothing is written into it: each is cloned into a temporary
folder, and every task checks out its commit's parent there. The tasks are bench_context's: small
focused commits (1-3 source files outside tests and docs, at most 40 changed lines, a subject of
three words or more that is not a release, bump or revert note).

The perfect model knows the commit's change and nothing of the repository beyond what surgeon
shows it, as a careful model would behave:
- it answers with a hunk only when it was shown the lines the hunk removes (and, for an insertion,
  a line next to it); context lines it was not shown are left out of the hunk;
- while surgeon lets it ask (`read_lines`, `search`, `find_definition`), it asks for what is
  missing: `read_lines` around the hunk when it has seen the file's name, else `find_definition`
  of the function the hunk sits in (git's hunk heading), else `search` for the longest identifier
  of the changed lines; it never names a path it was not shown;
- it answers with every hunk it can write; a file with no hunk it can write is left out.

A task lands when surgeon stages one commit whose files equal the commit's (the changed source
files) and nothing else changed. Wrong: staged, but different. The working tree, index and HEAD of
the checkout are compared before and after every edit.

Printed side by side: surgeon with its context tools (the default), surgeon without them
(context_requests = 0: the located context only), and BM25 over definitions (bench_context's
baseline): the share of tasks where its 8k-token context shows every line the change needs, which
is the most a perfect model without tools could land on it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import unidiff  # noqa: E402
from bench_context import Task, bm25_run, find_tasks, git, repo_name  # noqa: E402

import surgeon.edit.loop as edit_loop  # noqa: E402
from surgeon.config import load_config  # noqa: E402
from surgeon.edit import EditLoop, EditRequest  # noqa: E402
from surgeon.errors import SurgeonError  # noqa: E402
from surgeon.git import find_repo  # noqa: E402
from surgeon.model.types import Completion, ToolCall, Tools, Usage  # noqa: E402

_BLOCK = re.compile(r"^=== (.+) \(\d+ lines\) ===$")
_NUMBERED = re.compile(r"^\s*(\d+)\|")
_HIT = re.compile(r"^([^\s:][^:]*):(\d+): ")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{3,}")


@dataclass
class Hunk:
    path: str
    heading: str
    lines: list[tuple[str, int | None, str]]  # (' ' | '-' | '+', old line number, text)

    @property
    def old_numbers(self) -> list[int]:
        return [n for kind, n, _ in self.lines if kind != "+" and n is not None]

    def needed(self) -> set[int]:
        """The old lines a model must have seen to write this hunk: the removed lines, or for a pure
        insertion a line next to it."""
        removed = {n for kind, n, _ in self.lines if kind == "-" and n is not None}
        return removed or set(self.old_numbers[:1] + self.old_numbers[-1:])


def answer_hunks(root: Path, task: Task) -> list[Hunk]:
    text = git(root, "diff", "--no-renames", "-U3", task.parent, task.commit, "--", *sorted(task.targets))
    hunks = []
    for patched in unidiff.PatchSet(text):
        for hunk in patched:
            lines = [(line.line_type, line.source_line_no, line.value.rstrip("\n"))
                     for line in hunk if line.line_type in " -+"]
            hunks.append(Hunk(patched.path, hunk.section_header or "", lines))
    return hunks


def seen_lines(messages: Sequence[dict[str, Any]]) -> tuple[dict[str, set[int]], set[str], set[tuple[str, str]]]:
    """What the conversation showed: numbered lines per file, the paths it named, the tool calls made."""
    texts: list[str] = []
    asked: set[tuple[str, str]] = set()
    for message in messages:
        texts.append(str(message.get("content", "")))
        texts += [result.text for result in message.get("tool_results", ())]
        asked |= {(call.name, str(sorted(call.arguments.items()))) for call in message.get("tool_calls", ())}
    seen: dict[str, set[int]] = {}
    named: set[str] = set()
    for text in texts:
        current = None
        for line in text.splitlines():
            if match := _BLOCK.match(line):
                current = match[1]
                named.add(current)
            elif current and (match := _NUMBERED.match(line)):
                seen.setdefault(current, set()).add(int(match[1]))
            elif match := _HIT.match(line):
                named.add(match[1])
    return seen, named, asked


def written(hunk: Hunk, seen: set[int]) -> str | None:
    """The hunk as a model that saw `seen` would write it: unseen context left out at either end."""
    if not hunk.needed() <= seen:
        return None
    lines = list(hunk.lines)
    while lines and lines[0][0] == " " and lines[0][1] not in seen:
        lines.pop(0)
    while lines and lines[-1][0] == " " and lines[-1][1] not in seen:
        lines.pop()
    old = [n for kind, n, _ in lines if kind != "+" and n is not None]
    start = old[0] if old else (hunk.old_numbers[0] if hunk.old_numbers else 1)
    removed = sum(1 for kind, _, _ in lines if kind != "+")
    added = sum(1 for kind, _, _ in lines if kind != "-")
    body = "\n".join(f"{kind}{text}" for kind, _, text in lines)
    return f"@@ -{start},{removed} +{start},{added} @@\n{body}"


class PerfectModel:
    provider = "anthropic"

    def __init__(self, hunks: list[Hunk]) -> None:
        self.hunks = hunks
        self.spec = "anthropic:perfect"
        self.label = "perfect model (knows the commit)"
        self.calls = 0
        self.complete_answer = False  # the last answer held every hunk of the commit

    def ready(self) -> None:
        pass

    def complete(self, system: Sequence[str], messages: Sequence[dict[str, Any]], *, task: str,
                 on_progress: Any = None, ledger: Any = None, tools: Tools | None = None) -> Completion:
        self.calls += 1
        seen, named, asked = seen_lines(messages)
        missing = [h for h in self.hunks if written(h, seen.get(h.path, set())) is None]
        calls: list[ToolCall] = []
        if missing and tools is not None and tools.allowed:
            for hunk in missing:
                call = self._ask(hunk, named, asked)
                if call and all((c.name, dict(c.arguments)) != (call.name, dict(call.arguments)) for c in calls):
                    calls.append(call)
        if calls:
            return self._completion("", tuple(calls))
        by_path: dict[str, list[str]] = {}
        for hunk in self.hunks:
            text = written(hunk, seen.get(hunk.path, set()))
            if text:
                by_path.setdefault(hunk.path, []).append(text)
        self.complete_answer = not missing
        diff = "\n".join(f"--- a/{path}\n+++ b/{path}\n" + "\n".join(parts) for path, parts in by_path.items())
        return self._completion(f"```diff\n{diff}\n```\n" if diff else "I was not shown the code to change.", ())

    def _ask(self, hunk: Hunk, named: set[str], asked: set[tuple[str, str]]) -> ToolCall | None:
        def fresh(tool: str, **arguments: Any) -> ToolCall | None:
            key = (tool, str(sorted(arguments.items())))
            return None if key in asked else ToolCall(f"call-{self.calls}-{len(asked)}-{tool}", tool, arguments)

        numbers = hunk.old_numbers or [1]
        if hunk.path in named:
            return fresh("read_lines", path=hunk.path, start_line=max(1, numbers[0] - 3), end_line=numbers[-1] + 3)
        heading = re.search(r"(?:def|class|func|function)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", hunk.heading)
        if heading and (call := fresh("find_definition", name=heading[1])):
            return call
        words = sorted({w for kind, _, text in hunk.lines if kind != " " for w in _IDENT.findall(text)},
                       key=lambda w: (-len(w), w))
        for word in words[:3]:
            if call := fresh("search", pattern=word):
                return call
        return None

    def _completion(self, text: str, calls: tuple[ToolCall, ...]) -> Completion:
        return Completion(text=text, model="perfect", label=self.label, usage=Usage(), seconds=0.0,
                          first_token_seconds=0.0, cost=0.0, spec=self.spec, stop_reason="end_turn",
                          tool_calls=calls)


def state(root: Path) -> tuple[str, str, str]:
    return (git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all"),
            git(root, "ls-files", "-s"))


@dataclass
class Tally:
    landed: int = 0
    wrong: int = 0  # surgeon staged something other than the model's complete answer
    partial: int = 0  # the model was not shown every hunk's lines and left some out (staged as it said)
    refused: int = 0
    touched: int = 0
    requests: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)


def run_edit(root: Path, task: Task, hunks: list[Hunk], tools: bool, tally: Tally) -> str:
    model = PerfectModel(hunks)
    edit_loop.make_provider = lambda *_args, **_kwargs: model
    config = load_config(root).with_flags(context_requests=4 if tools else 0)
    before = state(root)
    started = time.perf_counter()
    try:
        outcome = EditLoop(find_repo(root), config).run(
            EditRequest(task.instruction, model="anthropic:perfect", max_attempts=2))
    except SurgeonError as error:
        tally.refused += 1
        kind = type(error).__name__
        tally.reasons[kind] = tally.reasons.get(kind, 0) + 1
        return f"error {kind}: {str(error)[:80]}"
    finally:
        tally.seconds.append(time.perf_counter() - started)
        if state(root) != before:
            tally.touched += 1
    tally.requests.append(sum(len(a.context_requests) for a in outcome.attempts))
    if outcome.staged is None:
        tally.refused += 1
        reason = outcome.attempts[-1].errors[0].reason if outcome.attempts and outcome.attempts[-1].errors else "?"
        key = reason.split(":")[0][:40]
        tally.reasons[key] = tally.reasons.get(key, 0) + 1
        return f"refused: {reason[:90]}"
    staged = outcome.staged.commit
    changed = set(git(root, "diff", "--name-only", "--no-renames", task.parent, staged).split())
    same = not git(root, "diff", "--name-only", task.commit, staged, "--", *task.targets).strip()
    git(root, "branch", "-q", "-D", outcome.staged.branch)
    if same and changed == set(task.targets):
        tally.landed += 1
        return "landed"
    if not model.complete_answer:
        tally.partial += 1
        return "partial (not shown every hunk)"
    tally.wrong += 1
    return "WRONG"


def bm25_shows_all(root: Path, task: Task, hunks: list[Hunk]) -> bool:
    _files, packed, _seconds = bm25_run(root, task.instruction)
    seen: dict[str, set[int]] = {}
    for path, start, end in packed[8000]:
        seen.setdefault(path, set()).update(range(max(1, start - 3), end + 4))
    return all(h.needed() <= seen.get(h.path, set()) for h in hunks)


def run_repo(source: Path, limit: int, verbose: bool, with_tools: Tally, without: Tally, bm25: list[bool]) -> int:
    tasks = find_tasks(source, limit)
    with tempfile.TemporaryDirectory(prefix="bench-landing-") as tmp:
        root = Path(tmp) / repo_name(source)
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(source), str(root)], check=True)
        git(root, "config", "user.email", "bench@example.invalid")
        git(root, "config", "user.name", "bench")
        for task in tasks:
            git(root, "checkout", "-q", "--force", "--detach", task.parent)
            hunks = answer_hunks(root, task)
            a = run_edit(root, task, hunks, True, with_tools)
            b = run_edit(root, task, hunks, False, without)
            bm25.append(bm25_shows_all(root, task, hunks))
            if verbose:
                print(f"  {repo_name(source):10} {task.commit[:8]} tools: {a:40.40} | none: {b:30.30} | "
                      f"{task.instruction[:60]}", flush=True)
    return len(tasks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clones", nargs="+", type=Path)
    parser.add_argument("--tasks", type=int, default=15, help="tasks per repository (default 15)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    with_tools, without, bm25 = Tally(), Tally(), list[bool]()
    counts = {repo_name(c): run_repo(c, args.tasks, args.verbose, with_tools, without, bm25) for c in args.clones}
    total = sum(counts.values())
    print("tasks: " + ", ".join(f"{name} {n}" for name, n in counts.items()) + f"; {total} in all")
    print(f"{'':34}{'landed':>9}{'wrong':>7}{'partial':>9}{'refused':>9}{'touched':>9}{'requests':>10}{'s/edit':>8}")
    for name, tally in (("surgeon, context tools (default)", with_tools), ("surgeon, located context only", without)):
        share = f"{100 * tally.landed / total:.1f}%" if total else "-"
        print(f"{name:34}{share:>9}{tally.wrong:>7}{tally.partial:>9}{tally.refused:>9}{tally.touched:>9}"
              f"{statistics.mean(tally.requests or [0]):>10.1f}{statistics.median(tally.seconds or [0]):>8.2f}")
        if tally.reasons:
            print("    not landed: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.reasons.items(), key=lambda x: -x[1])))
    share = f"{100 * sum(bm25) / total:.1f}%" if total else "-"
    print(f"{'BM25 8k shows every needed line':34}{share:>9}   (the most a perfect model without tools could land)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
