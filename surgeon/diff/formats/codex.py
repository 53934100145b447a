"""The patch format of OpenAI's Codex (`apply_patch`):

    *** Begin Patch
    *** Update File: src/app.py
    *** Move to: src/main.py          (optional: a rename)
    @@ def greet():                   (a line above the change, shown as the hunk's anchor)
    -print("Hi")
    +print("Hello")
    *** End of File                   (optional)
    *** Add File: hello.txt
    +Hello world
    *** Delete File: obsolete.txt
    *** End Patch

Each chunk becomes a hunk without line numbers; the matcher places it by its content, and its
anchor line is kept only as the hunk header's text."""

from __future__ import annotations

import re

from surgeon.diff.formats.unified import Conversion, Hunk, Section, diff_text
from surgeon.diff.types import Refusal

BEGIN, END = "*** Begin Patch", "*** End Patch"
_ADD, _DELETE, _UPDATE, _MOVE = "*** Add File:", "*** Delete File:", "*** Update File:", "*** Move to:"
_EOF = "*** End of File"
_NUMBERS = re.compile(r"^-\d+(?:,\d+)? \+\d+(?:,\d+)? @@\s*")  # "@@ -12,7 +12,8 @@ def f():"


def has_patch(lines: list[str]) -> bool:
    return any(line.strip() == BEGIN for line in lines)


class _Reader:
    def __init__(self, lines: list[str], first: int):
        self.lines = lines
        self.first = first  # the line number (1-based) of lines[0] in the pasted text
        self.at = 0
        self.sections: list[Section] = []
        self.deletions: list[str] = []
        self.problems: list[Refusal] = []

    def line_number(self) -> int:
        return self.first + self.at

    def refuse(self, path: str | None, reason: str) -> None:
        self.problems.append(Refusal(path, None, self.line_number(), reason))

    def done(self) -> bool:
        return self.at >= len(self.lines)

    def current(self) -> str:
        return self.lines[self.at].rstrip("\r")

    def read(self) -> None:
        while not self.done() and not self.problems:
            line = self.current().strip()
            if not line:
                self.at += 1
            elif line.startswith(_ADD):
                self._add(line[len(_ADD):].strip())
            elif line.startswith(_DELETE):
                path = line[len(_DELETE):].strip()
                self.sections.append(Section(path, None))
                self.deletions.append(path)
                self.at += 1
            elif line.startswith(_UPDATE):
                self._update(line[len(_UPDATE):].strip())
            else:
                self.refuse(None, (
                    f"`{line[:80]}` is not a file header of the Codex patch: each file starts with "
                    "`*** Add File: PATH`, `*** Delete File: PATH` or `*** Update File: PATH`"))

    def _add(self, path: str) -> None:
        self.at += 1
        added: list[str] = []
        while not self.done():
            line = self.lines[self.at]
            if line.startswith("+"):
                added.append(line[1:])
            elif line.strip() == "" and self._more_added():
                added.append("")  # a blank line that lost its "+"
            else:
                break
            self.at += 1
        self.sections.append(Section(None, path, [Hunk(tuple(("+", text) for text in added))] if added else []))

    def _more_added(self) -> bool:
        k = self.at
        while k < len(self.lines) and self.lines[k].strip() == "":
            k += 1
        return k < len(self.lines) and self.lines[k].startswith("+")

    def _update(self, path: str) -> None:
        self.at += 1
        new = path
        if not self.done() and self.current().strip().startswith(_MOVE):
            new = self.current().strip()[len(_MOVE):].strip()
            self.at += 1
        section = Section(path, new)
        while not self.done():
            line = self.current()
            if line.strip() == "":
                self.at += 1  # blank lines between chunks
                continue
            if line.startswith("*") and line.strip() != _EOF:
                break
            hunk = self._chunk(path)
            if hunk is None:
                return
            section.hunks.append(hunk)
        if not section.hunks and new == path:
            self.refuse(path, "the Codex patch updates this file but has no change for it (`@@` and lines)")
            return
        self.sections.append(section)

    def _chunk(self, path: str) -> Hunk | None:
        anchors: list[str] = []
        while not self.done() and self.current().startswith("@@"):
            anchor = _NUMBERS.sub("", self.current()[2:].strip())
            if anchor:
                anchors.append(anchor)
            self.at += 1
        lines: list[tuple[str, str]] = []
        while not self.done():
            raw = self.lines[self.at]
            line = raw.rstrip("\r")
            if line.strip() == _EOF:
                self.at += 1
                break
            if line == "":
                lines.append((" ", ""))  # a blank context line that lost its " "
            elif line[0] in " +-":
                lines.append((line[0], raw[1:]))
            elif lines or line.startswith(("*", "@@")):
                break
            else:
                self.refuse(path, (
                    f"`{line[:80]}` is not a line of a Codex hunk: each line starts with ' ' (unchanged), "
                    "'-' (removed) or '+' (added)"))
                return None
            self.at += 1
        if not lines:
            self.refuse(path, "a hunk of the Codex patch has no lines")
            return None
        return Hunk(tuple(lines), anchor=" ".join(anchors))


def convert(lines: list[str]) -> Conversion:
    """The Codex patch in `lines` (the pasted text, which may hold prose and fences around it)
    read as a unified diff."""
    begin = next(k for k, line in enumerate(lines) if line.strip() == BEGIN)
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip(" \t"))]
    end = next((k for k in range(begin + 1, len(lines)) if lines[k].strip() == END), None)
    body = lines[begin + 1 : len(lines) if end is None else end]
    if indent and all(line.startswith(indent) or not line.strip() for line in body):
        body = [line[len(indent):] for line in body]
    reader = _Reader(body, begin + 2)
    if end is None:
        note = "read a Codex patch (*** Begin Patch) as a unified diff"
        return Conversion("", note, (Refusal(None, None, len(lines), (
            "the Codex patch has no `*** End Patch` line: the text stops inside it, so it may be cut off. "
            "Send the whole patch")),))
    reader.read()
    count = len(reader.sections)
    note = f"read a Codex patch (*** Begin Patch) of {count} file{'s' if count != 1 else ''} as a unified diff"
    return Conversion(diff_text(reader.sections), note, tuple(reader.problems), tuple(reader.deletions))
