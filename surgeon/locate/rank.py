"""Ranking: pure functions from evidence (grep hits, index records, stack frames, the file's
lines) to scored regions, strongest first (pack.py fits them into a token budget). No I/O here.

Score of a region = sum over the ideas (term groups) it matches of
    weight(term) x idf(term) x role x (1 + 0.15 ln count)
where role is 4 for the definition of a name the instruction spells out, 2.5 for a definition
whose name a word matches, 1.6 for a word inside a longer defined name, 1 for a reference and 0.4
for a comment; times a proximity factor (1 + 0.35 per extra idea in the same region), times the
weight of the kind of file its path says it is (pathweights.py: less for prose, change logs, tests,
setup files and schema migrations the instruction is not about), plus bonuses for a
file the instruction names (or whose path contains a term) and for stack-trace frames (6, shrinking
with the frame's depth).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from surgeon.locate.frames import Frame
from surgeon.locate.hits import count_matches
from surgeon.locate.index import Definition, FileRecord
from surgeon.locate.pathweights import path_factor
from surgeon.locate.query import Query
from surgeon.locate.result import RegionKind, region_text
from surgeon.locate.terms import Term
from surgeon.tokens import estimate_tokens

# What a term's hit is in a region (the weights below).
Role = Literal["named definition", "definition", "partial definition", "reference", "comment"]

# A definition whose name is exactly an identifier the instruction spells out counts most; a word
# that is only part of a longer defined name (host in test_..._host) counts less.
ROLE_WEIGHT: dict[Role, float] = {
    "named definition": 4.0, "definition": 2.5, "partial definition": 1.6, "reference": 1.0, "comment": 0.4,
}
NAMING_KINDS = frozenset({"identifier", "header"})
PROXIMITY = 0.35
COUNT_GAIN = 0.15
FRAME_BONUS = 6.0
NAMED_FILE_BONUS = 2.0
PATH_TERM_BONUS = 0.5
MAX_UNIT_LINES = 80  # a definition longer than this is cut to windows around its hits
SMALL_CONTAINER = 30  # a setting inside a block this small brings the whole block
WINDOW_LINES = 30
MIN_SCORE = 0.15
RELATIVE_CUTOFF = 0.12
WEAK_TOP = 1.0  # when even the best region scores below this, return at most WEAK_LIMIT regions
WEAK_LIMIT = 3
# A long JSON or YAML file is data (recorded test durations, fixtures, a schema dump): its keys
# repeat the words of every instruction, and its hits chain into regions that fill the budget.
DATA_LANGUAGES = frozenset({"json", "yaml", "toml"})
LARGE_DATA_LINES = 1000
DATA_WEIGHT = 0.3
LEAF_KINDS = frozenset({"setting", "key", "variable", "field", "constant", "instruction", "macro"})


@dataclass(frozen=True)
class FileEvidence:
    """Everything known about one candidate file."""

    path: str
    record: FileRecord
    lines: tuple[str, ...]  # the file's text, split into lines (no line endings)
    hits: dict[int, dict[int, int]]  # line -> {term index: occurrences on that line}
    frames: tuple[tuple[Frame, int], ...] = ()  # frames in this file, with depth among repo frames
    pinned: bool = False


@dataclass
class _TermHit:
    """One term's hits inside a unit: how many, and the strongest role it plays there."""

    count: int
    weight: float  # ROLE_WEIGHT of `role`
    role: Role


@dataclass
class _Unit:
    start: int
    end: int
    symbol: str | None
    kind: RegionKind
    terms: dict[int, _TermHit] = field(default_factory=dict)  # term index -> its hits
    hit_lines: dict[int, float] = field(default_factory=dict)
    bonus: float = 0.0
    why_extra: list[str] = field(default_factory=list)
    innermost_frame: bool = False  # holds the line of the trace's innermost frame in the repository

    def add(self, term: int, count: int, role: Role, line: int, weight: float) -> None:
        entry = self.terms.setdefault(term, _TermHit(0, 0.0, role))
        entry.count += count
        if ROLE_WEIGHT[role] > entry.weight:
            entry.weight, entry.role = ROLE_WEIGHT[role], role
        self.hit_lines[line] = self.hit_lines.get(line, 0.0) + weight


def idf(document_frequency: int, files: int) -> float:
    """Rarity of a term in (0, 1]: 1 for a term in one file, small for one in most files of a large
    repository (a term in every file of a tiny repository still counts for something)."""
    if files <= 1:
        return 1.0
    return math.log(1 + files / max(document_frequency, 1)) / math.log(1 + files)


def file_prescore(query: Query, term_files: dict[int, int], idfs: Sequence[float], path_bonus: float) -> float:
    """A cheap upper-bound-ish score of a file from its per-term hit counts, to choose candidates."""
    groups: dict[int, float] = {}
    for index, _count in term_files.items():
        term = query.terms[index]
        value = term.weight * idfs[index] * ROLE_WEIGHT["named definition" if term.kind in NAMING_KINDS else "definition"]
        groups[term.group] = max(groups.get(term.group, 0.0), value)
    base = sum(groups.values())
    return base * (1 + PROXIMITY * max(0, len(groups) - 1)) + path_bonus


def path_bonus(query: Query, path: str, idfs: Sequence[float]) -> tuple[float, list[str]]:
    """Bonus for a file the instruction names, or whose path contains its terms."""
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    bonus = 0.0
    why: list[str] = []
    for mentioned in query.paths:
        m = mentioned.lower().lstrip("./")
        if low == m or low.endswith("/" + m) or m.endswith("/" + low) or name == m:
            bonus += NAMED_FILE_BONUS
            why.append(f"named in the instruction: {mentioned}")
            break
    groups: dict[int, float] = {}
    for index, spellings in query.path_spellings:
        if any(v in low for v in spellings):
            term = query.terms[index]
            value = PATH_TERM_BONUS * term.weight * idfs[index]
            if value > groups.get(term.group, 0.0):
                groups[term.group] = value
                why.append(f"path matches '{term.display}'")
    return bonus + sum(groups.values()), why[:2]


# ---------------------------------------------------------------------------------------------
# From hits to units


def _paragraph(lines: Sequence[str], line: int, lo: int, hi: int, cap: int = WINDOW_LINES) -> tuple[int, int]:
    """The blank-line-delimited run around `line`, clipped to [lo, hi] and to `cap` lines."""
    start = end = line
    half = cap // 2
    while start > lo and start - 1 >= 1 and lines[start - 2].strip() and line - start < half:
        start -= 1
    while end < hi and end + 1 <= len(lines) and lines[end].strip() and end - line < half:
        end += 1
    if start == end:  # a lone line: keep one line of context on each side
        start, end = max(lo, line - 1), min(hi, line + 1)
    return start, end


class Scopes:
    """The chain of definitions around each line of a file, from one pass over its definitions."""

    def __init__(self, defs: Sequence[Definition], total: int) -> None:
        self.defs = defs
        self.parent = [-1] * len(defs)
        self.innermost = [-1] * (total + 2)
        stack: list[int] = []
        for i in sorted(range(len(defs)), key=lambda i: (defs[i].start, -defs[i].end)):
            d = defs[i]
            while stack and defs[stack[-1]].end < d.start:
                stack.pop()
            if stack and defs[stack[-1]].end >= d.end:
                self.parent[i] = stack[-1]
            stack.append(i)
            for line in range(max(d.start, 0), min(d.end, total) + 1):
                self.innermost[line] = i

    def chain(self, line: int) -> list[Definition]:
        """Definitions containing `line`, outermost first."""
        out: list[Definition] = []
        i = self.innermost[line] if 0 <= line < len(self.innermost) else -1
        while i != -1:
            out.append(self.defs[i])
            i = self.parent[i]
        out.reverse()
        return out


def _unit_for(scopes: Scopes, blocks: Sequence[tuple[int, int]], lines: Sequence[str], line: int
              ) -> tuple[int, int, str | None, RegionKind]:
    defs = scopes.defs
    chain = scopes.chain(line)
    total = max(len(lines), 1)
    if chain:
        inner = chain[-1]
        if inner.kind in LEAF_KINDS:
            parent = chain[-2] if len(chain) > 1 else None
            if parent is not None and parent.end - parent.start + 1 <= SMALL_CONTAINER:
                return parent.start, parent.end, parent.qualname, parent.kind
            size = inner.end - inner.start + 1
            if 3 <= size <= MAX_UNIT_LINES:
                return inner.start, inner.end, inner.qualname, inner.kind
            if size > MAX_UNIT_LINES:  # a long table or dict: the part around the hit
                start, end = _paragraph(lines, line, inner.start, inner.end)
                return start, end, inner.qualname, inner.kind
            lo, hi = (parent.start, parent.end) if parent else (1, total)
            start, end = _paragraph(lines, line, lo, hi)
            return min(start, inner.start), max(end, inner.end), inner.qualname, inner.kind
        if line == inner.name_line and inner.end - inner.start + 1 > SMALL_CONTAINER:
            children = [d for d in defs if inner.start < d.start and d.end <= inner.end and d.kind not in LEAF_KINDS]
            if children:  # the header of a large class or block, not all of its methods
                first_child = min(d.start for d in children)
                return inner.start, max(line, min(first_child - 1, line + WINDOW_LINES // 2)), inner.qualname, inner.kind
        for candidate in reversed(chain):
            if candidate.end - candidate.start + 1 <= MAX_UNIT_LINES:
                return candidate.start, candidate.end, candidate.qualname, candidate.kind
        start, end = _paragraph(lines, line, inner.start, inner.end)
        if line == inner.name_line:
            end = max(end, min(inner.end, line + 3))
        return start, end, inner.qualname, inner.kind
    for start, end in blocks:
        if start <= line <= end:
            if end - start + 1 <= MAX_UNIT_LINES:
                return start, end, None, "block"
            start, end = _paragraph(lines, line, start, end)
            return start, end, None, "block"
    start, end = _paragraph(lines, line, 1, total)
    return start, end, None, "lines"


def _in_ranges(ranges: Sequence[tuple[int, int]], line: int) -> bool:
    """Whether `line` is inside one of the sorted, disjoint `ranges`."""
    at = bisect.bisect_right(ranges, (line, math.inf)) - 1
    return at >= 0 and ranges[at][0] <= line <= ranges[at][1]


def _names_exactly(term: Term, name: str) -> bool:
    """The term is the defined name itself (in any spelling), not just a word inside it."""
    low = name.lower()
    last = re.split(r"[\s.:>]+", low.strip())[-1]  # add_header Content-Security-Policy, Cls.method
    squashed = low.replace("_", "").replace("-", "")
    return any(v in (low, last) or v.replace("_", "").replace("-", "").replace(".", "") == squashed
               or v.endswith("." + low) for v in term.variants)


def _role(term: Term, line: int, named_here: Sequence[Definition], comments: Sequence[tuple[int, int]]
          ) -> tuple[Role, str | None]:
    for d in named_here:
        if count_matches(term, d.name):
            if _names_exactly(term, d.name):
                return ("named definition" if term.kind in NAMING_KINDS else "definition"), d.name
            return "partial definition", d.name
    if _in_ranges(comments, line):
        return "comment", None
    return "reference", None


def build_units(query: Query, evidence: FileEvidence, idfs: Sequence[float], bonus: float, bonus_why: list[str]
                ) -> list[_Unit]:
    """Regions of one file, each holding the term hits inside it (merged when they overlap)."""
    record = evidence.record
    defs = record.definitions
    units: dict[tuple[int, int], _Unit] = {}
    defined: dict[tuple[int, int], list[str]] = {}

    scopes = Scopes(defs, len(evidence.lines))

    def unit_at(line: int) -> _Unit:
        start, end, symbol, kind = _unit_for(scopes, record.blocks, evidence.lines, line)
        key = (start, end)
        if key not in units:
            units[key] = _Unit(start, end, symbol, kind)
        return units[key]

    by_name_line: dict[int, list[Definition]] = {}
    for d in defs:
        by_name_line.setdefault(d.name_line, []).append(d)
    for line, terms in sorted(evidence.hits.items()):
        if line > len(evidence.lines) or line < 1:
            continue
        unit = unit_at(line)
        named_here = by_name_line.get(line, ())
        for term_index, count in terms.items():
            term = query.terms[term_index]
            role, name = _role(term, line, named_here, record.comments)
            unit.add(term_index, count, role, line, term.weight * idfs[term_index] * ROLE_WEIGHT[role])
            if name:
                defined.setdefault((unit.start, unit.end), []).append(name)

    for frame, depth in evidence.frames:
        line = frame.line
        if not 1 <= line <= len(evidence.lines):
            named = [d for d in defs if frame.function and d.name == frame.function]
            if not named:
                continue
            line = named[0].name_line
        unit = unit_at(line)
        unit.bonus += FRAME_BONUS / (1 + depth)
        unit.innermost_frame = unit.innermost_frame or depth == 0
        unit.hit_lines[line] = unit.hit_lines.get(line, 0.0) + FRAME_BONUS
        where = f" in {frame.function}" if frame.function else ""
        unit.why_extra.insert(0, f"stack frame: line {frame.line}{where}")

    if not units and (bonus >= NAMED_FILE_BONUS or evidence.pinned) and evidence.lines:
        end = min(len(evidence.lines), MAX_UNIT_LINES)
        units[(1, end)] = _Unit(1, end, None, "file" if end == len(evidence.lines) else "lines")

    merged = _merge(sorted(units.values(), key=lambda u: (u.start, -u.end)))
    for unit in merged:
        unit.bonus += bonus
        unit.why_extra.extend(bonus_why)
        names = [n for (s, e), ns in defined.items() if unit.start <= s and e <= unit.end for n in ns]
        frames = [w for w in unit.why_extra if w.startswith("stack frame")]
        rest = [w for w in unit.why_extra if not w.startswith("stack frame")]
        unit.why_extra = frames + [f"defines {n}" for n in dict.fromkeys(names)][:2] + rest
    return merged


def _merge(units: list[_Unit]) -> list[_Unit]:
    out: list[_Unit] = []
    for unit in units:
        if out and unit.start <= out[-1].end + 1:
            prev = out[-1]
            if (unit.symbol is not None, unit.end - unit.start) > (prev.symbol is not None, prev.end - prev.start):
                prev.symbol, prev.kind = unit.symbol, unit.kind
            prev.end = max(prev.end, unit.end)
            for term, hit in unit.terms.items():
                entry = prev.terms.setdefault(term, _TermHit(0, 0.0, hit.role))
                entry.count += hit.count
                if hit.weight > entry.weight:
                    entry.weight, entry.role = hit.weight, hit.role
            for line, weight in unit.hit_lines.items():
                prev.hit_lines[line] = prev.hit_lines.get(line, 0.0) + weight
            prev.bonus += unit.bonus
            prev.why_extra.extend(unit.why_extra)
            prev.innermost_frame = prev.innermost_frame or unit.innermost_frame
        else:
            out.append(unit)
    return out


def score_unit(query: Query, unit: _Unit, idfs: Sequence[float], factor: float = 1.0) -> tuple[float, list[str]]:
    groups: dict[int, tuple[float, str]] = {}
    for term_index, hit in unit.terms.items():
        count, role_weight, role = hit.count, hit.weight, hit.role
        term = query.terms[term_index]
        value = term.weight * idfs[term_index] * role_weight * (1 + COUNT_GAIN * math.log(count))
        if value > groups.get(term.group, (0.0, ""))[0]:
            label = f"'{term.display}'"
            text = f"comment mentions {label}" if role == "comment" else f"grep: {label} x{count}"
            groups[term.group] = (value, text)
    base = sum(v for v, _ in groups.values())
    score = base * (1 + PROXIMITY * max(0, len(groups) - 1)) * factor + unit.bonus
    why = list(dict.fromkeys(unit.why_extra)) + [t for _, t in sorted(groups.values(), reverse=True)]
    return score, why[:6]


@dataclass(frozen=True)
class Scored:
    path: str
    start: int
    end: int
    symbol: str | None
    kind: RegionKind
    score: float
    why: tuple[str, ...]
    lines: tuple[str, ...]
    hit_lines: tuple[tuple[int, float], ...]
    pinned: bool = False
    named: bool = False  # in a file the instruction names, or where its trace's innermost repository frame is
    companion: bool = False  # shown because a ranked region needs it (its file's header, its class line)


def rank_file(query: Query, evidence: FileEvidence, idfs: Sequence[float]) -> list[Scored]:
    bonus, why = path_bonus(query, evidence.path, idfs)
    units = build_units(query, evidence, idfs, bonus, why)
    factor = path_factor(query, evidence.path)
    if evidence.record.language in DATA_LANGUAGES and len(evidence.lines) > LARGE_DATA_LINES:
        factor *= DATA_WEIGHT
    out = []
    for unit in units:
        score, reasons = score_unit(query, unit, idfs, factor)
        out.append(Scored(evidence.path, unit.start, unit.end, unit.symbol, unit.kind, round(score, 3), tuple(reasons),
                          evidence.lines, tuple(sorted(unit.hit_lines.items())), evidence.pinned,
                          named=bonus >= NAMED_FILE_BONUS or unit.innermost_frame))
    return out


def select(scored: Iterable[Scored]) -> list[Scored]:
    """Rank order (pinned first), dropping regions too weak to be worth the model's attention."""
    ordered = sorted(scored, key=lambda s: (not s.pinned, -s.score, s.path, s.start))
    top = max((s.score for s in ordered if not s.pinned), default=0.0)
    floor = max(MIN_SCORE, RELATIVE_CUTOFF * top)
    kept = [s for s in ordered if s.pinned or s.score >= floor]
    if top < WEAK_TOP:
        pinned = [s for s in kept if s.pinned]
        kept = pinned + [s for s in kept if not s.pinned][:WEAK_LIMIT]
    return kept


HEADER_MAX_TOKENS = 300


def companions(record: FileRecord, lines: Sequence[str], start: int, end: int) -> list[tuple[int, int, str]]:
    """What an edit of lines start..end needs beside them: the file's header (imports and module
    constants above its first definition) and the line naming each definition the region sits in
    (the class of a method). (start, end, why) spans, cheapest to show first."""
    out: list[tuple[int, int, str]] = []
    for d in sorted(record.definitions, key=lambda d: d.start):
        if d.start < start and end <= d.end and d.kind not in LEAF_KINDS and d.name_line < start:
            out.append((d.name_line, d.name_line, f"the {d.kind} this lies in: {d.qualname}"))
    first = min((d.start for d in record.definitions if d.kind not in LEAF_KINDS), default=None)
    header_end = min(first - 1 if first else 0, len(lines))
    while header_end > 0 and not lines[header_end - 1].strip():
        header_end -= 1
    if header_end >= 1 and start > 1:
        if estimate_tokens(region_text(lines, 1, header_end)) <= HEADER_MAX_TOKENS:
            out.append((1, header_end, "the file's header (imports, module settings)"))
    return out


def widen(item: Scored, record: FileRecord, max_tokens: int, whole_file_tokens: int = 0) -> Scored:
    """`item` grown to its whole file when that takes at most `whole_file_tokens`, else to the
    innermost definition that holds it and is longer, when that fits `max_tokens`; else `item` as it is."""
    total = len(item.lines)
    if (item.start, item.end) != (1, total) and total and \
            estimate_tokens("\n".join(item.lines)) <= min(whole_file_tokens, max_tokens):
        return replace(item, start=1, end=total, kind="file",
                       why=(*item.why, f"the whole file ({total} lines)")[:6])
    holders = [d for d in record.definitions if d.start <= item.start and item.end <= d.end
               and (d.start, d.end) != (item.start, item.end)]
    if not holders:
        return item
    inner = min(holders, key=lambda d: d.end - d.start)
    if estimate_tokens("\n".join(item.lines[inner.start - 1:inner.end])) > max_tokens:
        return item
    return replace(item, start=inner.start, end=inner.end, symbol=inner.qualname, kind=inner.kind,
                   why=(*item.why, f"whole {inner.qualname} (lines {inner.start}-{inner.end})")[:6])
