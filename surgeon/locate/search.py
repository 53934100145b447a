"""The two full-text searches of the cache's FTS5 index, by BM25: chunks (a definition or a run of
lines) and whole files (their defined names and words). Each result is a path of the working tree
with its score, weighed by what kind of file it is (path_factor)."""

from __future__ import annotations

from surgeon.locate.cache import IndexCache
from surgeon.locate.chunks import match_expression, query_words
from surgeon.locate.files import RepoFile
from surgeon.locate.fusion import MAX_FULL_TEXT
from surgeon.locate.query import Query
from surgeon.locate.rank import path_factor
from surgeon.locate.terms import STOP_WORDS

FULL_TEXT_FLOOR = 0.1  # full-text chunks scoring under this share of the best one are noise
MAX_DOCUMENTS = 100  # whole files taken from the BM25 ranking of files
MAX_DOCUMENT_WORDS = 128


PathsOf = dict[tuple[str, str], list[str]]  # (blob, language) -> the current files holding it


def paths_by_blob(indexed: dict[str, RepoFile]) -> PathsOf:
    paths_of: PathsOf = {}
    for f in indexed.values():
        paths_of.setdefault((f.blob, f.language or ""), []).append(f.path)
    return paths_of


def best_chunks(query: Query, cache: IndexCache, paths_of: PathsOf
               ) -> list[tuple[str, int, int, str | None, str | None, float]]:
    """The best chunks of the current files for the query's words (BM25 in the cache's FTS5 index):
    (path, start, end, symbol, kind, score), best first."""
    expression = match_expression(full_text_words(query))
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
    out = sorted(((path, round(score, 6)) for path, score in totals.items()), key=lambda c: (-c[1], c[0]))
    return out[:MAX_DOCUMENTS]


def full_text_words(query: Query, *, synonyms: bool = False) -> list[str]:
    """The index words of the query's terms; with `synonyms`, also of what they abbreviate (CSP:
    content security policy), which a whole file spells out more often than one chunk does."""
    texts = [t.display for t in query.terms if t.kind not in ("shape", "synonym", "numbered")]
    if synonyms:
        texts += [v for t in query.terms if t.kind == "synonym" for v in t.variants]
    return [w for w in query_words(texts) if w not in STOP_WORDS]
