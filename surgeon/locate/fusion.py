"""Two rankings made one: the structural ranking (rank.py: definitions, roles, frames, named files)
and full-text BM25 over chunks (chunks.py, the cache's FTS5 index). Each finds lines the other
misses, so they are fused by their scores, each list's scaled to its best (CombSUM): a region both
rank highly comes first. Measured on real repositories' history (tests/bench/bench_context.py),
fusion shows more of the lines a change needs than either ranking alone (reciprocal-rank fusion
did as well on recall but put regions both lists found weakly above the structure's clear best).
Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from surgeon.locate.rank import Scored

MAX_FULL_TEXT = 200  # chunks taken from the full-text ranking
# BM25 finds more of the lines a change needs; the structure is surer of its best region
FULL_TEXT_WEIGHT = 0.5
# How well the whole file matches: an issue's many words pick out the file better than any one region does
DOCUMENT_WEIGHT = 1.0


def fuse(structural: Sequence[Scored], full_text: Sequence[Scored],
         documents: Mapping[str, float] | None = None) -> list[Scored]:
    """Both lists in one order, best first, each scored by the fusion. A region scores its structural score over the
    structure's best, plus FULL_TEXT_WEIGHT x the best full-text chunk overlapping it over the
    full text's best, plus DOCUMENT_WEIGHT x its file's score in `documents` (BM25 of whole
    files, path -> score) over the best file's. Chunks are kept beside the regions (packing
    shows each line once)."""
    chunks = list(full_text[:MAX_FULL_TEXT])
    documents = documents or {}
    top_document = max(documents.values(), default=0.0) or 1.0
    top_structure = max((item.score for item in structural), default=0.0) or 1.0
    top_text = max((item.score for item in chunks), default=0.0) or 1.0
    by_path: dict[str, list[Scored]] = {}
    for chunk in chunks:
        by_path.setdefault(chunk.path, []).append(chunk)
    scores: dict[tuple[str, int, int], float] = {}
    items: dict[tuple[str, int, int], Scored] = {}
    for item in structural:
        overlapping = [c for c in by_path.get(item.path, ()) if c.start <= item.end and item.start <= c.end]
        best = max(overlapping, key=lambda c: c.score, default=None)
        key = (item.path, item.start, item.end)
        # Naming a file is as strong as the best text match: its regions are not outranked by
        # chunks that only share words with the instruction.
        text_score = 1.0 if item.named else best.score / top_text if best else 0.0
        document_score = 1.0 if item.named else documents.get(item.path, 0.0) / top_document
        scores[key] = item.score / top_structure + FULL_TEXT_WEIGHT * text_score + DOCUMENT_WEIGHT * document_score
        items[key] = replace(item, why=(*item.why, *best.why[:1])[:6]) if best else item
    for chunk in chunks:
        key = (chunk.path, chunk.start, chunk.end)
        if key not in items:
            scores[key] = (FULL_TEXT_WEIGHT * chunk.score / top_text
                           + DOCUMENT_WEIGHT * documents.get(chunk.path, 0.0) / top_document)
            items[key] = chunk
    order = sorted(scores, key=lambda key: (-scores[key], key))
    return [replace(items[key], score=round(scores[key], 3)) for key in order]
