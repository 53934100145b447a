"""The baseline file `.surgeon-baseline.json`: findings a team has looked at and accepted.

Entries name a path, a rule and a fingerprint (a one-way hash of the secret or of the line), never the
secret itself, and no line number, so an accepted finding stays accepted when lines move. A path whose
name is not UTF-8 is stored as `printable` shows it (caf\\xe9.py), so the file stays valid UTF-8 JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import ConfigError
from surgeon.review.findings import Finding, printable

BASELINE_NAME = ".surgeon-baseline.json"
VERSION = 1


@dataclass(frozen=True)
class Baseline:
    entries: frozenset[tuple[str, str, str]] = frozenset()  # (path, rule, fingerprint)

    def accepts(self, finding: Finding) -> bool:
        return (printable(finding.path), finding.rule, finding.fingerprint) in self.entries

    def __len__(self) -> int:
        return len(self.entries)


def load(root: Path) -> Baseline:
    path = root / BASELINE_NAME
    if not path.is_file():
        return Baseline()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = frozenset((str(e["path"]), str(e["rule"]), str(e["fingerprint"])) for e in data["findings"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{BASELINE_NAME}: not a surgeon baseline ({exc}); fix it or delete it") from None
    return Baseline(entries)


def write(root: Path, findings: Iterable[Finding], keep: Baseline | None = None) -> int:
    """Write the baseline with `findings` added to what `keep` already accepts. Returns the entry count."""
    entries = set(keep.entries if keep else ()) | {(printable(f.path), f.rule, f.fingerprint) for f in findings}
    payload = {
        "version": VERSION,
        "about": "findings accepted by `surgeon review --write-baseline`; fingerprints are one-way hashes",
        "findings": [{"path": p, "rule": r, "fingerprint": fp} for p, r, fp in sorted(entries)],
    }
    (root / BASELINE_NAME).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return len(entries)
