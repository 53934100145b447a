"""Keeping secrets home: find them in text with detect-secrets' detectors, replace them with stable
placeholders (<<SECRET_1>>, <<SECRET_2>> ...) before anything is sent, and map the placeholders in
a model's reply back to the real values. Secret files are never sent at all (never_send).

Detection is detect-secrets' own plugins (AWS, GitHub, Slack, Stripe, OpenAI, JWT, private keys,
passwords in URLs, keywords such as password/secret/token in assignments, high-entropy strings)
with its default false-positive filters, run line by line. Two small additions cover what a
line-by-line scan cannot see: a PEM private-key block spanning lines is replaced whole, and a line
that is nothing but a long high-entropy base64 run (the body of a key cut off from its header) is
replaced too. Public IP addresses, which detect-secrets can also flag, are not secrets here.
The detectors live in surgeon/secrets.py (its REDACTION configuration); this module replaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from surgeon.secrets import PLACEHOLDER_PREFIX_RE, PLACEHOLDER_RE, FoundSecret, find_secrets

# What finds the secrets of several texts (each with its path, or None) at once: find_secrets on each,
# here or in the process that prepared an edit (surgeon/edit/helper.py), where the detectors are loaded.
Finder = Callable[[Sequence[tuple[str, "str | None"]]], list[list[FoundSecret]]]


def find_each(items: Sequence[tuple[str, str | None]]) -> list[list[FoundSecret]]:
    return [find_secrets(text, path) for text, path in items]

__all__ = ["PLACEHOLDER_PREFIX_RE", "PLACEHOLDER_RE", "FoundSecret", "Redactor", "find_secrets", "never_send"]

# A known value is replaced wherever it is not inside a longer word, so "KEY=value",
# "user:value@host" and '"value"' all lose it.
_WORD = "A-Za-z0-9_"
# A short value that is also a plain word (SECRET_KEY = "config" in a test fixture) is left where
# the text uses the word as a name: an attribute (app.config), a path (src/config.py, config/),
# a call (config(...)). Replacing those hides nothing and breaks every path and name the model sees.
_WORDLIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,15}")
_NAME_USE_BEFORE = r"(?<!\.)"
_NAME_USE_AFTER = rf"(?!\.[{_WORD}]|/|\()"


class Redactor:
    """One per conversation: the same value always gets the same placeholder, and values found
    in one text are hidden in every later text too."""

    def __init__(self, finder: Finder = find_each) -> None:
        self._placeholder: dict[str, str] = {}  # value -> placeholder
        self._value: dict[str, str] = {}  # placeholder -> value
        self._kind: dict[str, str] = {}  # placeholder -> what it was
        self._literals: set[str] = set()  # <<SECRET_n>> written as such in a text it has looked at
        self._next = 1
        self.finder = finder

    def __getstate__(self) -> dict[str, Any]:  # what it has seen travels; how it finds stays where it was made
        return {key: value for key, value in self.__dict__.items() if key != "finder"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.finder = find_each

    @property
    def count(self) -> int:
        return len(self._value)

    @property
    def placeholders(self) -> dict[str, str]:
        """placeholder -> the kind of secret it hides (never the value)."""
        return dict(self._kind)

    def _assign(self, secret: FoundSecret, text: str, wanted: str | None = None) -> None:
        if secret.value in self._placeholder:
            return
        placeholder = wanted if wanted and self._free(wanted, text) else self._next_free(text)
        self._placeholder[secret.value] = placeholder
        self._value[placeholder] = secret.value
        self._kind[placeholder] = secret.kind

    def _free(self, placeholder: str, text: str) -> bool:
        """Not in use, and not written as such in `text` or any text looked at before."""
        return placeholder not in self._value and placeholder not in self._literals and placeholder not in text

    def _next_free(self, text: str) -> str:
        while not self._free(placeholder := f"<<SECRET_{self._next}>>", text):
            self._next += 1
        self._next += 1
        return placeholder

    def _look(self, texts: Sequence[str], path: str | None) -> list[tuple[str, list[FoundSecret]]]:
        distinct = list(dict.fromkeys(texts))  # an output's keys repeat in every object: each is looked at once
        for text in distinct:
            self._literals.update(match.group(0) for match in PLACEHOLDER_RE.finditer(text))
        return list(zip(distinct, self.finder([(text, path) for text in distinct]), strict=True))

    def include(self, other: Redactor) -> None:
        """Hide every value `other` hides too, under its placeholder where that is free here: it has
        seen texts this one has not (an edit's context and instruction), where a value was found that
        alone does not look like one."""
        self._literals |= other._literals
        for placeholder, value in other._value.items():
            self._assign(FoundSecret(value, other._kind[placeholder], 0), "", placeholder)

    def learn(self, texts: Sequence[str]) -> bool:
        """Take the secrets of `texts` (what a conversation says) to hide wherever they appear, except
        plain words (password="admin"): as bare words in code they are names and strings the model
        must be able to write. Whether there was anything new to hide."""
        before = len(self._value)
        for text, secrets in self._look(texts, None):
            for secret in secrets:
                if not _WORDLIKE.fullmatch(secret.value):
                    self._assign(secret, text)
        return len(self._value) > before

    def hide_known(self, text: str) -> str:
        """`text` with the values already known replaced, none looked for."""
        return self._replace(text)

    def redact(self, text: str, path: str | None = None) -> str:
        return self.redact_all([text], path)[0]

    def redact_all(self, texts: Sequence[str], path: str | None = None) -> list[str]:
        """Each text redacted, its secrets found in one pass over all of them: a value found in any
        of them is hidden in every one."""
        for text, secrets in self._look(texts, path):
            for secret in secrets:
                self._assign(secret, text)
        return [self._replace(text) for text in texts]

    def _replace(self, text: str) -> str:
        if not self._placeholder:
            return text
        values = sorted(self._placeholder, key=len, reverse=True)
        words = [v for v in values if _WORDLIKE.fullmatch(v)]
        others = [v for v in values if not _WORDLIKE.fullmatch(v)]
        alternatives = []
        if others:
            alternatives.append(f"(?:{'|'.join(re.escape(v) for v in others)})")
        if words:
            alternatives.append(f"{_NAME_USE_BEFORE}(?:{'|'.join(re.escape(v) for v in words)}){_NAME_USE_AFTER}")
        pattern = re.compile(f"(?<![{_WORD}])(?:{'|'.join(alternatives)})(?![{_WORD}])")

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
