"""Precision of the secret detectors on clean code: `surgeon review --all`'s checks over every tracked file
of real repositories (clones given on the command line), reported as findings per 10k lines, with
what redaction would hide from a model (values per 10k lines). On clean, public code every secret
finding is a false positive, so both numbers should stay near zero.

Run: .venv/bin/python tests/bench/bench_secrets_precision.py CLONE [CLONE ...] [--show]
(--show lists each secret finding as path:line rule, never the value.)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.review import engine, scope  # noqa: E402
from surgeon.review.baseline import Baseline  # noqa: E402
from surgeon.review.settings import ReviewSettings  # noqa: E402
from surgeon.secrets import find_secrets  # noqa: E402


def measure(clone: Path, show: bool) -> tuple[int, Counter[str], int, float]:
    started = time.perf_counter()
    chosen = scope.all_files(clone)
    findings, _ = engine.run_checks(chosen.files, ReviewSettings(), Baseline())
    secret = [f for f in findings if f.rule.startswith("secret.")]
    hidden = sum(len(find_secrets(file.text, file.path)) for file in chosen.files)
    lines = sum(len(file.lines) for file in chosen.files)
    if show:
        for finding in secret:
            print(f"    {finding.path}:{finding.line} {finding.rule} ({finding.severity})")
    return lines, Counter(f.rule for f in secret), hidden, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clones", nargs="+", type=Path)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    total_lines, total_found, total_hidden = 0, 0, 0
    print(f"{'repository':<28}{'lines':>9}{'findings':>10}{'/10k':>8}{'redacted':>10}{'/10k':>8}{'s':>7}")
    for clone in args.clones:
        lines, rules, hidden, seconds = measure(clone.resolve(), args.show)
        found = sum(rules.values())
        per = 1e4 / max(lines, 1)
        print(f"{clone.name:<28}{lines:>9}{found:>10}{found * per:>8.2f}{hidden:>10}{hidden * per:>8.2f}"
              f"{seconds:>7.1f}  {dict(rules) or ''}")
        total_lines, total_found, total_hidden = total_lines + lines, total_found + found, total_hidden + hidden
    per = 1e4 / max(total_lines, 1)
    print(f"{'all':<28}{total_lines:>9}{total_found:>10}{total_found * per:>8.2f}{total_hidden:>10}"
          f"{total_hidden * per:>8.2f}")


if __name__ == "__main__":
    main()
