"""Which terms a line contains, and how often: a term's variants matched at word and camelCase
boundaries (so 'sing' does not match 'using', but 'limit' matches 'read_limited_body')."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from surgeon.locate.terms import Term


def _at_boundary(text: str, i: int) -> bool:
    if i == 0:
        return True
    prev, cur = text[i - 1], text[i]
    if not prev.isalnum():
        return True
    if prev.islower() and cur.isupper():
        return True
    if prev.isupper() and cur.isupper() and i + 1 < len(text) and text[i + 1].islower():
        return True
    return prev.isdigit() != cur.isdigit()


def count_matches(term: Term, text: str, lowered: str | None = None) -> int:
    """Occurrences of any of the term's variants in `text` that start at a word or camelCase
    boundary (so 'sing' does not match 'using', but 'limit' matches 'read_limited_body')."""
    low = lowered if lowered is not None else text.lower()
    aligned = len(low) == len(text)
    total = 0
    for variant in term.variants:
        start = low.find(variant)
        while start != -1:
            if term.kind == "shape" or not aligned or not variant[0].isalnum() or _at_boundary(text, start):
                total += 1
            start = low.find(variant, start + len(variant))
        if total:
            return total
    return total


def _count_variant(variant: str, text: str, low: str, aligned: bool, boundary: bool) -> int:
    total = 0
    start = low.find(variant)
    while start != -1:
        if not boundary or not aligned or not variant[0].isalnum() or _at_boundary(text, start):
            total += 1
        start = low.find(variant, start + len(variant))
    return total


class LineMatcher:
    """Which terms a line contains, and how often: `count_matches` for every term at once,
    checking each distinct variant once per line (the hot loop of a query on a large repo)."""

    def __init__(self, terms: Sequence[Term]) -> None:
        owners: dict[tuple[str, bool], list[int]] = {}
        for index, term in enumerate(terms):
            for variant in term.variants:
                owners.setdefault((variant, term.kind != "shape"), []).append(index)
        self._checks = [(variant, boundary, tuple(indices)) for (variant, boundary), indices in owners.items()]

    def match(self, text: str) -> dict[int, int]:
        low = text.lower()
        aligned = len(low) == len(text)
        found: dict[int, int] = {}
        for variant, boundary, indices in self._checks:
            if variant in low:
                count = _count_variant(variant, text, low, aligned, boundary)
                if count:
                    for index in indices:
                        if index not in found:
                            found[index] = count
        return found


def terms_in_files(terms: Sequence[Term], grepped: Mapping[str, Sequence[tuple[bytes, bytes]]],
                   paths: Collection[str]) -> dict[str, dict[int, int]]:
    """Which terms each of `paths` holds, from its grepped lines (any spelling, anywhere in a line:
    cheap, all lines of a file at once; the per-line work with word boundaries is done later, only
    for the files that are ranked): path -> {term index: 1}."""
    owners: dict[bytes, list[int]] = {}
    for index, term in enumerate(terms):
        for variant in term.variants:
            owners.setdefault(variant.encode("utf-8"), []).append(index)
    out: dict[str, dict[int, int]] = {}
    for path in paths:
        rows = grepped.get(path)
        if not rows:
            continue
        text = b"\n".join([row[1] for row in rows]).lower()
        present = {index: 1 for needle, indices in owners.items() if needle in text for index in indices}
        if present:
            out[path] = present
    return out
