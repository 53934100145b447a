"""Spotting elided code: placeholder lines such as `// ... existing code ...`, `# rest unchanged` or
a bare `...` that a model writes instead of the lines it means to keep. Applying such a diff would
replace real code with the placeholder, so the hunk is refused."""

from __future__ import annotations

import re

_COMMENT = re.compile(r"^(?:#+|//+|/\*+|\*+|<!--|--|;+|%+|\"\"\"|''')\s*")
_COMMENT_END = re.compile(r"\s*(?:\*+/|-->|\"\"\"|''')\s*$")
_ELLIPSIS = re.compile(r"(?:\.{3,}|…)")
_PHRASES = re.compile(
    r"\b(?:existing\s+(?:code|implementation|imports?|methods?|functions?|logic|content|config\w*|tests?|fields?|routes?)"
    r"|(?:code|lines?|content|implementation|body)\s+(?:omitted|elided|unchanged|removed\s+for\s+brevity)"
    r"|for\s+brevity|omitted\s+here"
    r"|(?:previous|original|other|remaining)\s+(?:code|lines?|methods?|functions?|content|imports?|tests?)"
    r"(?:\s+(?:here|unchanged|remains?|stay|as\s+before|omitted)|\s*$)"
    r"|same\s+as\s+(?:before|above|original)|(?:remains?|stays?|is|are|left)\s+(?:the\s+)?(?:same|unchanged)"
    r"|your\s+code\s+here|snip|unchanged)\b",
    re.IGNORECASE,
)
_REST_OF = re.compile(r"^(?:the\s+)?(?:rest|remainder)(?:\s+of\b|\s+(?:is\s+|are\s+)?unchanged\b)", re.IGNORECASE)


# Languages in which a line holding only `...` cannot be code. (In Python it is Ellipsis, in YAML
# the end of a document, in docs a doctest continuation prompt.)
_BARE_ELLIPSIS_INVALID = {"javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "json", "toml"}


def is_placeholder(text: str, language: str | None) -> bool:
    """True when `text` (a line without its diff prefix) reads as a placeholder for elided code."""
    stripped = text.strip()
    if not stripped:
        return False
    comment = _COMMENT.match(stripped)
    body = _COMMENT_END.sub("", stripped[comment.end():] if comment else stripped).strip()
    had_ellipsis = bool(_ELLIPSIS.search(body))
    if had_ellipsis and not _ELLIPSIS.sub("", body).strip():
        # nothing but an ellipsis: a placeholder as a comment, or where `...` cannot be code
        return bool(comment) or language in _BARE_ELLIPSIS_INVALID
    core = _ELLIPSIS.sub(" ", body).strip(" .:;,()[]{}<>-")
    if not core:
        return False  # `... })`: a doctest continuation, a closing bracket after a spread
    if had_ellipsis:
        return len(core) <= 80 and bool(_PHRASES.search(core) or _REST_OF.match(core))
    if not comment or len(core.split()) > 7:
        return False
    # a comment without an ellipsis must *be* the placeholder ("# rest of the file unchanged"),
    # not merely mention one ("# keep the existing code path for old clients")
    found = _PHRASES.search(core)
    return bool((found and found.start() == 0) or _REST_OF.match(core))
