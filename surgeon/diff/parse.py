"""Reading a unified diff as models write it.

A tolerant pre-pass fixes what models get wrong in the structure of a diff (missing `diff --git`
and `index` lines, bare `@@ @@` headers, wrong line counts, CRLF, blank context lines that lost
their leading space, misplaced `\\ No newline at end of file`); the hunk lines it settles are the
parsed lines (no second parser reads them again). Paths stay as written: which prefix to strip is
decided in apply.py, where the repository's files are known. Line numbers stay as hints for match.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from surgeon.diff.types import LineKind, Refusal

DEV_NULL = "/dev/null"

_HUNK_NUMBERS_OLD = re.compile(r"-(\d+)(?:,(\d+))?")
_HUNK_NUMBERS_NEW = re.compile(r"\+(\d+)(?:,(\d+))?")
_EXTENDED = re.compile(
    r"^(?:(?P<key>old mode|new mode|deleted file mode|new file mode) (?P<mode>\d{6})"
    r"|(?P<rename>rename from|rename to|copy from|copy to) (?P<path>.+)"
    r"|(?:similarity|dissimilarity) index \d+%"
    r"|index [0-9a-fA-F]+\.\.[0-9a-fA-F]+(?: \d{6})?)\s*$"
)
_BINARY = re.compile(r"^(?:Binary files .* differ|GIT binary patch)\s*$")
_LINE_KINDS: dict[str, LineKind] = {" ": " ", "-": "-", "+": "+"}


@dataclass(frozen=True)
class HunkLine:
    kind: LineKind  # " " context, "-" removed, "+" added
    text: str  # without the prefix and without a line ending


@dataclass(frozen=True)
class ParsedHunk:
    lines: tuple[HunkLine, ...]
    old_start: int | None  # from the @@ header; None when the header had none
    new_start: int | None
    old_no_newline: bool  # a well-placed "\ No newline at end of file" for the old side
    new_no_newline: bool
    diff_line: int  # 1-based line of the @@ header in the diff text
    repairs: tuple[str, ...] = ()  # what the pre-pass fixed, phrased without the file's name

    @property
    def old_lines(self) -> list[HunkLine]:
        return [line for line in self.lines if line.kind != "+"]

    @property
    def hint(self) -> int | None:
        """The old-side line the header points at (1-based), when it names one."""
        start = self.old_start if self.old_start is not None else self.new_start
        return None if start is None else max(start, 1)


@dataclass(frozen=True)
class ParsedFile:
    old_path: str | None  # as written (prefixes kept, quotes removed); None for /dev/null
    new_path: str | None
    hunks: tuple[ParsedHunk, ...]
    diff_line: int
    git_header: bool = False
    new_file_mode: str | None = None
    deleted_file_mode: str | None = None
    old_mode: str | None = None
    new_mode: str | None = None
    rename_from: str | None = None
    rename_to: str | None = None
    copy: bool = False
    binary: bool = False
    crlf_content: bool = False  # the added lines carried CRs of their own (a CRLF file's diff)
    repairs: tuple[str, ...] = ()

    @property
    def creates(self) -> bool:
        return self.new_file_mode is not None or (self.old_path is None and self.new_path is not None)

    @property
    def deletes(self) -> bool:
        return self.deleted_file_mode is not None or (self.new_path is None and self.old_path is not None)


@dataclass(frozen=True)
class ParsedDiff:
    files: tuple[ParsedFile, ...]
    problems: tuple[Refusal, ...]  # what makes the diff unreadable as a whole
    repairs: tuple[str, ...]  # repairs that concern the whole diff (CRLF ...)


@dataclass
class _Body:
    kind: LineKind
    text: str
    had_cr: bool
    tentative: Literal["blank", "unprefixed"] | None = None  # a context line without its prefix


@dataclass
class _HunkDraft:
    header_line: int
    old_start: int | None
    old_count: int | None
    new_start: int | None
    new_count: int | None
    body: list[_Body] = field(default_factory=list)
    markers: list[int] = field(default_factory=list)  # marker follows body[index - 1]


@dataclass
class _FileDraft:
    diff_line: int
    git_header: bool = False
    old_path: str | None = None
    new_path: str | None = None
    dash_paths: bool = False
    new_file_mode: str | None = None
    deleted_file_mode: str | None = None
    old_mode: str | None = None
    new_mode: str | None = None
    rename_from: str | None = None
    rename_to: str | None = None
    copy: bool = False
    binary: bool = False
    hunks: list[_HunkDraft] = field(default_factory=list)


def unquote_path(raw: str) -> str:
    """A path from a diff header: timestamp dropped, C-style quotes ("a/t\\303\\251st") decoded."""
    raw = raw.split("\t", 1)[0].strip()
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        out = bytearray()
        body = raw[1:-1]
        i = 0
        escapes = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                    out.append(int(body[i + 1 : i + 4], 8))
                    i += 4
                    continue
                out.append(escapes.get(nxt, ord(nxt)))
                i += 2
                continue
            out.extend(ch.encode("utf-8", "surrogateescape"))
            i += 1
        return out.decode("utf-8", errors="surrogateescape")  # a name that is not UTF-8 keeps its bytes
    return raw


def _git_header_paths(rest: str) -> tuple[str, str]:
    rest = rest.strip()
    if rest.startswith('"'):
        end = rest.find('" ', 1)
        if end > 0:
            return unquote_path(rest[: end + 1]), unquote_path(rest[end + 2 :])
    # "a/x b/x": prefer the split whose halves name the same file
    splits = [m.start() for m in re.finditer(" ", rest)]
    for at in splits:
        left, right = rest[:at], rest[at + 1 :]
        if left[2:] == right[2:] or left == right:
            return unquote_path(left), unquote_path(right)
    marker = rest.find(" b/")
    if marker > 0:
        return unquote_path(rest[:marker]), unquote_path(rest[marker + 1 :])
    left, _, right = rest.partition(" ")
    return unquote_path(left), unquote_path(right or left)


def _header_path(raw: str) -> str | None:
    path = unquote_path(raw)
    return None if path == DEV_NULL else path


def _file_header_at(lines: list[str], i: int, inside_hunk: bool) -> bool:
    """A `--- ` / `+++ ` pair. Inside a hunk it must also be followed by `@@`, because a removed
    line "-- note" followed by an added "++ x" reads the same."""
    if not (lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ ")):
        return False
    return not inside_hunk or (i + 2 < len(lines) and lines[i + 2].startswith("@@"))


def _same_file(draft: _FileDraft, old_line: str, new_line: str) -> bool:
    """Whether a `---`/`+++` pair restates the file of the header lines before it (a hunk-less
    rename or mode change may be followed directly by the next file's `---`/`+++`)."""
    named = [p for p in (draft.old_path, draft.new_path, draft.rename_from, draft.rename_to) if p]
    if not named:
        return True
    known = {p[2:] if p.startswith(("a/", "b/")) else p for p in named}
    for line in (old_line, new_line):
        path = _header_path(line[4:])
        if path is not None and (path[2:] if path.startswith(("a/", "b/")) else path) in known:
            return True
    return False


def _numbers(header: str) -> tuple[int | None, int | None, int | None, int | None]:
    inner = header.lstrip("@").split("@@", 1)[0]
    old = _HUNK_NUMBERS_OLD.search(inner)
    new = _HUNK_NUMBERS_NEW.search(inner)
    old_start = int(old[1]) if old else None
    old_count = (int(old[2]) if old[2] is not None else 1) if old else None
    new_start = int(new[1]) if new else None
    new_count = (int(new[2]) if new[2] is not None else 1) if new else None
    return old_start, old_count, new_start, new_count


def _read_hunk(lines: list[str], had_cr: list[bool], i: int) -> tuple[_HunkDraft, int]:
    draft = _HunkDraft(i + 1, *_numbers(lines[i]))
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if (
            line.startswith("@@")
            or line.startswith("diff --git ")
            or _file_header_at(lines, j, inside_hunk=True)
            or _EXTENDED.match(line)
            or _BINARY.match(line)
        ):
            break
        if line == "-- " and (j + 1 == len(lines) or re.match(r"^\d+\.\d+", lines[j + 1])):
            break  # the signature under a `git format-patch` email ("-- " then git's version)
        if line.startswith("\\"):
            draft.markers.append(len(draft.body))
        elif line == "":
            draft.body.append(_Body(" ", "", had_cr[j], "blank"))
        elif line[0] in _LINE_KINDS:
            draft.body.append(_Body(_LINE_KINDS[line[0]], line[1:], had_cr[j]))
        else:
            draft.body.append(_Body(" ", line, had_cr[j], "unprefixed"))
        j += 1
    return draft, j


def _counts(body: list[_Body]) -> tuple[int, int]:
    old = sum(1 for b in body if b.kind != "+")
    new = sum(1 for b in body if b.kind != "-")
    return old, new


def _finish_hunk(draft: _HunkDraft) -> tuple[list[_Body], list[str]]:
    """Settle trailing prefix-less lines (kept only when the header's counts need them) and note
    what was repaired."""
    repairs: list[str] = []
    body = draft.body
    trailing = 0
    while trailing < len(body) and body[len(body) - 1 - trailing].tentative:
        trailing += 1
    core = body[: len(body) - trailing]
    keep = 0
    if trailing and draft.old_count is not None and draft.new_count is not None:
        for candidate in range(trailing, 0, -1):
            extra = body[len(core) : len(core) + candidate]
            if all(b.tentative == "blank" for b in extra) and _counts(core + extra) == (
                draft.old_count,
                draft.new_count,
            ):
                keep = candidate
                break
    body = body[: len(core) + keep]
    blanks = sum(1 for b in body if b.tentative == "blank")
    bare = sum(1 for b in body if b.tentative == "unprefixed")
    if blanks:
        repairs.append(f"{_plural(blanks, 'blank context line')} without the leading space read as context")
    if bare:
        repairs.append(f"{_plural(bare, 'context line')} without the leading space read as context")
    if draft.old_start is None and draft.new_start is None:
        repairs.append("the @@ header had no line numbers")
    elif draft.old_start is None or draft.new_start is None:
        repairs.append("the @@ header had only one side's line numbers")
    elif (draft.old_count, draft.new_count) != _counts(body):
        old, new = _counts(body)
        repairs.append(
            f"line counts corrected from -{draft.old_start},{draft.old_count} +{draft.new_start},{draft.new_count}"
            f" to {old} old and {new} new lines"
        )
    return body, repairs


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _markers(body: list[_Body], markers: list[int]) -> tuple[bool, bool, bool]:
    """(old side has no final newline, new side has none, a marker was misplaced)."""
    old_nl = new_nl = misplaced = False
    last_old = max((k for k, b in enumerate(body) if b.kind != "+"), default=-1)
    last_new = max((k for k, b in enumerate(body) if b.kind != "-"), default=-1)
    for at in markers:
        at = min(at, len(body))
        prev = at - 1
        if prev < 0:
            misplaced = True
        elif body[prev].kind == "-" and prev == last_old:
            old_nl = True
        elif body[prev].kind == "+" and prev == last_new:
            new_nl = True
        elif body[prev].kind == " " and prev == last_old and prev == last_new:
            old_nl = new_nl = True
        else:
            misplaced = True
    return old_nl, new_nl, misplaced


def parse_diff(text: str) -> ParsedDiff:
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    had_cr = [line.endswith("\r") for line in raw]
    lines = [line[:-1] if cr else line for line, cr in zip(raw, had_cr, strict=True)]
    all_cr = bool(raw) and all(had_cr)
    if all_cr:
        # the diff travelled with CRLF line ends; a CR left over belongs to a CRLF file's line
        had_cr = [line.endswith("\r") for line in lines]
        lines = [line[:-1] if cr else line for line, cr in zip(lines, had_cr, strict=True)]
    diff_repairs = ["the diff had CRLF line endings"] if all_cr else []
    problems: list[Refusal] = []
    files: list[_FileDraft] = []
    current: _FileDraft | None = None

    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            current = _FileDraft(diff_line=i + 1, git_header=True)
            current.old_path, current.new_path = _git_header_paths(line[len("diff --git ") :])
            files.append(current)
            i += 1
            continue
        if _file_header_at(lines, i, inside_hunk=False):
            if current is None or current.dash_paths or current.hunks or not _same_file(current, lines[i], lines[i + 1]):
                current = _FileDraft(diff_line=i + 1)
                files.append(current)
            current.old_path = _header_path(line[4:])
            current.new_path = _header_path(lines[i + 1][4:])
            current.dash_paths = True
            i += 2
            continue
        if line.startswith("@@"):
            hunk_read, i = _read_hunk(lines, had_cr, i)
            if current is None:
                problems.append(
                    Refusal(None, None, hunk_read.header_line,
                            "a hunk (@@) without a file header: put '--- a/PATH' and '+++ b/PATH' lines before it")
                )
            else:
                current.hunks.append(hunk_read)
            continue
        extended = _EXTENDED.match(line)
        if extended:
            if current is None or current.hunks or current.dash_paths:
                # a header line of the next file whose `diff --git` line is missing
                current = _FileDraft(diff_line=i + 1)
                files.append(current)
            key, mode, rename, path = extended["key"], extended["mode"], extended["rename"], extended["path"]
            if key:
                setattr(current, key.replace(" ", "_"), mode)
            elif rename in ("rename from", "rename to"):
                setattr(current, rename.replace(" ", "_"), unquote_path(path))
            elif rename:
                current.copy = True
            i += 1
            continue
        if _BINARY.match(line):
            if current is None:
                current = _FileDraft(diff_line=i + 1)
                files.append(current)
                match = re.match(r"^Binary files (.*) and (.*) differ", line)
                if match:
                    current.old_path, current.new_path = _header_path(match[1]), _header_path(match[2])
            current.binary = True
        i += 1  # anything else (prose between files, `index` lines) carries nothing we need

    finished: list[tuple[_FileDraft, list[list[_Body]]]] = []
    hunk_repairs: list[list[list[str]]] = []
    empty_hunks: list[int] = []
    for draft in files:
        bodies, notes, kept = [], [], []
        for hunk in draft.hunks:
            body, repairs = _finish_hunk(hunk)
            if body:
                kept.append(hunk)
                bodies.append(body)
                notes.append(repairs)
        empty_hunks.append(len(draft.hunks) - len(kept))
        draft.hunks = kept
        finished.append((draft, bodies))
        hunk_repairs.append(notes)

    parsed: list[ParsedFile] = []
    for (draft, bodies), notes, empty in zip(finished, hunk_repairs, empty_hunks, strict=True):
        hunks: list[ParsedHunk] = []
        file_repairs: list[str] = []
        if empty:
            file_repairs.append(f"{_plural(empty, 'empty hunk')} ignored")
        for hunk_draft, body, repairs in zip(draft.hunks, bodies, notes, strict=True):
            old_nl, new_nl, misplaced = _markers(body, hunk_draft.markers)
            if misplaced:
                repairs = [*repairs, "a misplaced '\\ No newline at end of file' was ignored"]
            lines_out = tuple(HunkLine(b.kind, b.text) for b in body)
            hunks.append(
                ParsedHunk(lines_out, hunk_draft.old_start, hunk_draft.new_start, old_nl, new_nl,
                           hunk_draft.header_line, tuple(repairs))
            )
        # a CRLF file's added lines carry CRs, except a last line without any line ending
        added = [
            b for hunk_draft, body in zip(draft.hunks, bodies, strict=True)
            for k, b in enumerate(body) if b.kind == "+" and (k + 1) not in hunk_draft.markers
        ]
        crlf_content = bool(added) and all(b.had_cr for b in added)
        old_path, new_path = draft.old_path, draft.new_path
        if draft.new_file_mode is not None:
            old_path = None
        if draft.deleted_file_mode is not None:
            new_path = None
        parsed.append(
            ParsedFile(
                old_path=old_path, new_path=new_path, hunks=tuple(hunks), diff_line=draft.diff_line,
                git_header=draft.git_header, new_file_mode=draft.new_file_mode,
                deleted_file_mode=draft.deleted_file_mode, old_mode=draft.old_mode, new_mode=draft.new_mode,
                rename_from=draft.rename_from, rename_to=draft.rename_to, copy=draft.copy,
                binary=draft.binary, crlf_content=crlf_content, repairs=tuple(file_repairs),
            )
        )
    return ParsedDiff(tuple(parsed), tuple(problems), tuple(diff_repairs))
