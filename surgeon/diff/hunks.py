"""Applying the hunks of one file to its text: place each hunk by content (match.py), fit the
added lines to the file's indentation, merge the hunks, and rebuild the text with the file's own
lines, line endings and final newline. Every hunk is placed against the original text, so hunks
may come in any order and may overlap, as long as they do not contradict each other."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from surgeon.diff import elision, match, normalise
from surgeon.diff.churn import drop_churn
from surgeon.diff.parse import HunkLine, ParsedHunk
from surgeon.diff.types import Refusal

BOM = "\ufeff"


@dataclass(frozen=True)
class Edited:
    content: str
    ops: list[normalise.Op]  # how the old lines align with the new ones
    repairs: list[str]
    # (hunk number, first line, last line): where each hunk's change is in the new text (1-based;
    # a pure removal is at the line that follows it)
    spans: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class _Block:
    """Hunk `hunk` replaces old lines [start, end) with `added`."""

    start: int
    end: int
    added: tuple[str, ...]
    hunk: int


@dataclass(frozen=True)
class _Unplaced:
    refusal: Refusal
    nowhere: bool = False  # its lines occur nowhere in the text it was matched against


@dataclass(frozen=True)
class _Placed:
    number: int
    hunk: ParsedHunk
    start: int
    end: int
    blocks: tuple[_Block, ...]
    kept: tuple[int, ...]  # old lines the hunk keeps as context


def lines_word(n: int) -> str:
    return "1 line" if n == 1 else f"{n} lines"


def elision_refusal(path: str, number: int | None, line: int | None, found: elision.Elided) -> Refusal:
    kind, text = found.kind, found.text
    if found.replaces:
        removed = found.replaces
        return Refusal(path, number, line, (
            f"it elides code: the added line `{text.strip()}` takes the place of "
            f"{lines_word(len(removed))} it removes (from `{removed[0].strip()}`), which reads as a placeholder "
            "for code kept, not code. Write out every line the hunk keeps; to delete lines, remove them "
            "without a comment in their place"))
    what = {"+": "an added", "-": "a removed", " ": "a context"}[kind]
    return Refusal(path, number, line, (
        f"it elides code: {what} line `{text.strip()}` is a placeholder, not code from the "
        "file. Write out every line the hunk keeps, removes or adds"))


def _anchors(lines: Sequence[HunkLine]) -> list[int]:
    """Old-side positions of the lines that fix where the hunk's changes go: every removed line,
    and the unchanged line right next to each run of changes, on each side."""
    old_at: list[int] = []
    count = 0
    for line in lines:
        old_at.append(count)
        count += line.kind != "+"
    anchors: set[int] = set()
    for k, line in enumerate(lines):
        if line.kind == "-":
            anchors.add(old_at[k])
        elif line.kind == " " and any(0 <= j < len(lines) and lines[j].kind != " " for j in (k - 1, k + 1)):
            anchors.add(old_at[k])
    return sorted(anchors)


class _FileEdit:
    def __init__(self, path: str, text: str):
        self.path = path
        self.texts, self.endings = normalise.split_lines(text)
        # a byte order mark belongs to the file, not to its first line: matched without it, and
        # put back in front of whatever line comes first after the change
        self.bom = bool(self.texts) and self.texts[0].startswith(BOM)
        if self.bom:
            self.texts[0] = self.texts[0][1:]
        self.index = match.FileIndex(self.texts, match.indentation_matters(path))
        self.present = set(self.index.loose)
        self.repairs: list[str] = []

    def note(self, number: int, message: str) -> None:
        self.repairs.append(f"hunk {number} of {self.path}: {message}")

    def place(self, number: int, hunk: ParsedHunk) -> _Placed | _Unplaced:
        written = [(line.kind, line.text) for line in hunk.lines]
        elided = elision.find_elision(written, self.path, lambda text: match.loose_key(text) in self.present)
        if elided:
            return _Unplaced(elision_refusal(self.path, number, hunk.hint, elided))
        body, unchurned = drop_churn(written)
        lines = [HunkLine(kind, text) for kind, text in body]
        old_texts = [line.text for line in lines if line.kind != "+"]
        anchors = _anchors(lines)
        placed = self.index.place(old_texts, hunk.hint, [line.kind for line in lines if line.kind != "+"], anchors)
        if isinstance(placed, match.NoPlace):
            reason = self._already_done(lines, old_texts) or (self._skips(lines) if placed.nowhere else None)
            return _Unplaced(Refusal(self.path, number, placed.line, reason or placed.reason), placed.nowhere)
        start = placed.start
        file_old = self.texts[start : start + len(old_texts)]
        indents = [(match.leading_whitespace(match.fold(d)), match.leading_whitespace(match.fold(f)))
                   for d, f in zip(old_texts, file_old, strict=True) if d.strip()]
        mapping = match.indentation_map(indents)
        anchored = bool(anchors) and all(
            match.strict_key(old_texts[j]) == match.strict_key(file_old[j]) for j in anchors)
        if placed.context_indentation_differs or (anchored and mapping != {} and not isinstance(mapping, tuple)):
            # the changes sit exactly where the file has their neighbours: other unchanged lines
            # are never written, and the added lines are kept as written (only a shift of the
            # whole hunk by one amount re-indents them)
            mapping = {}
            self.note(number, "unchanged lines away from the change were indented differently from the file; "
                      "the file's lines kept, the added lines as written")
        added: list[str] = []
        for line in lines:
            if line.kind == "+":
                fitted = match.reindent(line.text, mapping) if mapping is not None else None
                if fitted is None:
                    return _Unplaced(Refusal(self.path, number, start + 1, (
                        f"its lines are indented differently from the file at lines {start + 1}-"
                        f"{start + len(old_texts)}, and not by one consistent amount, so the added line "
                        f"`{line.text.strip()}` cannot be re-indented reliably. Copy the file's indentation exactly")))
                added.append(fitted)

        for message in hunk.repairs:
            if message != "the @@ header had no line numbers":
                self.note(number, message)
        if hunk.hint is None:
            self.note(number, f"placed at line {start + 1} by its content (the @@ header had no line numbers)")
        elif hunk.hint != start + 1 and old_texts:
            self.note(number, f"line numbers corrected from {hunk.hint} to {start + 1}")
        if placed.by_hint:
            self.note(number, f"its lines occur in {placed.candidates} places; the @@ line number picked line {start + 1}")
        if unchurned:
            self.note(number, f"{lines_word(unchurned)} removed and added back unchanged kept as they were")
        trailing = sum(1 for d, f in zip(old_texts, file_old, strict=True) if d != f and d.rstrip() == f.rstrip())
        if trailing:
            self.note(number, f"trailing whitespace differed on {lines_word(trailing)}; the file's own kept")
        alike = sum(1 for d, f in zip(old_texts, file_old, strict=True)
                    if d.lstrip(BOM).strip() != f.strip() and match.loose_key(d) == match.loose_key(f))
        if alike:
            self.note(number, (
                f"{lines_word(alike)} differed from the file only in look-alike characters (non-breaking or "
                "zero-width spaces, typographic quotes or dashes); the file's own kept"))
        if mapping:
            self.note(number, "indentation differed from the file's; the file's indentation kept and added lines re-indented")
        return self._blocks(number, hunk, lines, start, iter(added))

    def _skips(self, lines: list[HunkLine]) -> str | None:
        """Why a hunk that matches nowhere fails, when one of its unchanged or removed lines is a
        comment the file does not have and the lines around it match the file with lines skipped
        where it stands: that comment stands for the lines left out."""
        old_side = [line for line in lines if line.kind != "+"]
        for k, line in enumerate(old_side[1:-1], start=1):
            if match.loose_key(line.text) in self.present or elision.comment_body(line.text, self.path) is None:
                continue
            before = self.index.find([x.text for x in old_side[:k]])
            after = set(self.index.find([x.text for x in old_side[k + 1 :]]))
            for start in before:
                gap_start = start + k
                gap_end = next((q for q in range(gap_start + 1, len(self.texts) + 1) if q in after), None)
                if gap_end is not None:
                    verb = "removes" if line.kind == "-" else "keeps"
                    return (f"it elides code: the line `{line.text.strip()}` it {verb} is not in the file; it stands "
                            f"for lines {gap_start + 1}-{gap_end} ({lines_word(gap_end - gap_start)} the hunk leaves "
                            "out). Write out every line the hunk keeps, removes or adds")
        return None

    def _already_done(self, lines: list[HunkLine], old_texts: list[str]) -> str | None:
        new_side = [line.text for line in lines if line.kind != "-"]
        if not old_texts or new_side == old_texts or self.index.find(old_texts):
            return None
        done_at = self.index.find(new_side)
        if len(done_at) != 1:
            return None
        return (f"its change is in the file already: the lines it would produce are at lines "
                f"{done_at[0] + 1}-{done_at[0] + len(new_side)}. Leave this hunk out")

    @staticmethod
    def _blocks(number: int, hunk: ParsedHunk, lines: list[HunkLine], start: int, added: Iterator[str]) -> _Placed:
        blocks: list[_Block] = []
        kept: list[int] = []
        at = start
        block_start: int | None = None
        block_added: list[str] = []
        for line in [*lines, None]:  # None flushes the last block
            if line is None or line.kind == " ":
                if block_start is not None:
                    blocks.append(_Block(block_start, at, tuple(block_added), number))
                    block_start, block_added = None, []
                if line is not None:
                    kept.append(at)
                    at += 1
                continue
            if block_start is None:
                block_start = at
            if line.kind == "-":
                at += 1
            else:
                block_added.append(next(added))
        return _Placed(number, hunk, start, at, tuple(blocks), tuple(kept))

    def merge(self, placed: list[_Placed]) -> tuple[list[_Block], list[Refusal]]:
        """All hunks' blocks in file order; identical changes made twice count once; changes that
        contradict each other are refused."""
        by_start = sorted(placed, key=lambda p: p.start)
        if [p.number for p in by_start] != sorted(p.number for p in placed):
            self.repairs.append(f"{self.path}: hunks were out of order; each was placed by its content")
        for first, second in zip(by_start, by_start[1:], strict=False):
            if second.start < first.end:
                low, high = sorted((first.number, second.number))
                self.repairs.append(f"{self.path}: hunks {low} and {high} overlap; merged")
        unique: dict[tuple[int, int, tuple[str, ...]], _Block] = {}
        for block in (b for p in placed for b in p.blocks):
            unique.setdefault((block.start, block.end, block.added), block)
        ordered = sorted(unique.values(), key=lambda b: (b.start, b.end))
        refusals: list[Refusal] = []
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            same_spot = later.start == earlier.start and (earlier.start == earlier.end or later.start == later.end)
            if later.start < earlier.end or same_spot:
                refusals.append(Refusal(self.path, later.hunk, later.start + 1, (
                    f"it changes the same lines as hunk {earlier.hunk} differently; merge the two hunks into one")))
        kept_by: dict[int, int] = {}
        for p in placed:
            for line in p.kept:
                kept_by.setdefault(line, p.number)
        for block in ordered:
            for old_line in range(block.start, block.end):
                keeper = kept_by.get(old_line)
                if keeper is not None and keeper != block.hunk:
                    refusals.append(Refusal(self.path, block.hunk, old_line + 1, (
                        f"it removes line {old_line + 1} (`{self.texts[old_line].strip()}`), which hunk "
                        f"{keeper} keeps as context: merge the two hunks into one")))
                    break
        return ordered, refusals

    def rebuild(self, blocks: list[_Block], placed: list[_Placed], fallback_ending: str) -> Edited:
        texts, endings = self.texts, self.endings
        ending = _dominant_ending(endings, fallback_ending)
        new_texts: list[str] = []
        new_endings: list[str | None] = []  # None: an added line with no removed line to pair with
        ops: list[normalise.Op] = []

        def keep(old_line: int) -> None:
            ops.append(normalise.Op(old_line, len(new_texts)))
            new_texts.append(texts[old_line])
            new_endings.append(endings[old_line])

        at = 0
        spans: list[tuple[int, int, int]] = []
        for block in blocks:
            for old_line in range(at, block.start):
                keep(old_line)
            spans.append((block.hunk, len(new_texts) + 1, len(new_texts) + max(len(block.added), 1)))
            ops.extend(normalise.Op(old_line, None) for old_line in range(block.start, block.end))
            replaced = endings[block.start : block.end]
            for k, added in enumerate(block.added):
                ops.append(normalise.Op(None, len(new_texts)))
                new_texts.append(added)
                # an added line that takes the place of a removed one keeps that line's ending
                new_endings.append(replaced[k] if k < len(replaced) and replaced[k] else None)
            at = block.end
        for old_line in range(at, len(texts)):
            keep(old_line)

        filled = _neighbour_endings(new_endings, ending)
        final_newline = self._final_newline([p.hunk for p in placed if p.end == len(texts)])
        if new_texts:
            # without a final newline an empty last line would vanish: it keeps its newline
            last = (filled[-1] or ending) if final_newline or new_texts[-1] == "" else ""
            filled = [e or ending for e in filled[:-1]] + [last]
        if new_texts and self.bom and not new_texts[0].startswith(BOM) and not self._removes_bom(placed):
            new_texts[0] = BOM + new_texts[0]
        content = "".join(t + e for t, e in zip(new_texts, filled, strict=True))
        return Edited(content, ops, self.repairs, tuple(spans))

    @staticmethod
    def _removes_bom(placed: list[_Placed]) -> bool:
        """Whether a hunk removes the byte order mark in so many words: its removed first line
        shows it and none of its added lines does (a diff of a file that lost its mark)."""
        for p in placed:
            first = next((line for line in p.hunk.lines if line.kind != "+"), None)
            if p.start == 0 and first is not None and first.kind == "-" and first.text.startswith(BOM):
                return not any(line.kind == "+" and line.text.startswith(BOM) for line in p.hunk.lines)
        return False

    def _final_newline(self, hunks_at_end: list[ParsedHunk]) -> bool:
        """The file keeps its final newline (or its lack of one) unless a hunk that reaches the
        end says exactly, with its markers, that this changes."""
        final_newline = not self.endings or self.endings[-1] != ""
        for hunk in hunks_at_end:
            if hunk.old_no_newline and not final_newline and not hunk.new_no_newline:
                return True
            if hunk.new_no_newline and final_newline and not hunk.old_no_newline:
                return False
        return final_newline


def _neighbour_endings(endings: Sequence[str | None], dominant: str) -> list[str]:
    """`endings` with each None (an added line that replaces nothing) set to the ending of the
    line above it, or of the first line below it that has one when nothing is above; `dominant`
    when that neighbour has no ending (a last line without a final newline) or there is none.
    The endings that are already set are never changed."""
    below = next((e for e in endings if e is not None), None) or dominant
    out: list[str] = []
    for found in endings:
        if found is not None:
            out.append(found)
        elif out:
            out.append(out[-1] or dominant)
        else:
            out.append(below)
    return out


def _dominant_ending(endings: Sequence[str], fallback: str) -> str:
    """The file's own line ending for added lines; `fallback` (from the diff) when the file has
    no line ending to go by."""
    crlf = sum(1 for e in endings if e == "\r\n")
    lf = sum(1 for e in endings if e == "\n")
    if crlf == lf == 0:
        return fallback
    return "\r\n" if crlf > lf else "\n"


def compose(first: Sequence[normalise.Op], second: Sequence[normalise.Op], old_count: int) -> list[normalise.Op]:
    """The alignment old -> final from old -> middle (`first`) and middle -> final (`second`)."""
    origin_of_middle = {op.new: op.old for op in first if op.new is not None}
    out: list[normalise.Op] = []
    next_old = 0
    for op in second:
        if op.new is None:
            continue
        origin = origin_of_middle.get(op.old) if op.old is not None else None
        if origin is None:
            out.append(normalise.Op(None, op.new))
            continue
        out.extend(normalise.Op(k, None) for k in range(next_old, origin))
        out.append(normalise.Op(origin, op.new))
        next_old = origin + 1
    out.extend(normalise.Op(k, None) for k in range(next_old, old_count))
    return out


def _apply_together(
    path: str, text: str, numbered: Sequence[tuple[int, ParsedHunk]], fallback_ending: str
) -> tuple[Edited | None, list[Refusal], list[tuple[int, ParsedHunk, _Unplaced]]]:
    """Place every hunk against `text` and apply those that fit; returns (result or None when
    a conflict stops it, refusals, the hunks whose lines occur nowhere in `text`)."""
    edit = _FileEdit(path, text)
    placed: list[_Placed] = []
    refusals: list[Refusal] = []
    nowhere: list[tuple[int, ParsedHunk, _Unplaced]] = []
    for number, hunk in numbered:
        result = edit.place(number, hunk)
        if isinstance(result, _Placed):
            placed.append(result)
        elif result.nowhere:
            nowhere.append((number, hunk, result))
        else:
            refusals.append(result.refusal)
    blocks, conflicts = edit.merge(placed)
    refusals.extend(conflicts)
    if refusals:
        return None, refusals, nowhere
    return edit.rebuild(blocks, placed, fallback_ending), [], nowhere


def apply_hunks(path: str, text: str, hunks: Sequence[ParsedHunk], fallback_ending: str = "\n") -> Edited | list[Refusal]:
    """`hunks` applied to `text` (the content of `path`), or every reason they cannot be.

    A hunk whose lines occur nowhere in the original gets one more chance against the text with
    the other hunks applied: models often write a later hunk against the file as their earlier
    hunks left it."""
    edited, refusals, nowhere = _apply_together(path, text, list(enumerate(hunks, start=1)), fallback_ending)
    if edited is not None and not nowhere:
        return edited
    if edited is None or len(nowhere) == len(hunks):
        return refusals + [unplaced.refusal for _, _, unplaced in nowhere]
    old_count = len(normalise.split_lines(text)[0])
    repairs = list(edited.repairs)
    again, refusals, still = _apply_together(path, edited.content, [(n, h) for n, h, _ in nowhere], fallback_ending)
    if again is None or still:
        first = {n: unplaced.refusal for n, _, unplaced in nowhere}
        return refusals + [first[n] for n, _, _ in still]
    for number, _, _ in nowhere:
        repairs.append(f"hunk {number} of {path}: it fits the file only after the other hunks are applied; applied after them")
    repairs.extend(r for r in again.repairs if "line numbers corrected" not in r)
    moved = {op.old + 1: op.new + 1 for op in again.ops if op.old is not None and op.new is not None}
    spans = [(n, moved[a], moved.get(b, moved[a])) for n, a, b in edited.spans if a in moved] + list(again.spans)
    return Edited(again.content, compose(edited.ops, again.ops, old_count), repairs, tuple(sorted(spans, key=lambda s: s[1])))
