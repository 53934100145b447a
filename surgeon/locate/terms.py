"""The words of an instruction as search terms: the vocabulary that carries no location (stop
words, identifier parts common in code), developer synonyms, identifier spellings, and the
builder that gives each term a kind, a weight and a group.

Terms that spell the same thing differently (ALLOWED_ORIGINS, allowed-origins, allowedOrigins) are
variants of one term, and the parts of one identifier share a `group` so that ranking counts them
as one idea, not several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TermKind = Literal["identifier", "part", "word", "synonym", "phrase", "path", "url", "domain", "header", "route",
                   "shape", "numbered"]

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


@dataclass(frozen=True)
class Term:
    """One thing to search for. `variants` are lower-case strings, any of which counts as a hit."""

    display: str
    kind: TermKind
    weight: float
    variants: tuple[str, ...]
    group: int = 0  # terms of one idea share a group (an identifier and its parts)
    boundary: bool = False  # short words must start at a word or camelCase boundary


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


def is_code_like(token: str) -> bool:
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


def spellings(name: str) -> tuple[str, ...]:
    parts = split_identifier(name)
    out = {name.lower()}
    if len(parts) > 1:
        out.update({"_".join(parts), "-".join(parts), "".join(parts)})
    return tuple(sorted(out, key=lambda s: (-len(s), s)))


class TermBuilder:
    """Collects weighted terms; a term spelled like one already held keeps the higher weight."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, ...], Term] = {}
        self.groups = 0

    def new_group(self) -> int:
        self.groups += 1
        return self.groups

    def add(self, display: str, kind: TermKind, weight: float, variants: tuple[str, ...], group: int | None = None) -> None:
        variants = tuple(v for v in dict.fromkeys(v.lower() for v in variants) if len(v) >= 2)
        if not variants:
            return
        key = variants
        existing = self.terms.get(key)
        if existing is not None and existing.weight >= weight:
            return
        short = all(len(v) <= 3 for v in variants)
        self.terms[key] = Term(display, kind, weight, variants, group if group is not None else self.new_group(), short)

    def add_word(self, word: str, weight: float = 0.6, group: int | None = None, kind: TermKind = "word") -> None:
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
        self.add(name, "identifier", weight, spellings(name) if len(pieces) == 1 else (name.lower(),), group)
        if len(pieces) > 1:
            for piece in pieces:
                if len(piece) >= 3 and piece.lower() not in CODE_STOP_PARTS:
                    self.add(piece, "identifier", weight * 0.8, spellings(piece), group)
        parts = [] if exact else split_identifier(name)
        if len(parts) > 1:
            for part in parts:
                if len(part) >= 3 and part not in STOP_WORDS and part not in CODE_STOP_PARTS:
                    self.add(part, "part", weight * 0.35, (stem(part),), group)
        elif name.isupper() and name.lower() in SYNONYMS:
            self.add(f"{name} ~ {SYNONYMS[name.lower()][0]}", "synonym", weight * 0.8, SYNONYMS[name.lower()], group)
