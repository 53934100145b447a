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

from surgeon.diff.normalise import unquote_path as unquote_path
from surgeon.diff.types import LineKind, Refusal

DEV_NULL = "/dev/null"

_HUNK_NUMBERS_OLD = re.compile(r"-(\d+)(?:,(\d+))?")
_HUNK_NUMBERS_NEW = re.compile(r"\+(\d+)(?:,(\d+))?")
_EXTENDED = re.compile(
    r"^(?:(?P<key>old mode|new mode|deleted file mode|new file mode) (?P<mode>\d{6})"
    r"|(?P<rename>rename from|rename to|copy from|copy to) (?P<path>.+)"
    r"|(?:similarity|dissimilarity) index \d+%"
    r"|index [0-9a-fA-F]+\.\.[0-9a-fA-F]+(?: (?P<index_mode>\d{6}))?)\s*$"
)
_BINARY = re.compile(r"^(?:Binary files .* differ|GIT binary patch)\s*$")
_LINE_KINDS: dict[str, LineKind] = {" ": " ", "-": "-", "+": "+"}
FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
# an added or removed line that reads as a sentence of prose: "+ Raised the timeout to 15 seconds."
_SENTENCE = re.compile(r"^ [A-Z][\w'’-]*(?: +\S+){2,}[.!?:][)\"'’]?$")
_PROSE_FILES = (".md", ".markdown", ".rst", ".txt", ".adoc", ".tex", ".org")


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
    promised: tuple[int, int] | None = None  # the header's (old, new) line counts, when it has both
    breaks_off: bool = False  # the diff's last hunk ends in a changed line, short of what it promised

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
    index_mode: str | None = None  # the mode on an `index a..b MODE` line

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
    at_end: bool = False  # the diff text ends with this hunk


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
    index_mode: str | None = None
    hunks: list[_HunkDraft] = field(default_factory=list)


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


def _next_file_at(lines: list[str], i: int, hunk: _HunkDraft) -> bool:
    """Whether a `---`/`+++`/`@@` run inside a hunk starts the next file. It is the hunk's own
    removed `-- x` and added `++ y` (SQL comments, YAML, underlines) when the header's counts still
    expect a removed and an added line, unless the pair names one file as git does (a/ b/, /dev/null)
    or names one file and the counts expect more than the pair."""
    if not _file_header_at(lines, i, inside_hunk=True):
        return False
    if hunk.old_count is None or hunk.new_count is None:
        return True
    old, new = hunk.old_count - _counts(hunk.body)[0], hunk.new_count - _counts(hunk.body)[1]
    old_path, new_path = (_header_path(line[4:]) for line in lines[i : i + 2])
    if old < 1 or new < 1 or old_path is None or new_path is None:
        return True
    if _bare(old_path) != _bare(new_path):
        return False
    return (old_path.startswith("a/") and new_path.startswith("b/")) or (old, new) != (1, 1)


def _bare(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


def _same_file(draft: _FileDraft, old_line: str, new_line: str) -> bool:
    """Whether a `---`/`+++` pair restates the file of the header lines before it (a hunk-less
    rename or mode change may be followed directly by the next file's `---`/`+++`)."""
    named = [p for p in (draft.old_path, draft.new_path, draft.rename_from, draft.rename_to) if p]
    if not named:
        return True
    known = {_bare(p) for p in named}
    for line in (old_line, new_line):
        path = _header_path(line[4:])
        if path is not None and _bare(path) in known:
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
        if line.startswith(("@@", "diff --git ")) or _next_file_at(lines, j, draft) or _EXTENDED.match(line) \
                or _BINARY.match(line):
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
    return sum(1 for b in body if b.kind != "+"), sum(1 for b in body if b.kind != "-")


def _prose_tail(draft: _HunkDraft, prose_file: bool) -> tuple[int | None, str | None]:
    """Where the prose at the end of a hunk begins (None: there is none), or why that cannot be
    told. Prose: prefix-less lines and `+`/`-` lines written as sentences (`+ Raised the timeout.`).
    Counts consistent with a cut before it decide (in a text file, after context or at a blank
    line); without them, sentences after a blank line are prose in code or config, unclear in text."""
    body = draft.body

    def sentence(b: _Body) -> bool:
        return b.kind != " " and bool(_SENTENCE.match(b.text))

    def drops_sentences(cut: int) -> bool:
        return any(not b.tentative for b in body[cut:])

    start = len(body)
    while start > 0 and (body[start - 1].tentative or sentence(body[start - 1])):
        start -= 1
    promised = (draft.old_count, draft.new_count)
    if not drops_sentences(start) or _counts(body) == promised:
        return None, None  # no sentences, or the counts say they are the hunk's own lines
    if draft.old_count is not None and draft.new_count is not None:
        for cut in range(start, len(body)):
            if (_counts(body[:cut]) == promised and drops_sentences(cut)
                    and (not prose_file or body[cut].tentative == "blank" or body[max(cut, 1) - 1].kind == " ")):
                return cut, None
    blank = next((k for k in range(start, len(body)) if body[k].tentative == "blank"), None)
    if blank is None or not drops_sentences(blank) or any(sentence(b) for b in body[:start]):
        return None, None
    if prose_file:
        first = next(b for b in body[blank:] if not b.tentative)
        return None, (f"the lines after the blank line at diff line {draft.header_line + blank + 1} "
                      f"(`{first.kind}{first.text}`) read as prose, but the @@ line counts do not say whether "
                      "they belong to the hunk: correct the counts, or leave the prose out of the diff")
    return blank, None


def _finish_hunk(draft: _HunkDraft, prose_file: bool = False) -> tuple[list[_Body], list[str], str | None]:
    """Settle the prose after a hunk and trailing prefix-less lines (kept only when the header's
    counts need them), and note what was repaired; the third value says why the end of the hunk
    cannot be told."""
    repairs: list[str] = []
    cut, unclear = _prose_tail(draft, prose_file)
    if cut is not None:
        dropped = [b for b in draft.body[cut:] if not b.tentative]
        repairs.append(f"{_plural(len(dropped), 'line')} of prose after the hunk (`{dropped[0].kind}{dropped[0].text}`) "
                       "left out of the diff")
        draft.body = draft.body[:cut]
        draft.markers = [m for m in draft.markers if m <= cut]
    body = draft.body
    trailing = 0
    while trailing < len(body) and body[len(body) - 1 - trailing].tentative:
        trailing += 1
    core = body[: len(body) - trailing]
    keep = 0
    if trailing and draft.old_count is not None and draft.new_count is not None:
        for candidate in range(trailing, 0, -1):
            extra = body[len(core) : len(core) + candidate]
            if all(b.tentative == "blank" for b in extra) and _counts(core + extra) == (draft.old_count, draft.new_count):
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
        repairs.append(f"line counts corrected from -{draft.old_start},{draft.old_count} +{draft.new_start},"
                       f"{draft.new_count} to {old} old and {new} new lines")
    return body, repairs, unclear


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


def _finish_file(draft: _FileDraft, last_hunk: _HunkDraft | None, problems: list[Refusal]) -> ParsedFile:
    hunks: list[ParsedHunk] = []
    added: list[_Body] = []
    prose_file = (draft.new_path or draft.old_path or "").lower().endswith(_PROSE_FILES)
    for hunk in draft.hunks:
        body, repairs, unclear = _finish_hunk(hunk, prose_file)
        if unclear:
            problems.append(Refusal(_bare(draft.new_path or draft.old_path or ""), None, hunk.header_line, unclear))
        if not body:
            continue
        old_nl, new_nl, misplaced = _markers(body, hunk.markers)
        if misplaced:
            repairs.append("a misplaced '\\ No newline at end of file' was ignored")
        promised = (hunk.old_count, hunk.new_count) if hunk.old_count is not None and hunk.new_count is not None else None
        short = promised is not None and any(a < b for a, b in zip(_counts(body), promised, strict=True))
        hunks.append(ParsedHunk(
            tuple(HunkLine(b.kind, b.text) for b in body), hunk.old_start, hunk.new_start, old_nl, new_nl,
            hunk.header_line, tuple(repairs), promised, hunk is last_hunk and short and body[-1].kind != " "))
        # a CRLF file's added lines carry CRs, except a last line without any line ending (a
        # misplaced marker, ignored, does not make its line one)
        no_ending = max((k for k, b in enumerate(body) if b.kind != "-"), default=-1) if new_nl else -1
        added.extend(b for k, b in enumerate(body) if b.kind == "+" and k != no_ending)
    empty = len(draft.hunks) - len(hunks)
    return ParsedFile(
        old_path=None if draft.new_file_mode is not None else draft.old_path,
        new_path=None if draft.deleted_file_mode is not None else draft.new_path,
        hunks=tuple(hunks), diff_line=draft.diff_line, git_header=draft.git_header,
        new_file_mode=draft.new_file_mode, deleted_file_mode=draft.deleted_file_mode, old_mode=draft.old_mode,
        new_mode=draft.new_mode, rename_from=draft.rename_from, rename_to=draft.rename_to, copy=draft.copy,
        binary=draft.binary, crlf_content=bool(added) and all(b.had_cr for b in added),
        repairs=(f"{_plural(empty, 'empty hunk')} ignored",) if empty else (), index_mode=draft.index_mode)


TRUNCATED = "the diff is truncated (the reply was cut off)"


def _unclosed_fence(lines: list[str]) -> Refusal | None:
    """A diff that starts with a fence no line closes (extract_diff keeps that opening line)."""
    opening = FENCE_OPEN.match(lines[0]) if lines else None
    if opening is None:
        return None
    fence = opening["fence"]
    closing = re.compile(rf"^ {{{len(opening['indent'])}}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    if any(closing.match(line) for line in lines[1:]):
        return None
    return Refusal(None, None, None, (
        f"{TRUNCATED}: the {fence} block that holds it never closes. Send the whole diff again, "
        f"ending the block with {fence}"))


def truncation(path: str, number: int, hunk: ParsedHunk, file_texts: list[str]) -> Refusal | None:
    """The refusal for the diff's last hunk when it breaks off: it ends in a changed line with no
    trailing context, holds fewer lines than its header promises, and the file goes on after it.
    A hunk short of its counts that ends at the end of the file is only miscounted."""
    if not hunk.breaks_off or hunk.promised is None:
        return None
    old = [line.text.strip() for line in hunk.old_lines]
    if old:  # its lines are the file's last ones (where they occur twice, its line number says so)
        loose = [text.strip() for text in file_texts]
        places = [k for k in range(len(loose) - len(old) + 1) if loose[k : k + len(old)] == old]
        tail = len(loose) - len(old)
        distance = {k: abs(k + 1 - (hunk.hint or 0)) for k in places}
        at_end = places == [tail] or (hunk.hint is not None and tail in places
                                      and all(distance[tail] < d for k, d in distance.items() if k != tail))
    else:  # only added lines: the header's old range starts at old_start (after it, for a count of 0)
        at_end = hunk.old_start is None or hunk.old_start - (hunk.promised[0] > 0) >= len(file_texts)
    if at_end:
        return None
    last = hunk.lines[-1]
    held = (len(old), sum(1 for line in hunk.lines if line.kind != "-"))
    return Refusal(path, number, hunk.hint, (
        f"{TRUNCATED}: this hunk breaks off after the {'added' if last.kind == '+' else 'removed'} line "
        f"`{last.text.strip()}`. Its @@ header promises {hunk.promised[0]} old and {hunk.promised[1]} new lines "
        f"but it holds {held[0]} and {held[1]}, and no context line follows although the file goes on. "
        "Send the whole diff again"))


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
    unclosed = _unclosed_fence(lines)
    if unclosed:
        return ParsedDiff((), (unclosed,), tuple(diff_repairs))
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
            hunk_read.at_end = i == len(lines)
            if current is None:
                problems.append(Refusal(None, None, hunk_read.header_line, (
                    "a hunk (@@) without a file header: put '--- a/PATH' and '+++ b/PATH' lines before it")))
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
            current.index_mode = extended["index_mode"] or current.index_mode
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

    last_hunk = next((h for f in files for h in f.hunks if h.at_end), None)
    if last_hunk is not None and (not last_hunk.body or last_hunk.body[-1].tentative or last_hunk.body[-1].kind == " "):
        last_hunk = None  # it does not end in a changed line
    parsed = [_finish_file(draft, last_hunk, problems) for draft in files]
    return ParsedDiff(tuple(parsed), tuple(problems), tuple(diff_repairs))
