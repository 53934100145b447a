"""What the benchmark is made of: a real change to one file (Case), and one damaged reply to apply
to it with what must come out (Trial)."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.diffkit import Hunk, counts, split_diff

__all__ = ["Case", "Hunk", "Trial", "counts", "git_diff", "join", "split_diff"]


@dataclass(frozen=True)
class Case:
    """One file before and after a real change. `diff` is that change as its author's tool wrote
    it (git's diff of a release pair, a SWE-bench gold patch, a model's patch)."""

    corpus: str  # "pypi" or "swe-bench"
    source: str  # where the change comes from: "attrs 22.2.0->23.1.0", "gold", "CodeR (GPT-4)"...
    label: str  # a short name for reports: instance id or package
    path: str
    old: bytes
    new: bytes
    diff: str


@dataclass(frozen=True)
class Trial:
    kind: str
    recoverable: bool
    case: Case
    reply: str  # what is handed to the tool: a diff, a reply holding one, or another paste format
    expected: bytes | None  # the intended file (None: the reply must be refused)
    old: bytes  # the file the reply is applied to (case.old, or a variant: BOM, no final newline)
    also: tuple[bytes, ...] = ()  # other results that are as right as `expected`

    @property
    def path(self) -> str:
        return self.case.path


def git_diff(path: str, old: bytes, new: bytes, context: int = 3) -> str:
    """git's own diff of one file (a/ b/ prefixes, `context` lines of context)."""
    with tempfile.TemporaryDirectory() as tmp:
        for side, data in (("x", old), ("y", new)):
            target = Path(tmp, side, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "diff", "--no-index", "--no-prefix", "--no-color",
             f"-U{context}", f"x/{path}", f"y/{path}"],
            cwd=tmp, capture_output=True,
        ).stdout.decode()
    lines = out.split("\n")
    for k, line in enumerate(lines):
        if line.startswith("@@"):
            break
        lines[k] = line.replace(f"x/{path}", f"a/{path}").replace(f"y/{path}", f"b/{path}")
    return "\n".join(lines)


def join(header: list[str], hunks: list[Hunk], bare: str | None = None,
         count_shift: tuple[int, int] | None = None) -> str:
    """A diff from its header lines and hunks, with exact counts unless told otherwise: `bare`
    replaces every hunk header ("@@ @@", "@@ ... @@"); `count_shift` adds to the old and new
    counts."""
    out = list(header)
    for hunk in hunks:
        old, new = counts(hunk.lines)
        if bare is not None:
            out.append(bare)
        else:
            if count_shift:
                old, new = max(old + count_shift[0], 0), max(new + count_shift[1], 0)
            out.append(f"@@ -{hunk.old_start},{old} +{hunk.new_start},{new} @@")
        out.extend(hunk.lines)
    return "\n".join(out) + "\n"


def text_lines(data: bytes) -> list[str]:
    """The file's lines without their line endings (a final newline gives no empty last line)."""
    text = data.decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
