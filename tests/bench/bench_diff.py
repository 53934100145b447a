"""Benchmark: surgeon's diff engine against `git apply`, `git apply --recount --ignore-whitespace`
and GNU `patch --fuzz=3`, on real changes to real repositories (SWE-bench gold patches and the
patches three published systems wrote) and on PyPI release pairs, damaged the ways models damage
diffs, plus the other formats people paste.

Bring the data (once; nothing goes into this repository):

    fetch (the session's `fetch` tool, or `git clone --mirror` into <mirrors>/<owner>+<name>/repo):
      repositories at the SWE-bench base commits: psf/requests pallets/flask mwaskom/seaborn
        pydata/xarray pylint-dev/pylint pytest-dev/pytest sphinx-doc/sphinx astropy/astropy
        sympy/sympy   (django, scikit-learn and matplotlib are over the 500 MB fetch limit)
      SWE-bench Lite instances (base commit, gold patch): PaulRoewer/swe-bench-lite-api
        (src/main/resources/swe-bench-lite.json)
      model-written patches (SWE-bench prediction files): NL2Code/CodeR (all_preds.jsonl),
        entropy-research/Devon (devon_swe_bench_experimental/predictions_for_swebench.jsonl,
        gpt-4-0125-preview), Dylan-Harden3/Agentless (all_preds.jsonl)
    .venv/bin/python tests/bench/bench_diff.py --mirrors /work/.mirror --data /tmp/h4data

The first run with --mirrors writes the data folder (git archive of the touched files at each
base commit, the prediction files, a pool of other real files); later runs need only --data.
Without --data only the PyPI corpus runs (sdists fetched with pip into tests/bench/.cache,
git-ignored).

Each category below is made from every change it can apply to (seeded; at most --per-kind per
corpus), with what must come out: the intended file (recoverable) or a refusal. A tool's outcome is
"correct" (the intended file written), "wrong" (anything else written: for a reply that must be
refused, anything at all), "refused" (nothing written) or "crash" (an exception; a signal).
surgeon runs through the path `surgeon apply --dry-run` takes (see diffbench/tools.py).

Targets (issue 14): 0 wrong, >= 99% correct of recoverable, 100% refused of unrecoverable,
0 crashes; a 10-hunk diff on a 5,000-line file applied in under 50 ms.

Run: .venv/bin/python tests/bench/bench_diff.py [--data DIR] [--mirrors DIR] [--seed N]
     [--per-kind N] [--only KIND...] [--dump DIR] [--show-refused] [--timing-runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.validate import ApplyOptions, check_patch  # noqa: E402
from tests.bench.diffbench import crafted, damage, formats, pypi, real, report, tools  # noqa: E402
from tests.bench.diffbench.model import Case, Trial, git_diff, join, split_diff  # noqa: E402

# (category, recoverable, generator); a generator takes a Case (a real change) or, for the crafted
# ones, a real file
ON_CASES: list[tuple[str, bool, damage.Damage]] = [
    ("clean (the patch as written)", True, damage.as_written),
    ("wrong line numbers", True, damage.wrong_line_numbers),
    ("miscounted hunk headers", True, damage.miscounted_headers),
    ("no line numbers (@@ ... @@)", True, damage.bare_headers),
    ("no a/ b/, no diff --git", True, damage.missing_prefixes),
    ("doubled a/a/ b/b/", True, damage.doubled_prefixes),
    ("missing context (none before)", True, damage.no_leading_context),
    ("missing context (none after)", True, damage.no_trailing_context),
    ("trimmed context (1 line)", True, damage.one_line_of_context),
    ("extra context", True, damage.extra_context),
    ("whitespace-damaged context (trailing)", True, damage.trailing_whitespace_stripped),
    ("blank context lost its space", True, damage.blank_context_without_space),
    ("hunks in reverse order", True, damage.reversed_hunks),
    ("CRLF reply", True, damage.crlf_reply),
    ("uniform indentation shift (free)", True, damage.uniform_shift_free),
    ("uniform indentation shift (meaningful)", True, damage.uniform_shift_meaningful),
    ("context indentation differs (code)", True, damage.context_indentation_differs),
    ("look-alike characters in context", True, damage.lookalikes_in_context),
    ("fenced in prose", True, damage.fenced_in_prose),
    ("prose after the diff", True, damage.prose_after_diff),
    ("SEARCH/REPLACE (aider)", True, formats.search_replace_aider),
    ("SEARCH/REPLACE (Cline)", True, formats.search_replace_cline),
    ("SEARCH/REPLACE (Roo :start_line:)", True, formats.search_replace_roo),
    ("Codex *** Begin Patch", True, formats.codex_patch),
    ("git format-patch mail", True, formats.format_patch_mail),
    ("elided code (kept lines removed)", False, damage.elided_as_removal),
    ("elided code (placeholder as context)", False, damage.elided_in_context),
    ("truncated reply (cut mid-hunk)", False, damage.truncated_mid_hunk),
    ("truncated reply (fence never closes)", False, damage.truncated_in_fence),
    ("context not in the file", False, damage.context_not_in_file),
    ("removed line differs", False, damage.removed_line_differs),
    ("/dev/null both sides", False, damage.dev_null_both_sides),
]
ON_FILES: list[tuple[str, bool, crafted.Crafted]] = [
    ("---/+++ lines inside hunks", True, crafted.header_lines_in_hunks),
    ("context indentation differs (RST)", True, crafted.rst_context_indentation),
    ("BOM, line 1 edited", True, crafted.bom_line_one),
    ("EOF deletion, final newline", True, crafted.eof_deletion_final_newline),
    ("EOF deletion, no final newline", True, crafted.eof_deletion_no_final_newline),
    ("EOF deletion, no final newline, no marker", True, crafted.eof_deletion_marker_omitted),
    ("ambiguous: 2 candidates within 3 lines", False, crafted.ambiguous_near_two),
    ("ambiguous: line number far from all", False, crafted.ambiguous_far),
]
KINDS = [(k, r) for k, r, _ in ON_CASES] + [(k, r) for k, r, _ in ON_FILES]
RECOVERABLE = [k for k, r in KINDS if r]
UNRECOVERABLE = [k for k, r in KINDS if not r]


def trials(cases: list[Case], files: list[crafted.RealFile], seed: int, per_kind: int, only: set[str] | None) -> list[Trial]:
    out: list[Trial] = []
    for kind, recoverable, make in ON_CASES:
        if only and kind not in only:
            continue
        for corpus in sorted({c.corpus for c in cases}):
            rng = random.Random(f"{seed}:{kind}:{corpus}")
            pool = [c for c in cases if c.corpus == corpus]
            rng.shuffle(pool)
            made_here = 0
            for case in pool:
                if made_here >= per_kind:
                    break
                made = make(case, rng)
                if made is not None:
                    out.append(Trial(kind, recoverable, case, made.reply, made.expected, made.old or case.old, made.also))
                    made_here += 1
    for kind, recoverable, craft in ON_FILES:
        if only and kind not in only:
            continue
        rng = random.Random(f"{seed}:{kind}")
        file_pool = list(files)
        rng.shuffle(file_pool)
        made_here = 0
        for file in file_pool:
            if made_here >= per_kind:
                break
            found = craft(file, rng)
            if found is not None:
                case, made = found
                out.append(Trial(kind, recoverable, case, made.reply, made.expected, made.old or case.old, made.also))
                made_here += 1
    return out


# ---------------------------------------------------------------------------------------------


def timing(runs: int) -> dict[str, float]:
    """Median milliseconds to apply a 10-hunk diff to a 5,000-line Python file."""
    lines = []
    for n in range(1000):
        lines += [f"def function_{n}(value):", f"    total = value * {n}", f"    return total + {n % 7}", "", ""]
    old = "\n".join(lines) + "\n"
    new_lines = list(lines)
    for k in range(10):
        new_lines[250 + k * 480 + 1] = f"    total = value * {k} + 1  # changed"
    new = "\n".join(new_lines) + "\n"
    diff = git_diff("big.py", old.encode(), new.encode())
    assert diff.count("\n@@ ") == 10, diff.count("\n@@ ")
    header, hunks = split_diff(diff)
    variants = {"git's own diff": diff, "bare @@ headers": join(header, hunks, bare="@@ @@")}
    out = {}
    for label, text in variants.items():
        for check in (True, False):
            options = ApplyOptions(check_syntax=check)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                result = check_patch(text, {"big.py": old.encode()}.get, options)
                samples.append((time.perf_counter() - started) * 1000)
                assert result.ok and result.changes[0].new_content == new.encode()
            out[f"{label}, syntax check {'on' if check else 'off'}"] = statistics.median(samples)
    return out


def dump(where: Path, n: int, trial: Trial) -> str:
    """The trial as a git repository holding the file, the reply and the intended file beside it;
    returns the command that reproduces surgeon's outcome through the console script."""
    repo = where / f"{n:03d}"
    target = repo / trial.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(trial.old)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.org",
                    "commit", "-q", "-m", "base"], check=True)
    (where / f"{n:03d}.reply").write_bytes(trial.reply.encode("utf-8", "surrogateescape"))
    if trial.expected is not None:
        (where / f"{n:03d}.expected").write_bytes(trial.expected)
    return f"{ROOT}/.venv/bin/surgeon apply --dry-run --repo {repo} {where}/{n:03d}.reply"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="the SWE-bench data folder (written by the first run with --mirrors)")
    parser.add_argument("--mirrors", type=Path, help="where the fetched repositories are (<owner>+<name>/repo)")
    parser.add_argument("--no-pypi", action="store_true", help="leave out the PyPI release pairs")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--per-kind", type=int, default=60, help="at most this many trials per category and corpus")
    parser.add_argument("--only", nargs="*", help="run only these categories")
    parser.add_argument("--dump", type=Path, help="write each surgeon wrong/crash case here as a repository to replay")
    parser.add_argument("--show-refused", action="store_true", help="also list surgeon's refusals of recoverable cases")
    parser.add_argument("--timing-runs", type=int, default=30)
    args = parser.parse_args()

    started = time.perf_counter()
    cases: list[Case] = [] if args.no_pypi else pypi.corpus()
    files: list[crafted.RealFile] = []
    if args.data:
        if not real.prepared(args.data):
            if not args.mirrors:
                parser.error(f"{args.data} holds no prepared data: pass --mirrors to write it")
            real.prepare(args.mirrors, args.data)
        swe_cases, files = real.load(args.data)
        cases += swe_cases
    by_source = Counter(f"{c.corpus}: {c.source}" for c in cases)
    print(f"corpus: {len(cases)} changed files ({', '.join(f'{n} {s}' for s, n in sorted(by_source.items()))}); "
          f"{len(files)} other real files for crafted changes")
    all_trials = trials(cases, files, args.seed, args.per_kind, set(args.only) if args.only else None)
    print(f"trials: {len(all_trials)} (seed {args.seed}, at most {args.per_kind} per category and corpus)")

    tally: report.Tally = defaultdict(Counter)
    with ThreadPoolExecutor(max_workers=2) as pool:
        external = {(i, tool): pool.submit(tools.run_external, trial, command)
                    for i, trial in enumerate(all_trials) for tool, command in tools.EXTERNAL.items()}
        surgeon = [tools.run_surgeon(trial) for trial in all_trials]
        for i, trial in enumerate(all_trials):
            tally[(trial.case.corpus, trial.kind, "surgeon")][surgeon[i][0]] += 1
            for tool in tools.EXTERNAL:
                tally[(trial.case.corpus, trial.kind, tool)][external[(i, tool)].result()] += 1

    print()
    print("\n".join(report.summary(tally, RECOVERABLE, UNRECOVERABLE)))
    print("\n".join(report.per_category(tally, RECOVERABLE, UNRECOVERABLE)))

    bad = [(t, o, d) for t, (o, d) in zip(all_trials, surgeon, strict=True)
           if o in ("wrong", "crash") or (args.show_refused and t.recoverable and o == "refused")]
    if bad:
        print(f"\nsurgeon: {sum(o == 'wrong' for _, o, _ in bad)} wrong, {sum(o == 'crash' for _, o, _ in bad)} crash"
              + (f", {sum(o == 'refused' for _, o, _ in bad)} recoverable refused" if args.show_refused else ""))
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
        for n, (trial, outcome, detail) in enumerate(bad):
            print(f"  {outcome:<8} {trial.kind} | {trial.case.label} ({trial.case.source}) {trial.path}"
                  + (f" | {detail}" if detail else ""))
            if args.dump:
                print(f"           {dump(args.dump, n, trial)}")

    print()
    print(f"time to apply a 10-hunk diff to a 5,000-line file (median of {args.timing_runs} runs; target < 50 ms):")
    for label, ms in timing(args.timing_runs).items():
        print(f"  {label:<40} {ms:7.1f} ms")
    print(f"\nbenchmark took {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
