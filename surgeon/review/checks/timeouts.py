"""Oversized or missing timeouts: nginx `*_timeout` directives, systemd `Timeout*Sec=`, and HTTP
clients (requests, httpx, aiohttp, urllib in Python; fetch and axios in JavaScript; net/http in Go)
called without a timeout or with one above `review.max_timeout_seconds`."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import lru_cache

from surgeon.review.checks import nginx
from surgeon.review.findings import Finding, TextEdit, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

RULES: dict[str, str] = {
    "timeout.nginx": "nginx timeout above the configured maximum",
    "timeout.systemd": "systemd timeout disabled or above the configured maximum",
    "timeout.http-missing": "HTTP client call that can wait forever",
    "timeout.http-large": "HTTP client timeout above the configured maximum",
}

# nginx *_timeout directives that are not about waiting on a peer.
_NGINX_NOT_IO = frozenset({"ssl_session_timeout", "proxy_cache_lock_timeout", "fastcgi_cache_lock_timeout",
                           "uwsgi_cache_lock_timeout", "scgi_cache_lock_timeout"})


def _fmt(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _limit(settings: ReviewSettings) -> str:
    return f"{settings.max_timeout_seconds:g} s (review.max_timeout_seconds)"


# --- nginx -----------------------------------------------------------------------------------------------

def _nginx(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    findings = []
    for directive in nginx.walk(nginx.parse(file.lines)):
        if not directive.name.endswith("_timeout") or directive.name in _NGINX_NOT_IO or not directive.args:
            continue
        if not file.judges(directive.line):
            continue
        value = nginx.seconds(directive.args[0])
        if value is None or value <= settings.max_timeout_seconds:
            continue
        line = file.line(directive.line)
        edits: tuple[TextEdit, ...] = ()
        start = line.find(directive.args[0], line.find(directive.name) + len(directive.name))
        if start >= 0:
            proposed = f"{min(60.0, settings.max_timeout_seconds):g}s"
            edits = (TextEdit.replace_on_line(directive.line, start, start + len(directive.args[0]), proposed),)
        findings.append(Finding(
            file.path, directive.line, "timeout.nginx", "medium",
            f"{directive.name} {directive.args[0]} holds a connection for {_fmt(value)}; keep it at or under "
            f"{_limit(settings)}",
            fingerprint=fingerprint("timeout.nginx", file.path, line), edits=edits))
    return findings


# --- systemd ---------------------------------------------------------------------------------------------

_SYSTEMD_TIMEOUT = re.compile(r"^\s*((?:Timeout\w*Sec|JobTimeoutSec|JobRunningTimeoutSec))\s*=\s*(\S.*?)\s*$")
_SYSTEMD_UNITS = {"us": 1e-6, "usec": 1e-6, "ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "second": 1,
                  "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600,
                  "hour": 3600, "hours": 3600, "d": 86400, "day": 86400, "days": 86400, "w": 604800,
                  "week": 604800, "weeks": 604800}


def systemd_seconds(value: str) -> float | None:
    """systemd time span ("90", "5min 20s", "1h"); inf for "infinity" and "0" (both disable it)."""
    value = value.strip()
    if value in ("infinity", "0"):
        return float("inf")
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value)
    if not parts or re.sub(r"\s+", "", value) != "".join(n + u for n, u in parts):
        return None
    total = 0.0
    for number, unit in parts:
        if unit and unit not in _SYSTEMD_UNITS:
            return None
        total += float(number) * _SYSTEMD_UNITS.get(unit or "s", 1)
    return total


def _systemd(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    findings = []
    for number, line in file.judged_lines():
        match = _SYSTEMD_TIMEOUT.match(file.lexed.code_line(number))
        if not match:
            continue
        value = systemd_seconds(match.group(2))
        if value is None or value <= settings.max_timeout_seconds:
            continue
        proposed = f"{min(90.0, settings.max_timeout_seconds):g}s"  # 90 s is systemd's own default
        edits = (TextEdit.replace_on_line(number, match.start(2), match.end(2), proposed),)
        what = "disables the timeout" if value == float("inf") else f"waits {_fmt(value)}"
        findings.append(Finding(
            file.path, number, "timeout.systemd", "medium",
            f"{match.group(1)}={match.group(2)} {what}: a hung start or stop then blocks forever; keep it at or "
            f"under {_limit(settings)}",
            fingerprint=fingerprint("timeout.systemd", file.path, line), edits=edits))
    return findings


# --- Python ----------------------------------------------------------------------------------------------

_REQUESTS_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_HTTPX_CALLS = frozenset(_REQUESTS_VERBS | {"stream", "Client", "AsyncClient"})
_AIOHTTP_DEFAULT_TOTAL = 300.0  # aiohttp's DEFAULT_TIMEOUT when a session is made without one


@lru_cache(maxsize=32)
def python_tree(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it imports ("rq" -> "requests", "get" -> "requests.get")."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.AST, aliases: dict[str, str]) -> str | None:
    dotted = _dotted(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    if head in aliases:
        return aliases[head] + ("." + rest if rest else "")
    return dotted


def _sessions(tree: ast.Module, aliases: dict[str, str]) -> set[str]:
    """Names (or self.attr) bound to a requests.Session()."""
    bound: set[str] = set()

    def is_session(value: ast.AST | None) -> bool:
        return isinstance(value, ast.Call) and _qualified(value.func, aliases) in (
            "requests.Session", "requests.session", "requests.sessions.Session")

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and is_session(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound.update(name for target in targets if (name := _dotted(target)))
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if is_session(item.context_expr) and item.optional_vars is not None:
                    if name := _dotted(item.optional_vars):
                        bound.add(name)
    return bound


def _number(node: ast.AST) -> float | None:
    """The value of a numeric literal expression (60, 2.5, 60 * 10, (3, 30) -> 30); None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Tuple) and node.elts:
        values = [_number(element) for element in node.elts]
        return None if None in values else max(values)  # type: ignore[type-var]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Add):
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            return left * right if isinstance(node.op, ast.Mult) else left + right
    return None


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _insert_keyword(call: ast.Call, text: str) -> tuple[TextEdit, ...]:
    """Add `text` (e.g. "timeout=10") as the call's last argument."""
    arguments: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    if not arguments:
        if call.end_lineno is None or call.end_col_offset is None:
            return ()
        return (TextEdit.insert(call.end_lineno, call.end_col_offset - 1, text),)
    last = max(arguments, key=lambda node: (node.end_lineno or 0, node.end_col_offset or 0))
    if last.end_lineno is None or last.end_col_offset is None:
        return ()
    return (TextEdit.insert(last.end_lineno, last.end_col_offset, ", " + text),)


def _replace_node(node: ast.expr, text: str) -> tuple[TextEdit, ...]:
    if node.end_lineno is None or node.end_col_offset is None or node.lineno != node.end_lineno:
        return ()
    return (TextEdit.replace_on_line(node.lineno, node.col_offset, node.end_col_offset, text),)


def _python(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    tree = python_tree(file.text)
    if tree is None:
        return []
    aliases = _aliases(tree)
    sessions = _sessions(tree, aliases)
    limit = settings.max_timeout_seconds
    fix_value = f"{settings.fix_timeout_seconds:g}"
    findings: list[Finding] = []

    def report(node: ast.expr, rule: str, message: str, edits: tuple[TextEdit, ...] = ()) -> None:
        if file.judges(node.lineno):
            findings.append(Finding(file.path, node.lineno, rule, "medium", message,
                                    fingerprint=fingerprint(rule, file.path, file.line(node.lineno)), edits=edits))

    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = _qualified(call.func, aliases)
        dotted = _dotted(call.func)
        if name is None:
            continue
        if any(keyword.arg is None for keyword in call.keywords):
            continue  # **kwargs may carry the timeout
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        module, _, verb = name.rpartition(".")
        is_requests = (module in ("requests", "requests.api") and verb in _REQUESTS_VERBS) or (
            dotted is not None and dotted.rpartition(".")[0] in sessions and verb in _REQUESTS_VERBS)
        label = f"{dotted or name}()"
        if is_requests or name in ("urllib.request.urlopen",):
            timeout = keywords.get("timeout")
            if timeout is None and name == "urllib.request.urlopen" and len(call.args) >= 3:
                timeout = call.args[2]
            if timeout is None:
                report(call, "timeout.http-missing",
                       f"{label} has no timeout, so a slow server can hang this code forever: pass timeout=",
                       _insert_keyword(call, f"timeout={fix_value}"))
            elif _is_none(timeout):
                report(call, "timeout.http-missing", f"{label} passes timeout=None, which waits forever",
                       _replace_node(timeout, fix_value))
            elif (value := _number(timeout)) is not None and value > limit:
                report(timeout, "timeout.http-large",
                       f"{label} waits up to {_fmt(value)}; keep it at or under {_limit(settings)}",
                       _replace_node(timeout, f"{limit:g}") if isinstance(timeout, ast.Constant) else ())
        elif module == "httpx" and verb in _HTTPX_CALLS:
            timeout = keywords.get("timeout")  # httpx defaults to 5 s, so only explicit values matter
            if timeout is not None and _is_none(timeout):
                report(call, "timeout.http-missing", f"{label} passes timeout=None, which waits forever",
                       _replace_node(timeout, fix_value))
            elif timeout is not None and (value := _number(timeout)) is not None and value > limit:
                report(timeout, "timeout.http-large",
                       f"{label} waits up to {_fmt(value)}; keep it at or under {_limit(settings)}",
                       _replace_node(timeout, f"{limit:g}") if isinstance(timeout, ast.Constant) else ())
        elif name == "httpx.Timeout":
            values = [*call.args, *keywords.values()]
            if values and all(_is_none(value) for value in values):
                report(call, "timeout.http-missing", "httpx.Timeout(None) disables every timeout")
            elif any((v := _number(value)) is not None and v > limit for value in values):
                report(call, "timeout.http-large", f"httpx.Timeout(...) allows more than {_limit(settings)}")
        elif name in ("aiohttp.ClientSession", "aiohttp.request"):
            if "timeout" not in keywords and _AIOHTTP_DEFAULT_TOTAL > limit:
                edits: tuple[TextEdit, ...] = ()
                if dotted and dotted.split(".")[0] != "ClientSession" and "." in dotted:
                    module_name = dotted.rsplit(".", 1)[0]
                    edits = _insert_keyword(call, f"timeout={module_name}.ClientTimeout(total={fix_value})")
                report(call, "timeout.http-missing",
                       f"{label} without timeout= waits up to aiohttp's default {_fmt(_AIOHTTP_DEFAULT_TOTAL)}; "
                       "pass timeout=aiohttp.ClientTimeout(total=...)", edits)
        elif name == "aiohttp.ClientTimeout":
            values = [*call.args, *keywords.values()]
            total = keywords.get("total", call.args[0] if call.args else None)
            if total is None or _is_none(total):
                if all(_is_none(value) for value in values):
                    report(call, "timeout.http-missing", "aiohttp.ClientTimeout() without a total never times out")
            elif (value := _number(total)) is not None and value > limit:
                report(total, "timeout.http-large",
                       f"aiohttp.ClientTimeout(total={value:g}) waits up to {_fmt(value)}; keep it at or under "
                       f"{_limit(settings)}")
    return findings


# --- JavaScript / TypeScript -----------------------------------------------------------------------------

_FETCH = re.compile(r"(?<![\w$.])(?:(?:window|globalThis|self)\.)?fetch\s*\(")
_ABORT_TIMEOUT = re.compile(r"AbortSignal\.timeout\(\s*(\d[\d_]*)\s*\)")
_AXIOS_CREATE = re.compile(r"\baxios\.create\s*\(")
_JS_TIMEOUT_PROP = re.compile(r"\btimeout\s*:\s*(\d[\d_]*)")
_AXIOS_DEFAULT = re.compile(r"\baxios\.defaults\.timeout\s*=\s*(\d[\d_]*)")


def _call_span(code: str, open_paren: int) -> int | None:
    """Index of the parenthesis closing the one at `open_paren` in `code`, skipping string literals."""
    depth = 0
    i = open_paren
    while i < len(code):
        char = code[i]
        if char in "\"'`":
            end = i + 1
            while end < len(code) and code[end] != char:
                end += 2 if code[end] == "\\" else 1
            i = end + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _javascript(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    code = "\n".join(file.lexed.code)
    starts = [0]
    for line in file.lexed.code:
        starts.append(starts[-1] + len(line) + 1)

    def position(offset: int) -> tuple[int, int]:
        import bisect

        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index]

    limit_ms = settings.max_timeout_seconds * 1000
    fix_ms = f"{settings.fix_timeout_seconds * 1000:g}"
    findings: list[Finding] = []

    def report(number: int, rule: str, message: str, edits: tuple[TextEdit, ...] = ()) -> None:
        if file.judges(number):
            findings.append(Finding(file.path, number, rule, "medium", message,
                                    fingerprint=fingerprint(rule, file.path, file.line(number)), edits=edits))

    for match in _FETCH.finditer(code):
        open_paren = match.end() - 1
        close = _call_span(code, open_paren)
        if close is None:
            continue
        arguments = code[open_paren + 1:close]
        if re.search(r"\bsignal\b", arguments) or "..." in arguments:
            continue
        after = code[close + 1:close + 40].lstrip()
        before = code[max(0, match.start() - 12):match.start()]
        if after.startswith(("{", ":")) or re.search(r"(function|async|def)\s*$", before):
            continue  # a definition named fetch, not a call
        number, _ = position(match.start())
        report(number, "timeout.http-missing",
               "fetch() without a signal waits as long as the browser or runtime lets it: pass "
               f"signal: AbortSignal.timeout({fix_ms})", _fetch_edit(code, open_paren, close, position, fix_ms))
    for match in _ABORT_TIMEOUT.finditer(code):
        value = float(match.group(1).replace("_", ""))
        if value > limit_ms:
            number, col = position(match.start(1))
            report(number, "timeout.http-large",
                   f"AbortSignal.timeout({match.group(1)}) waits {_fmt(value / 1000)}; keep it at or under "
                   f"{_limit(settings)}",
                   (TextEdit.replace_on_line(number, col, col + len(match.group(1)), f"{limit_ms:g}"),))
    for match in _AXIOS_CREATE.finditer(code):
        close = _call_span(code, match.end() - 1)
        if close is not None and "timeout" not in code[match.end():close] and "..." not in code[match.end():close]:
            report(position(match.start())[0], "timeout.http-missing",
                   "axios.create() without timeout: axios waits forever by default; set timeout (milliseconds)")
    for pattern in (_JS_TIMEOUT_PROP, _AXIOS_DEFAULT):
        for match in pattern.finditer(code):
            line_text = file.lexed.code_line(position(match.start())[0])
            if pattern is _JS_TIMEOUT_PROP and not re.search(r"axios|fetch|request|http|client|got\b", line_text
                                                             + code[max(0, match.start() - 300):match.start()],
                                                             re.IGNORECASE):
                continue
            value = float(match.group(1).replace("_", ""))
            number, col = position(match.start(1))
            if value == 0:
                report(number, "timeout.http-missing", "timeout: 0 means no timeout at all for this HTTP client")
            elif value > limit_ms:
                report(number, "timeout.http-large",
                       f"timeout {match.group(1)} ms waits {_fmt(value / 1000)}; keep it at or under {_limit(settings)}",
                       (TextEdit.replace_on_line(number, col, col + len(match.group(1)), f"{limit_ms:g}"),))
    return findings


def _fetch_edit(code: str, open_paren: int, close: int, position: Callable[[int], tuple[int, int]],
                fix_ms: str) -> tuple[TextEdit, ...]:
    """Add `signal: AbortSignal.timeout(N)` to a fetch call: into its options object literal when it has
    one, or as a new second argument when it has only a URL."""
    arguments = code[open_paren + 1:close]
    signal = f"signal: AbortSignal.timeout({fix_ms})"
    brace = _top_level_char(arguments, "{")
    if brace is None:
        if _top_level_char(arguments, ",") is not None:
            return ()  # options passed as a variable: not mechanical
        end_line, end_col = position(close)
        return (TextEdit.insert(end_line, end_col, f", {{ {signal} }}"),)
    brace_offset = open_paren + 1 + brace
    brace_close = _call_span(code, brace_offset)
    if brace_close is None:
        return ()
    body = code[brace_offset + 1:brace_close]
    open_line, open_col = position(brace_offset)
    if "\n" not in body:
        stripped = body.rstrip()
        if not stripped.strip():
            return (TextEdit.replace_on_line(open_line, open_col, open_col + 2 + len(body), f"{{ {signal} }}"),)
        insert_at = brace_offset + 1 + len(stripped)
        line, col = position(insert_at)
        separator = " " if stripped.endswith(",") else ", "
        return (TextEdit.insert(line, col, f"{separator}{signal}" + ("," if stripped.endswith(",") else "")),)
    # Multi-line object: a new property line after the opening brace, indented like the next property.
    lines = code.split("\n")
    following = lines[open_line] if open_line < len(lines) else ""
    indent = following[: len(following) - len(following.lstrip())]
    return (TextEdit.insert(open_line + 1, 0, f"{indent}{signal},\n"),)


def _top_level_char(text: str, wanted: str) -> int | None:
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in "\"'`":
            end = i + 1
            while end < len(text) and text[end] != char:
                end += 2 if text[end] == "\\" else 1
            i = end + 1
            continue
        if char == wanted and depth == 0:
            return i
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        i += 1
    return None


# --- Go --------------------------------------------------------------------------------------------------

_GO_DEFAULT_CLIENT = re.compile(r"\bhttp\.(Get|Post|Head|PostForm)\s*\(")
_GO_CLIENT = re.compile(r"(?<![*\w.])http\.Client\s*\{")  # a composite literal, not `*http.Client {`


def _go(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    findings = []
    code = "\n".join(file.lexed.code)
    for match in _GO_DEFAULT_CLIENT.finditer(code):
        number = code.count("\n", 0, match.start()) + 1
        if file.judges(number):
            findings.append(Finding(
                file.path, number, "timeout.http-missing", "medium",
                f"http.{match.group(1)} uses http.DefaultClient, which has no timeout: use an http.Client with "
                "Timeout set", fingerprint=fingerprint("timeout.http-missing", file.path, file.line(number))))
    for match in _GO_CLIENT.finditer(code):
        close = _call_span(code, match.end() - 1)
        if close is None or "Timeout" in code[match.end():close]:
            continue
        number = code.count("\n", 0, match.start()) + 1
        if file.judges(number):
            findings.append(Finding(
                file.path, number, "timeout.http-missing", "medium",
                "http.Client without Timeout waits forever on a slow server: set Timeout",
                fingerprint=fingerprint("timeout.http-missing", file.path, file.line(number))))
    return findings


def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    language = file.language
    if file.is_test or file.is_doc or file.is_lock:
        return []
    if language == "nginx":
        return _nginx(file, settings)
    if language == "systemd":
        return _systemd(file, settings)
    if language == "python":
        return _python(file, settings)
    if language in ("javascript", "typescript", "tsx"):
        return _javascript(file, settings)
    if language == "go":
        return _go(file, settings)
    return []
