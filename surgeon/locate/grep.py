"""Grep the working tree for fixed strings: ripgrep when it is on PATH, else `git grep`.

Both respect .gitignore, skip binary files and search uncommitted edits and untracked files.
Matching is case-insensitive on fixed strings; which term matched a line is decided afterwards,
in Python, on the returned text.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_LINE_CHARS = 2000


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    text: str


def grep_tool() -> str:
    return "rg" if shutil.which("rg") else "git grep"


@dataclass(frozen=True)
class Exclusions:
    """What grep must not read: single paths, file-name endings, exact file names, directory names."""

    paths: Sequence[str] = ()
    suffixes: Sequence[str] = ()
    names: Sequence[str] = ()
    dirs: Sequence[str] = ()


def _command(patterns: Sequence[str], exclude: Exclusions, tool: str) -> list[str]:
    if tool == "rg":
        cmd = ["rg", "--no-config", "--hidden", "--no-heading", "--null", "--line-number", "--ignore-case",
               "--fixed-strings", "--color", "never", "--max-columns", str(MAX_LINE_CHARS), "-g", "!.git/"]
        globs = [f"!/{_glob_escape(p)}" for p in exclude.paths] + [f"!*{_glob_escape(s)}" for s in exclude.suffixes]
        globs += [f"!{_glob_escape(n)}" for n in exclude.names] + [f"!{_glob_escape(d)}/" for d in exclude.dirs]
        for glob in globs:
            cmd += ["-g", glob]
        for p in patterns:
            cmd += ["-e", p]
        return cmd
    cmd = ["git", "-c", "core.quotepath=off", "-c", "grep.fallbackToNoIndex=false", "grep", "--untracked", "-I",
           "-n", "-z", "-i", "-F", "--no-color", "--full-name"]
    for p in patterns:
        cmd += ["-e", p]
    cmd += ["--", "."]
    # Plain pathspecs are fnmatch patterns where * also crosses '/'.
    cmd += [f":(exclude)*{_glob_escape(s)}" for s in exclude.suffixes]
    cmd += [f":(exclude)*{_glob_escape(n)}" for n in exclude.names]
    for d in exclude.dirs:
        cmd += [f":(exclude){_glob_escape(d)}/*", f":(exclude)*/{_glob_escape(d)}/*"]
    cmd += [f":(exclude,literal){p}" for p in exclude.paths]
    return cmd


def _glob_escape(path: str) -> str:
    return "".join("\\" + c if c in "*?[]{}!\\" else c for c in path)


def grep(root: Path, patterns: Sequence[str], *, exclude: Exclusions = Exclusions(), tool: str | None = None
         ) -> Iterator[Hit]:
    """Every line of the working tree that contains one of `patterns` (case-insensitive)."""
    patterns = [p for p in patterns if p]
    if not patterns:
        return
    tool = tool or grep_tool()
    proc = subprocess.Popen(_command(patterns, exclude, tool), cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    with proc:
        for raw in proc.stdout:
            parts = raw.rstrip(b"\r\n").split(b"\0")
            if tool == "rg":
                if len(parts) < 2:
                    continue
                path_b, rest = parts[0], b"\0".join(parts[1:])
                number_b, _, text_b = rest.partition(b":")
            else:
                if len(parts) < 3:
                    continue
                path_b, number_b, text_b = parts[0], parts[1], b"\0".join(parts[2:])
            try:
                number = int(number_b)
            except ValueError:
                continue
            yield Hit(path_b.decode("utf-8", "surrogateescape"), number,
                      text_b[:MAX_LINE_CHARS].decode("utf-8", "replace"))
