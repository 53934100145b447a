"""The formats people paste besides unified diffs, read as unified diffs so that the same
matcher and the same rules judge them: SEARCH/REPLACE blocks (aider, Cline, Roo Code), Codex's
`*** Begin Patch` format, and `git format-patch` mail. Pure: text in, text out.

`to_unified` is what extract_diff calls on a reply; `complete` is what the engine calls where the
files' contents are at hand (a Codex deletion lists no lines); `mail_subject` gives a
format-patch mail's subject, for a commit message."""

from __future__ import annotations

from surgeon.diff.formats import codex, mail, search_replace
from surgeon.diff.formats.unified import Completion, Conversion, complete

__all__ = ["Completion", "Conversion", "complete", "convert", "mail_subject", "to_unified"]

def _unified(lines: list[str]) -> bool:
    """Whether the text holds a unified diff's file header: then SEARCH/REPLACE markers or a
    Codex patch in it are lines of a file that diff changes."""
    for k, line in enumerate(lines):
        line = line.rstrip("\r")
        if line.startswith("diff --git "):
            return True
        if line.startswith("--- ") and k + 1 < len(lines) and lines[k + 1].startswith("+++ "):
            return True
    return False


def convert(text: str) -> Conversion | None:
    """`text` read as a unified diff, when it is one of the formats above; None otherwise (a
    unified diff, prose, anything else)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if mail.is_mail(lines):
        return mail.convert(lines)
    if _unified(lines):
        return None
    if codex.has_patch(lines):
        return codex.convert(lines)
    if search_replace.has_blocks(lines):
        return search_replace.convert(lines)
    return None


def to_unified(text: str) -> str | None:
    """The unified text of `text` when it is one of the formats above (with the header line that
    `complete` reads), else None."""
    converted = convert(text)
    return None if converted is None else converted.text()


def mail_subject(text: str) -> str | None:
    """The subject of a `git format-patch` mail without its [PATCH n/m] prefix; of several mails,
    the subjects joined by "; ". None when `text` is not such mail."""
    lines = text.split("\n")
    if not mail.is_mail(lines):
        return None
    found = mail.subjects(lines)
    return "; ".join(found) if found else None
