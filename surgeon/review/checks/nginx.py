"""A small reader for nginx configuration: directives and blocks with their line numbers. Tolerant
of fragments (a snippet without its http {} wrapper) and of unbalanced braces in a half-written file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Directive:
    name: str
    args: list[str]
    line: int  # line of the directive's name
    block: list[Directive] | None = None  # children for `name args { ... }`
    parent: Directive | None = field(default=None, repr=False)

    def walk(self) -> Iterator[Directive]:
        yield self
        for child in self.block or ():
            yield from child.walk()

    def ancestors(self) -> Iterator[Directive]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def _tokens(lines: tuple[str, ...]) -> Iterator[tuple[str, int, bool]]:
    """(token, line, quoted) with "{", "}" and ";" as their own tokens; comments dropped."""
    for number, line in enumerate(lines, start=1):
        i, n = 0, len(line)
        while i < n:
            char = line[i]
            if char in " \t\r":
                i += 1
            elif char == "#":
                break
            elif char in "{};":
                yield char, number, False
                i += 1
            elif char in "\"'":
                end = i + 1
                while end < n and line[end] != char:
                    end += 2 if line[end] == "\\" else 1
                yield line[i + 1:end], number, True
                i = end + 1
            else:
                start = i
                while i < n:
                    if line[i] == "{" and i > start and line[i - 1] == "$":  # ${var} stays in the token
                        close = line.find("}", i)
                        i = n if close < 0 else close + 1
                        continue
                    if line[i] in " \t\r;{}\"'":
                        break
                    i += 1
                yield line[start:i], number, False


def parse(lines: tuple[str, ...]) -> list[Directive]:
    root: list[Directive] = []
    stack: list[Directive] = []
    current: Directive | None = None
    for token, number, quoted in _tokens(lines):
        siblings = stack[-1].block if stack else root
        if not quoted and token == ";":
            if current is not None:
                siblings.append(current)  # type: ignore[union-attr]
            current = None
        elif not quoted and token == "{":
            block = current or Directive("", [], number)
            block.block = []
            block.parent = stack[-1] if stack else None
            siblings.append(block)  # type: ignore[union-attr]
            stack.append(block)
            current = None
        elif not quoted and token == "}":
            if current is not None:  # a directive missing its ";"
                siblings.append(current)  # type: ignore[union-attr]
                current = None
            if stack:
                stack.pop()
        elif current is None:
            current = Directive(token, [], number, parent=stack[-1] if stack else None)
        else:
            current.args.append(token)
    if current is not None:
        (stack[-1].block if stack else root).append(current)  # type: ignore[union-attr]
    return root


def walk(directives: list[Directive]) -> Iterator[Directive]:
    for directive in directives:
        yield from directive.walk()


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}


def seconds(value: str) -> float | None:
    """nginx time: "90", "30s", "5m", "1h 30m", "500ms". None when it is not a time."""
    import re

    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|M|y)?", value.strip())
    if not parts or re.sub(r"\s+", "", value) != "".join(number + unit for number, unit in parts):
        return None
    return sum(float(number) * _UNITS[unit or "s"] for number, unit in parts)
