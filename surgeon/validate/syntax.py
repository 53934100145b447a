"""The syntax guard: a change must not add parse errors. Each touched file with a tree-sitter
grammar is parsed before and after; when the number of ERROR and MISSING nodes grows, the change
is refused, naming the line of the first new error. Pure: it takes text."""

from __future__ import annotations

from collections.abc import Collection

from surgeon.diff.types import Refusal
from surgeon.languages import has_grammar, language_for, parser


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


def check_syntax(
    path: str, old_text: str | None, new_text: str, changed_lines: Collection[int] = ()
) -> Refusal | None:
    """A refusal when `new_text` has more parse errors than `old_text` (None: a new file).
    `changed_lines` (1-based, in the new text) picks which error to name."""
    language = language_for(path)
    if not has_grammar(language):
        return None
    assert language is not None
    after = error_lines(new_text, language)
    before = error_lines(old_text, language) if old_text is not None else []
    if len(after) <= len(before):
        return None
    near_change = [line for line in after if any(abs(line - c) <= 2 for c in changed_lines)]
    line = (near_change or [line for line in after if line not in before] or after)[0]
    lines = new_text.split("\n")
    shown = lines[line - 1].strip() if line - 1 < len(lines) else ""
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return Refusal(path, None, line, (
        f"the change breaks the {language} syntax: the parser finds an error at line {line} (`{shown}`); "
        f"{len(before)} syntax error(s) before the change, {len(after)} after. Check brackets, quotes, "
        "colons and indentation"))
