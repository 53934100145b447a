"""The read-only tools a model may call before it answers an edit: read_lines, search and
find_definition. Each result is redacted by the edit's own Redactor (placeholders stay those of the
context) and numbered as the context is. A path outside the repository, inside .git, ignored by git,
a secret or .surgeonignore'd file, a binary or non-UTF-8 file is never read: the model gets an
error it can read, and the edit goes on."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surgeon.git.runner import Git
from surgeon.model import Redactor
from surgeon.model.types import ToolCall, ToolSpec
from surgeon.validate.scope import is_never_sent

MAX_READ_LINES = 400  # lines per read_lines request
MAX_SEARCH_RESULTS = 50
MAX_SEARCH_LINE = 200  # characters of a matching line shown
MAX_DEFINITIONS = 5
MAX_DEFINITION_LINES = 200
MAX_CANDIDATES = 200  # files find_definition parses
MAX_FILE_BYTES = 2_000_000

SPECS = (
    ToolSpec("read_lines", "Lines start_line..end_line (1-based, inclusive) of a file in the repository, numbered "
             f"as in the context (at most {MAX_READ_LINES} lines a request).",
             {"type": "object", "properties": {"path": {"type": "string"}, "start_line": {"type": "integer"},
                                               "end_line": {"type": "integer"}},
              "required": ["path", "start_line", "end_line"]}),
    ToolSpec("search", "Lines of the repository that contain a fixed string or identifier, as path:line: text, "
             f"definitions first, at most {MAX_SEARCH_RESULTS}.",
             {"type": "object", "properties": {"pattern": {"type": "string"}}, "required": ["pattern"]}),
    ToolSpec("find_definition", "Where a function, class, method or other symbol is defined, with its lines.",
             {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
)


class ToolError(Exception):
    """What goes back to the model instead of a result."""


@dataclass
class ContextTools:
    root: Path
    redactor: Redactor
    read: list[str] = field(default_factory=list)  # files whose lines the model was given, in order

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.git = Git(self.root)

    def run(self, call: ToolCall) -> tuple[str, bool]:
        """(result text, is_error), redacted."""
        try:
            if call.error:
                raise ToolError(call.error)
            handler = {"read_lines": self.read_lines, "search": self.search,
                       "find_definition": self.find_definition}.get(call.name)
            if handler is None:
                raise ToolError(f"unknown tool {call.name!r}; the tools are {', '.join(s.name for s in SPECS)}")
            return handler(call.arguments), False
        except ToolError as error:
            return self.redactor.redact(f"error: {error}"), True

    # -- the tools -----------------------------------------------------------------------------
    def read_lines(self, arguments: Mapping[str, Any]) -> str:
        path = self._path(arguments.get("path"))
        start, end = _line(arguments, "start_line"), _line(arguments, "end_line")
        if end < start:
            raise ToolError(f"end_line {end} is before start_line {start}")
        lines = self._text(path).splitlines()
        if start > len(lines):
            raise ToolError(f"{path} has {len(lines)} lines; start_line {start} is past its end")
        end = min(end, len(lines), start + MAX_READ_LINES - 1)
        self._note(path)
        return self.redactor.redact(numbered(path, lines, [(start, end, "")]), path)

    def search(self, arguments: Mapping[str, Any]) -> str:
        pattern = arguments.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip() or "\n" in pattern or len(pattern) > 200:
            raise ToolError("pattern must be one line of text (a fixed string or an identifier), at most 200 characters")
        hits = self._grep(pattern) or self._grep(pattern, "-i")
        if not hits:
            return f"no line of the repository contains {pattern!r}"
        definition = re.compile(rf"^\s*(?:export\s+)?(?:async\s+)?(?:def|class|func|function|fn|type|struct|interface|enum|"
                                rf"const|let|var|module|impl)\b.*\b{re.escape(pattern)}\b|^\s*{re.escape(pattern)}\s*[:=]")
        hits.sort(key=lambda h: (definition.search(h[2]) is None, _secondary(h[0]), h[0], h[1]))
        shown = [f"{p}:{n}: {t.strip()[:MAX_SEARCH_LINE]}" for p, n, t in hits[:MAX_SEARCH_RESULTS]]
        more = f"\n({len(hits) - MAX_SEARCH_RESULTS} more matches not shown)" if len(hits) > MAX_SEARCH_RESULTS else ""
        return self.redactor.redact("\n".join(shown) + more)

    def find_definition(self, arguments: Mapping[str, Any]) -> str:
        name = arguments.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[\w$.:]+", name or ""):
            raise ToolError("name must be a symbol name such as total_price or Cart.add")
        last = re.split(r"[.:]+", name)[-1]
        candidates = sorted({p for p, _, _ in self._grep(last, "-w")}, key=lambda p: (_secondary(p), p))
        from surgeon.locate.symbols import (  # the index, when it is asked for
            definitions_named,
            repository_records,
        )

        records = repository_records(self.root, candidates[:MAX_CANDIDATES], on_note=lambda _text: None)
        found: list[tuple[str, list[str], int, int, str]] = []
        for path, definition in sorted(definitions_named(records, name),
                                       key=lambda hit: (_secondary(hit[0]), hit[0], hit[1].start)):
            try:
                lines = self._text(path).splitlines()
            except ToolError:
                continue
            found.append((path, lines, definition.start, definition.end, definition.qualname))
            if len(found) >= MAX_DEFINITIONS:
                break
        if not found:
            return f"no definition of {name!r} found; search for it to see where it is used"
        parts = []
        for path, lines, start, end, qualname in found[:MAX_DEFINITIONS]:
            self._note(path)
            cut = min(end, start + MAX_DEFINITION_LINES - 1)
            parts.append(self.redactor.redact(numbered(path, lines, [(start, cut, qualname)]), path))
        return "\n\n".join(parts)

    # -- what may be read ----------------------------------------------------------------------
    def _path(self, given: object) -> str:
        if not isinstance(given, str) or not given.strip() or "\0" in given:
            raise ToolError("path must be a file path relative to the repository root")
        plain = posixpath.normpath(given.replace("\\", "/"))
        target = Path(plain) if Path(plain).is_absolute() else self.root / plain
        resolved = target.resolve()
        if not resolved.is_relative_to(self.root):
            raise ToolError(f"{given} is outside the repository; only files inside it can be read")
        relative = resolved.relative_to(self.root).as_posix()
        if ".git" in Path(plain).parts or relative == ".git" or relative.startswith(".git/"):
            raise ToolError(f"{given} is inside .git; only working-tree files can be read")
        if is_never_sent(plain, self.root) or is_never_sent(relative, self.root):
            raise ToolError(f"{given} is never sent to a model (a secret file, or matched by .surgeonignore)")
        if not resolved.is_file():
            raise ToolError(f"{given}: no such file in the repository")
        if self.git.run("check-ignore", "-q", "--", relative, check=False).returncode == 0:
            raise ToolError(f"{given} is ignored by git (.gitignore), so surgeon does not read it")
        return relative

    def _text(self, path: str) -> str:
        target = self.root / path
        if target.stat().st_size > MAX_FILE_BYTES:
            raise ToolError(f"{path} is over {MAX_FILE_BYTES} bytes; surgeon does not read it")
        data = target.read_bytes()
        if b"\0" in data[:8192]:
            raise ToolError(f"{path} is a binary file; only text files can be read")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path} is not UTF-8 text; surgeon cannot read or edit it") from None

    def _grep(self, pattern: str, *flags: str) -> list[tuple[str, int, str]]:
        """(path, line, text) of the lines holding `pattern`: tracked and untracked files git does
        not ignore, text only, never a never-sent file."""
        out = self.git.run("-c", "core.quotepath=off", "grep", "-n", "-z", "-I", "-F", "--untracked", "--no-color",
                           *flags, "-e", pattern, "--", check=False).stdout
        hits: list[tuple[str, int, str]] = []
        for record in out.decode("utf-8", "replace").splitlines():
            path, _, rest = record.partition("\0")
            number, _, text = rest.partition("\0")
            if number.isdigit() and not is_never_sent(path, self.root):
                hits.append((path, int(number), text))
        return hits

    def _note(self, path: str) -> None:
        if path not in self.read:
            self.read.append(path)


def numbered(path: str, lines: list[str], spans: list[tuple[int, int, str]]) -> str:
    """Lines as the context shows them: a file header, then `--- lines A-B (symbol)` and `NNNN|text`."""
    parts = [f"=== {path} ({len(lines)} lines) ==="]
    for start, end, symbol in spans:
        parts.append(f"--- lines {start}-{end}" + (f" ({symbol})" if symbol else ""))
        parts.extend(f"{n:4d}|{lines[n - 1]}" for n in range(start, end + 1))
    return "\n".join(parts)


def _line(arguments: Mapping[str, Any], key: str) -> int:
    value = arguments.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolError(f"{key} must be a line number (a whole number from 1)")
    return value


def _secondary(path: str) -> bool:
    """Tests, docs and vendored code after the source that matches."""
    parts = path.lower().split("/")
    return any(p in ("test", "tests", "docs", "doc", "vendor", "node_modules", "third_party") for p in parts) or \
        parts[-1].startswith("test_") or parts[-1].endswith(("_test.go", ".test.js", ".test.ts", ".md", ".rst"))
