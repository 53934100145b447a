"""The secrets validator. A model saw <<SECRET_n>> placeholders, never the values: a placeholder comes
back only where it stood (restore_placeholders refuses it anywhere else, before the diff is applied),
no placeholder may be written into a file, and no secret may be added that was not there before.
Added lines are scanned with the one detector set (surgeon/secrets.py) that redaction and review use."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from surgeon.diff.types import FileChange, Refusal
from surgeon.secrets import PLACEHOLDER_PREFIX_RE, PLACEHOLDER_RE, FoundSecret, find_secrets

_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)")


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


# --- the hunks of a diff as written ---------------------------------------------------------------------

@dataclass
class _Hunk:
    path: str
    number: int  # 1-based, per file, as the engine counts them
    start: int | None  # the new-side start line the header claims (a hint)
    at: int  # index of the @@ line in the diff's lines
    body: list[int] = field(default_factory=list)  # indexes of its ' ', '-' and '+' lines


def _clean(path: str) -> str:
    path = path.split("\t", 1)[0].strip().strip('"')
    return path[2:] if path[:2] in ("a/", "b/") else path.removeprefix("./")


def _hunks(lines: Sequence[str]) -> Iterator[_Hunk]:
    """Each hunk with its file; a file header is a `--- ` line followed by a `+++ ` line."""
    path, number, hunk = "", 0, None
    for index, line in enumerate(lines):
        if line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ "):
            if hunk is not None:
                yield hunk
            hunk, number = None, 0
            new, old = _clean(lines[index + 1][4:]), _clean(line[4:])
            path = old if new == "/dev/null" else new
        elif line.startswith("@@"):
            if hunk is not None:
                yield hunk
            number += 1
            header = _HEADER.match(line)
            hunk = _Hunk(path, number, int(header.group(1)) if header else None, index)
        elif hunk is not None and line[:1] in (" ", "-", "+") and not (
                line.startswith("+++ ") and index > 0 and lines[index - 1].startswith("--- ")):
            hunk.body.append(index)
        elif hunk is not None and line.startswith(("diff --git", "Index: ")):
            yield hunk
            hunk = None
    if hunk is not None:
        yield hunk


def _prefix(line: str, placeholder: str) -> str:
    return line[:line.find(placeholder)].strip()


def restore_placeholders(diff_text: str, restore: Callable[[str], str]) -> tuple[str, list[Refusal]]:
    """The diff with the secrets put back, and a refusal for each placeholder that does not come back
    where it stood. Context and removed lines are restored as they are (they must match the file). An
    added line may hold a placeholder only when its hunk removes a line holding it, with the same text
    before it (the value stays in its slot; the rest of the line may change), and no more often than the
    hunk removes it: a new line, another file or a second copy would write the real secret somewhere new."""
    lines = diff_text.split("\n")
    refusals: list[Refusal] = []
    for hunk in _hunks(lines):
        removed = [lines[i][1:] for i in hunk.body if lines[i].startswith("-")]
        left: dict[str, list[str]] = {}  # placeholder -> prefixes of the removed lines it stood in
        for text in removed:
            for match in PLACEHOLDER_RE.finditer(text):
                left.setdefault(match.group(0), []).append(_prefix(text, match.group(0)))
        new_line = hunk.start
        for index in hunk.body:
            line = lines[index]
            if line.startswith("+"):
                misplaced = []
                for match in PLACEHOLDER_RE.finditer(line[1:]):
                    slots, prefix = left.get(match.group(0), []), _prefix(line[1:], match.group(0))
                    if prefix in slots:
                        slots.remove(prefix)
                    else:
                        misplaced.append(match.group(0))
                if misplaced:
                    refusals.append(Refusal(hunk.path, hunk.number, new_line, (
                        f"writes the placeholder {misplaced[0]} where it did not stand: a placeholder stands for a "
                        "secret hidden from you and comes back only in its own line, with the text before it "
                        "unchanged, never in a new line, a second copy or another file. Keep that line as it "
                        "was, or leave the secret out")))
                    continue
            if not line.startswith("-") and new_line is not None:
                new_line += 1
            lines[index] = restore(line)
    return "\n".join(lines), refusals


def _hunk_of(diff_text: str | None, path: str, text: str) -> int | None:
    """The hunk (as the diff numbers them) of `path` whose added lines hold `text`."""
    if not diff_text:
        return None
    lines = diff_text.split("\n")
    for hunk in _hunks(lines):
        if hunk.path == path and any(lines[i].startswith("+") and lines[i][1:].strip() == text.strip()
                                     for i in hunk.body):
            return hunk.number
    return None


def check_changes(changes: Sequence[FileChange], diff_text: str | None = None,
                  finder: Callable[[Sequence[tuple[str, str | None]]], list[list[FoundSecret]]] | None = None
                  ) -> list[Refusal]:
    """Refusals for placeholders written and for secrets added. A secret value that was already
    in one of the changed files before the diff (kept, or moved) is not new. `diff_text` (the diff
    as written, secrets restored) names the hunk of each refusal. `finder` finds the secrets of
    each file's added lines (find_secrets on each, by default)."""
    before = "\n".join(c.old_content.decode("utf-8", "replace") for c in changes if c.old_content is not None)
    refusals: list[Refusal] = []
    written = [(change, added_lines(change)) for change in changes if change.new_content is not None]
    blocks = [("\n".join(line for _number, line in added), change.path) for change, added in written]
    found = finder(blocks) if finder else [find_secrets(text, path) for text, path in blocks]
    for (change, added), secrets in zip(written, found, strict=True):
        for number, line in added:
            placeholder = PLACEHOLDER_PREFIX_RE.search(line)
            if placeholder:
                refusals.append(Refusal(change.path, _hunk_of(diff_text, change.path, line), number, (
                    f"writes the placeholder {placeholder.group(0)}>>, which stands for a secret hidden from you; "
                    "keep the line that holds it unchanged, or use the placeholder only where the original value was"
                )))
        for secret in secrets:
            if secret.value in before:
                continue
            where: tuple[int | None, str] = added[secret.line - 1] if 0 < secret.line <= len(added) else (None, "")
            refusals.append(Refusal(
                change.path, _hunk_of(diff_text, change.path, where[1]) if where[1] else None, where[0], (
                    f"adds a new secret ({secret.kind}); do not write credentials into files: "
                    "read the value from the environment or a secret store instead")))
    return refusals
