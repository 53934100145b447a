"""apply_patch: a diff and a way to read files in, a PatchResult out. No I/O of its own.

Steps: parse (tolerant) -> resolve each file's path -> place each hunk by content -> merge the
hunks of a file -> write the file's own whitespace back -> validate (minimality, syntax) ->
normalise. Every hunk is placed against the original text, so hunks may come in any order and
may overlap, as long as they do not contradict each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from surgeon.diff import elision, match, normalise
from surgeon.diff.parse import HunkLine, ParsedFile, ParsedHunk, parse_diff
from surgeon.diff.types import ApplyOptions, FileChange, PatchResult, Refusal
from surgeon.languages import INDENT_SENSITIVE, language_for
from surgeon.validate import minimality, syntax

ReadFile = Callable[[str], "bytes | None"]

# Languages known to ignore indentation; anything else (including unknown files) is treated as
# if indentation mattered.
_INDENT_FREE = {
    "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "bash", "json", "toml",
    "nginx", "systemd", "ini", "dockerfile", "dotenv",
}


def indentation_matters(path: str) -> bool:
    language = language_for(path)
    return language in INDENT_SENSITIVE or language not in _INDENT_FREE


class _Reader:
    def __init__(self, read_file: ReadFile):
        self._read = read_file
        self._cache: dict[str, bytes | None] = {}

    def __call__(self, path: str) -> bytes | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def exists(self, path: str) -> bool:
        return self(path) is not None


# ---------------------------------------------------------------------------------------------
# paths


def unsafe_path(path: str) -> str | None:
    """Why `path` may not be touched, or None when it is an ordinary path inside the repository."""
    if not path or path in (".", "/"):
        return "the diff names an empty path"
    if "\0" in path:
        return "the path contains a NUL character"
    if path.startswith("/") or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        return "the path is absolute; diffs must use paths relative to the repository root"
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        return "the path leads outside the repository (..)"
    if ".git" in parts:
        return "the path is inside .git; surgeon never edits git's own files"
    return None


def _strip_prefix(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


def _choices(raw: str, conventional: bool) -> list[str]:
    """Readings of a header path, most likely first: git's a/ b/ prefix stripped (when the diff
    uses the convention), a doubled prefix (a/a/x) stripped, the path as written."""
    once = _strip_prefix(raw)
    twice = _strip_prefix(once)
    ordered = [once, twice, raw] if conventional else [raw, once, twice]
    return list(dict.fromkeys(p for p in ordered if p))


@dataclass
class _Target:
    """One file the diff touches, its hunks gathered from every section that names it."""

    kind: str  # "modify", "create", "delete", "rename"
    old_path: str | None
    new_path: str | None
    sections: list[ParsedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def hunks(self) -> list[ParsedHunk]:
        return [h for s in self.sections for h in s.hunks]


def _resolve(section: ParsedFile, reader: _Reader) -> _Target | Refusal:
    old_raw, new_raw = section.old_path, section.new_path
    shown = _strip_prefix(new_raw or old_raw or "?")
    if section.binary:
        return Refusal(shown, None, None, "binary patches are not supported; surgeon edits text files only")
    if section.copy:
        return Refusal(shown, None, None, "'copy from'/'copy to' diffs are not supported; create the file with a new-file diff")
    conventional = (old_raw is None or old_raw.startswith("a/")) and (new_raw is None or new_raw.startswith("b/"))
    notes: list[str] = []

    def existing(raw: str) -> str | None:
        for choice in _choices(raw, conventional):
            if unsafe_path(choice) is None and reader.exists(choice):
                if choice != _choices(raw, conventional)[0]:
                    notes.append(f"path {raw} read as {choice}")
                return choice
        return None

    if section.rename_from or section.rename_to:
        old = section.rename_from or (old_raw and _choices(old_raw, conventional)[0])
        new = section.rename_to or (new_raw and _choices(new_raw, conventional)[0])
        if not old or not new:
            return Refusal(shown, None, None, "a rename needs both 'rename from' and 'rename to' lines")
        return _Target("rename", old, new, [section], notes)
    if section.creates:
        if new_raw is None:
            return Refusal(None, None, section.diff_line, "a new-file diff without a '+++ b/PATH' line")
        return _Target("create", None, _choices(new_raw, conventional)[0], [section], notes)
    if section.deletes:
        assert old_raw is not None
        old = existing(old_raw) or _choices(old_raw, conventional)[0]
        return _Target("delete", old, None, [section], notes)
    assert old_raw is not None and new_raw is not None
    old = existing(old_raw)
    if _strip_prefix(old_raw) != _strip_prefix(new_raw) and old_raw != new_raw:
        new = existing(new_raw)
        if old and new and old == new:
            return _Target("modify", old, old, [section], notes)
        return Refusal(_strip_prefix(new_raw), None, None, (
            f"the '---' and '+++' lines name different files ({old_raw}, {new_raw}) and there are no "
            "'rename from'/'rename to' lines: name the same file in both"))
    if old is None:
        first = _choices(old_raw, conventional)[0]
        hunks = section.hunks
        if hunks and all(h.old_start == 0 and not h.old_lines for h in hunks):
            notes.append("treated as a new file (its hunk adds to line 0 of a file that does not exist)")
            return _Target("create", None, first, [section], notes)
        return _Target("modify", first, first, [section], notes)
    if not conventional and old == old_raw:
        notes.append("the a/ b/ path prefixes were missing")
    return _Target("modify", old, old, [section], notes)


def _targets(sections: Sequence[ParsedFile], reader: _Reader) -> tuple[list[_Target], list[Refusal]]:
    targets: list[_Target] = []
    refusals: list[Refusal] = []
    by_path: dict[str, _Target] = {}
    for section in sections:
        target = _resolve(section, reader)
        if isinstance(target, Refusal):
            refusals.append(target)
            continue
        for path in {target.old_path, target.new_path} - {None}:
            assert path is not None
            problem = unsafe_path(path)
            if problem:
                refusals.append(Refusal(path, None, None, problem))
                break
        else:
            seen = by_path.get(target.path)
            if seen is None:
                by_path[target.path] = target
                if target.old_path and target.old_path != target.path:
                    by_path.setdefault(target.old_path, target)
                targets.append(target)
            elif seen.kind == target.kind == "modify":
                seen.sections.extend(target.sections)  # the same file in several blocks of the diff
                seen.notes.extend(target.notes)
            else:
                refusals.append(Refusal(target.path, None, None, (
                    "the diff touches this file more than once in ways that contradict each other "
                    f"({seen.kind} and {target.kind})")))
    return targets, refusals


# ---------------------------------------------------------------------------------------------
# one file


def decode(path: str, data: bytes) -> str | Refusal:
    if b"\0" in data:
        return Refusal(path, None, None, "is a binary file (it contains NUL bytes); surgeon edits text files only")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Refusal(path, None, None, f"is not UTF-8 text (byte {exc.start} is not valid UTF-8); surgeon edits UTF-8 text files only")


@dataclass(frozen=True)
class _Block:
    """The hunk replaces old lines [start, end) with `added`."""

    start: int
    end: int
    added: tuple[str, ...]
    hunk: int


@dataclass
class _Edited:
    content: str
    ops: list[normalise.Op]
    repairs: list[str]


def _elided(number: int, path: str, hunk: ParsedHunk, file_lines: set[str], language: str | None) -> Refusal | None:
    for line in hunk.lines:
        if match.loose_key(line.text) in file_lines:
            continue
        if elision.is_placeholder(line.text, language):
            what = {"+": "an added", "-": "a removed", " ": "a context"}[line.kind]
            return Refusal(path, number, hunk.hint, (
                f"it elides code: {what} line `{line.text.strip()}` is a placeholder, not code from the "
                "file. Write out every line the hunk keeps, removes or adds"))
    return None


def _dominant_ending(endings: Sequence[str], fallback: str) -> str:
    """The file's own line ending for added lines; `fallback` (from the diff) when the file has
    no line ending to go by."""
    crlf = sum(1 for e in endings if e == "\r\n")
    lf = sum(1 for e in endings if e == "\n")
    if crlf == lf == 0:
        return fallback
    return "\r\n" if crlf > lf else "\n"


def _apply_hunks(path: str, text: str, hunks: Sequence[ParsedHunk], fallback_ending: str = "\n") -> _Edited | list[Refusal]:
    texts, endings = normalise.split_lines(text)
    index = match.FileIndex(texts, indentation_matters(path))
    language = language_for(path)
    present = set(index.loose)
    refusals: list[Refusal] = []
    repairs: list[str] = []
    blocks: list[_Block] = []
    kept_by: dict[int, int] = {}  # old line -> hunk that keeps it as context
    spans: list[tuple[int, int, int]] = []  # (hunk, first old line, end)
    ends_at_eof: list[ParsedHunk] = []

    for number, hunk in enumerate(hunks, start=1):
        def note(message: str, number: int = number) -> None:
            repairs.append(f"hunk {number} of {path}: {message}")

        elided = _elided(number, path, hunk, present, language)
        if elided:
            refusals.append(elided)
            continue
        body, unchurned = minimality.drop_churn([(line.kind, line.text) for line in hunk.lines])
        lines = [HunkLine(kind, text) for kind, text in body]
        old_texts = [line.text for line in lines if line.kind != "+"]
        placed = index.place(old_texts, hunk.hint, [line.kind for line in lines if line.kind != "+"])
        if isinstance(placed, match.NoPlace):
            reason = placed.reason
            new_side = [line.text for line in lines if line.kind != "-"]
            done_at = index.find(new_side) if new_side != old_texts else []
            if old_texts and not index.find(old_texts) and len(done_at) == 1:
                reason = (
                    f"its change is in the file already: the lines it would produce are at lines "
                    f"{done_at[0] + 1}-{done_at[0] + len(new_side)}. Leave this hunk out")
            refusals.append(Refusal(path, number, placed.line, reason))
            continue
        start = placed.start
        file_old = texts[start : start + len(old_texts)]
        pairs = [
            (match.leading_whitespace(d), match.leading_whitespace(f))
            for d, f in zip(old_texts, file_old, strict=True)
            if d.strip()
        ]
        mapping = match.indentation_map(pairs)
        added_texts: list[str] = []
        for line in lines:
            if line.kind != "+":
                continue
            fitted = match.reindent(line.text, mapping) if mapping is not None else None
            if fitted is None:
                refusals.append(Refusal(path, number, start + 1, (
                    f"its lines are indented differently from the file at lines {start + 1}-{start + len(old_texts)}, "
                    f"and not by one consistent amount, so the added line `{line.text.strip()}` cannot be "
                    "re-indented reliably. Copy the file's indentation exactly")))
                break
            added_texts.append(fitted)
        else:
            for message in hunk.repairs:
                if message != "the @@ header had no line numbers":
                    note(message)
            if hunk.hint is None:
                note(f"placed at line {start + 1} by its content (the @@ header had no line numbers)")
            elif hunk.hint != start + 1 and not (not old_texts and start == 0):
                note(f"line numbers corrected from {hunk.hint} to {start + 1}")
            if placed.by_hint:
                note(f"its lines occur in {placed.candidates} places; the @@ line number picked line {start + 1}")
            if unchurned:
                note(f"{minimality_plural(unchurned)} removed and added back unchanged kept as they were")
            trailing = sum(
                1 for d, f in zip(old_texts, file_old, strict=True) if d != f and d.strip() == f.strip()
                and match.leading_whitespace(d) == match.leading_whitespace(f)
            )
            if trailing:
                note(f"trailing whitespace differed on {minimality_plural(trailing)}; the file's own kept")
            if mapping:
                note("indentation differed from the file's; the file's indentation kept and added lines re-indented")
            old_at = start
            added_iter = iter(added_texts)
            block_start: int | None = None
            block_added: list[str] = []
            for line in [*lines, None]:  # None flushes the last block
                if line is None or line.kind == " ":
                    if block_start is not None:
                        blocks.append(_Block(block_start, old_at, tuple(block_added), number))
                        block_start, block_added = None, []
                    if line is not None:
                        kept_by.setdefault(old_at, number)
                        old_at += 1
                    continue
                if block_start is None:
                    block_start = old_at
                if line.kind == "-":
                    old_at += 1
                else:
                    block_added.append(next(added_iter))
            spans.append((number, start, start + len(old_texts)))
            if start + len(old_texts) == len(texts):
                ends_at_eof.append(hunk)
    if refusals:
        return refusals

    # hunks in any order; identical changes made twice count once
    order = [n for n, _, _ in sorted(spans, key=lambda s: s[1])]
    if order != sorted(order):
        repairs.append(f"{path}: hunks were out of order; each was placed by its content")
    by_start = sorted(spans, key=lambda s: s[1])
    for (n1, _, e1), (n2, s2, _) in zip(by_start, by_start[1:], strict=False):
        if s2 < e1:
            repairs.append(f"{path}: hunks {min(n1, n2)} and {max(n1, n2)} overlap; merged")
    unique: dict[tuple[int, int, tuple[str, ...]], _Block] = {}
    for block in blocks:
        unique.setdefault((block.start, block.end, block.added), block)
    ordered = sorted(unique.values(), key=lambda b: (b.start, b.end))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if second.start < first.end or (second.start == first.start and (first.start == first.end or second.start == second.end)):
            refusals.append(Refusal(path, second.hunk, second.start + 1, (
                f"it changes the same lines as hunk {first.hunk} differently; merge the two hunks into one")))
    for block in ordered:
        for old_line in range(block.start, block.end):
            keeper = kept_by.get(old_line)
            if keeper is not None and keeper != block.hunk:
                refusals.append(Refusal(path, block.hunk, old_line + 1, (
                    f"it removes line {old_line + 1} ({match._shown(texts[old_line].strip())}), which hunk "
                    f"{keeper} keeps as context: merge the two hunks into one")))
                break
    if refusals:
        return refusals

    ending = _dominant_ending(endings, fallback_ending)
    new_texts: list[str] = []
    new_endings: list[str] = []
    ops: list[normalise.Op] = []
    at = 0

    def keep(old_line: int) -> None:
        ops.append(normalise.Op(old_line, len(new_texts)))
        new_texts.append(texts[old_line])
        new_endings.append(endings[old_line])

    for block in ordered:
        for old_line in range(at, block.start):
            keep(old_line)
        ops.extend(normalise.Op(old_line, None) for old_line in range(block.start, block.end))
        for added in block.added:
            ops.append(normalise.Op(None, len(new_texts)))
            new_texts.append(added)
            new_endings.append(ending)
        at = block.end
    for old_line in range(at, len(texts)):
        keep(old_line)

    final_newline = not endings or endings[-1] != ""
    for hunk in ends_at_eof:
        if hunk.old_no_newline and not final_newline and not hunk.new_no_newline:
            final_newline = True  # the diff adds the missing final newline, and says so exactly
        elif hunk.new_no_newline and final_newline and not hunk.old_no_newline:
            final_newline = False
    if new_texts:
        new_endings = [e or ending for e in new_endings[:-1]] + [
            (new_endings[-1] or ending) if final_newline else ""
        ]
    content = "".join(t + e for t, e in zip(new_texts, new_endings, strict=True))
    return _Edited(content, ops, repairs)


def minimality_plural(n: int) -> str:
    return "1 line" if n == 1 else f"{n} lines"


def _created_content(target: _Target) -> str | Refusal:
    hunks = target.hunks
    for number, hunk in enumerate(hunks, start=1):
        if hunk.old_lines:
            return Refusal(target.path, number, hunk.hint, (
                "a new file's hunk can only add lines ('+'), but this one has context or removed lines"))
        for line in hunk.lines:
            if elision.is_placeholder(line.text, language_for(target.path)):
                return Refusal(target.path, number, None, (
                    f"it elides code: the added line `{line.text.strip()}` is a placeholder. Write out the whole new file"))
    lines = [line.text for hunk in hunks for line in hunk.lines]
    if not lines:
        return ""
    crlf = any(s.crlf_content for s in target.sections)
    ending = "\r\n" if crlf else "\n"
    final = "" if hunks[-1].new_no_newline else ending
    return ending.join(lines) + final


@dataclass
class _Done:
    change: FileChange
    old_text: str | None
    new_text: str | None
    ops: list[normalise.Op] | None


def _mode(section_modes: Sequence[str | None]) -> str | None:
    return next((m for m in section_modes if m), None)


def _process(target: _Target, reader: _Reader) -> tuple[_Done | None, list[Refusal], list[str]]:
    path = target.path
    repairs = [f"{path}: {note}" for note in dict.fromkeys(target.notes)]
    for section in target.sections:
        repairs.extend(f"{path}: {note}" for note in section.repairs)
    old_mode = _mode([s.old_mode or s.deleted_file_mode for s in target.sections])
    new_mode = _mode([s.new_mode or s.new_file_mode for s in target.sections])

    if target.kind == "create":
        if reader.exists(path):
            return None, [Refusal(path, None, None, (
                "the diff creates this file, but it already exists: send a diff against its current content"))], repairs
        created = _created_content(target)
        if isinstance(created, Refusal):
            return None, [created], repairs
        change = FileChange(path, None, None, created.encode("utf-8"), None, new_mode or "100644", 0, 0)
        return _Done(change, None, created, None), [], repairs

    assert target.old_path is not None
    data = reader(target.old_path)
    if data is None:
        verb = {"delete": "deletes", "rename": "renames"}.get(target.kind, "changes")
        return None, [Refusal(target.old_path, None, None, (
            f"the diff {verb} this file, but it does not exist; use the path of an existing file relative "
            "to the repository root"))], repairs
    text = decode(target.old_path, data)
    if isinstance(text, Refusal):
        return None, [text], repairs
    if target.kind == "rename" and target.new_path != target.old_path and reader.exists(path):
        return None, [Refusal(path, None, None, f"the diff renames {target.old_path} to this path, which already exists")], repairs

    hunks = target.hunks
    if not hunks:
        if target.kind == "delete":
            if text:
                return None, [Refusal(target.old_path, None, None, (
                    "the diff deletes this file without listing its lines; a deletion must remove every line"))], repairs
            change = FileChange(target.old_path, None, data, None, old_mode or "100644", None, 0, 0)
            return _Done(change, text, None, None), [], repairs
        ops = [normalise.Op(i, i) for i in range(len(normalise.split_lines(text)[0]))]
        edited = _Edited(text, ops, [])
    else:
        crlf = any(section.crlf_content for section in target.sections)
        result = _apply_hunks(target.old_path, text, hunks, "\r\n" if crlf else "\n")
        if isinstance(result, list):
            return None, result, repairs
        edited = result
    repairs.extend(r.replace(f" of {target.old_path}:", f" of {path}:") for r in edited.repairs)

    if target.kind == "delete":
        if edited.content:
            left = normalise.split_lines(edited.content)[0]
            return None, [Refusal(target.old_path, None, None, (
                f"the diff deletes this file but its hunks leave {len(left)} of its lines "
                f"(the first: `{left[0].strip()}`); a deletion must remove every line"))], repairs
        change = FileChange(target.old_path, None, data, None, old_mode or "100644", None, 0, 0)
        return _Done(change, text, None, None), [], repairs

    renamed = target.kind == "rename" and target.new_path != target.old_path
    change = FileChange(
        path, target.old_path if renamed else None, data, edited.content.encode("utf-8"),
        old_mode, new_mode, 0, 0)
    return _Done(change, text, edited.content, edited.ops), [], repairs


# ---------------------------------------------------------------------------------------------


def _refused(refusals: Sequence[Refusal], repairs: Sequence[str] = ()) -> PatchResult:
    return PatchResult(False, (), tuple(refusals), tuple(repairs), "", 0, 0)


DEFAULT_OPTIONS = ApplyOptions()


def apply_patch(diff_text: str, read_file: ReadFile, options: ApplyOptions = DEFAULT_OPTIONS) -> PatchResult:
    """Apply `diff_text` in memory to the files `read_file` returns (repo-relative POSIX path ->
    bytes, or None when the file does not exist). Nothing is written: the result carries the new
    contents, the normalised diff, the repairs made, or the refusals."""
    if not diff_text.strip():
        return _refused([Refusal(None, None, None, "the patch is empty: there is no diff to apply")])
    parsed = parse_diff(diff_text)
    refusals = list(parsed.problems)
    repairs = list(parsed.repairs)
    if not parsed.files and not refusals:
        return _refused([Refusal(None, None, None, (
            "no diff found: a unified diff needs '--- a/PATH' and '+++ b/PATH' lines followed by '@@' hunks"))])
    reader = _Reader(read_file)
    targets, problems = _targets(parsed.files, reader)
    refusals.extend(problems)
    done: list[_Done] = []
    for target in targets:
        result, refused, notes = _process(target, reader)
        refusals.extend(refused)
        repairs.extend(notes)
        if result is not None:
            done.append(result)
    if refusals:
        return _refused(refusals, repairs)

    changes: list[FileChange] = []
    parts: list[str] = []
    for item in done:
        change = item.change
        text, added, removed = normalise.file_diff(
            old_path=None if change.old_content is None else (change.old_path or change.path),
            new_path=None if change.new_content is None else change.path,
            old_content=item.old_text, new_content=item.new_text, ops=item.ops,
            old_mode=change.old_mode, new_mode=change.new_mode)
        if not text:
            continue  # the diff changes nothing in this file
        parts.append(text)
        changes.append(FileChange(
            change.path, change.old_path, change.old_content, change.new_content,
            change.old_mode, change.new_mode, added, removed))
        if options.check_syntax and item.new_text is not None:
            changed_lines = _added_line_numbers(item.ops, item.new_text)
            problem = syntax.check_syntax(change.path, item.old_text, item.new_text, changed_lines)
            if problem:
                refusals.append(problem)
    if not changes and not refusals:
        refusals.append(Refusal(None, None, None, "the diff changes nothing: every hunk leaves the file as it is"))
    refusals.extend(minimality.check_minimality(
        changes, allow_rewrite=options.allow_rewrite, rewrite_share=options.rewrite_share,
        max_changed_lines=options.max_changed_lines))
    if refusals:
        return _refused(refusals, repairs)
    return PatchResult(
        True, tuple(changes), (), tuple(dict.fromkeys(repairs)), "".join(parts),
        sum(c.lines_added for c in changes), sum(c.lines_removed for c in changes))


def _added_line_numbers(ops: list[normalise.Op] | None, new_text: str) -> list[int]:
    if ops is None:
        return list(range(1, len(normalise.split_lines(new_text)[0]) + 1))
    return [op.new + 1 for op in ops if op.old is None and op.new is not None]
