"""Block parsers for config formats that have no tree-sitter grammar here: nginx, systemd units,
INI files, Dockerfiles, .env files and Makefiles.

Each parser returns the same shape the tree-sitter index produces, so that a region around a hit
is a meaningful block (an nginx `location`, an INI section, a Dockerfile stage), not a window.
Lines are 1-based and inclusive. The parsers never fail: unbalanced braces and stray lines are
tolerated, and whatever was recognised is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from surgeon.locate.definitions import DefinitionKind


@dataclass(frozen=True)
class Definition:
    kind: DefinitionKind  # block | setting | section | stage | instruction | target | variable
    name: str
    qualname: str
    start: int
    end: int
    name_line: int


@dataclass(frozen=True)
class Outline:
    definitions: tuple[Definition, ...]
    comments: tuple[tuple[int, int], ...]  # whole-line comment runs


# nginx directives whose first argument is itself a key (a header name, a variable ...).
KEYED_DIRECTIVES = frozenset({
    "add_header", "more_set_headers", "proxy_set_header", "proxy_hide_header", "proxy_pass_header",
    "fastcgi_param", "uwsgi_param", "scgi_param", "set", "map", "limit_req_zone", "limit_conn_zone",
    "add_trailer", "grpc_set_header", "env",
})


@dataclass
class _Setting:
    """An INI setting being read: its key and the lines it spans so far (continuation lines join)."""

    name: str
    start: int
    end: int


def parse_blocks(kind: str, text: str) -> Outline:
    parser = {
        "nginx": parse_nginx, "systemd": parse_ini, "ini": parse_ini, "dockerfile": parse_dockerfile,
        "dotenv": parse_dotenv, "make": parse_make,
    }.get(kind)
    return parser(text) if parser else Outline((), ())


def _comment_runs(lines: list[str], prefixes: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    runs: list[tuple[int, int]] = []
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith(prefixes):
            if runs and runs[-1][1] == number - 1:
                runs[-1] = (runs[-1][0], number)
            else:
                runs.append((number, number))
    return tuple(runs)


def _strip_nginx_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def parse_nginx(text: str) -> Outline:
    lines = text.splitlines()
    defs: list[Definition] = []
    stack: list[tuple[str, int, dict[str, str]]] = []  # (header, start line, first server_name/listen)
    words: list[str] = []
    statement_start = 0

    def qual(name: str) -> str:
        return " > ".join([h for h, _, _ in stack] + [name])

    for number, raw in enumerate(lines, 1):
        line = _strip_nginx_comment(raw)
        buf = ""
        quote = None
        for ch in line + "\n":
            if quote:
                buf += ch
                if ch == quote:
                    quote = None
                continue
            if ch in "'\"":
                quote = ch
                buf += ch
            elif ch in "{;}":
                words.extend(buf.split())
                buf = ""
                if words and not statement_start:
                    statement_start = number
                if ch == "{":
                    header = " ".join(words) or "{"
                    stack.append((header, statement_start or number, {}))
                elif ch == ";" and words:
                    name = words[0] if words[0] not in KEYED_DIRECTIVES or len(words) < 2 else f"{words[0]} {words[1]}"
                    defs.append(Definition("setting", name, qual(name), statement_start or number, number,
                                           statement_start or number))
                    if stack and words[0] in ("server_name", "listen") and len(words) > 1:
                        stack[-1][2].setdefault(words[0], words[1])
                elif ch == "}" and stack:
                    header, start, info = stack.pop()
                    header = _name_server(header, info)
                    defs.append(Definition("block", header, qual(header), start, number, start))
                words = []
                statement_start = 0
            else:
                buf += ch
        words.extend(buf.split())
        if words and not statement_start:
            statement_start = number
    while stack:  # unbalanced: close what is open at the end of the file
        header, start, _children = stack.pop()
        defs.append(Definition("block", header, qual(header), start, max(start, len(lines)), start))
    defs.sort(key=lambda d: (d.start, -d.end))
    return Outline(tuple(defs), _comment_runs(lines, ("#",)))


def _name_server(header: str, info: dict[str, str]) -> str:
    """`server` blocks are named by their server_name and first listen port, so two differ."""
    if header != "server" or not info:
        return header
    port = info.get("listen", "").rsplit(":", 1)[-1].rstrip(";")
    name = info.get("server_name", "")
    return f"server {name}:{port}" if port else f"server {name}"


def parse_ini(text: str) -> Outline:
    """INI files and systemd units: [Section] blocks holding key=value settings."""
    lines = text.splitlines()
    defs: list[Definition] = []
    section: tuple[str, int] | None = None
    last_content = 0
    setting: _Setting | None = None

    def close_setting() -> None:
        nonlocal setting
        if setting:
            prefix = f"{section[0]}." if section else ""
            defs.append(Definition("setting", setting.name, prefix + setting.name, setting.start, setting.end,
                                   setting.start))
        setting = None

    def close_section(end: int) -> None:
        if section:
            defs.append(Definition("section", f"[{section[0]}]", section[0], section[1], max(section[1], end), section[1]))

    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(("#", ";")):
            continue
        header = re.match(r"^\[([^\]]+)\]\s*$", stripped)
        if header:
            close_setting()
            close_section(last_content)
            section = (header.group(1).strip(), number)
            last_content = number
            continue
        last_content = number
        if setting is not None and (line[:1] in " \t" or lines[setting.end - 1].rstrip().endswith("\\")):
            setting.end = number  # a continuation line
            continue
        key = re.match(r"^([^=:\s][^=:]*?)\s*[=:]", stripped)
        close_setting()
        if key:
            setting = _Setting(key.group(1).strip(), number, number)
    close_setting()
    close_section(last_content)
    defs.sort(key=lambda d: (d.start, -d.end))
    return Outline(tuple(defs), _comment_runs(lines, ("#", ";")))


DOCKER_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\b\s*(.*)$")


def parse_dockerfile(text: str) -> Outline:
    """Stages (FROM ... to the next FROM) holding instructions; continuation lines join."""
    lines = text.splitlines()
    defs: list[Definition] = []
    stage: tuple[str, int] | None = None
    last_content = 0
    number = 0
    while number < len(lines):
        start = number + 1
        line = lines[number]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            number += 1
            continue
        end = start
        while lines[end - 1].rstrip().endswith("\\") and end < len(lines):
            end += 1
        m = DOCKER_INSTRUCTION.match(stripped)
        keyword = m.group(1).upper() if m else stripped.split()[0]
        args = m.group(2) if m else ""
        if keyword == "FROM":
            if stage:
                defs.append(Definition("stage", stage[0], stage[0], stage[1], last_content, stage[1]))
            alias = re.search(r"\bAS\s+(\S+)", args, re.IGNORECASE)
            stage = (alias.group(1) if alias else args.split()[0] if args.split() else "stage", start)
        else:
            name = keyword
            if keyword in {"ENV", "ARG", "LABEL"} and args.split():
                key = re.split(r"[=\s]", args.strip(), maxsplit=1)[0]
                name = f"{keyword} {key}"
            prefix = f"{stage[0]}." if stage else ""
            defs.append(Definition("instruction", name, prefix + name, start, end, start))
        last_content = end
        number = end
    if stage:
        defs.append(Definition("stage", stage[0], stage[0], stage[1], max(stage[1], last_content), stage[1]))
    defs.sort(key=lambda d: (d.start, -d.end))
    return Outline(tuple(defs), _comment_runs(lines, ("#",)))


def parse_dotenv(text: str) -> Outline:
    lines = text.splitlines()
    defs = []
    for number, line in enumerate(lines, 1):
        m = re.match(r"^\s*(?:export\s+)?([A-Za-z_][\w.]*)\s*=", line)
        if m:
            defs.append(Definition("setting", m.group(1), m.group(1), number, number, number))
    return Outline(tuple(defs), _comment_runs(lines, ("#",)))


def parse_make(text: str) -> Outline:
    """Makefile targets (a target line and its tab-indented recipe) and variable assignments."""
    lines = text.splitlines()
    defs: list[Definition] = []
    target: tuple[str, int] | None = None
    last = 0
    for number, line in enumerate(lines, 1):
        if line.startswith("\t") and target:
            last = number
            continue
        if target:
            defs.append(Definition("target", target[0], target[0], target[1], max(target[1], last), target[1]))
            target = None
        var = re.match(r"^([A-Za-z_][\w.-]*)\s*(?:[:+?!]?=)", line)
        rule = re.match(r"^([^\s:#=][^:#=]*?)\s*::?(?!=)", line)
        if var:
            defs.append(Definition("variable", var.group(1), var.group(1), number, number, number))
        elif rule:
            target = (rule.group(1).strip(), number)
            last = number
    if target:
        defs.append(Definition("target", target[0], target[0], target[1], max(target[1], last), target[1]))
    defs.sort(key=lambda d: (d.start, -d.end))
    return Outline(tuple(defs), _comment_runs(lines, ("#",)))
