"""Files an instruction mentions: by a path or a stack frame's path (matched by suffix, an
installed copy of the repository's code included), or by a conventional name (Makefile, README)."""

from __future__ import annotations

import re

from surgeon.locate.frames import INSTALLED_RE


def conventional_names(instruction: str, by_name: dict[str, list[str]]) -> list[str]:
    """Files an instruction names without writing their path: a file whose whole name is a word of
    it (Makefile, Dockerfile), or an upper-case word that is a file's name before its extension
    (README for README.md, CHANGELOG for CHANGELOG.rst). The shallowest such files only."""
    words = set(_WORDS_RE.findall(instruction))
    found: list[str] = []
    for name, paths in by_name.items():
        stem = name.split(".", 1)[0]
        if name in words and name[:1].isupper() or (stem in words and stem.isupper() and len(stem) >= 4):
            depth = min(p.count("/") for p in paths)
            found += [p for p in paths if p.count("/") == depth]
    return sorted(found)


_WORDS_RE = re.compile(r"(?<![\w./-])[A-Za-z][A-Za-z0-9_-]+(?![\w/-])")


def resolve_mention(mentioned: str, by_name: dict[str, list[str]]) -> list[str]:
    """Repository paths that a path from an instruction or a stack trace refers to (by suffix)."""
    clean = normalise_path(mentioned)
    name = clean.rsplit("/", 1)[-1]
    installed = INSTALLED_RE.sub("", clean)
    if installed != clean:
        # An installed package's file is this repository's only as an installed copy of its code:
        # site-packages/requests/models.py is not the repository's own top-level models.py.
        if "/" not in installed:
            return []
        return [p for p in by_name.get(name, ()) if p == installed or p.endswith("/" + installed)]
    return [p for p in by_name.get(name, ()) if clean == p or clean.endswith("/" + p) or p.endswith("/" + clean)]


def normalise_path(path: str) -> str:
    clean = path.replace("\\", "/")
    while clean.startswith("./"):
        clean = clean[2:]
    return clean
