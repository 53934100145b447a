"""Stack-trace frames in an instruction: Python, JavaScript, Java, Go, Rust and compiler output,
each read as (path, line, function), innermost first."""

from __future__ import annotations

import re
from dataclasses import dataclass

from surgeon.languages import language_for

# Stack-trace frames from several runtimes: (regex, path group, line group, function group).
FRAME_PATTERNS: tuple[tuple[re.Pattern[str], int, int, int | None], ...] = (
    # Python:  File "/srv/app/ingest/app.py", line 130, in __call__
    (re.compile(r'File "([^"]+)", line (\d+)(?:, in ([\w<>.]+))?'), 1, 2, 3),
    # pytest's tracebacks:  src/app/views.py:88: in handle   (innermost last, as Python's)
    (re.compile(r"^((?:/|[A-Za-z]:)?[\w./\\-]+\.py):(\d+): in ([\w<>]+)", re.MULTILINE), 1, 2, 3),
    # JavaScript / Node:  at handler (src/server.js:10:5)   or   at src/server.js:10:5
    (re.compile(r"\bat (?:(?:async )?([\w$.<>\[\] ]+?) \()?(?:file://)?([^\s()]+?\.[A-Za-z]{1,5}):(\d+)(?::\d+)?\)?"), 2, 3, 1),
    # Java / Kotlin:  at com.acme.Foo.bar(Foo.java:42)
    (re.compile(r"\bat ([\w$.]+)\(([\w$]+\.(?:java|kt|scala|groovy)):(\d+)\)"), 2, 3, 1),
    # Go:  /home/me/proj/pkg/server.go:123 +0x1d   (the function is on the line before)
    (re.compile(r"^\s*((?:/|[A-Za-z]:)?[\w./-]+\.go):(\d+)", re.MULTILINE), 1, 2, None),
    # Rust, C, generic compiler output, Python warnings:  src/main.rs:10:5   or   main.c:10: error   or
    # [redacted]/site-packages/pkg/mod.py:206: UserWarning (a path may be absolute)
    (re.compile(r"(?<![\w/.-])(/?(?:[\w.-]+/)*[\w.-]+\.(?:rs|c|h|cc|cpp|hpp|ts|tsx|py|rb|php|swift)):(\d+)(?::\d+)?"),
     1, 2, None),
)
# Frames in installed libraries and runtimes: their function names say little about the repository.
LIBRARY_PATH_RE = re.compile(r"site-packages|dist-packages|node_modules|/usr/lib/|/usr/local/lib/|<frozen|"
                             r"/lib/python\d|internal/|\$GOROOT|/rustc/|/\.cargo/registry/|java\.base/")
PYTEST_FRAME_RE = FRAME_PATTERNS[1][0]
# Where an installed package's own path begins: site-packages/_pytest/python.py is the repository's
# src/_pytest/python.py when the repository is that package.
INSTALLED_RE = re.compile(r"^.*?(?:site-packages|dist-packages|node_modules)/")
GO_FUNC_RE = re.compile(r"^\s*((?:[\w./-]+/)?[\w-]+)\.((?:\(\*?\w+\)\.)?\w+)\(", re.MULTILINE)


@dataclass(frozen=True)
class Frame:
    """A stack-trace frame. depth 0 is where the error happened."""

    path: str
    line: int
    function: str | None
    depth: int


def parse_frames(text: str) -> list[Frame]:
    """Stack-trace frames in the order written, with depth 0 for the innermost one."""
    found: list[tuple[int, str, int, str | None]] = []
    taken: list[tuple[int, int]] = []
    for pattern, path_group, line_group, func_group in FRAME_PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            path = m.group(path_group)
            if language_for(path) is None and not re.search(r"\.[A-Za-z]{1,5}$", path):
                continue
            func = m.group(func_group) if func_group else None
            if func is None and path.endswith(".go"):
                before = text[: m.start()].rstrip("\n\t ").splitlines()
                if before:
                    go = GO_FUNC_RE.match(before[-1])
                    if go:
                        func = go.group(2).split(".")[-1]
            if func:
                func = func.strip().split(".")[-1].split(" ")[-1]
                if func.startswith("<") or not re.match(r"^[\w$]+$", func):
                    func = None
            found.append((m.start(), path, int(m.group(line_group)), func))
            taken.append((m.start(), m.end()))
    found.sort()
    if not found:
        return []
    # Python prints the innermost frame last; Java, JS, Go and Rust print it first.
    python_style = ("Traceback (most recent call last)" in text or text.lstrip().startswith("File ")
                    or PYTEST_FRAME_RE.search(text) is not None)
    ordered = list(reversed(found)) if python_style else found
    return [Frame(path, line, func, depth) for depth, (_, path, line, func) in enumerate(ordered)]
