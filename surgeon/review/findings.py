"""What a review reports: one frozen Finding per problem, and the severities that order them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Literal, TypeGuard

Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")


def is_severity(value: object) -> TypeGuard[Severity]:
    return value in SEVERITIES


def severity_rank(severity: str) -> int:
    """0 for low, 1 for medium, 2 for high; raises ValueError for anything else."""
    return SEVERITIES.index(severity)


def at_or_above(severity: Severity, threshold: Severity) -> bool:
    return severity_rank(severity) >= severity_rank(threshold)


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from (start_line, start_col) up to (end_line, end_col) with `text`.

    Lines are 1-based, columns 0-based; an empty range inserts. Edits of one fix must not overlap."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int
    text: str

    @classmethod
    def replace_on_line(cls, line: int, start: int, end: int, text: str) -> TextEdit:
        return cls(line, start, line, end, text)

    @classmethod
    def insert(cls, line: int, col: int, text: str) -> TextEdit:
        return cls(line, col, line, col, text)


@dataclass(frozen=True)
class Finding:
    path: str  # repo-relative, posix separators
    line: int  # 1-based line in the reviewed content (the staged blob for --staged)
    rule: str  # "secret.aws", "timeout.nginx", ...
    severity: Severity
    message: str
    diff: str | None = None  # a validated minimal unified diff that fixes it, when the fix is mechanical
    # Identifies the finding independently of its line number, for the baseline file. Secrets hash the
    # secret value (never stored in clear); other rules hash the trimmed text of the line.
    fingerprint: str = field(default="", compare=False)
    # Columns [start, end) of the offending text on the line, for fixes; never printed.
    span: tuple[int, int] | None = field(default=None, compare=False)
    # A mechanical fix as text replacements in the reviewed content; fixes.py turns it into `diff`.
    edits: tuple[TextEdit, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def with_diff(self, diff: str | None) -> Finding:
        return replace(self, diff=diff)

    def as_json(self) -> dict[str, object]:
        return {
            "path": printable(self.path),
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": printable(self.message),
            "diff": None if self.diff is None else printable(self.diff),
        }


def printable(text: str) -> str:
    """`text` for a terminal, JSON or a file: a path whose name is not UTF-8 is held as surrogate escapes
    (as Python and git hand it over); each such byte is shown as `\\xNN` (caf\\xe9.py). UTF-8 text is
    returned unchanged."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte: shown as \udcNN
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def fingerprint(rule: str, path: str, material: str) -> str:
    """A stable, one-way identifier for (rule, path, material); material is a secret or a line."""
    digest = hashlib.sha256(f"{rule}\0{path}\0{material.strip()}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:32]


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.path, finding.line, -severity_rank(finding.severity), finding.rule)
