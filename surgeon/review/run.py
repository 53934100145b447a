"""One review of a chosen scope: the checks (filtered by pragmas and the baseline), the review model's
findings with --llm, and a validated diff for each finding whose fix is mechanical. The command
(cli/review.py) picks the scope from its options and renders what comes back.

The model pass and the fixes are imported only when they run: a clean pre-commit review stays fast."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from surgeon.review import baseline, engine
from surgeon.review.baseline import Baseline
from surgeon.review.findings import Finding
from surgeon.review.scope import Scope, SourceFile
from surgeon.review.settings import ReviewSettings

if TYPE_CHECKING:
    from surgeon.config import Config
    from surgeon.git import RepoInfo


@dataclass(frozen=True)
class ReviewRun:
    findings: list[Finding]  # sorted; with `diff` set where a fix was validated
    suppressed: dict[str, int]  # "pragma" / "baseline" -> how many findings they accepted
    notes: list[str]  # for people: what the model pass and the fixes could not do
    files: dict[str, SourceFile]  # path -> the reviewed content
    accepted: Baseline  # the baseline the findings were filtered with


def _utf8_name(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run_review(repo: RepoInfo, config: Config, chosen: Scope, settings: ReviewSettings, *, llm: bool = False,
               model_override: str | None = None) -> ReviewRun:
    accepted = baseline.load(repo.root)
    findings, suppressed = engine.run_checks(chosen.files, settings, accepted)
    notes: list[str] = []
    files = {file.path: file for file in chosen.files}
    if llm:
        from surgeon.review import llm as llm_review

        outcome = llm_review.review_with_model(repo, config, chosen, findings, model_override=model_override)
        findings = outcome.findings
        notes.extend(outcome.notes)
    if any(f.edits or f.rule.startswith("secret.") for f in findings if f.diff is None):
        from surgeon.review import fixes

        # A name that is not UTF-8 cannot be written into a diff header: its findings carry no diff.
        named = {path: file for path, file in files.items() if _utf8_name(path)}
        fixed = fixes.attach_diffs(findings, named)
        findings = list(fixed.findings)
        notes.extend(fixed.notes)
        notes.extend(f"{path}: no fix proposed (its name is not UTF-8; rename it to get one)"
                     for path in sorted({f.path for f in findings if f.path not in named}))
    return ReviewRun(mask_secrets(findings, files), suppressed, notes, files, accepted)


MASK = "<masked secret>"


def mask_secrets(findings: Sequence[Finding], files: Mapping[str, SourceFile]) -> list[Finding]:
    """The findings with every secret masked in their diffs and messages, for every output (text, --json,
    --sarif, --pre-commit): the values the secret findings point at, and whatever the detector set finds
    in a diff (a model's diff brings its context lines back). Fixes are staged from their edits, not this."""
    from surgeon.secrets import find_secrets

    values = {files[f.path].line(f.line)[f.span[0]:f.span[1]] for f in findings
              if f.rule.startswith("secret.") and f.span is not None and f.path in files}
    for finding in findings:
        if finding.diff:
            values.update(s.value for s in find_secrets(finding.diff))
    ordered = sorted((v for v in values if len(v) >= 4), key=len, reverse=True)

    def masked(text: str) -> str:
        for value in ordered:
            text = text.replace(value, MASK)
        return text

    return [replace(f, diff=f.diff and masked(f.diff), message=masked(f.message)) for f in findings]
