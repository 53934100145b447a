"""Benchmark: surgeon's diff engine against `git apply`, `git apply --recount --ignore-whitespace`
and GNU `patch --fuzz=3` on real diffs, perturbed the ways models perturb diffs.

Run: .venv/bin/python tests/bench/bench_diff.py [--seed N] [--limit N] [--timing-runs N]

The diffs are the per-file differences between two released versions of several packages from
PyPI (sdists fetched with pip into tests/bench/.cache/diff-sdists, git-ignored). Every text file
that changed between the versions gives one correct diff (git's own, three lines of context);
each kind of perturbation below is applied to every diff it can change, and each tool applies the
result to the old file. A result is "correct" when the file is byte for byte the new version,
"wrong" when a tool reports success with anything else, "refused" when it reports failure.

Targets: 0 wrong in every kind; >= 99% correct on recoverable kinds; 100% refused on
unrecoverable ones; a 10-hunk diff on a 5,000-line file applied in under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.diff.match import indentation_matters  # noqa: E402
from surgeon.validate import ApplyOptions, check_patch  # noqa: E402
from tests.diffkit import Hunk, counts, split_diff  # noqa: E402

CACHE = ROOT / "tests" / "bench" / ".cache" / "diff-sdists"
PAIRS = [
    ("attrs", "22.2.0", "23.1.0"),
    ("click", "8.1.3", "8.1.7"),
    ("requests", "2.28.2", "2.31.0"),
    ("six", "1.15.0", "1.16.0"),
    ("itsdangerous", "2.0.1", "2.1.2"),
    ("coverage", "7.2.7", "7.3.0"),  # also C and JavaScript, where indentation carries no meaning
]
OPTIONS = ApplyOptions(allow_rewrite=True)  # measure the engine, not the rewrite policy
TOOLS = ["surgeon", "git apply", "git apply --recount --ignore-whitespace", "patch --fuzz=3"]


# ---------------------------------------------------------------------------------------------
# the corpus


@dataclass(frozen=True)
class Case:
    path: str
    old: bytes
    new: bytes


def fetch(name: str, version: str) -> Path:
    """The unpacked sdist of name==version (downloaded once)."""
    src = CACHE / "src" / f"{name}-{version}"
    if src.exists():
        return src
    CACHE.mkdir(parents=True, exist_ok=True)
    archives = list(CACHE.glob(f"{name}-{version}.tar.gz")) + list(CACHE.glob(f"{name}-{version}.zip"))
    if not archives:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
             f"{name}=={version}", "-d", str(CACHE)],
            check=True,
        )
        archives = list(CACHE.glob(f"{name}-{version}.tar.gz"))
    unpack = CACHE / "src" / f".{name}-{version}"
    with tarfile.open(archives[0]) as archive:
        archive.extractall(unpack, filter="data")
    (inner,) = list(unpack.iterdir())
    inner.rename(src)
    unpack.rmdir()
    return src


def text_or_none(data: bytes) -> bytes | None:
    if b"\0" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def corpus() -> list[Case]:
    cases = []
    for name, old_version, new_version in PAIRS:
        old_root, new_root = fetch(name, old_version), fetch(name, new_version)
        for old_file in sorted(p for p in old_root.rglob("*") if p.is_file()):
            rel = old_file.relative_to(old_root).as_posix()
            new_file = new_root / rel
            if rel == "PKG-INFO" or not new_file.is_file():
                continue
            old, new = text_or_none(old_file.read_bytes()), text_or_none(new_file.read_bytes())
            if old is not None and new is not None and old != new:
                cases.append(Case(f"{name}/{rel}", old, new))
    return cases


def git_diff(case: Case, context: int = 3) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        for side, data in (("x", case.old), ("y", case.new)):
            target = Path(tmp, side, case.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "diff", "--no-index", "--no-prefix", "--no-color",
             f"-U{context}", f"x/{case.path}", f"y/{case.path}"],
            cwd=tmp, capture_output=True,
        ).stdout.decode()
    lines = out.split("\n")
    for k, line in enumerate(lines):
        if line.startswith("@@"):
            break
        lines[k] = line.replace(f"x/{case.path}", f"a/{case.path}").replace(f"y/{case.path}", f"b/{case.path}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# perturbations


def join(header: list[str], hunks: list[Hunk], bare: bool = False, counts_off: bool = False) -> str:
    out = list(header)
    for hunk in hunks:
        old, new = counts(hunk.lines)
        if bare:
            out.append("@@ @@")
        elif counts_off:
            out.append(f"@@ -{hunk.old_start},{old + 3} +{hunk.new_start},{max(new - 2, 0)} @@")
        else:
            out.append(f"@@ -{hunk.old_start},{old} +{hunk.new_start},{new} @@")
        out.extend(hunk.lines)
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Trial:
    kind: str
    recoverable: bool
    case: Case
    diff: str
    expected: bytes  # the intended new file


Perturb = Callable[[Case, str, random.Random], "str | tuple[str, bytes] | None"]


def wrong_line_numbers(case, diff, rng):
    header, hunks = split_diff(diff)
    for hunk in hunks:
        shift = rng.choice([-1, 1]) * rng.randint(1, 60)
        hunk.old_start = max(1, hunk.old_start + shift)
        hunk.new_start = max(1, hunk.new_start + shift)
    return join(header, hunks)


def bare_hunk_headers(case, diff, rng):
    header, hunks = split_diff(diff)
    return join(header, hunks, bare=True)


def wrong_counts(case, diff, rng):
    header, hunks = split_diff(diff)
    return join(header, hunks, counts_off=True)


def missing_prefixes(case, diff, rng):
    header, hunks = split_diff(diff)
    header = [line for line in header if not line.startswith(("diff --git", "index "))]
    header = [re.sub(r"^(---|\+\+\+) [ab]/", r"\1 ", line) for line in header]
    return join(header, hunks)


def doubled_prefixes(case, diff, rng):
    header, hunks = split_diff(diff)
    header = [re.sub(r"^(---|\+\+\+) ([ab])/", r"\1 \2/\2/", line) for line in header]
    return join(header, hunks)


def stripped_trailing_whitespace(case, diff, rng):
    header, hunks = split_diff(diff)
    changed = False
    for hunk in hunks:
        added = {line[1:].rstrip("\r") for line in hunk.lines if line.startswith("+")}
        out = []
        for line in hunk.lines:
            if line[:1] in (" ", "-") and line[1:] != line[1:].rstrip():
                stripped = line[0] + line[1:].rstrip()
                if line[0] == "-" and stripped[1:] in added:
                    out.append(line)  # a whitespace-only change: stripping would erase it
                    continue
                out.append(stripped if stripped != " " else " ")
                changed = True
            else:
                out.append(line)
        hunk.lines = out
    return join(header, hunks) if changed else None


def fewer_context_lines(case, diff, rng):
    one = git_diff(case, context=1)
    return one if one != diff else None


def reordered_hunks(case, diff, rng):
    header, hunks = split_diff(diff)
    if len(hunks) < 2:
        return None
    return join(header, list(reversed(hunks)))


def crlf_diff(case, diff, rng):
    return diff.replace("\n", "\r\n")


def blank_context_without_space(case, diff, rng):
    header, hunks = split_diff(diff)
    if not any(line == " " for hunk in hunks for line in hunk.lines):
        return None
    for hunk in hunks:
        hunk.lines = ["" if line == " " else line for line in hunk.lines]
    return join(header, hunks)


def _drift(hunks: list[Hunk], rng) -> None:
    for hunk in hunks:
        body = [line[1:] for line in hunk.lines if line[:1] in (" ", "-", "+") and line[1:].strip()]
        if body and all(text.startswith("    ") for text in body) and rng.random() < 0.5:
            hunk.lines = [line[0] + line[5:] if line[:1] in (" ", "-", "+") and line[1:].strip() else line for line in hunk.lines]
        else:
            hunk.lines = [line[0] + "  " + line[1:] if line[:1] in (" ", "-", "+") and line[1:].strip() else line for line in hunk.lines]


def indentation_drift_where_free(case, diff, rng):
    if indentation_matters(case.path):
        return None
    header, hunks = split_diff(diff)
    _drift(hunks, rng)
    return join(header, hunks)


def indentation_drift_where_meaningful(case, diff, rng):
    if not indentation_matters(case.path):
        return None
    header, hunks = split_diff(diff)
    _drift(hunks, rng)
    return join(header, hunks)


def _comment(path: str) -> str:
    return "//" if path.endswith((".js", ".c", ".h", ".ts", ".java", ".go")) else "#"


def elided_code(case, diff, rng):
    header, hunks = split_diff(diff)
    runs = []
    for k, hunk in enumerate(hunks):
        start = None
        for i, line in enumerate([*hunk.lines, "+"]):
            if line.startswith(" ") and line[1:].strip():
                start = i if start is None else start
            else:
                if start is not None and i - start >= 2:
                    runs.append((k, start, i))
                start = None
    if not runs:
        return None
    k, start, end = rng.choice(runs)
    indent = re.match(r"\s*", hunks[k].lines[start][1:])[0]
    hunks[k].lines[start:end] = [f" {indent}{_comment(case.path)} ... existing code ..."]
    return join(header, hunks)


def content_not_in_file(case, diff, rng):
    header, hunks = split_diff(diff)
    spots = [(k, i) for k, h in enumerate(hunks) for i, line in enumerate(h.lines) if line.startswith(" ") and line[1:].strip()]
    if not spots:
        return None
    k, i = rng.choice(spots)
    indent = re.match(r"\s*", hunks[k].lines[i][1:])[0]
    hunks[k].lines[i] = f" {indent}configure_from_model_memory(timeout=30)"
    return join(header, hunks)


def removed_line_differs(case, diff, rng):
    header, hunks = split_diff(diff)
    spots = [(k, i) for k, h in enumerate(hunks) for i, line in enumerate(h.lines)
             if line.startswith("-") and re.search(r"[A-Za-z0-9]", line[1:])]
    if not spots:
        return None
    k, i = rng.choice(spots)
    text = hunks[k].lines[i][1:]
    at = re.search(r"[A-Za-z0-9]", text).start()
    swapped = "x" if text[at] != "x" else "y"
    hunks[k].lines[i] = "-" + text[:at] + swapped + text[at + 1 :]
    return join(header, hunks)


def ambiguous_context(case, diff, rng):
    """A hunk whose only context is two lines that occur in several places, with a line number
    far from all of them: where it goes cannot be known."""
    text = case.old.decode()
    lines = text.split("\n")
    keys = [line.strip() for line in lines]
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in range(len(keys) - 1):
        if len(keys[i]) > 3 and len(keys[i + 1]) > 3:
            seen[(keys[i], keys[i + 1])].append(i)
    choices = []
    for starts in seen.values():
        if len(starts) < 2:
            continue
        far = [h for h in range(1, len(lines)) if all(abs(h - (s + 1)) >= 10 for s in starts)]
        if far:
            choices.append((starts, far))
    if not choices:
        return None
    starts, far = rng.choice(choices)
    target = rng.choice(starts)
    hint = rng.choice(far)
    indent = re.match(r"\s*", lines[target + 1])[0]
    added = f"{indent}{_comment(case.path)} inserted by the benchmark"
    ending = "\r\n" if lines[target].endswith("\r") else "\n"
    context = [lines[target].rstrip("\r"), lines[target + 1].rstrip("\r")]
    diff_text = (f"--- a/{case.path}\n+++ b/{case.path}\n@@ -{hint},2 +{hint},3 @@\n"
                 f" {context[0]}\n {context[1]}\n+{added}\n")
    new_lines = lines[: target + 2] + [added + ("\r" if ending == "\r\n" else "")] + lines[target + 2 :]
    return diff_text, "\n".join(new_lines).encode()


RECOVERABLE: dict[str, Perturb] = {
    "none (git's own diff)": lambda case, diff, rng: diff,
    "wrong line numbers": wrong_line_numbers,
    "bare @@ @@ headers": bare_hunk_headers,
    "wrong line counts": wrong_counts,
    "no a/ b/, no diff --git": missing_prefixes,
    "doubled a/a/ b/b/": doubled_prefixes,
    "trailing whitespace stripped": stripped_trailing_whitespace,
    "1 line of context": fewer_context_lines,
    "hunks in reverse order": reordered_hunks,
    "CRLF diff": crlf_diff,
    "blank context lost its space": blank_context_without_space,
    "indentation drift (free)": indentation_drift_where_free,
}
UNRECOVERABLE: dict[str, Perturb] = {
    "indentation drift (meaningful)": indentation_drift_where_meaningful,
    "elided code": elided_code,
    "context not in the file": content_not_in_file,
    "removed line differs": removed_line_differs,
    "ambiguous context": ambiguous_context,
}


def trials(cases: list[Case], seed: int) -> list[Trial]:
    rng = random.Random(seed)
    out = []
    for case in cases:
        diff = git_diff(case)
        for group, recoverable in ((RECOVERABLE, True), (UNRECOVERABLE, False)):
            for kind, perturb in group.items():
                made = perturb(case, diff, rng)
                if made is None:
                    continue
                text, expected = made if isinstance(made, tuple) else (made, case.new)
                out.append(Trial(kind, recoverable, case, text, expected))
    return out


# ---------------------------------------------------------------------------------------------
# the tools


def run_surgeon(trial: Trial) -> str:
    result = check_patch(trial.diff, lambda path: trial.case.old if path == trial.case.path else None, OPTIONS)
    if not result.ok:
        return "refused"
    new = {c.path: c.new_content for c in result.changes}
    return "correct" if new == {trial.case.path: trial.expected} else "wrong"


def run_external(trial: Trial, command: list[str]) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp, trial.case.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(trial.case.old)
        patch = Path(tmp, ".change.patch")
        patch.write_bytes(trial.diff.encode())
        try:
            done = subprocess.run([*command, str(patch)], cwd=tmp, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            return "refused"
        if done.returncode != 0:
            return "refused"
        if not target.exists():
            return "wrong"
        return "correct" if target.read_bytes() == trial.expected else "wrong"


EXTERNAL = {
    "git apply": ["git", "apply"],
    "git apply --recount --ignore-whitespace": ["git", "apply", "--recount", "--ignore-whitespace"],
    "patch --fuzz=3": ["patch", "-p1", "--fuzz=3", "--force", "--forward", "--silent",
                       "--reject-file=-", "--no-backup-if-mismatch", "-i"],
}


# ---------------------------------------------------------------------------------------------
# timing


def timing(runs: int) -> dict[str, float]:
    """Median milliseconds to apply a 10-hunk diff to a 5,000-line Python file."""
    lines = []
    for n in range(1000):
        lines += [f"def function_{n}(value):", f"    total = value * {n}", f"    return total + {n % 7}", "", ""]
    old = "\n".join(lines) + "\n"
    new_lines = list(lines)
    for k in range(10):
        at = 250 + k * 480
        new_lines[at + 1] = f"    total = value * {k} + 1  # changed"
    new = "\n".join(new_lines) + "\n"
    case = Case("big.py", old.encode(), new.encode())
    diff = git_diff(case)
    assert diff.count("\n@@ ") == 10, diff.count("\n@@ ")
    variants = {"git's own diff": diff, "bare @@ headers": bare_hunk_headers(case, diff, None)}
    out = {}
    for label, text in variants.items():
        for check in (True, False):
            options = ApplyOptions(check_syntax=check)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                result = check_patch(text, {"big.py": case.old}.get, options)
                samples.append((time.perf_counter() - started) * 1000)
                assert result.ok and result.changes[0].new_content == case.new
            out[f"{label}, syntax check {'on' if check else 'off'}"] = statistics.median(samples)
    return out


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N changed files")
    parser.add_argument("--timing-runs", type=int, default=30)
    parser.add_argument("--show-failures", action="store_true", help="print surgeon's wrong results and refused recoverable cases")
    args = parser.parse_args()

    started = time.perf_counter()
    cases = corpus()[: args.limit]
    lines = sum(c.old.count(b"\n") for c in cases)
    print(f"corpus: {len(cases)} changed files ({lines} lines) from "
          + ", ".join(f"{n} {a}->{b}" for n, a, b in PAIRS))
    all_trials = trials(cases, args.seed)
    print(f"trials: {len(all_trials)} perturbed diffs (seed {args.seed})")

    tally: dict[tuple[str, str], Counter] = defaultdict(Counter)
    failures = []
    for trial in all_trials:
        outcome = run_surgeon(trial)
        tally[(trial.kind, "surgeon")][outcome] += 1
        if outcome == "wrong" or (trial.recoverable and outcome != "correct"):
            failures.append((trial, outcome))
        for tool, command in EXTERNAL.items():
            tally[(trial.kind, tool)][run_external(trial, command)] += 1

    kinds = list(RECOVERABLE) + list(UNRECOVERABLE)
    width = max(len(k) for k in kinds) + 2
    column = max(len(t) for t in TOOLS)
    header = f"{'perturbation':<{width}}{'n':>5} | " + " | ".join(f"{t:^{column}}" for t in TOOLS)
    sub = f"{'':<{width}}{'':>5} | " + " | ".join(f"{'correct wrong refused':^{column}}" for _ in TOOLS)
    print()
    print(header)
    print(sub)
    print("-" * len(header))
    for group, title in ((RECOVERABLE, "recoverable"), (UNRECOVERABLE, "unrecoverable (must be refused)")):
        print(f"[{title}]")
        for kind in group:
            n = sum(tally[(kind, "surgeon")].values())
            if not n:
                continue
            cells = []
            for tool in TOOLS:
                c = tally[(kind, tool)]
                cells.append(f"{c['correct']:>7} {c['wrong']:>5} {c['refused']:>7}  ")
            print(f"{kind:<{width}}{n:>5} | " + " | ".join(f"{cell:^{column}}" for cell in cells))
    print()
    for tool in TOOLS:
        rec = Counter()
        unrec = Counter()
        for kind in RECOVERABLE:
            rec.update(tally[(kind, tool)])
        for kind in UNRECOVERABLE:
            unrec.update(tally[(kind, tool)])
        rec_n, unrec_n = sum(rec.values()), sum(unrec.values())
        print(f"{tool:<42} recoverable: {rec['correct'] / rec_n:7.2%} correct, {rec['wrong']:>4} wrong | "
              f"unrecoverable: {unrec['refused'] / unrec_n:7.2%} refused, {unrec['wrong']:>4} wrong")

    print()
    print("time to apply a 10-hunk diff to a 5,000-line file (median of "
          f"{args.timing_runs} runs; target < 50 ms):")
    for label, ms in timing(args.timing_runs).items():
        print(f"  {label:<40} {ms:7.1f} ms")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f}s")

    if args.show_failures:
        for trial, outcome in failures:
            result = check_patch(trial.diff, lambda p, t=trial: t.case.old if p == t.case.path else None, OPTIONS)
            print(f"\n=== {trial.kind}: {trial.case.path}: {outcome}")
            for refusal in result.refusals:
                print("   ", str(refusal).replace("\n", "\n    "))


if __name__ == "__main__":
    main()
