"""The names guard over one edit run (NamesRun): every diff judged, with totals for `--json`. Light
on purpose: the edit's own process keeps the run, while the guard (surgeon/validate/names/guard.py)
may work in the process that prepared the edit (surgeon/edit/helper.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from surgeon.diff.types import FileChange, Refusal

__all__ = ["Judge", "NamesReport", "NamesRun"]


@dataclass(frozen=True)
class NamesReport:
    """What one diff's names came to: `refusals` (one per unknown name), how many uses were
    `checked` (found to exist), `unknown` (reported) and `skipped` (unknowable, by reason)."""

    refusals: tuple[Refusal, ...] = ()
    checked: int = 0
    unknown: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class Judge(Protocol):
    """What judges a diff's names: a NamesGuard here, or one in the process that prepared the edit."""

    def warm(self, paths: Sequence[str]) -> None: ...

    def check(self, changes: Sequence[FileChange]) -> NamesReport: ...


class NamesRun:
    """The guard over one edit run: every diff judged, with totals for `--json`. With `allow`
    (--allow-unknown-names, allow_unknown_names = true) what it finds is a warning, not a refusal."""

    def __init__(self, root: Path, *, allow: bool = False, guard: Judge | None = None) -> None:
        if guard is None:
            from surgeon.validate.names.guard import NamesGuard

            guard = NamesGuard(root)
        self.guard: Judge = guard
        self.allow = allow
        self.reports: list[NamesReport] = []
        self.warnings: list[Refusal] = []

    def check(self, changes: Sequence[FileChange]) -> tuple[list[Refusal], str]:
        """The refusals for the model (none when allowed) and the verdict line."""
        return self.record(self.guard.check(changes))

    def record(self, report: NamesReport) -> tuple[list[Refusal], str]:
        """check(), for a diff whose names were judged elsewhere (surgeon/edit/judge.py)."""
        self.reports.append(report)
        counts = f"{report.checked} checked, {report.skipped} skipped"
        if not report.refusals:
            return [], f"ok ({counts})"
        if self.allow:
            self.warnings.extend(report.refusals)
            return [], f"warned ({len(report.refusals)} unknown, {counts})"
        return list(report.refusals), f"refused ({len(report.refusals)} unknown, {counts})"

    def json(self) -> dict[str, object]:
        reasons: dict[str, int] = {}
        for report in self.reports:
            for reason, count in report.reasons.items():
                reasons[reason] = reasons.get(reason, 0) + count
        return {
            "checked": sum(r.checked for r in self.reports),
            "unknown": sum(r.unknown for r in self.reports),
            "skipped": sum(r.skipped for r in self.reports),
            "skipped_reasons": reasons,
            "allowed": self.allow,
            "warnings": [{"path": w.path, "hunk": w.hunk, "line": w.line, "reason": w.reason} for w in self.warnings],
            "diffs": len(self.reports),
            "seconds": round(sum(r.seconds for r in self.reports), 4),
        }
