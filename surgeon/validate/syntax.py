"""The syntax guard: a change must not make a file stop parsing. Where the language has a real
parser at hand (Python's own compiler, which knows indentation errors; json; tomllib; PyYAML,
which detect-secrets brings), a file that parsed before must parse after. Otherwise (and where
the real parser already failed before the change, e.g. on newer syntax than this Python knows)
the file's tree-sitter grammar judges: the number of ERROR and MISSING nodes must not grow. A
file that did not parse before is not the diff's fault. The refusal names the first new error's
line and the diff's hunk that changed the lines around it. Pure: it takes text."""

from __future__ import annotations

import json
import re
import tomllib
import warnings
from collections.abc import Callable, Collection, Sequence

from surgeon.diff.types import Refusal
from surgeon.languages import has_grammar, language_for, parser

# how far (in lines) an error may be from a change and still be put down to it
_NEAR = 2


def error_lines(text: str, language: str) -> list[int]:
    """1-based lines of the ERROR and MISSING nodes tree-sitter finds in `text`, in order."""
    tree = parser(language).parse(text.encode("utf-8"))
    lines: list[int] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            lines.append(node.start_point[0] + 1)
        if node.has_error:
            stack.extend(reversed(node.children))
    return sorted(lines)


# A real parser: None when the text parses, else (1-based line, what is wrong).
Parse = Callable[[str], "tuple[int, str] | None"]


def _python(text: str) -> tuple[int, str] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not errors
            compile(text.removeprefix("\ufeff"), "<file>", "exec", dont_inherit=True)
    except SyntaxError as error:  # IndentationError and TabError too
        return error.lineno or 1, error.msg
    except (ValueError, RecursionError, MemoryError):
        return None  # nothing the compiler can say about the syntax
    return None


def _json(text: str) -> tuple[int, str] | None:
    try:
        json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        return error.lineno, error.msg
    except RecursionError:
        return None
    return None


def _toml(text: str) -> tuple[int, str] | None:
    try:
        tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        message = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", str(error))
        return (int(found[1]) if found else text.count("\n") + 1), message
    return None


def _yaml(text: str) -> tuple[int, str] | None:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - detect-secrets depends on PyYAML
        return None
    try:
        for _event in yaml.parse(text, Loader=yaml.SafeLoader):  # events only: any tag is fine
            pass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return (mark.line + 1 if mark else 1), str(error.problem or error.context or "invalid YAML")
    except (yaml.YAMLError, RecursionError):
        return None
    return None


PARSERS: dict[str, Parse] = {"python": _python, "json": _json, "toml": _toml, "yaml": _yaml}
_NAMES = {"python": "Python", "json": "JSON", "toml": "TOML", "yaml": "YAML"}


def _hunk_at(line: int, spans: Sequence[tuple[int, int, int]]) -> int | None:
    near = [(min(abs(line - first), abs(line - last)) if not first <= line <= last else 0, hunk)
            for hunk, first, last in spans]
    near = [pair for pair in near if pair[0] <= _NEAR]
    return min(near)[1] if near else None


def _shown(new_text: str, line: int) -> str:
    lines = new_text.split("\n")
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return shown[:77] + "..." if len(shown) > 80 else shown


def check_syntax(
    path: str, old_text: str | None, new_text: str, changed_lines: Collection[int] = (),
    spans: Sequence[tuple[int, int, int]] = (),
) -> Refusal | None:
    """A refusal when the change makes `new_text` stop parsing (`old_text` None: a new file).
    `changed_lines` (1-based, in the new text) picks which tree-sitter error to name; `spans`
    (hunk, first line, last line) says which hunk to name."""
    language = language_for(path)
    real = PARSERS.get(language or "")
    problem = real(new_text) if real is not None else None
    if real is not None and problem is None:
        return None
    if problem is not None and (old_text is None or real is not None and real(old_text) is None):
        line, message = problem
        return Refusal(path, _hunk_at(line, spans), line, (
            f"the change breaks the {_NAMES[language or '']} syntax: {message} at line {line} "
            f"(`{_shown(new_text, line)}`). Check brackets, quotes, colons and indentation"))
    if not has_grammar(language):
        return None
    assert language is not None
    after = error_lines(new_text, language)
    before = error_lines(old_text, language) if old_text is not None else []
    if len(after) <= len(before):
        return None
    near_change = [line for line in after if any(abs(line - c) <= _NEAR for c in changed_lines)]
    line = (near_change or [line for line in after if line not in before] or after)[0]
    return Refusal(path, _hunk_at(line, spans), line, (
        f"the change breaks the {language} syntax: the parser finds an error at line {line} "
        f"(`{_shown(new_text, line)}`); {len(before)} syntax error(s) before the change, {len(after)} after. "
        "Check brackets, quotes, colons and indentation"))
