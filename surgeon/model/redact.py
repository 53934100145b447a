"""Keeping secrets home: find them in text with detect-secrets' detectors, replace them with stable
placeholders (<<SECRET_1>>, <<SECRET_2>> ...) before anything is sent, and map the placeholders in
a model's reply back to the real values. Secret files are never sent at all (never_send).

Detection is detect-secrets' own plugins (AWS, GitHub, Slack, Stripe, OpenAI, JWT, private keys,
passwords in URLs, keywords such as password/secret/token in assignments, high-entropy strings)
with its default false-positive filters, run line by line. Two small additions cover what a
line-by-line scan cannot see: a PEM private-key block spanning lines is replaced whole, and a line
that is nothing but a long high-entropy base64 run (the body of a key cut off from its header) is
replaced too. Public IP addresses, which detect-secrets can also flag, are not secrets here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PLACEHOLDER_RE = re.compile(r"<<SECRET_(\d+)>>")
PLACEHOLDER_PREFIX_RE = re.compile(r"<<\s*SECRET_\d+")

# Some detectors report only part of a token (GitHub's "ghp", a JWT without its signature): a
# value is widened to the right over these characters. A known value is replaced wherever it is
# not inside a longer word, so "KEY=value", "user:value@host" and '"value"' all lose it.
_WIDEN_CHARS = "A-Za-z0-9_+/=.-"
_WORD = "A-Za-z0-9_"

_PEM_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?-----END \1-----", re.S)
_PEM_OPEN = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?:\r?\n|\\n)[ \t]*[A-Za-z0-9+/=:,\- ]*)*")
_BASE64_LINE = re.compile(r"^\s*([A-Za-z0-9+/]{40,}={0,2})\s*$")

SKIPPED_PLUGINS = {"IPPublicDetector"}
# Values a keyword detector can report (`password = "true"`) that are never secrets; replacing
# them everywhere would hide every `true` in the code from the model.
NOT_SECRETS = frozenset({"true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "test"})
CONFIG_FILENAME = "surgeon-redact.yaml"  # makes KeywordDetector read `key: value` and `KEY=value`
_CODE_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+[;,]?$")


@dataclass(frozen=True)
class FoundSecret:
    value: str
    kind: str  # the detector's name for it, e.g. "Secret Keyword", "AWS Access Key", "Private Key"
    line: int  # 1-based line of the text where it starts


_detect_lock = threading.Lock()


@lru_cache(maxsize=1)
def _plugins() -> tuple[Any, ...]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes = get_mapping_from_secret_type_to_class().values()
    return tuple(cls() for cls in sorted(classes, key=lambda c: c.__name__) if cls.__name__ not in SKIPPED_PLUGINS)


def _filtered(value: str, line: str, plugin: Any) -> bool:
    """detect-secrets' default heuristic filters (the ones that apply to a line of text)."""
    from detect_secrets.filters import heuristic

    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_likely_id_string(value, line, plugin)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_indirect_reference(line)
        or heuristic.is_not_alphanumeric_string(value)
        or value.lower() in NOT_SECRETS
        or bool(PLACEHOLDER_RE.search(value))
    )


def _widen(value: str, line: str) -> str:
    start = line.find(value)
    if start < 0:
        return value
    end = start + len(value)
    token = re.compile(f"[{_WIDEN_CHARS}]")
    while end < len(line) and token.match(line[end]) and token.match(line[end - 1]):
        end += 1
    return line[start:end].rstrip(".")


@lru_cache(maxsize=1)
def _base64_entropy() -> Any:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString()


def _entropy_ok(value: str) -> bool:
    detector = _base64_entropy()
    return detector.calculate_shannon_entropy(value) >= detector.entropy_limit


def _scan_line(line: str, filename: str) -> Iterable[tuple[str, str]]:
    for plugin in _plugins():
        name = type(plugin).__name__
        modes = [filename]
        if name == "KeywordDetector" and filename != CONFIG_FILENAME:
            modes.append(CONFIG_FILENAME)
        for mode in modes:
            for found in plugin.analyze_line(filename=mode, line=line, line_number=0):
                value = found.secret_value
                if not value or _filtered(value, line, plugin):
                    continue
                if mode == CONFIG_FILENAME and mode != filename and (
                    " " in value.strip() or _CODE_REFERENCE.match(value) or "(" in value
                ):
                    continue  # `password: str) -> bool` or `secret_key = settings.secret_key`
                yield _widen(value, line), plugin.secret_type


def find_secrets(text: str, path: str | None = None) -> list[FoundSecret]:
    """Every secret value in `text`, in the order they first appear. `path` (when the text is one
    file) lets the keyword detector read the file the way its type is written."""
    found: dict[str, FoundSecret] = {}
    first: dict[str, int] = {}

    def add(value: str, kind: str, offset: int) -> None:
        if value and value not in found:
            found[value] = FoundSecret(value, kind, text.count("\n", 0, offset) + 1)
            first[value] = offset

    masked = text
    for pattern in (_PEM_BLOCK, _PEM_OPEN):  # whole blocks first, then a block cut off before its end
        for match in pattern.finditer(masked):
            value = match.group(0).rstrip()
            add(value, "Private Key", max(0, text.find(value)))
        for value in list(found):
            masked = masked.replace(value, "")
    filename = Path(path).name if path else "adhoc"
    with _detect_lock:  # detect-secrets keeps global settings and caches
        for line in masked.splitlines():
            base64_line = _BASE64_LINE.match(line)
            if base64_line and _entropy_ok(base64_line.group(1)):
                add(base64_line.group(1), "Base64 High Entropy String", text.find(base64_line.group(1)))
            elif line.strip():
                for value, kind in _scan_line(line, filename):
                    add(value, kind, max(0, text.find(value)))
    return sorted(found.values(), key=lambda s: first[s.value])


class Redactor:
    """One per conversation: the same value always gets the same placeholder, and values found
    in one text are hidden in every later text too."""

    def __init__(self) -> None:
        self._placeholder: dict[str, str] = {}  # value -> placeholder
        self._value: dict[str, str] = {}  # placeholder -> value
        self._kind: dict[str, str] = {}  # placeholder -> what it was
        self._next = 1

    @property
    def count(self) -> int:
        return len(self._value)

    @property
    def placeholders(self) -> dict[str, str]:
        """placeholder -> the kind of secret it hides (never the value)."""
        return dict(self._kind)

    def _assign(self, secret: FoundSecret, text: str) -> None:
        if secret.value in self._placeholder:
            return
        while f"<<SECRET_{self._next}>>" in text:  # the text already holds that literal
            self._next += 1
        placeholder = f"<<SECRET_{self._next}>>"
        self._next += 1
        self._placeholder[secret.value] = placeholder
        self._value[placeholder] = secret.value
        self._kind[placeholder] = secret.kind

    def redact(self, text: str, path: str | None = None) -> str:
        for secret in find_secrets(text, path):
            self._assign(secret, text)
        if not self._placeholder:
            return text
        values = sorted(self._placeholder, key=len, reverse=True)
        pattern = re.compile(
            f"(?<![{_WORD}])(?:{'|'.join(re.escape(v) for v in values)})(?![{_WORD}])")

        def swap(match: re.Match[str]) -> str:
            return self._placeholder[match.group(0)]

        return pattern.sub(swap, text)

    def restore(self, text: str) -> str:
        """Put the real values back for the placeholders this redactor made; any other
        <<SECRET_n>> stays as it is (and a diff that writes it is refused)."""
        return PLACEHOLDER_RE.sub(lambda m: self._value.get(m.group(0), m.group(0)), text)


# --- files never sent --------------------------------------------------------------------------

SECRET_FILES = (
    ".env", ".env.*", "!.env.example", "!.env.sample", "!.env.template", "!.env.dist",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk", "*.kdbx",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".ssh/", ".aws/credentials", ".docker/config.json",
    ".netrc", ".pgpass", ".pypirc", ".npmrc", ".htpasswd", ".git-credentials",
)
IGNORE_FILE = ".surgeonignore"


@lru_cache(maxsize=1)
def _builtin_spec() -> Any:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(SECRET_FILES)


@lru_cache(maxsize=64)
def _ignore_spec(ignore_file: str, mtime_ns: int, size: int) -> Any:
    import pathspec

    lines = Path(ignore_file).read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def never_send(path: str, repo_root: Path) -> bool:
    """True for files whose content never leaves the machine: typical secret files (.env and
    .env.*, except .env.example and other templates; *.pem, *.key, *.p12, id_rsa, id_ed25519 ...)
    and whatever .surgeonignore at the repository root matches (gitignore syntax). The built-in
    list cannot be negated from .surgeonignore."""
    relative = Path(path)
    if relative.is_absolute():
        try:
            relative = relative.resolve().relative_to(Path(repo_root).resolve())
        except ValueError:
            return True  # outside the repository: nothing to send
    posix = relative.as_posix()
    if _builtin_spec().match_file(posix):
        return True
    ignore = Path(repo_root) / IGNORE_FILE
    try:
        stat = ignore.stat()
    except OSError:
        return False
    return bool(_ignore_spec(str(ignore), stat.st_mtime_ns, stat.st_size).match_file(posix))
