"""Instruction -> search terms, without a model.

An instruction is free text: a sentence, an issue, a pasted stack trace. We pull out what can be
searched for in a repository (identifiers, dotted names, paths, quoted strings, URLs and domains,
header names, error messages, stack-trace frames) and give each a weight by how specific it is.
Terms that spell the same thing differently (ALLOWED_ORIGINS, allowed-origins, allowedOrigins) are
variants of one term, and the parts of one identifier share a `group` so that ranking counts them
as one idea, not several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from surgeon.languages import language_for

MAX_PATTERNS = 48

# Words that carry no location information in an instruction.
STOP_WORDS = frozenset(
    """
    a about above after again against all almost also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each either
    else even every few for from further get gets getting got had has have having he her here hers
    him his how however i if in into is it its itself just least less let like ll made make makes
    making many may me might more most much must my myself no nor not now of off often on once only
    or other others otherwise our ours out over own per please rather re really same see seem seems
    shall she should since so some such than that the their theirs them then there these they thing
    things this those though through thus to too toward towards under until up upon us use used uses
    using ve very via want wants was way we well were what whatever when where whether which while who
    whom whose why will with within without would yet you your yours
    add adds added adding update updates updated updating change changes changed changing fix fixes
    fixed fixing remove removes removed removing delete deletes deleted deleting rename renames renamed
    replace replaced replacing modify modified implement implemented create creates created support
    supports supported ensure instead new old current currently also able need needs needed now
    something somewhere anything everything nothing one two three first second last next lot lots bit
    code file files line lines function functions bug issue issues problem problems work works working
    thanks hi hello ok okay sure right wrong good bad better best correct correctly properly proper
    traceback recent call most last set sets setting unset get gets put puts turn turns
    """.split()
)

# Parts of identifiers too common in code to say anything on their own (the whole identifier is
# still searched): NoneType -> not "none", "type"; self.dispatch -> not "self".
CODE_STOP_PARTS = frozenset("""
    self this cls none null nil type types args kwargs kwarg arg object obj base error err value val data get set
    is has to from str int bool dict list new init main test tests def var let const func return result res
    """.split())

# General developer vocabulary: a word or acronym -> other spellings of the same idea.
# Expansions are searched with a lower weight than the word itself.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "csp": ("content-security-policy", "content_security_policy", "contentsecuritypolicy"),
    "hsts": ("strict-transport-security",),
    "cors": ("cors", "access-control-allow", "allow_origins", "allowed_origins", "corsmiddleware"),
    "tls": ("ssl",),
    "ssl": ("tls",),
    # where web frameworks declare routes: Flask/FastAPI decorators, Express, Django, nginx
    "endpoint": ("route", "location", "router", "urlpatterns", "handler", "@app.", "@router.", "app.get(", "app.post("),
    "endpoints": ("route", "location", "router", "urlpatterns", "handler", "@app.", "@router.", "app.get(", "app.post("),
    "route": ("endpoint", "location", "router", "urlpatterns"),
    "routes": ("endpoint", "location", "router", "urlpatterns"),
    "url": ("uri", "href"),
    "auth": ("authentication", "authorization", "login"),
    "db": ("database",),
    "env": ("environ", "environment", "getenv"),
    "timeout": ("timeout", "deadline"),
    "size": ("max_size", "body_size", "_bytes", "length"),
    "limit": ("max_", "limit"),
    "limits": ("max_", "limit"),
    "method": ("methods", "limit_except"),
    "methods": ("method", "limit_except"),
    "header": ("headers", "add_header", "set_header"),
    "headers": ("header", "add_header", "set_header"),
    "origin": ("origins", "allow_origin"),
    "origins": ("origin", "allow_origin"),
    "port": ("listen",),
    "log": ("logger", "logging"),
    "logging": ("logger", "log"),
    "config": ("settings", "configuration"),
    "settings": ("config",),
    "test": ("tests", "spec"),
    "tests": ("test", "spec"),
    "docker": ("dockerfile",),
    "nginx": ("server", "location"),
    "systemd": ("service", "unit"),
    "retry": ("retries", "backoff", "attempts"),
    "cache": ("cached", "caching", "ttl"),
}

URL_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()`]+", re.IGNORECASE)
DOMAIN_RE = re.compile(r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?::\d+)?(?![\w-])", re.IGNORECASE)
QUOTED_RE = re.compile(r"(?<![\w\\])(\"([^\"\n]{2,200})\"|'([^'\n]{2,200})'|`([^`\n]{1,200})`)(?!\w)")
HEADER_RE = re.compile(r"\b((?:[A-Z][a-z0-9]*|[A-Z]{1,4})(?:-(?:[A-Z][a-z0-9]*|[A-Z]{1,4})){1,5})\b")
ERROR_LINE_RE = re.compile(
    r"^\s*(?:[\w.]+\.)?([A-Z]\w*(?:Error|Exception|Warning|Failure|Fault|Exit|Interrupt))\s*:\s*(.+?)\s*$",
    re.MULTILINE,
)
PANIC_RE = re.compile(r"^\s*(?:panic|fatal error|error(?:\[E\d+\])?|thread '.*' panicked at)\s*:?\s*(.+?)\s*$",
                      re.MULTILINE | re.IGNORECASE)
ROUTE_RE = re.compile(r"(?<![\w.~/])(/[A-Za-z0-9_{}:<>.-]+(?:/[A-Za-z0-9_{}:<>.-]*)*)")
PATHLIKE_RE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-][\w.-]*\.[A-Za-z][\w]{0,9})(?![\w/])")
IDENT_RE = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|->|#)[A-Za-z_$][\w$]*)*")

# Stack-trace frames from several runtimes: (regex, path group, line group, function group).
FRAME_PATTERNS: tuple[tuple[re.Pattern[str], int, int, int | None], ...] = (
    # Python:  File "/srv/app/ingest/app.py", line 130, in __call__
    (re.compile(r'File "([^"]+)", line (\d+)(?:, in ([\w<>.]+))?'), 1, 2, 3),
    # JavaScript / Node:  at handler (src/server.js:10:5)   or   at src/server.js:10:5
    (re.compile(r"\bat (?:(?:async )?([\w$.<>\[\] ]+?) \()?(?:file://)?([^\s()]+?\.[A-Za-z]{1,5}):(\d+)(?::\d+)?\)?"), 2, 3, 1),
    # Java / Kotlin:  at com.acme.Foo.bar(Foo.java:42)
    (re.compile(r"\bat ([\w$.]+)\(([\w$]+\.(?:java|kt|scala|groovy)):(\d+)\)"), 2, 3, 1),
    # Go:  /home/me/proj/pkg/server.go:123 +0x1d   (the function is on the line before)
    (re.compile(r"^\s*((?:/|[A-Za-z]:)?[\w./-]+\.go):(\d+)", re.MULTILINE), 1, 2, None),
    # Rust, C, generic compiler output:  src/main.rs:10:5   or   main.c:10: error
    (re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:rs|c|h|cc|cpp|hpp|ts|tsx|py|rb|php|swift)):(\d+)(?::\d+)?"), 1, 2, None),
)
# Frames in installed libraries and runtimes: their function names say little about the repository.
LIBRARY_PATH_RE = re.compile(r"site-packages|dist-packages|node_modules|/usr/lib/|/usr/local/lib/|<frozen|"
                             r"/lib/python\d|internal/|\$GOROOT|/rustc/|/\.cargo/registry/|java\.base/")
GO_FUNC_RE = re.compile(r"^\s*((?:[\w./-]+/)?[\w-]+)\.((?:\(\*?\w+\)\.)?\w+)\(", re.MULTILINE)


@dataclass(frozen=True)
class Term:
    """One thing to search for. `variants` are lower-case strings, any of which counts as a hit."""

    display: str
    kind: str  # identifier | part | word | synonym | phrase | path | url | domain | header | route | shape
    weight: float
    variants: tuple[str, ...]
    group: int = 0  # terms of one idea share a group (an identifier and its parts)
    boundary: bool = False  # short words must start at a word or camelCase boundary


@dataclass(frozen=True)
class Frame:
    """A stack-trace frame. depth 0 is where the error happened."""

    path: str
    line: int
    function: str | None
    depth: int


@dataclass(frozen=True)
class Query:
    instruction: str
    terms: tuple[Term, ...]
    frames: tuple[Frame, ...] = ()
    paths: tuple[str, ...] = field(default=())  # file paths and file names the instruction mentions

    @property
    def patterns(self) -> tuple[str, ...]:
        """Distinct strings to grep for (lower case, fixed strings), the most specific terms first,
        at most MAX_PATTERNS of them (a long issue text must not turn into a slow grep)."""
        seen: dict[str, None] = {}
        for term in sorted(self.terms, key=lambda t: -t.weight):
            for variant in term.variants:
                if variant and variant not in seen and len(seen) < MAX_PATTERNS:
                    seen[variant] = None
        return tuple(seen)

    @property
    def about_tests(self) -> bool:
        """Whether the instruction is about tests (then test files are not weighed down)."""
        return bool(re.search(r"\b(tests?|testing|specs?|pytest|unittest|jest|fixtures?)\b", self.instruction, re.I))


def split_identifier(name: str) -> list[str]:
    """Parts of an identifier: URLValidator -> [url, validator]; max_body_bytes -> [max, body, bytes]."""
    parts: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        parts.extend(re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", chunk))
    return [p.lower() for p in parts if p]


def stem(word: str) -> str:
    """A light English stemmer: enough for substring search to find limit/limits/limited."""
    w = word.lower()
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) + len(keep) >= 4 and not w.endswith("ss"):
            return w[: len(w) - len(suffix)] + keep
    return w


def _is_code_like(token: str) -> bool:
    core = token.strip("$_")
    if any(sep in token for sep in (".", "::", "->", "#")):
        return True
    if "_" in core or "$" in token:
        return True
    if re.search(r"[a-z][A-Z]", token) or re.search(r"[A-Z]{2,}[a-z]", token):
        return True
    if re.search(r"[A-Za-z]\d|\d[A-Za-z]", token):
        return True
    return token.isupper() and len(token) >= 2


def _spellings(name: str) -> tuple[str, ...]:
    parts = split_identifier(name)
    out = {name.lower()}
    if len(parts) > 1:
        out.update({"_".join(parts), "-".join(parts), "".join(parts)})
    return tuple(sorted(out, key=lambda s: (-len(s), s)))


class _Builder:
    def __init__(self) -> None:
        self.terms: dict[tuple[str, ...], Term] = {}
        self.groups = 0

    def new_group(self) -> int:
        self.groups += 1
        return self.groups

    def add(self, display: str, kind: str, weight: float, variants: tuple[str, ...], group: int | None = None) -> None:
        variants = tuple(v for v in dict.fromkeys(v.lower() for v in variants) if len(v) >= 2)
        if not variants:
            return
        key = variants
        existing = self.terms.get(key)
        if existing is not None and existing.weight >= weight:
            return
        short = all(len(v) <= 3 for v in variants)
        self.terms[key] = Term(display, kind, weight, variants, group if group is not None else self.new_group(), short)

    def add_word(self, word: str, weight: float = 0.6, group: int | None = None, kind: str = "word") -> None:
        lower = word.lower()
        if lower in STOP_WORDS or len(lower) < 2 or lower.isdigit():
            return
        if len(lower) == 2 and not word.isupper():
            return
        group = group if group is not None else self.new_group()
        self.add(word, kind, weight, (stem(lower),), group)
        if lower in SYNONYMS:
            self.add(f"{word} ~ {SYNONYMS[lower][0]}", "synonym", weight * 0.5, SYNONYMS[lower], group)

    def add_identifier(self, name: str, weight: float = 1.0, *, exact: bool = False) -> None:
        """An identifier in all its spellings, its dotted pieces and (unless `exact`: copied from
        code, as in a stack trace) the words it is made of."""
        group = self.new_group()
        pieces = [p for p in re.split(r"\.|::|->|#", name) if p]
        self.add(name, "identifier", weight, _spellings(name) if len(pieces) == 1 else (name.lower(),), group)
        if len(pieces) > 1:
            for piece in pieces:
                if len(piece) >= 3 and piece.lower() not in CODE_STOP_PARTS:
                    self.add(piece, "identifier", weight * 0.8, _spellings(piece), group)
        parts = [] if exact else split_identifier(name)
        if len(parts) > 1:
            for part in parts:
                if len(part) >= 3 and part not in STOP_WORDS and part not in CODE_STOP_PARTS:
                    self.add(part, "part", weight * 0.35, (stem(part),), group)
        elif name.isupper() and name.lower() in SYNONYMS:
            self.add(f"{name} ~ {SYNONYMS[name.lower()][0]}", "synonym", weight * 0.8, SYNONYMS[name.lower()], group)


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
    python_style = "Traceback (most recent call last)" in text or text.lstrip().startswith("File ")
    ordered = list(reversed(found)) if python_style else found
    return [Frame(path, line, func, depth) for depth, (_, path, line, func) in enumerate(ordered)]


def parse_instruction(instruction: str) -> Query:
    """Split an instruction into weighted search terms, frames and mentioned paths.

    Each step takes what it recognises out of the text, so that later steps (and the final split
    into identifiers and words) do not see it again.
    """
    text = instruction.replace("\0", " ").strip()  # a NUL cannot be passed to grep
    b = _Builder()
    paths: list[str] = []
    frames = parse_frames(text)
    rest = _take_frames(b, text, frames, paths)
    rest = _take_error_messages(b, rest)
    rest = _take_urls(b, rest)
    rest = _take_quoted(b, rest, paths)
    rest = _take_domains_and_paths(b, rest, paths)
    rest = _take_routes(b, rest, paths)
    rest = _take_headers(b, rest)
    _add_paths(b, paths, {f.path for f in frames})
    _add_identifiers_and_words(b, rest)
    return Query(instruction=text, terms=tuple(b.terms.values()), frames=tuple(frames), paths=tuple(dict.fromkeys(paths)))


def _take_frames(b: _Builder, text: str, frames: list[Frame], paths: list[str]) -> str:
    """Frames give files (unless in an installed library) and function names; the source lines a
    Python traceback quotes give their code-like names."""
    for frame in frames:
        library = LIBRARY_PATH_RE.search(frame.path) is not None
        if not library:
            paths.append(frame.path)
        if frame.function:
            b.add_identifier(frame.function, 0.3 if library else 1.2 if frame.depth == 0 else 0.9, exact=True)
    rest = _take_trace_source_lines(b, text) if frames else text
    for pattern, *_ in FRAME_PATTERNS:
        rest = pattern.sub(" ", rest)
    return rest


def _take_error_messages(b: _Builder, rest: str) -> str:
    for m in ERROR_LINE_RE.finditer(rest):
        b.add_identifier(m.group(1), 0.8, exact=True)
        _add_message(b, m.group(2).strip().rstrip("."))
    for m in PANIC_RE.finditer(rest):
        _add_message(b, m.group(1).strip().rstrip("."))
    return PANIC_RE.sub(" ", ERROR_LINE_RE.sub(" ", rest))


def _take_urls(b: _Builder, rest: str) -> str:
    for m in URL_RE.finditer(rest):
        url = m.group(0).rstrip(".,;:!?")
        host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=re.IGNORECASE).split("/")[0].split(":")[0]
        group = b.new_group()
        b.add(url, "url", 1.4, (url,), group)
        if host:
            b.add(host, "domain", 1.2, (host,), group)
        path_part = url.split(host, 1)[-1] if host else ""
        if len(path_part) > 3:
            b.add(path_part, "route", 1.0, (path_part.split("?")[0],), group)
        _add_url_shape(b)
    return URL_RE.sub(" ", rest)


def _take_quoted(b: _Builder, rest: str, paths: list[str]) -> str:
    """Quoted text: an identifier, a path, a route, or a phrase (an error message) searched as is."""
    for m in QUOTED_RE.finditer(rest):
        inner = next(g for g in m.groups()[1:] if g is not None).strip()
        if not inner:
            continue
        if IDENT_RE.fullmatch(inner) and (_is_code_like(inner) or m.group(0).startswith("`")):
            b.add_identifier(inner, 1.3)
        elif PATHLIKE_RE.fullmatch(inner) and looks_like_path(inner):
            paths.append(inner)
        elif inner.startswith("/") and " " not in inner:
            _add_route(b, inner)
        else:
            _add_message(b, inner)
    # `backticked` text is code: its words stay for the identifier pass.
    return QUOTED_RE.sub(lambda m: " " + m.group(0)[1:-1] + " " if m.group(0).startswith("`") else " ", rest)


def _take_domains_and_paths(b: _Builder, rest: str, paths: list[str]) -> str:
    for m in DOMAIN_RE.finditer(rest):
        if looks_like_domain(m.group(1)):
            b.add(m.group(1), "domain", 1.2, (m.group(1),), b.new_group())
            _add_url_shape(b)
    for m in PATHLIKE_RE.finditer(rest):
        if looks_like_path(m.group(1)):
            paths.append(m.group(1))
    rest = PATHLIKE_RE.sub(lambda m: " " if looks_like_path(m.group(1)) else m.group(0), rest)
    return DOMAIN_RE.sub(lambda m: " " if looks_like_domain(m.group(1)) else m.group(0), rest)


def _take_routes(b: _Builder, rest: str, paths: list[str]) -> str:
    for m in ROUTE_RE.finditer(rest):
        route = m.group(1)
        if len(route) >= 3 and not any(p.endswith(route) for p in paths):
            _add_route(b, route)
    return ROUTE_RE.sub(" ", rest)


def _is_header(name: str) -> bool:
    return "-" in name and not name.replace("-", "").isupper()


def _take_headers(b: _Builder, rest: str) -> str:
    """HTTP header names (Content-Security-Policy, X-Frame-Options) in every spelling."""
    for m in HEADER_RE.finditer(rest):
        header = m.group(1)
        if _is_header(header):
            group = b.new_group()
            b.add(header, "header", 1.5, _spellings(header), group)
            for part in split_identifier(header):
                if len(part) >= 4 and part not in STOP_WORDS:
                    b.add(part, "part", 0.3, (part,), group)
    return HEADER_RE.sub(lambda m: " " if _is_header(m.group(1)) else m.group(0), rest)


def _add_paths(b: _Builder, paths: list[str], from_frames: set[str]) -> None:
    """A mentioned file is searched by its name (and, weakly, by its stem unless a stack frame
    already says exactly which file it is)."""
    for path in dict.fromkeys(paths):
        group = b.new_group()
        name = PurePosixPath(path).name
        b.add(path, "path", 1.0, (name,), group)
        stem_name = PurePosixPath(name).stem
        if path not in from_frames and len(stem_name) >= 3 and stem_name.lower() not in STOP_WORDS:
            b.add(stem_name, "part", 0.3, (stem_name.lower(),), group)


def _add_identifiers_and_words(b: _Builder, rest: str) -> None:
    for m in IDENT_RE.finditer(rest):
        token = m.group(0)
        if _is_code_like(token):
            b.add_identifier(token.strip("."))
        else:
            b.add_word(token)


COMMON_TLDS = frozenset("""
    com org net edu gov mil int io dev app ai co me im us uk de fr eu nl se no fi dk es it pl ch at be cz ru jp
    cn kr in br au ca nz info biz xyz cloud site tech online store blog page example invalid test local localhost
    internal lan home corp
""".split())


def looks_like_domain(text: str) -> bool:
    """www.example.org or s.ado.im, but not self.dispatch or settings.py."""
    labels = text.lower().split(".")
    if len(labels) < 2 or language_for(text) is not None or "_" in text:
        return False
    return labels[-1] in COMMON_TLDS


FILE_SUFFIXES = frozenset("""
    md txt rst adoc html htm css scss less sql xml csv log lock cfg ini conf env j2 jinja tmpl tpl svg mk gradle
    properties plist proto graphql gql tf hcl vue svelte rb php swift kt kts scala cs fs ex exs erl hs ml lua pl r
""".split())


def looks_like_path(text: str) -> bool:
    """deploy/nginx/site.conf, settings.py, README.md; but not navigator.sendBeacon or Store.Put."""
    if language_for(text) is not None:
        return True
    suffix = text.rsplit(".", 1)[-1]
    if suffix.lower() in FILE_SUFFIXES and suffix.islower():
        return True
    return "/" in text and not looks_like_domain(text.split("/", 1)[0]) and "." in text.rsplit("/", 1)[-1]


def _take_trace_source_lines(b: _Builder, text: str) -> str:
    """Source lines a traceback quotes under each frame: keep their code-like names, not their words."""
    kept: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        previous = lines[number - 1] if number else ""
        indent = len(line) - len(line.lstrip())
        if (number and FRAME_PATTERNS[0][0].search(previous) and not FRAME_PATTERNS[0][0].search(line)
                and indent > len(previous) - len(previous.lstrip())):
            for m in IDENT_RE.finditer(line):
                if _is_code_like(m.group(0)):
                    b.add_identifier(m.group(0).strip("."), 0.6, exact=True)
            continue
        kept.append(line)
    return "\n".join(kept)


def _add_url_shape(b: _Builder) -> None:
    """A URL or domain in an instruction is usually an origin or host to allow or call: look
    where other URLs and origin lists are."""
    b.add("any URL", "shape", 0.35, ("https://", "http://"), b.new_group())
    b.add("origin or CORS", "synonym", 0.4, ("origin", "cors", "allowed_host"), b.new_group())


def _add_route(b: _Builder, route: str) -> None:
    """A URL path: search it as written, its words, and where routes are declared."""
    group = b.new_group()
    b.add(route, "route", 1.1, (route.rstrip("/") or route,), group)
    b.add("a route path", "shape", 0.4, ('"/', "'/", "location /", "location = /", "location ~"), b.new_group())
    for segment in re.split(r"[/{}:<>.]+", route):
        if len(segment) >= 3 and segment.lower() not in STOP_WORDS:
            b.add_word(segment, 0.5, group)


def _add_message(b: _Builder, message: str) -> None:
    """An error message or a quoted phrase: searched as written (the longest fixed part), plus its words."""
    message = message.strip()
    if len(message) < 3:
        return
    group = b.new_group()
    # Formatted messages hold values that are not in the source; search the longest literal run.
    pieces = [p.strip() for p in re.split(r"\d+|'[^']*'|\"[^\"]*\"|<[^>]*>|\{[^}]*\}", message)]
    longest = max(pieces, key=len) if pieces else message
    phrase = len(longest) >= 6 and " " in longest.strip()
    if len(longest) >= 6:
        b.add(longest[:120], "phrase", 1.6, (longest[:120],), group)
    for m in IDENT_RE.finditer(message):
        token = m.group(0)
        if _is_code_like(token):
            b.add_identifier(token)
        elif not phrase:
            b.add_word(token, 0.4, group)
