"""What the names checkers report: a Problem (a line and a reason a model can act on), the
Tally of uses checked, unknown and skipped, and the listing of near names a reason ends with."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field


@dataclass
class Tally:
    checked: int = 0
    unknown: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


def listing(attribute: str, names: Collection[str], limit: int = 8) -> str:
    """`a`, `b`, … with the names closest to `attribute` first."""
    near = difflib.get_close_matches(attribute, list(names), n=6, cutoff=0.5)
    rest = [n for n in sorted(names) if n not in near]
    shown = (near + rest)[:limit]
    if not shown:
        return "nothing public"
    return ", ".join(f"`{n}`" for n in shown) + (", …" if len(names) > len(shown) else "")
