"""Precision and recall of `surgeon review` over the planted corpus.

tests/review/corpus/ is a small shop project with planted findings (listed in expected.json) and
look-alikes that must stay quiet (test fixtures, example.com placeholders, version strings, hashes
in lock files, UUIDs, documentation). Secret-shaped tokens are written with a `%%` inside them so
this repository never holds a scannable key; materialise() removes the marker in a temporary copy.

Run it: .venv/bin/python -m tests.review.corpus_eval
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import git, run_surgeon

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
EXPECTED = HERE / "expected.json"
SPLIT_MARK = "%%"


def materialise(dest: Path) -> Path:
    """A git repository at `dest` holding the corpus with the split marks removed, committed."""
    for source in sorted(CORPUS.rglob("*")):
        if source.is_file():
            target = dest / source.relative_to(CORPUS)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read_text(encoding="utf-8").replace(SPLIT_MARK, ""), encoding="utf-8")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "corpus")
    return dest


def expected(dest: Path) -> set[tuple[str, int, str]]:
    wanted = set()
    for item in json.loads(EXPECTED.read_text(encoding="utf-8"))["findings"]:
        lines = (dest / item["path"]).read_text(encoding="utf-8").split("\n")
        hits = [number for number, line in enumerate(lines, start=1) if item["match"] in line]
        if len(hits) != 1:
            raise AssertionError(f"expected.json: {item['match']!r} is on {len(hits)} lines of {item['path']}")
        wanted.add((item["path"], hits[0], item["rule"]))
    return wanted


@dataclass(frozen=True)
class Score:
    true_positives: set[tuple[str, int, str]]
    false_positives: set[tuple[str, int, str]]
    false_negatives: set[tuple[str, int, str]]
    files_checked: int

    @property
    def precision(self) -> float:
        found = len(self.true_positives) + len(self.false_positives)
        return len(self.true_positives) / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = len(self.true_positives) + len(self.false_negatives)
        return len(self.true_positives) / wanted if wanted else 1.0


def score(dest: Path) -> Score:
    result = run_surgeon("review", "--all", "--json", cwd=dest)
    if result.code not in (0, 1):
        raise AssertionError(f"surgeon review failed ({result.code}): {result.stderr}")
    payload = json.loads(result.stdout)
    found = {(f["path"], f["line"], f["rule"]) for f in payload["findings"]}
    wanted = expected(dest)
    return Score(found & wanted, found - wanted, wanted - found, payload["files_checked"])


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="surgeon-corpus-") as tmp:
        dest = materialise(Path(tmp) / "corpus")
        result = score(dest)
    planted = len(result.true_positives) + len(result.false_negatives)
    print(f"corpus: {planted} planted findings in {result.files_checked} files")
    print(f"precision {result.precision:.3f}  ({len(result.true_positives)} right, "
          f"{len(result.false_positives)} false positives)")
    print(f"recall    {result.recall:.3f}  ({len(result.false_negatives)} missed)")
    for label, items in (("false positive", result.false_positives), ("missed", result.false_negatives)):
        for path, line, rule in sorted(items):
            print(f"  {label}: {path}:{line} {rule}")
    return 0


if __name__ == "__main__":
    shutil.which("git") or sys.exit("git is needed")
    sys.exit(main())
