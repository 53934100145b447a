"""The values of never-sent files (.env, keys, .surgeonignore matches), so that a check's output
that prints one (`cat .env`, a settings dump) is masked before the output goes back to a model.

Which files are never sent is the caller's predicate (model.never_send): this layer only lists
the repository's files, reads those and masks what they hold.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from surgeon.git import Git

MASK = "[withheld]"
MIN_VALUE = 6  # shorter values ("true", "5432") say nothing and would mask half the output
MAX_FILE_BYTES = 256 * 1024
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?[\w.-]+\s*[=:]\s*(.*?)\s*$")


def _listed(root: Path) -> list[str]:
    """Tracked and untracked files, and ignored files outside ignored folders (where .env lives)."""
    git = Git(root)
    names: list[str] = []
    for args in (("-c", "-o", "--exclude-standard"), ("-o", "-i", "--exclude-standard", "--directory")):
        listed = git.run("ls-files", "-z", *args, check=False)
        if listed.returncode == 0:
            names += [os.fsdecode(n) for n in listed.stdout.split(b"\0") if n and not n.endswith(b"/")]
    return sorted(set(names))


def _values(text: str) -> Iterable[str]:
    for line in text.splitlines():
        stripped = line.strip()
        yield stripped
        assigned = _ASSIGNMENT.match(line)
        if assigned:
            yield assigned.group(1).strip("'\"")


def withheld_values(root: Path, is_withheld: Callable[[str], bool]) -> frozenset[str]:
    """Every line, and every assigned value, of the files `is_withheld` names."""
    found: set[str] = set()
    for name in _listed(root):
        if not is_withheld(name):
            continue
        try:
            data = (root / name).read_bytes()[:MAX_FILE_BYTES]
        except OSError:
            continue
        found.update(v for v in _values(data.decode("utf-8", "replace")) if len(v) >= MIN_VALUE)
    return frozenset(found)


def mask_values(text: str, values: Iterable[str]) -> str:
    """`text` with each of `values` (longest first, so a line goes before a value inside it) masked."""
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
