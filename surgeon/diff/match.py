"""Placing a hunk by its content.

A hunk's old side (context and removed lines) is looked up in the file. Places that match when
all leading and trailing whitespace is ignored are the candidates: models drift in whitespace, so
whitespace is never trusted to tell two places apart. One candidate: it is the place, where
indentation carries meaning provided its indentation is exact, or off by one shift for the whole
hunk, or off only on unchanged lines away from the changes. Several: the @@ line number picks
one when exactly one of them starts within HINT_WINDOW lines of it; otherwise the hunk is refused
with the places listed. None: refused,
with the closest lines and what differs.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from surgeon.diff.types import LineKind
from surgeon.languages import INDENT_SENSITIVE, language_for

# Languages known to ignore indentation; anything else (unknown files too) is treated as if
# indentation mattered.
INDENT_FREE = {
    "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "bash", "json", "toml",
    "nginx", "systemd", "ini", "dockerfile", "dotenv",
}


def indentation_matters(path: str) -> bool:
    language = language_for(path)
    return language in INDENT_SENSITIVE or language not in INDENT_FREE


# How far (in lines) the @@ line number may be from a candidate and still pick it among several.
HINT_WINDOW = 3
_MAX_SHOWN = 8


# Characters that look like others and get into diffs through chat windows, word processors and
# web pages: they never tell two lines apart (the file's own characters are the ones kept).
_LOOK_ALIKES = str.maketrans({
    **dict.fromkeys("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                    "\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
    "\u2026": "...",
})


def fold(text: str) -> str:
    """`text` with look-alike characters replaced by the plain ones they look like."""
    return text.translate(_LOOK_ALIKES) if not text.isascii() else text


def loose_key(text: str) -> str:
    return fold(text).strip()


def strict_key(text: str) -> str:
    """Trailing whitespace never counts; leading whitespace does (where indentation matters)."""
    return fold(text).rstrip()


@dataclass(frozen=True)
class Placement:
    start: int  # 0-based index of the hunk's first old-side line in the file
    by_hint: bool = False  # chosen among several places by the @@ line number
    candidates: int = 1
    context_indentation_differs: bool = False  # only in unchanged lines away from the changes


@dataclass(frozen=True)
class NoPlace:
    reason: str
    line: int | None  # 1-based line the refusal points at
    nowhere: bool = False  # its lines occur nowhere (not: several places, or wrong indentation)


def _shown(text: str, limit: int = 80) -> str:
    text = text.rstrip()
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"`{text}`"


def _lines_list(starts: Sequence[int], limit: int = 6) -> str:
    shown = ", ".join(str(s + 1) for s in starts[:limit])
    return shown + (f" and {len(starts) - limit} more" if len(starts) > limit else "")


class FileIndex:
    """A file's lines with the lookups matching needs, built once per file."""

    def __init__(self, texts: Sequence[str], indentation_matters: bool):
        self.texts = list(texts)
        self.indentation_matters = indentation_matters
        self.loose = [loose_key(t) for t in self.texts]
        self.strict = [strict_key(t) for t in self.texts] if indentation_matters else self.loose
        self.positions: dict[str, list[int]] = {}
        for number, key in enumerate(self.loose):
            self.positions.setdefault(key, []).append(number)

    def find(self, texts: list[str]) -> list[int]:
        """Every place where `texts` occur, ignoring leading and trailing whitespace."""
        return self._find([loose_key(t) for t in texts]) if texts else []

    def _find(self, keys: list[str]) -> list[int]:
        size = len(keys)
        pivot = min(range(size), key=lambda j: len(self.positions.get(keys[j], ())))
        found = []
        for position in self.positions.get(keys[pivot], ()):
            start = position - pivot
            if 0 <= start and start + size <= len(self.loose) and self.loose[start : start + size] == keys:
                found.append(start)
        return found

    def _exact_indentation(self, start: int, strict: list[str]) -> bool:
        return self.strict[start : start + len(strict)] == strict

    def place(self, old_texts: list[str], hint: int | None, kinds: Sequence[LineKind] | None = None,
              anchors: Collection[int] = ()) -> Placement | NoPlace:
        """Where the hunk whose old side is `old_texts` goes. `kinds` (" " or "-" per line) only
        sharpens the wording of a refusal. `anchors`: the old-side lines that fix where each change
        goes (its removed lines and the unchanged lines right next to it); when the place is
        unique and these match exactly, other unchanged lines may differ in indentation (they are
        never written)."""
        if not old_texts:
            if not self.texts:
                return Placement(0)
            return NoPlace(
                "it has no context or removed lines, so nothing says where it goes: include the "
                "unchanged lines around the change", hint)
        keys = [loose_key(t) for t in old_texts]
        strict = [strict_key(t) for t in old_texts] if self.indentation_matters else keys
        candidates = self._find(keys)
        if not candidates:
            return NoPlace(self.explain_nowhere(old_texts, hint, kinds), hint, nowhere=True)
        chosen: int | None = None
        by_hint = False
        near: list[int] = []
        if len(candidates) == 1:
            chosen = candidates[0]
        elif hint is not None:
            near = [c for c in candidates if abs(c - (hint - 1)) <= HINT_WINDOW]
            if len(near) == 1:
                chosen, by_hint = near[0], True
        if chosen is None:
            if hint is None:
                note = "and its @@ header has no line number to choose between them"
            elif near:
                note = (f"and {len(near)} of them (lines {_lines_list(near)}) are within {HINT_WINDOW} lines of "
                        f"line {hint} named in its @@ header, so the line number cannot choose either")
            else:
                note = f"and none of them is within {HINT_WINDOW} lines of line {hint} named in its @@ header"
            return NoPlace(
                f"its context and removed lines match {len(candidates)} places (lines "
                f"{_lines_list(candidates)}), {note}: include more unchanged lines around the change "
                "so that it matches one place", hint)
        if not self._exact_indentation(chosen, strict):
            if len(candidates) == 1 and isinstance(self._indentation_map(chosen, old_texts), tuple):
                return Placement(chosen, by_hint, len(candidates))  # one shift for the whole hunk
            anchored = bool(anchors) and all(self.strict[chosen + j] == strict[j] for j in anchors)
            if len(candidates) > 1 or not anchored:
                return NoPlace(self.explain_indentation(chosen, old_texts), chosen + 1)
            return Placement(chosen, by_hint, len(candidates), context_indentation_differs=True)
        return Placement(chosen, by_hint, len(candidates))

    def _indentation_map(self, start: int, old_texts: list[str]) -> dict[str, str] | tuple[str, str] | None:
        return indentation_map([(leading_whitespace(fold(d)), leading_whitespace(fold(f)))
                                for d, f in zip(old_texts, self.texts[start:], strict=False) if d.strip()])

    def explain_indentation(self, start: int, old_texts: list[str]) -> str:
        for offset, text in enumerate(old_texts):
            file_text = self.texts[start + offset]
            if strict_key(file_text) != strict_key(text):
                have = len(file_text) - len(file_text.lstrip())
                want = len(text) - len(text.lstrip())
                return (
                    f"its lines match lines {start + 1}-{start + len(old_texts)} only when indentation "
                    f"is ignored, and indentation carries meaning in this file: line {start + offset + 1} "
                    f"{_shown(file_text.strip())} is indented by {have} characters, the diff has {want}. "
                    "Copy the file's indentation exactly")
        return "its indentation differs from the file"  # not reached: a caller saw a difference

    def explain_nowhere(self, old_texts: list[str], hint: int | None,
                        kinds: Sequence[LineKind] | None = None) -> str:
        keys = [loose_key(t) for t in old_texts]
        kinds = kinds or [" "] * len(old_texts)

        def diff_line(a: int) -> str:
            return f"the diff {'removes' if kinds[a] == '-' else 'expects'} {_shown(old_texts[a].strip())}"

        votes: Counter[int] = Counter()
        for offset, key in enumerate(keys):
            positions = self.positions.get(key, ())
            if key and len(positions) <= 50:
                for position in positions:
                    votes[position - offset] += 1
        if not votes:
            return (
                f"none of its context or removed lines is in the file (the first one is "
                f"{_shown(old_texts[0])}): the file's current text differs from what the diff expects")
        target = (hint - 1) if hint is not None else 0
        best = max(votes, key=lambda start: (votes[start], -abs(start - target)))
        low = max(best, 0)
        high = min(best + len(keys) + 3, len(self.loose))
        window = self.loose[low:high]
        matcher = difflib.SequenceMatcher(None, keys, window, autojunk=False)
        notes: list[str] = []
        opcodes = matcher.get_opcodes()
        while opcodes and opcodes[-1][0] == "insert":  # file lines after the hunk's end
            opcodes.pop()
        first_line = last_line = None
        for tag, a1, a2, b1, b2 in opcodes:
            if tag == "equal":
                first_line = low + b1 + 1 if first_line is None else first_line
                last_line = low + b2
                continue
            if tag == "replace":
                for a, b in zip(range(a1, a2), range(b1, b2), strict=False):
                    notes.append(f"{diff_line(a)} where line {low + b + 1} of the file is {_shown(self.texts[low + b].strip())}")
                for a in range(a1 + (b2 - b1), a2):
                    notes.append(f"{diff_line(a)}, which is not in the file there")
                for b in range(b1 + (a2 - a1), b2):
                    notes.append(
                        f"line {low + b + 1} of the file, {_shown(self.texts[low + b].strip())}, is missing from the diff")
            elif tag == "delete":
                for a in range(a1, a2):
                    notes.append(f"{diff_line(a)} after line {low + b1}, which is not in the file")
            else:
                for b in range(b1, b2):
                    notes.append(
                        f"line {low + b + 1} of the file, {_shown(self.texts[low + b].strip())}, is missing from the diff")
            first_line = low + b1 + 1 if first_line is None else first_line
            last_line = max(last_line or 0, low + b2)
        shown = notes[:_MAX_SHOWN]
        if len(notes) > _MAX_SHOWN:
            shown.append(f"... and {len(notes) - _MAX_SHOWN} more differences")
        span = f"lines {first_line}-{last_line}" if first_line and last_line and last_line > first_line else f"line {first_line}"
        return (
            f"its context and removed lines match nowhere in the file; the closest place is {span}, where:\n"
            + "\n".join(f"  - {note}" for note in shown))


def indentation_map(pairs: list[tuple[str, str]]) -> dict[str, str] | tuple[str, str] | None:
    """How the diff's indentation maps to the file's, learnt from (diff, file) indentation pairs
    of matched lines: a prefix swap (diff M+rest -> file F+rest), else an exact table, else None
    when the pairs contradict each other."""
    distinct = sorted(set(pairs))
    if all(diff == file for diff, file in distinct):
        return {}
    for diff, file in distinct:
        common = 0
        while common < min(len(diff), len(file)) and diff[-1 - common] == file[-1 - common]:
            common += 1
        prefix_diff, prefix_file = diff[: len(diff) - common], file[: len(file) - common]
        if all(d.startswith(prefix_diff) and f == prefix_file + d[len(prefix_diff) :] for d, f in distinct):
            return (prefix_diff, prefix_file)
    table: dict[str, str] = {}
    for diff, file in distinct:
        if table.setdefault(diff, file) != file:
            return None
    return table


def leading_whitespace(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def reindent(text: str, mapping: dict[str, str] | tuple[str, str]) -> str | None:
    """`text` (an added line) in the file's indentation; None when the mapping does not say how."""
    if not text.strip():
        return text
    indent = leading_whitespace(text)
    if isinstance(mapping, tuple):
        prefix_diff, prefix_file = mapping
        if indent.startswith(prefix_diff):
            return prefix_file + text[len(prefix_diff) :]
        return None
    if not mapping:
        return text
    if indent in mapping:
        return mapping[indent] + text[len(indent) :]
    return None
