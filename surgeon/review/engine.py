"""Runs the checks over a scope and filters what they report: disabled rules, `surgeon: allow ...`
pragmas, the baseline, duplicates. Pure apart from importing the check modules."""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType

from surgeon.review.baseline import Baseline
from surgeon.review.findings import Finding, fingerprint, sort_key
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

CHECKS: tuple[str, ...] = ("secrets", "origins", "timeouts", "risky", "names")

# `surgeon: allow secret` (or a rule id, or several: `surgeon: allow origin.url, timeout`) in a comment
# of any syntax: #, //, /*, <!--, --, ;, %, REM.
_PRAGMA = re.compile(r"(?:#|//|/\*|<!--|--|;|%|\bREM\b)\s*surgeon:\s*allow\s+"
                     r"([a-z][\w.-]*(?:\s*,\s*[a-z][\w.-]*)*)", re.IGNORECASE)


@dataclass(frozen=True)
class ReviewReport:
    findings: tuple[Finding, ...]
    files_checked: int
    seconds: float
    notes: tuple[str, ...] = ()
    suppressed: dict[str, int] = field(default_factory=dict)  # "baseline" / "pragma" -> count


def check_modules() -> list[ModuleType]:
    return [importlib.import_module(f"surgeon.review.checks.{name}") for name in CHECKS]


def all_rules() -> dict[str, str]:
    rules: dict[str, str] = {}
    for module in check_modules():
        rules.update(module.RULES)
    return rules


def pragma_allows(file: SourceFile, finding: Finding) -> bool:
    """A pragma on the finding's line, or on a comment-only line just above it."""
    candidates = [file.line(finding.line)]
    above = file.line(finding.line - 1).strip()
    if above.startswith(("#", "//", "/*", "<!--", "--", ";", "%", "REM")):
        candidates.append(above)
    for text in candidates:
        for match in _PRAGMA.finditer(text):
            for target in re.split(r"\s*,\s*", match.group(1).lower()):
                if target == "all" or finding.rule == target or finding.rule.startswith(target + "."):
                    return True
    return False


def run_checks(files: Sequence[SourceFile], settings: ReviewSettings, baseline: Baseline | None = None
               ) -> tuple[list[Finding], dict[str, int]]:
    """Every check over every file; returns the findings that survive, sorted, and what was suppressed."""
    baseline = baseline or Baseline()
    modules = check_modules() if files else []
    kept: list[Finding] = []
    suppressed = {"pragma": 0, "baseline": 0}
    seen: set[tuple[str, int, str]] = set()
    for file in files:
        for module in modules:
            for finding in module.check(file, settings):
                if not finding.fingerprint:
                    finding = _with_fingerprint(finding, file)
                key = (finding.path, finding.line, finding.rule)
                if key in seen or not settings.enabled(finding.rule):
                    continue
                seen.add(key)
                if pragma_allows(file, finding):
                    suppressed["pragma"] += 1
                elif baseline.accepts(finding):
                    suppressed["baseline"] += 1
                else:
                    kept.append(finding)
    kept.sort(key=sort_key)
    return kept, {k: v for k, v in suppressed.items() if v}


def _with_fingerprint(finding: Finding, file: SourceFile) -> Finding:
    from dataclasses import replace

    return replace(finding, fingerprint=fingerprint(finding.rule, finding.path, file.line(finding.line)))
