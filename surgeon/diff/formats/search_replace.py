"""SEARCH/REPLACE blocks, as aider, Cline and Roo Code write them:

    path/to/file.py                      <replace_in_file>          <<<<<<< SEARCH
    ```python                            <path>src/a.ts</path>      :start_line:12
    <<<<<<< SEARCH                       <diff>                     -------
    lines to find                        ------- SEARCH             lines to find
    =======                              ...                        =======
    lines to put there                   =======                    ...
    >>>>>>> REPLACE                      ...                        >>>>>>> REPLACE
    ```                                  +++++++ REPLACE
                                         </diff>

Each block becomes one hunk of the lines to find, with the lines to put there: the matcher
places it by content like any hunk. An empty SEARCH creates the file (aider)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from surgeon.diff.formats.unified import Conversion, Hunk, Section, diff_text
from surgeon.diff.types import Refusal

_START = re.compile(r"^(?:<{5,9}|-{3,}) ?SEARCH>?$")
_DIVIDER = re.compile(r"^={3,}$")
_END = re.compile(r"^(?:>{5,9}|\+{3,}) ?REPLACE>?$")
_HINT = re.compile(r"^:(start_line|end_line):\s*(\d+)\s*$")
_SEPARATOR = re.compile(r"^-{3,}$")
_PATH_TAG = re.compile(r"^<path>(.*)</path>$")
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_ESCAPED = re.compile(r"^\\(?=<{5,9}|={3,}|>{5,9}|-{3,}|\+{3,}|:start_line:|:end_line:)")


def _bare(line: str) -> str:
    return line.rstrip("\r").strip()


def has_blocks(lines: list[str]) -> bool:
    return any(_START.match(_bare(line)) for line in lines)


@dataclass(frozen=True)
class _Block:
    path: str | None
    search: list[str]
    replace: list[str]
    hint: int | None
    line: int  # 1-based line of its SEARCH marker in the pasted text


def _clean_path(line: str) -> str | None:
    """A file name alone on its line, as aider reads it (`#`, `*`, backticks and a colon around
    it are dropped)."""
    name, before = line, None
    while name != before:
        before, name = name, name.strip().rstrip(":").lstrip("#").strip("`*")
    name = name.replace("\\_", "_")
    if not name or name == "..." or (name.startswith("<") and name.endswith(">")):
        return None
    if _START.match(name) or _DIVIDER.match(name) or _END.match(name):
        return None
    return name


def _path_before(lines: list[str], at: int) -> str | None:
    """The file name on the lines just above a block: the nearest line that is not a fence,
    looking back over fences only, at most 3 lines."""
    for k in range(at - 1, max(at - 4, -1), -1):
        line = _bare(lines[k])
        if _FENCE.match(line):
            continue
        return _clean_path(line)
    return None


def _dedent(lines: list[str], indent: str) -> list[str]:
    """Lines of a block whose markers are indented (a block inside a list item) without that
    indentation, when every line carries it."""
    if indent and all(line.startswith(indent) or not line.strip() for line in lines):
        return [line[len(indent):] if line.startswith(indent) else line.lstrip(" \t") for line in lines]
    return lines


def _divider(lines: list[str], start: int, end: int) -> int | None:
    found = [k for k in range(start, end) if _DIVIDER.match(_bare(lines[k]))]
    if len(found) > 1:
        found = [k for k in found if _bare(lines[k]) == "======="]
    return found[0] if len(found) == 1 else None


def _read(lines: list[str]) -> tuple[list[_Block], list[Refusal]]:
    blocks: list[_Block] = []
    problems: list[Refusal] = []
    tag_path: str | None = None
    current: str | None = None
    i = 0
    while i < len(lines):
        bare = _bare(lines[i])
        tag = _PATH_TAG.match(bare)
        if tag:
            tag_path = tag[1].strip() or None
        elif bare == "<path>" and i + 2 < len(lines) and _bare(lines[i + 2]) == "</path>":
            tag_path = _bare(lines[i + 1]) or None
        elif bare in ("</replace_in_file>", "</apply_diff>"):
            tag_path = None
        if not _START.match(bare):
            i += 1
            continue
        number = len(blocks) + len(problems) + 1
        path = tag_path or _path_before(lines, i) or current
        end = next((k for k in range(i + 1, len(lines)) if _END.match(_bare(lines[k]))
                    or _START.match(_bare(lines[k]))), len(lines))
        if end == len(lines) or not _END.match(_bare(lines[end])):
            problems.append(Refusal(path, None, i + 1, (
                f"SEARCH/REPLACE block {number} has no `>>>>>>> REPLACE` line: the text stops (or the next "
                "block starts) inside it, so it may be cut off. Send every block whole")))
            i = end
            continue
        divider = _divider(lines, i + 1, end)
        if divider is None:
            problems.append(Refusal(path, None, i + 1, (
                f"SEARCH/REPLACE block {number} needs exactly one `=======` line between the lines to find "
                "and the lines to put there")))
            i = end + 1
            continue
        if path is None:
            problems.append(Refusal(None, None, i + 1, (
                f"SEARCH/REPLACE block {number} names no file: put the file's path alone on the line "
                "before the block (or before its opening fence)")))
            i = end + 1
            continue
        current = path
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))]
        search = _dedent(lines[i + 1 : divider], indent)
        replace = _dedent(lines[divider + 1 : end], indent)
        hint = None
        metadata = 0
        while metadata < len(search) and (m := _HINT.match(_bare(search[metadata]))):
            if m[1] == "start_line":
                hint = int(m[2])
            metadata += 1
        if metadata and metadata < len(search) and _SEPARATOR.match(_bare(search[metadata])):
            metadata += 1
        search = [_ESCAPED.sub("", line) for line in search[metadata:]]
        replace = [_ESCAPED.sub("", line) for line in replace]
        blocks.append(_Block(path, search, replace, hint, i + 1))
        i = end + 1
    return blocks, problems


def _hunk(block: _Block) -> Hunk:
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, block.search, block.replace, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out += [(" ", line) for line in block.search[a1:a2]]
            continue
        out += [("-", line) for line in block.search[a1:a2]]
        out += [("+", line) for line in block.replace[b1:b2]]
    return Hunk(tuple(out), hint=block.hint)


def convert(lines: list[str]) -> Conversion:
    blocks, problems = _read(lines)
    count = len(blocks) + len(problems)
    note = f"read {count} SEARCH/REPLACE block{'s' if count != 1 else ''} as a unified diff"
    sections: list[Section] = []
    edits: dict[str, Section] = {}
    for block in blocks:
        assert block.path is not None
        if not any(line.strip() for line in block.search):
            added = tuple(("+", line) for line in block.replace)
            sections.append(Section(None, block.path, [Hunk(added)] if added else []))
            continue
        section = edits.get(block.path)
        if section is None:
            section = edits[block.path] = Section(block.path, block.path)
            sections.append(section)
        section.hunks.append(_hunk(block))
    return Conversion(diff_text(sections), note, tuple(problems))
