"""Spotting elided code: a line a model writes in place of code it means to keep (`# ... keep the
rest as is ...`, `// existing code here`, a bare `...`). Applying it would replace real code with
the placeholder, so the hunk is refused. The rules look at the shape of the change, never at the
placeholder's words, which vary without end (and across human languages):

1. a stand-in: in one run of changes, an added one-line comment (or a bare `...`) takes the
   place of removed code. The run (or, where the diff interleaves removed and added lines, the
   removed lines right above the comment against the added ones below) removes more code lines
   than it adds (code it adds back elsewhere, re-indented, is not lost), and the comment is
   neither a rewrite of a comment the run removes nor a removed line commented out (comments of
   several lines explain, and so does one right above the code the run adds; placeholders are one
   line, or a bracketed aside such as `# (as before)` wherever it stands);
2. an ellipsis mark, anywhere: a comment that is only an ellipsis or opens with one (unless it
   continues the comment above it), a comment or bracketed phrase that is wrapped in an
   ellipsis, or a bare `...` where `...` cannot be code.

Lines the file already has are never placeholders."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from surgeon.diff.churn import drop_churn
from surgeon.diff.types import LineKind
from surgeon.languages import comment_syntax, language_for

_ELLIPSIS = re.compile(r"\.{3,}|…")
_WRAPPERS = " \t()[]{}<>\"'`*:-–—"
# Languages in which a line holding only `...` cannot be code. (In Python it is Ellipsis, in YAML
# the end of a document, in docs a doctest continuation prompt.)
_BARE_ELLIPSIS_INVALID = {"javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "json", "toml"}
# After `.. `: a directive (`note::`), a target (`_name:`), a substitution, a footnote or citation.
_RST_MARKUP = re.compile(r"\s*(?:[\w:.+-]+::|_|\||__|\[(?:\d+|#[\w-]*|\*|[^\W\d][\w.-]*)\](?:\s|$))")
# How alike (difflib ratio) two lines must be for one to be a rewrite of the other.
_ALIKE = 0.6


@dataclass(frozen=True)
class Elided:
    kind: LineKind  # the placeholder line: its kind and text
    text: str
    replaces: tuple[str, ...] = ()  # the removed code lines it stands in for (rule 1)


def comment_body(text: str, path: str) -> str | None:
    """The text of `text` as a comment in `path`'s language (markers removed), or None when the
    line is not a whole-line comment."""
    stripped = text.strip()
    markers, blocks = comment_syntax(path)
    for opener, closer in blocks:
        if stripped.startswith(opener):
            body = stripped[len(opener):]
            return body.removesuffix(closer).strip(" *")
        if opener == "/*" and (stripped in ("*", "*/") or stripped.startswith(("* ", "*/"))):
            return stripped.strip("*/ ")  # a line inside a block comment
    for marker in markers:
        if stripped.lower().startswith(marker):
            body = stripped[len(marker):]
            if marker == ".. " and _RST_MARKUP.match(body):
                return None  # reStructuredText markup, not a comment
            return (body.lstrip(marker[:1]) if marker[:1] in "#/;-%" else body).strip()
    return None


def _bare_ellipsis(text: str) -> bool:
    return text.strip() in ("...", "…")


def _ellipsis_shape(body: str) -> str | None:
    """"wrapped": `... X ...` or `(X ...)`; "open": only an ellipsis, or an ellipsis first; else None."""
    core = body.strip(_WRAPPERS)
    if not _ELLIPSIS.search(core):
        return None
    words = _ELLIPSIS.sub(" ", core).strip(_WRAPPERS + ".,;")
    first, last = _ELLIPSIS.match(core), _ELLIPSIS.search(core[-3:])
    bracketed = body.strip()[:1] in "([{<" and body.strip()[-1:] in ")]}>"
    if words and last and (first or bracketed):
        return "wrapped"
    if not words or first:
        return "open"
    return None


def ellipsis_mark(text: str, path: str, previous: str | None = None) -> bool:
    """Rule 2 for one line. `previous`, the line above: after a comment line, a comment that only
    opens with an ellipsis may be that comment going on."""
    if _bare_ellipsis(text):
        return language_for(path) in _BARE_ELLIPSIS_INVALID
    body = comment_body(text, path)
    if body is None:
        # `(rest of methods ...)`: a bracketed phrase that ends in an ellipsis is no statement
        stripped = text.strip()
        return (stripped[:1] in "([" and stripped[-1:] in ")]" and _ellipsis_shape(stripped) == "wrapped"
                and "(" not in stripped[1:-1] and "," not in stripped and bool(re.search(r"[^\W\d_]{2}", stripped)))
    shape = _ellipsis_shape(body)
    if shape == "open" and previous is not None and comment_body(previous, path) is not None:
        return False
    return shape is not None


def _alike(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    if not a or not b:
        return False
    return a in b or b in a or difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= _ALIKE


def _runs(lines: Sequence[tuple[LineKind, str]]) -> list[tuple[int, int]]:
    """[start, end) of each run of changed lines; runs apart only by blank context lines are one."""
    runs: list[tuple[int, int]] = []
    k = 0
    while k < len(lines):
        if lines[k][0] == " ":
            k += 1
            continue
        start = k
        end = k
        while k < len(lines) and (lines[k][0] != " " or not lines[k][1].strip()):
            if lines[k][0] != " ":
                end = k + 1
            k += 1
        runs.append((start, end))
    return runs


def _code(kind: LineKind, text: str, path: str) -> bool:
    return kind != " " and bool(text.strip()) and comment_body(text, path) is None and not _bare_ellipsis(text)


def _loses_code(lines: Sequence[tuple[LineKind, str]], start: int, end: int, path: str,
                moved: Collection[str] = ()) -> tuple[str, ...]:
    """The removed code lines of lines[start:end] when they outnumber the added ones, else ().
    Lines in `moved` (stripped: code the run adds back elsewhere, re-indented) are not lost."""
    removed = tuple(text for kind, text in lines[start:end]
                    if kind == "-" and _code(kind, text, path) and text.strip() not in moved)
    added = sum(1 for kind, text in lines[start:end] if kind == "+" and _code(kind, text, path))
    return removed if len(removed) > added else ()


def _stand_in(lines: Sequence[tuple[LineKind, str]], start: int, end: int, path: str,
              in_file: Callable[[str], bool], as_written: bool) -> Elided | None:
    run = [(k, kind, text) for k, (kind, text) in enumerate(lines[start:end], start) if kind != " "]
    comments = {k: comment_body(text, path) for k, _, text in run}
    removed_comments = [comments[k] or "" for k, kind, _ in run if kind == "-" and comments[k] is not None]
    removed_code = [text for k, kind, text in run if kind == "-" and _code(kind, text, path)]
    added_code = [text for k, kind, text in run if kind == "+" and _code(kind, text, path)]
    moved = {text.strip() for _, kind, text in run if kind == "+"} & {text.strip() for _, kind, text in run if kind == "-"}
    whole = _loses_code(lines, start, end, path, moved)
    added_comments = {k for k, kind, _ in run if kind == "+" and comments[k] is not None}
    can_be_code = language_for(path) not in _BARE_ELLIPSIS_INVALID
    for k, kind, text in run:
        if kind != "+" or in_file(text):
            continue
        # what it may stand for: the whole run's lost code, or (where the diff as written
        # interleaves removed and added lines) the removed lines right above it against the
        # added ones below (dropping churn reorders a run, so not there)
        above = k
        while above > start and lines[above - 1][0] == "-":
            above -= 1
        below = k + 1
        while below < end and lines[below][0] == "+":
            below += 1
        lost = whole or (_loses_code(lines, above, below, path, moved) if as_written else ())
        if not lost:
            continue
        body = comments[k]
        if body is None:
            # a bare `...` that could be code stands in only beside other added code (a body of
            # just `...` is a stub, which is code)
            if _bare_ellipsis(text) and (not can_be_code or added_code):
                return Elided(kind, text, lost)
            continue
        aside = body[:1] in "([" and body[-1:] in ")]"  # `# (code as before)`: an aside, never an explanation
        if (k - 1 in added_comments or k + 1 in added_comments) and not aside:
            continue  # a comment of several lines explains; a placeholder is one line
        heading = k + 1 < end and lines[k + 1][0] == "+" and _code("+", lines[k + 1][1], path)
        if heading and not aside:
            continue  # a comment right above the code it adds says what that code does
        if not body.strip(_WRAPPERS + ".,;!?=#~_+") and not _ELLIPSIS.search(body):
            continue  # an empty comment, a separator line
        if any(_alike(body, old) for old in removed_comments):
            continue  # a comment rewritten
        if any(_alike(body, old) for old in removed_code):
            continue  # code commented out
        return Elided(kind, text, lost)
    return None


def _nowhere(_text: str) -> bool:
    return False


def find_elision(lines: Sequence[tuple[LineKind, str]], path: str,
                 in_file: Callable[[str], bool] = _nowhere) -> Elided | None:
    """The first placeholder among a hunk's `lines` (kind, text), by either rule. `in_file` says
    whether the file has a line (such a line is real, whatever it looks like). Rule 1 reads the
    hunk as written and with its churn dropped (lines removed and added back unchanged, which
    move the other lines about)."""
    above: str | None = None  # the line above, in the file the hunk makes (or had, for a removed line)
    for kind, text in lines:
        if not in_file(text) and ellipsis_mark(text, path, above):
            return Elided(kind, text)
        if kind != "-":
            above = text
    for body, as_written in ((lines, True), (drop_churn(lines)[0], False)):
        for start, end in _runs(body):
            found = _stand_in(body, start, end, path, in_file, as_written)
            if found:
                return found
    return None
