"""Benchmark: the elision rule (surgeon/diff/elision.py) on real code.

Run: .venv/bin/python tests/bench/bench_elision.py CLONE [CLONE ...] [--commits N] [--seed N]

Each CLONE is a git repository (bare or not). Its last N commits give the negatives: every hunk
a person wrote, checked the way the engine checks a model's hunk (churn dropped, the file's own
lines known), must not be called elided. "Hard" negatives are the hunks with a run of changes
that removes code and adds a comment. The positives are the same real hunks with 1-3 of their
unchanged lines elided, the way a model elides: removed, and a placeholder comment (each of the
phrasings in tests/diff/test_elision.py, in the file's comment syntax) added in their place,
alone or beside the hunk's own change.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.diff.churn import drop_churn  # noqa: E402
from surgeon.diff.elision import comment_body, find_elision  # noqa: E402
from surgeon.languages import COMMENTS, comment_syntax  # noqa: E402
from tests.diff.test_elision import PHRASINGS  # noqa: E402

ELLIPSIS = re.compile(r"\.{3}|…")
HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")


def git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True).stdout


def real_hunks(repo: Path, commits: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(old blob spec, path, hunk lines) of every hunk in the last `commits` commits' diffs."""
    out = git(repo, "log", "-p", "--no-merges", "--no-renames", "--diff-filter=M", "-U3", "--no-color",
              "--no-ext-diff", f"-n{commits}", "--format=commit %H", "HEAD").decode("utf-8", "replace")
    found: list[tuple[str, str, list[tuple[str, str]]]] = []
    commit = path = ""
    lines: list[tuple[str, str]] | None = None
    for raw in out.split("\n"):
        if raw.startswith("commit "):
            commit, lines = raw.split()[1], None
        elif raw.startswith("--- "):
            lines = None
        elif raw.startswith("+++ b/"):
            path = raw[6:]
        elif HUNK.match(raw):
            lines = []
            if Path(path).suffix.lower() in COMMENTS:
                found.append((f"{commit}^:{path}", path, lines))
        elif lines is not None and raw[:1] in (" ", "-", "+"):
            lines.append((raw[0], raw[1:]))
    return [hunk for hunk in found if hunk[2]]


def old_files(repo: Path, specs: list[str]) -> dict[str, set[str]]:
    """spec -> the stripped lines of that old file (git cat-file --batch)."""
    unique = list(dict.fromkeys(specs))
    raw = git(repo, "cat-file", "--batch", data="".join(s + "\n" for s in unique).encode())
    files: dict[str, set[str]] = {}
    at = 0
    for spec in unique:
        header_end = raw.index(b"\n", at)
        header = raw[at:header_end].split()
        if header[-1] == b"missing":
            files[spec] = set()
            at = header_end + 1
            continue
        size = int(header[2])
        body = raw[header_end + 1 : header_end + 1 + size]
        files[spec] = {line.strip() for line in body.decode("utf-8", "replace").split("\n")}
        at = header_end + 1 + size + 1
    return files


def hard(lines: list[tuple[str, str]], path: str) -> bool:
    """A run of changes that removes code and adds a comment."""
    run_removes = run_comments = False
    for kind, text in [*lines, (" ", "")]:
        if kind == " " and text.strip():
            if run_removes and run_comments:
                return True
            run_removes = run_comments = False
        elif kind == "-" and text.strip() and comment_body(text, path) is None:
            run_removes = True
        elif kind == "+" and comment_body(text, path):
            run_comments = True
    return False


def placeholder(path: str, indent: str, phrase: str) -> str:
    markers, blocks = comment_syntax(path)
    if markers:
        return f"{indent}{markers[0]} {phrase}"
    opener, closer = blocks[0]
    return f"{indent}{opener} {phrase} {closer}"


def elide(lines: list[tuple[str, str]], path: str, phrase: str,
          rng: random.Random) -> tuple[list[tuple[str, str]], bool] | None:
    """`lines` with a run of 1-3 unchanged lines of code replaced by a placeholder, and whether
    that run is apart from the hunk's own changes (not next to them but for blank lines). (A
    placeholder in place of comments loses no code, and reads as a comment edit.)"""

    def code(k: int) -> bool:
        return lines[k][0] == " " and bool(lines[k][1].strip()) and comment_body(lines[k][1], path) is None

    spots = [k for k in range(len(lines)) if code(k)]
    if not spots or (not comment_syntax(path)[0] and not comment_syntax(path)[1]):
        return None
    start = rng.choice(spots)
    end = start
    size = rng.randint(1, 3)
    while end < len(lines) and end - start < size and code(end):
        end += 1
    indent = re.match(r"\s*", lines[start][1])[0]
    elided = [*lines[:start], *(("-", text) for _, text in lines[start:end]),
              ("+", placeholder(path, indent, phrase)), *lines[end:]]

    def apart(step: int, at: int) -> bool:
        while 0 <= at < len(lines) and lines[at][0] == " " and not lines[at][1].strip():
            at += step
        return not 0 <= at < len(lines) or lines[at][0] == " "

    return elided, apart(-1, start - 1) and apart(1, end)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clones", nargs="+", type=Path)
    parser.add_argument("--commits", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alone", action="store_true", help="show only missed placeholders apart from changes")
    parser.add_argument("--show", type=int, default=5, help="how many flagged real hunks to print")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    flagged_examples: list[str] = []
    missed: Counter[str] = Counter()
    missed_examples: list[str] = []
    for repo in args.clones:
        hunks = real_hunks(repo, args.commits)
        files = old_files(repo, [spec for spec, _, _ in hunks])
        for spec, path, lines in hunks:
            present = files[spec]

            def in_file(text: str, present: set[str] = present) -> bool:
                return text.strip() in present

            body, _ = drop_churn(lines)
            is_hard = hard(body, path)
            counts["negatives"] += 1
            counts["hard negatives"] += is_hard
            found = find_elision(lines, path, in_file)
            if found:
                counts["false positives"] += 1
                counts["false positives (hard)"] += is_hard
                at = next((k for k, line in enumerate(lines) if line == (found.kind, found.text)), 0)
                flagged_examples.append(f"{spec}\n" + "\n".join(k + t for k, t in lines[max(at - 4, 0) : at + 3]))
            phrase = rng.choice(PHRASINGS)
            made = elide(lines, path, phrase, rng)
            if made is None:
                continue
            elided, alone = made
            group = ("with an ellipsis" if ELLIPSIS.search(phrase) else "words only") + (
                ", alone" if alone else ", beside a change")
            counts["positives"] += 1
            counts[f"positives {group}"] += 1
            if find_elision(elided, path, in_file):
                counts["true positives"] += 1
                counts[f"true positives {group}"] += 1
            else:
                missed[phrase] += 1
                if len(missed_examples) < args.show and (alone or not args.alone):
                    missed_examples.append(f"{spec}\n" + "\n".join(k + t for k, t in elided))
    negatives, positives = counts["negatives"], counts["positives"]
    tp, fp = counts["true positives"], counts["false positives"]
    print(f"clones: {', '.join(str(c) for c in args.clones)}; last {args.commits} commits each")
    print(f"negatives (real hunks):      {negatives:6d}   flagged {fp} ({fp / max(negatives, 1):.2%})")
    print(f"  hard (code -> comment):    {counts['hard negatives']:6d}   flagged {counts['false positives (hard)']}")
    print(f"positives (elided hunks):    {positives:6d}   found {tp}   recall {tp / max(positives, 1):.2%}")
    for group in [f"{words}, {where}" for words in ("with an ellipsis", "words only")
                  for where in ("alone", "beside a change")]:
        n, hits = counts[f"positives {group}"], counts[f"true positives {group}"]
        print(f"  {group + ':':34s}{n:6d}   found {hits}   recall {hits / max(n, 1):.2%}")
    print(f"precision (this mix, 1 positive per real hunk): {tp / max(tp + fp, 1):.2%}")
    if missed:
        print("missed phrasings:", ", ".join(f"{p!r} x{n}" for p, n in missed.most_common(10)))
    for example in flagged_examples[: args.show]:
        print("\n--- flagged real hunk:", example)
    for example in missed_examples:
        print("\n--- missed elided hunk:", example)


if __name__ == "__main__":
    main()
