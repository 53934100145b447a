"""The secrets validator: a diff may not write a <<SECRET_n>> placeholder into a file (the model
was shown the placeholder, not the value, and restoring failed), nor add a secret that was not
there before. Added lines are scanned with the same detect-secrets detectors as redaction."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from surgeon.diff.types import FileChange, Refusal
from surgeon.secrets import PLACEHOLDER_PREFIX_RE, find_secrets


def _lines(content: bytes | None) -> list[str]:
    return [] if content is None else content.decode("utf-8", "replace").splitlines()


def added_lines(change: FileChange) -> list[tuple[int, str]]:
    """(1-based line number in the new file, text) for every line the change adds."""
    old, new = _lines(change.old_content), _lines(change.new_content)
    added: list[tuple[int, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            added.extend((number + 1, new[number]) for number in range(j1, j2))
    return added


def check_changes(changes: Sequence[FileChange]) -> list[Refusal]:
    """Refusals for placeholders written and for secrets added. A secret value that was already
    in one of the changed files before the diff (kept, or moved) is not new."""
    before = "\n".join(c.old_content.decode("utf-8", "replace") for c in changes if c.old_content is not None)
    refusals: list[Refusal] = []
    for change in changes:
        if change.new_content is None:
            continue
        added = added_lines(change)
        for number, line in added:
            placeholder = PLACEHOLDER_PREFIX_RE.search(line)
            if placeholder:
                refusals.append(Refusal(change.path, None, number, (
                    f"writes the placeholder {placeholder.group(0)}>>, which stands for a secret hidden from you; "
                    "keep the line that holds it unchanged, or use the placeholder only where the original value was"
                )))
        block = "\n".join(line for _number, line in added)
        for secret in find_secrets(block, change.path):
            if secret.value in before:
                continue
            where = added[secret.line - 1][0] if 0 < secret.line <= len(added) else None
            refusals.append(Refusal(change.path, None, where, (
                f"adds a new secret ({secret.kind}); do not write credentials into files: "
                "read the value from the environment or a secret store instead"
            )))
    return refusals
