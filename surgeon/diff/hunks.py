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
from surgeon.languages import language_for


@dataclass(frozen=True)
class Edited:
    content: str
    ops: list[normalise.Op]  # how the old lines align with the new ones
    repairs: list[str]


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


def _elided(number: int, path: str, hunk: ParsedHunk, file_lines: set[str], language: str | None) -> Refusal | None:
    for line in hunk.lines:
        if match.loose_key(line.text) in file_lines:
            continue  # the file really has this line
        if elision.is_placeholder(line.text, language):
            what = {"+": "an added", "-": "a removed", " ": "a context"}[line.kind]
            return Refusal(path, number, hunk.hint, (
                f"it elides code: {what} line `{line.text.strip()}` is a placeholder, not code from the "
                "file. Write out every line the hunk keeps, removes or adds"))
    return None


class _FileEdit:
    def __init__(self, path: str, text: str):
        self.path = path
        self.texts, self.endings = normalise.split_lines(text)
        self.index = match.FileIndex(self.texts, match.indentation_matters(path))
        self.language = language_for(path)
        self.present = set(self.index.loose)
        self.repairs: list[str] = []

    def note(self, number: int, message: str) -> None:
        self.repairs.append(f"hunk {number} of {self.path}: {message}")

    def place(self, number: int, hunk: ParsedHunk) -> _Placed | _Unplaced:
        elided = _elided(number, self.path, hunk, self.present, self.language)
        if elided:
            return _Unplaced(elided)
        body, unchurned = drop_churn([(line.kind, line.text) for line in hunk.lines])
        lines = [HunkLine(kind, text) for kind, text in body]
        old_texts = [line.text for line in lines if line.kind != "+"]
        placed = self.index.place(old_texts, hunk.hint, [line.kind for line in lines if line.kind != "+"])
        if isinstance(placed, match.NoPlace):
            refusal = Refusal(self.path, number, placed.line, self._already_done(lines, old_texts) or placed.reason)
            return _Unplaced(refusal, placed.nowhere)
        start = placed.start
        file_old = self.texts[start : start + len(old_texts)]
        mapping = match.indentation_map([
            (match.leading_whitespace(d), match.leading_whitespace(f))
            for d, f in zip(old_texts, file_old, strict=True) if d.strip()
        ])
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
        if mapping:
            self.note(number, "indentation differed from the file's; the file's indentation kept and added lines re-indented")
        return self._blocks(number, hunk, lines, start, iter(added))

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
        for block in blocks:
            for old_line in range(at, block.start):
                keep(old_line)
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
            filled = [e or ending for e in filled[:-1]] + [(filled[-1] or ending) if final_newline else ""]
        content = "".join(t + e for t, e in zip(new_texts, filled, strict=True))
        return Edited(content, ops, self.repairs)

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
    return Edited(again.content, compose(edited.ops, again.ops, old_count), repairs)
