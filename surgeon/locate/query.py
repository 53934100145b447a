"""Instruction -> search terms, without a model.

An instruction is free text: a sentence, an issue, a pasted stack trace. We pull out what can be
searched for in a repository (identifiers, dotted names, paths, quoted strings, URLs and domains,
header names, error messages, stack-trace frames) and give each a weight by how specific it is.
Each step takes what it recognises out of the text; the vocabulary and the term builder are in
terms.py, the stack-trace reader in frames.py.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import PurePosixPath

from surgeon.languages import language_for
from surgeon.locate.frames import FRAME_PATTERNS, LIBRARY_PATH_RE, Frame, parse_frames
from surgeon.locate.terms import STOP_WORDS, Term, TermBuilder, is_code_like, spellings, split_identifier

MAX_PATTERNS = 48
TITLE_WEIGHT = 1.5
TITLE_MIN_BODY_WORDS = 30  # a body this long makes the first line a title

URL_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()`]+", re.IGNORECASE)
DOMAIN_RE = re.compile(r"(?<![\w@/.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?::\d+)?(?![\w-])", re.IGNORECASE)
QUOTED_RE = re.compile(r"(?<![\w\\])(\"([^\"\n]{2,200})\"|'([^'\n]{2,200})'|`([^`\n]{1,200})`)(?!\w)")
HEADER_RE = re.compile(r"\b((?:[A-Z][a-z0-9]*|[A-Z]{1,4})(?:-(?:[A-Z][a-z0-9]*|[A-Z]{1,4})){1,5})\b")
ERROR_LINE_RE = re.compile(
    r"^\s*(?:[\w.]+\.)?([A-Z]\w*(?:Error|Exception|Warning|Failure|Fault|Exit|Interrupt))\s*:\s*(.+?)\s*$",
    re.MULTILINE,
)
# A compiler's or runtime's message line: the colon is required ("Error concat dataset and array"
# is an instruction, not a message).
PANIC_RE = re.compile(r"^\s*(?:(?:panic|fatal error|error(?:\[E\d+\])?)\s*:|thread '.*' panicked at)\s*(.+?)\s*$",
                      re.MULTILINE | re.IGNORECASE)
ROUTE_RE = re.compile(r"(?<![\w.~/])(/[A-Za-z0-9_{}:<>.-]+(?:/[A-Za-z0-9_{}:<>.-]*)*)")
PATHLIKE_RE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-][\w.-]*\.[A-Za-z][\w]{0,9})(?![\w/])")
IDENT_RE = re.compile(r"[A-Za-z_$][\w$]*(?:(?:\.|::|->|#)[A-Za-z_$][\w$]*)*")


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

    def patterns_apart(self, later: Collection[int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """`patterns` in two: those of the terms not in `later` (term indices), and those only
        the terms in `later` spell."""
        first = {v for index, term in enumerate(self.terms) if index not in later for v in term.variants}
        return (tuple(p for p in self.patterns if p in first), tuple(p for p in self.patterns if p not in first))

    @cached_property  # asked for every file ranked: computed once per query
    def path_spellings(self) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """(term index, spellings) of the terms a file's path may hold: words and names, not whole
        paths, URLs or phrases, of three characters or more."""
        return tuple((index, spelled) for index, term in enumerate(self.terms)
                     if term.kind not in ("path", "shape", "url", "phrase") and term.weight >= 0.3
                     and (spelled := tuple(v for v in term.variants if len(v) >= 3)))

    @cached_property  # asked for every test file ranked: computed once per query
    def title(self) -> str | None:
        """The instruction's title when it is issue-shaped (see issue_title), else None."""
        return issue_title(self.instruction)

    @cached_property
    def about_tests(self) -> bool:
        """Whether the instruction is about tests (then test files are not weighed down). An issue
        reports what the code does: its title is about the tests only when it asks for work on them
        ("add a test for", "flaky test"); "wrong path to test file when ... in fixture" tells what
        the reporter ran, and the fix is in the code. Its body (test output, "tested on 1.8") never counts."""
        if self.title is not None:
            return ISSUE_ABOUT_TESTS_RE.search(self.title) is not None
        return ABOUT_TESTS_RE.search(self.instruction) is not None


def parse_instruction(instruction: str) -> Query:
    """Split an instruction into weighted search terms, frames and mentioned paths.

    Each step takes what it recognises out of the text, so that later steps (and the final split
    into identifiers and words) do not see it again.
    """
    text = instruction.replace("\0", " ").strip()  # a NUL cannot be passed to grep
    b = TermBuilder()
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
    terms = _with_title_weight(_numbered_runs(tuple(b.terms.values())), text)
    return Query(instruction=text, terms=terms, frames=tuple(frames), paths=tuple(dict.fromkeys(paths)))


NUMBERED_RE = re.compile(r"([A-Za-z_]+?)_?(\d+)")
NUMBERED_RUN = 3  # this many names that differ only in a trailing number are a run
NUMBERED_WEIGHT = 0.3


def _numbered_runs(terms: tuple[Term, ...]) -> tuple[Term, ...]:
    """Names that differ only in a trailing number (x0, x1 … x19 in pasted output; int8, int16,
    int32) are one idea, not one per name: a run shares one group and weighs as a part, so it
    takes neither the grep patterns nor the ranking from the instruction's other words."""
    runs: dict[str, list[int]] = {}
    for index, term in enumerate(terms):
        m = NUMBERED_RE.fullmatch(term.display)
        if m and term.kind == "identifier":
            runs.setdefault(m.group(1).lower(), []).append(index)
    out = list(terms)
    for members in runs.values():
        if len(members) >= NUMBERED_RUN:
            group = terms[members[0]].group
            for index in members:
                out[index] = replace(terms[index], kind="numbered", group=group,
                                     weight=min(terms[index].weight, NUMBERED_WEIGHT))
    return tuple(out)


ABOUT_TESTS_RE = re.compile(r"\b(tests?|testing|specs?|pytest|unittest|jest|fixtures?)\b", re.I)
# Work asked of the tests themselves, in an issue's title.
ISSUE_ABOUT_TESTS_RE = re.compile(
    r"\b(add|adds|adding|write|writing|missing|more|new|fix|fixes|improve|update|skip|remove)\s+(\w+\s+){0,2}?"
    r"(unit\s+)?(tests?|test\s+cases?|specs?)\b"
    r"|\b(tests?|specs?)\s+(fail|fails|failing|failed|break|breaks|broken|are\s+\w+|is\s+\w+|coverage)\b"
    r"|\b(flaky|failing|broken)\s+(unit\s+)?(tests?|specs?)\b|\btest\s+(suite|coverage)\b", re.I)


def issue_title(text: str) -> str | None:
    """The title of an issue-shaped text (a first line of at most 200 characters, then a body of
    TITLE_MIN_BODY_WORDS words or more), else None."""
    title, _, body = text.partition("\n")
    if len(body.split()) < TITLE_MIN_BODY_WORDS or len(title) > 200:
        return None
    return title


def _with_title_weight(terms: tuple[Term, ...], text: str) -> tuple[Term, ...]:
    """In an issue (a title line, then a long body of steps, logs and listings) the title says what
    is wrong: its terms weigh TITLE_WEIGHT times more than the body's."""
    title = issue_title(text)
    if title is None:
        return terms
    low = title.lower()
    return tuple(replace(t, weight=t.weight * TITLE_WEIGHT) if any(v in low for v in t.variants) else t for t in terms)


def _take_frames(b: TermBuilder, text: str, frames: list[Frame], paths: list[str]) -> str:
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


def _take_error_messages(b: TermBuilder, rest: str) -> str:
    for m in ERROR_LINE_RE.finditer(rest):
        b.add_identifier(m.group(1), 0.8, exact=True)
        _add_message(b, m.group(2).strip().rstrip("."))
    for m in PANIC_RE.finditer(rest):
        _add_message(b, m.group(1).strip().rstrip("."))
    return PANIC_RE.sub(" ", ERROR_LINE_RE.sub(" ", rest))


def _take_urls(b: TermBuilder, rest: str) -> str:
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


def _take_quoted(b: TermBuilder, rest: str, paths: list[str]) -> str:
    """Quoted text: an identifier, a path, a route, or a phrase (an error message) searched as is."""
    for m in QUOTED_RE.finditer(rest):
        inner = next(g for g in m.groups()[1:] if g is not None).strip()
        if not inner:
            continue
        if IDENT_RE.fullmatch(inner) and (is_code_like(inner) or m.group(0).startswith("`")):
            b.add_identifier(inner, 1.3)
        elif PATHLIKE_RE.fullmatch(inner) and looks_like_path(inner):
            paths.append(inner)
        elif inner.startswith("/") and " " not in inner:
            _add_route(b, inner)
        else:
            _add_message(b, inner)
    # `backticked` text is code: its words stay for the identifier pass.
    return QUOTED_RE.sub(lambda m: " " + m.group(0)[1:-1] + " " if m.group(0).startswith("`") else " ", rest)


def _take_domains_and_paths(b: TermBuilder, rest: str, paths: list[str]) -> str:
    for m in DOMAIN_RE.finditer(rest):
        if looks_like_domain(m.group(1)):
            b.add(m.group(1), "domain", 1.2, (m.group(1),), b.new_group())
            _add_url_shape(b)
    for m in PATHLIKE_RE.finditer(rest):
        if looks_like_path(m.group(1)):
            paths.append(m.group(1))
    rest = PATHLIKE_RE.sub(lambda m: " " if looks_like_path(m.group(1)) else m.group(0), rest)
    return DOMAIN_RE.sub(lambda m: " " if looks_like_domain(m.group(1)) else m.group(0), rest)


def _take_routes(b: TermBuilder, rest: str, paths: list[str]) -> str:
    for m in ROUTE_RE.finditer(rest):
        route = m.group(1)
        if len(route) >= 3 and not any(p.endswith(route) for p in paths):
            _add_route(b, route)
    return ROUTE_RE.sub(" ", rest)


def _is_header(name: str) -> bool:
    return "-" in name and not name.replace("-", "").isupper()


def _take_headers(b: TermBuilder, rest: str) -> str:
    """HTTP header names (Content-Security-Policy, X-Frame-Options) in every spelling."""
    for m in HEADER_RE.finditer(rest):
        header = m.group(1)
        if _is_header(header):
            group = b.new_group()
            b.add(header, "header", 1.5, spellings(header), group)
            for part in split_identifier(header):
                if len(part) >= 4 and part not in STOP_WORDS:
                    b.add(part, "part", 0.3, (part,), group)
    return HEADER_RE.sub(lambda m: " " if _is_header(m.group(1)) else m.group(0), rest)


def _add_paths(b: TermBuilder, paths: list[str], from_frames: set[str]) -> None:
    """A mentioned file is searched by its name (and, weakly, by its stem unless a stack frame
    already says exactly which file it is)."""
    for path in dict.fromkeys(paths):
        group = b.new_group()
        name = PurePosixPath(path).name
        b.add(path, "path", 1.0, (name,), group)
        stem_name = PurePosixPath(name).stem
        if path not in from_frames and len(stem_name) >= 3 and stem_name.lower() not in STOP_WORDS:
            b.add(stem_name, "part", 0.3, (stem_name.lower(),), group)


# A name written as a call, `Derivative(A, x)`, is code wherever the text uses it (the title's
# "Wrong Derivative kind"), though spelled like a word; "file(s)" is prose.
CALLED_RE = re.compile(r"\b([A-Za-z_]\w*)\((?!e?s\))")


def _add_identifiers_and_words(b: TermBuilder, rest: str) -> None:
    called = {m.group(1) for m in CALLED_RE.finditer(rest)}
    for m in IDENT_RE.finditer(rest):
        token = m.group(0)
        if is_code_like(token) or (token in called and token.lower() not in STOP_WORDS):
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


def _take_trace_source_lines(b: TermBuilder, text: str) -> str:
    """Source lines a traceback quotes under each frame: keep their code-like names, not their words."""
    kept: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        previous = lines[number - 1] if number else ""
        indent = len(line) - len(line.lstrip())
        if (number and FRAME_PATTERNS[0][0].search(previous) and not FRAME_PATTERNS[0][0].search(line)
                and indent > len(previous) - len(previous.lstrip())):
            for m in IDENT_RE.finditer(line):
                if is_code_like(m.group(0)):
                    b.add_identifier(m.group(0).strip("."), 0.6, exact=True)
            continue
        kept.append(line)
    return "\n".join(kept)


def _add_url_shape(b: TermBuilder) -> None:
    """A URL or domain in an instruction is usually an origin or host to allow or call: look
    where other URLs and origin lists are."""
    b.add("any URL", "shape", 0.35, ("https://", "http://"), b.new_group())
    b.add("origin or CORS", "synonym", 0.4, ("origin", "cors", "allowed_host"), b.new_group())


def _add_route(b: TermBuilder, route: str) -> None:
    """A URL path: search it as written, its words, and where routes are declared."""
    group = b.new_group()
    b.add(route, "route", 1.1, (route.rstrip("/") or route,), group)
    b.add("a route path", "shape", 0.4, ('"/', "'/", "location /", "location = /", "location ~"), b.new_group())
    for segment in re.split(r"[/{}:<>.]+", route):
        if len(segment) >= 3 and segment.lower() not in STOP_WORDS:
            b.add_word(segment, 0.5, group)


def _add_message(b: TermBuilder, message: str) -> None:
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
        if is_code_like(token):
            b.add_identifier(token)
        else:
            # the phrase may be reworded in the source: its words still count, a little
            b.add_word(token, 0.25 if phrase else 0.4, group)
