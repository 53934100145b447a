"""apply_patch: a diff and a way to read files in, a PatchResult out. No I/O of its own.

Steps: parse (parse.py, tolerant) -> find the files (paths.py) -> apply each file's hunks by
content (hunks.py, match.py) -> validate (minimality, syntax) -> normalise (normalise.py).
All files or none: one refusal anywhere refuses the whole diff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from surgeon.diff import elision, formats, normalise
from surgeon.diff.hunks import Edited, apply_hunks
from surgeon.diff.parse import parse_diff, truncation
from surgeon.diff.paths import Target, targets
from surgeon.diff.types import FileChange, PatchResult, Refusal

ReadFile = Callable[[str], "bytes | None"]


class _Reader:
    """read_file, asked once per path."""

    def __init__(self, read_file: ReadFile):
        self._read = read_file
        self._cache: dict[str, bytes | None] = {}

    def __call__(self, path: str) -> bytes | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def exists(self, path: str) -> bool:
        return self(path) is not None


def decode(path: str, data: bytes) -> str | Refusal:
    if b"\0" in data:
        return Refusal(path, None, None, "is a binary file (it contains NUL bytes); surgeon edits text files only")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Refusal(path, None, None, f"is not UTF-8 text (byte {exc.start} is not valid UTF-8); surgeon edits UTF-8 text files only")


def _created_content(target: Target) -> str | Refusal:
    hunks = target.hunks
    for number, hunk in enumerate(hunks, start=1):
        if hunk.old_lines:
            return Refusal(target.path, number, hunk.hint, (
                "a new file's hunk can only add lines ('+'), but this one has context or removed lines"))
        found = elision.find_elision([(line.kind, line.text) for line in hunk.lines], target.path)
        if found:
            text = found.text.strip()
            return Refusal(target.path, number, None, (
                f"it elides code: the added line `{text}` is a placeholder. Write out the whole new file"))
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
    spans: tuple[tuple[int, int, int], ...] = ()


def _mode(section_modes: Sequence[str | None]) -> str | None:
    return next((m for m in section_modes if m), None)


def _process(target: Target, reader: _Reader) -> tuple[_Done | None, list[Refusal], list[str]]:
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
        spans, at = [], 1
        for number, hunk in enumerate(target.hunks, start=1):
            spans.append((number, at, at + max(len(hunk.lines), 1) - 1))
            at += len(hunk.lines)
        return _Done(change, None, created, None, tuple(spans)), [], repairs

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
        edited = Edited(text, ops, [])
    else:
        lines = normalise.split_lines(text)[0]
        cut = [r for n, h in enumerate(hunks, 1) if (r := truncation(target.old_path, n, h, lines))]
        if cut:
            return None, cut, repairs
        crlf = any(section.crlf_content for section in target.sections)
        result = apply_hunks(target.old_path, text, hunks, "\r\n" if crlf else "\n")
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
    return _Done(change, text, edited.content, edited.ops, edited.spans), [], repairs


# ---------------------------------------------------------------------------------------------


def _refused(refusals: Sequence[Refusal], repairs: Sequence[str] = ()) -> PatchResult:
    return PatchResult(False, (), tuple(refusals), tuple(repairs), "", 0, 0)


def apply_patch(diff_text: str, read_file: ReadFile) -> PatchResult:
    """Apply `diff_text` in memory to the files `read_file` returns (repo-relative POSIX path ->
    bytes, or None when the file does not exist). Nothing is written: the result carries the new
    contents, the normalised diff, the repairs made, or the refusals. The validators' verdicts
    (syntax, minimality ...) are not part of the engine: see surgeon.validate.check_patch."""
    if not diff_text.strip():
        return _refused([Refusal(None, None, None, "the patch is empty: there is no diff to apply")])
    reader = _Reader(read_file)
    completed = formats.complete(diff_text, reader)  # another format read as a unified diff
    if completed.refusals:
        return _refused(list(completed.refusals), list(completed.repairs))
    diff_text = completed.diff
    parsed = parse_diff(diff_text)
    refusals = list(parsed.problems)
    repairs = [*completed.repairs, *parsed.repairs]
    if not parsed.files and not refusals:
        return _refused([Refusal(None, None, None, (
            "no diff found: a unified diff needs '--- a/PATH' and '+++ b/PATH' lines followed by '@@' hunks"))])
    found, problems = targets(parsed.files, reader.exists)
    refusals.extend(problems)
    done: list[_Done] = []
    for target in found:
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
        added_lines = tuple(_added_line_numbers(item.ops, item.new_text)) if item.new_text is not None else ()
        changes.append(FileChange(
            change.path, change.old_path, change.old_content, change.new_content,
            change.old_mode, change.new_mode, added, removed, added_lines, item.spans))
    if not changes:
        return _refused([Refusal(None, None, None, "the diff changes nothing: every hunk leaves the file as it is")],
                        repairs)
    return PatchResult(
        True, tuple(changes), (), tuple(dict.fromkeys(repairs)), "".join(parts),
        sum(c.lines_added for c in changes), sum(c.lines_removed for c in changes))


def _added_line_numbers(ops: list[normalise.Op] | None, new_text: str) -> list[int]:
    if ops is None:
        return list(range(1, len(normalise.split_lines(new_text)[0]) + 1))
    return [op.new + 1 for op in ops if op.old is None and op.new is not None]
