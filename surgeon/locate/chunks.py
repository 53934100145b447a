"""Chunks for full-text retrieval: a file cut into its innermost definitions (a method rather than
its class) and, for the lines no definition covers, runs of up to CHUNK_LINES lines; each chunk's
words (identifiers split on case and underscores, plus the whole identifier) for the index's BM25.
Pure: a record and the file's lines in, chunks out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from surgeon.locate.definitions import DefinitionKind

CHUNK_LINES = 40
MAX_CHUNK_LINES = 120  # a longer definition is cut into CHUNK_LINES windows
_LEAF_KINDS = frozenset({"setting", "key", "variable", "field", "constant", "instruction", "macro"})
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


class Definition(Protocol):  # index.Definition (index.py imports this module)
    @property
    def kind(self) -> DefinitionKind: ...
    @property
    def qualname(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class Chunk:
    start: int  # 1-based, inclusive
    end: int
    symbol: str | None  # the definition the chunk is, or lies in
    kind: DefinitionKind | None
    name: str  # words of the symbol's name
    body: str  # words of the chunk's text


def words(text: str) -> str:
    """Index words of `text`, space separated: max_body_bytes -> max body bytes maxbodybytes."""
    out: list[str] = []
    for m in _IDENTIFIER.finditer(text):
        token = m.group(0)
        parts = [p.lower() for p in _PART.findall(token)]
        out.extend(p for p in parts if len(p) > 1)
        if len(parts) > 1:
            out.append("".join(parts))
    return " ".join(out)


def document_words(definitions: Sequence[Definition], chunks: Sequence[Chunk]) -> tuple[str, str]:
    """A whole file for BM25 over files: the names it defines, each one index word (is_zero ->
    iszero, as the query spells it), and the words of all its chunks."""
    defined = []
    for d in definitions:
        if d.kind not in _LEAF_KINDS:
            parts = [p.lower() for p in _PART.findall(d.qualname.rsplit(".", 1)[-1])]
            if parts:
                defined.append("".join(parts))
    return " ".join(defined), " ".join(c.body for c in chunks)


def query_words(texts: Iterable[str]) -> list[str]:
    """Distinct index words of the query's terms, in order."""
    return list(dict.fromkeys(w for text in texts for w in words(text).split()))


_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ies", "es", "s", "ed")


def stem(word: str) -> str:
    """A word without its commonest English ending, keeping at least three letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[:-len(suffix)]
    return word


def match_expression(terms: Sequence[str], limit: int = 64) -> str | None:
    """An FTS5 MATCH expression: any of the first `limit` words (each quoted, so no word is an operator)."""
    quoted = [f'"{w}"' for w in terms if w]
    return " OR ".join(quoted[:limit]) or None


def _innermost(defs: Sequence[Definition]) -> list[Definition]:
    """Definitions that hold no other non-leaf definition. Definitions nest or lie apart, so in
    start order one holds another exactly when the next one starts inside it."""
    code = sorted({(d.start, -d.end): d for d in defs if d.kind not in _LEAF_KINDS}.items())
    out = []
    for i, (_, d) in enumerate(code):
        following = code[i + 1][1] if i + 1 < len(code) else None
        if following is None or following.start > d.end:
            out.append(d)
    return out


def chunk_file(definitions: Sequence[Definition], lines: Sequence[str]) -> list[Chunk]:
    total = len(lines)
    covered = [False] * (total + 2)
    chunks: list[Chunk] = []

    def add(start: int, end: int, definition: Definition | None) -> None:
        text = "\n".join(lines[start - 1:end])
        symbol = definition.qualname if definition else None
        chunks.append(Chunk(start, end, symbol, definition.kind if definition else None,
                            words(symbol or ""), words(text)))

    for d in _innermost(definitions):
        start, end = max(1, d.start), min(total, d.end)
        if start > end or any(covered[start:end + 1]):
            continue
        for line in range(start, end + 1):
            covered[line] = True
        if end - start + 1 <= MAX_CHUNK_LINES:
            add(start, end, d)
        else:
            for lo in range(start, end + 1, CHUNK_LINES):
                add(lo, min(end, lo + CHUNK_LINES - 1), d)
    # The lines no chunk holds yet, in runs that stay inside one scope (a class's attributes are
    # one run, the module lines before the class another).
    scopes = sorted((d for d in definitions if d.kind not in _LEAF_KINDS), key=lambda d: d.end - d.start, reverse=True)
    scope_of = [-1] * (total + 2)
    for i, d in enumerate(scopes):  # larger first, so the innermost scope is written last
        for line in range(max(1, d.start), min(total, d.end) + 1):
            scope_of[line] = i
    run: list[int] = []
    for number in range(1, total + 2):
        ends = number > total or covered[number] or (run and scope_of[number] != scope_of[run[-1]])
        if run and (ends or len(run) == CHUNK_LINES):
            if any(lines[n - 1].strip() for n in run):
                scope = scope_of[run[0]]
                add(run[0], run[-1], scopes[scope] if scope >= 0 else None)
            run = []
        if number <= total and not covered[number]:
            run.append(number)
    return chunks
