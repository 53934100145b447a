"""The two full-text searches of the cache's FTS5 index, by BM25: chunks (a definition or a run of
lines) and whole files (their defined names and words). Each result is a path of the working tree
with its score, weighed by what kind of file it is (path_factor)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

from surgeon.locate.cache import IndexCache
from surgeon.locate.chunks import match_expression, query_words, stem
from surgeon.locate.chunks import words as index_words
from surgeon.locate.files import RepoFile
from surgeon.locate.fusion import MAX_FULL_TEXT
from surgeon.locate.pathweights import path_factor
from surgeon.locate.query import Query
from surgeon.locate.terms import STOP_WORDS

FULL_TEXT_FLOOR = 0.1  # full-text chunks scoring under this share of the best one are noise
MAX_DOCUMENTS = 100  # whole files taken from the BM25 ranking of files
MAX_DOCUMENT_WORDS = 128
# How well a file's path (its folders, its name) spells the instruction's words, beside how well
# its text does: ccode(sinc(x)) is about printing/ccode.py, a tmpdir bug is in tmpdir.py.
PATH_WEIGHT = 1.0
MIN_PATH_WORD = 3


# A term that every one of its spellings puts in this share of the files (and in COMMON_MIN_FILES
# of them) is common: grep finds it on tens of thousands of lines of a large repository, which
# cost more to search and read than all the other terms, while its rarity counts for little. It is
# grepped for in the files the other terms make candidates only.
COMMON_SHARE = 0.05
COMMON_MIN_FILES = 100


_ONE_NAME = re.compile(r"[A-Za-z_$][\w$]*")

PathsOf = dict[tuple[str, str], list[str]]  # (blob, language) -> the current files holding it


def paths_by_blob(indexed: dict[str, RepoFile]) -> PathsOf:
    paths_of: PathsOf = {}
    for f in indexed.values():
        paths_of.setdefault((f.blob, f.language or ""), []).append(f.path)
    return paths_of


def full_text_search(query: Query, cache: IndexCache, paths_of: PathsOf
                     ) -> tuple[list[tuple[str, int, int, str | None, str | None, float]], list[tuple[str, float]]]:
    """best_chunks and best_documents."""
    return best_chunks(query, cache, paths_of), best_documents(query, cache, paths_of)


def best_chunks(query: Query, cache: IndexCache, paths_of: PathsOf
               ) -> list[tuple[str, int, int, str | None, str | None, float]]:
    """The best chunks of the current files for the query's words (BM25 in the cache's FTS5 index):
    (path, start, end, symbol, kind, score), best first."""
    found = full_text_words(query)
    total, counts = cache.frequencies("chunks", found)
    # BM25 gives a word in more than half the rows no weight (FTS5 floors its idf); searching it
    # only costs time (self in a Python repository).
    expression = match_expression([w for w in found if 2 * counts.get(w, 0) <= total] or found)
    if expression is None:
        return []
    out = []
    for blob, language, start, end, symbol, kind, score in cache.search(expression, 4 * MAX_FULL_TEXT):
        for path in paths_of.get((blob, language), ()):
            out.append((path, start, end, symbol, kind, round(score * path_factor(query, path), 6)))
    floor = FULL_TEXT_FLOOR * max((c[5] for c in out), default=0.0)
    out.sort(key=lambda c: (-c[5], c[0], c[1]))  # ties in path order, whatever order the index holds them in
    return [c for c in out if c[5] > floor][:MAX_FULL_TEXT]


def best_documents(query: Query, cache: IndexCache, paths_of: PathsOf) -> list[tuple[str, float]]:
    """The best whole files for the query's words (BM25 over each file's defined names and words):
    (path, score), best first. An issue's title is searched on its own as well, each search's
    scores scaled to its best: the title says what is wrong, the body mostly how it shows."""
    searches = [full_text_words(query, synonyms=True)]
    if query.title is not None:
        searches.append([w for w in query_words([query.title]) if w not in STOP_WORDS])
    totals: dict[str, float] = {}
    for words in searches:
        expression = match_expression(words, limit=MAX_DOCUMENT_WORDS)
        if expression is None:
            continue
        found = [(path, score * path_factor(query, path))
                 for blob, language, score in cache.search_documents(expression, 2 * MAX_DOCUMENTS)
                 for path in paths_of.get((blob, language), ())]
        top = max((score for _, score in found), default=0.0) or 1.0
        for path, score in found:
            totals[path] = totals.get(path, 0.0) + score / top
    for path, score in path_scores(query, [p for ps in paths_of.values() for p in ps]).items():
        totals[path] = totals.get(path, 0.0) + PATH_WEIGHT * score * path_factor(query, path)
    out = sorted(((path, round(score, 6)) for path, score in totals.items()), key=lambda c: (-c[1], c[0]))
    return out[:MAX_DOCUMENTS]


def path_scores(query: Query, paths: Sequence[str]) -> dict[str, float]:
    """How well each path spells the instruction's words (an issue's: its title's), scaled to the
    best: the sum of the rarities (among the paths) of the words its folders and file name hold,
    both sides split like identifiers and lightly stemmed (printer, printing: print)."""
    text = query.title if query.title is not None else " ".join(full_text_words(query))
    wanted = {stem(w) for w in query_words([text]) if w not in STOP_WORDS and len(w) >= MIN_PATH_WORD}
    if not wanted:
        return {}
    held: dict[str, frozenset[str]] = {}
    frequency: dict[str, int] = {}
    holds_one = re.compile("|".join(map(re.escape, sorted(wanted)))).search
    for path in paths:
        # cheap, and exact: a stem is a prefix of its word, and a word is in the path or, joined
        # from an identifier's parts (is_in: isin), in the path without its underscores
        low = path.lower()
        if not holds_one(low) and not holds_one(low.replace("_", "").replace("$", "")):
            continue
        folders, _, name = path.rpartition("/")
        found = (_stems(folders.replace("/", " ")) | _stems(name.split(".", 1)[0] or name)) & wanted
        if found:
            held[path] = found
            for word in found:
                frequency[word] = frequency.get(word, 0) + 1
    scores = {path: sum(math.log(1 + len(paths) / frequency[w]) for w in found) for path, found in held.items()}
    top = max(scores.values(), default=0.0) or 1.0
    return {path: score / top for path, score in scores.items()}


@lru_cache(maxsize=8192)  # a folder's words are spelled for each of its files
def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in index_words(text).split())


def full_text_words(query: Query, *, synonyms: bool = False) -> list[str]:
    """The index words of the query's terms; with `synonyms`, also of what they abbreviate (CSP:
    content security policy), which a whole file spells out more often than one chunk does."""
    texts = [t.display for t in query.terms if t.kind not in ("shape", "synonym", "numbered")]
    if synonyms:
        texts += [v for t in query.terms if t.kind == "synonym" for v in t.variants]
    return [w for w in query_words(texts) if w not in STOP_WORDS]


def common_terms(query: Query, cache: IndexCache) -> dict[int, float]:
    """The query's common terms (see COMMON_SHARE): term index -> the share of the cache's
    documents that hold it, from the whole-file index."""
    # Only a spelling that is one identifier or word is judged: a phrase, path or URL of common
    # words ("object has no attribute") is rarer than any of them.
    spellings = {i: [index_words(v).split() if _ONE_NAME.fullmatch(v) else [] for v in t.variants]
                 for i, t in enumerate(query.terms)}
    total, counts = cache.frequencies("documents", [w for split in spellings.values() for ws in split for w in ws])
    if total < COMMON_MIN_FILES:
        return {}
    common: dict[int, float] = {}
    for index, split in spellings.items():
        if not split or not all(split):  # a spelling without index words (a symbol, a path): not known
            continue
        shares = [min(counts.get(w, 0) for w in ws) for ws in split]
        if min(shares) >= max(COMMON_MIN_FILES, COMMON_SHARE * total):
            common[index] = max(shares) / total
    return common
