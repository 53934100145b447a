"""Does `locate` show the model the lines a real change needs? Measured on real repositories'
history, beside a plain BM25 baseline, in one run.

    .venv/bin/python tests/bench/bench_context.py CLONE [CLONE ...] [--tasks 40] [-v]
    .venv/bin/python tests/bench/bench_context.py --swebench swe-bench-lite.json [--mirrors /work/.mirror]

For a repository too large to fetch (Django), tests/bench/swebench_sdists.py rebuilds its
instances from release sdists, with a tasks file and a mirrors folder to pass here.

Each CLONE is a git repository (a clone, or a git directory such as the search tool's `fetch`
gives: /work/.mirror/<owner>+<name>/repo). Nothing is written into it: each repository is cloned
once into a temporary folder, and every task checks out its commit's parent there.

A task is a recent commit that makes a small focused change: no merge, a subject of three words
or more that is not a release, bump, revert or merge note, 1-3 changed source files outside tests
and docs, at most 40 changed lines. The instruction is the commit's subject; the answer is the
lines of the parent that the commit changes (for a pure insertion, the line it follows).

Printed side by side for surgeon (`locate`, the call `surgeon edit` makes) and BM25 (Okapi, k1 1.2,
b 0.75, identifiers split on case and underscores; over definitions from the same tree-sitter
index for lines, over whole files for files):
  file@1, file@5        the right file first / among the first five files shown
  recall 2k, recall 8k  share of the changed lines inside the regions packed into that budget
  all shown 8k          share of tasks where every changed line was shown
  seconds               surgeon: cold index of the first checkout, warm query median;
                        BM25: index of a checkout plus query, median
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.locate import locate  # noqa: E402
from surgeon.locate.files import language_of  # noqa: E402
from surgeon.locate.index import index_bytes  # noqa: E402
from surgeon.tokens import estimate_tokens  # noqa: E402

BUDGETS = (2000, 8000)
_SKIP_SUBJECT = re.compile(
    r"^(?:merge|revert|release|bump|version|prepare|update (?:changes|changelog|version)|changelog|"
    r"\[?pre-commit|chore\(deps\)|build\(deps\)|start version|.*\b(?:dependenc|mypy|lint|flake8|typo|reformat|formatting|black|isort)\w*\b)",
    re.IGNORECASE)
_NOT_SOURCE = re.compile(r"(?:^|/)(?:tests?|testing|docs?|examples?|benchmarks?|__tests__|vendor|node_modules)/|"
                         r"(?:^|/)(?:test_[^/]*|[^/]*_test\.\w+|[^/]*\.test\.\w+|[^/]*\.spec\.\w+|conftest\.py)$")
_SOURCE_LANGUAGES = {"python", "go", "javascript", "typescript", "tsx", "rust", "java", "c", "cpp", "ruby"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          errors="replace").stdout


@dataclass
class Task:
    repo: str
    commit: str
    parent: str
    instruction: str
    targets: dict[str, set[int]]  # path -> line numbers in the parent


def _targets(repo: Path, parent: str, commit: str) -> dict[str, set[int]] | None:
    return targets_of(git(repo, "diff", "--no-renames", "-U0", parent, commit))


def targets_of(out: str, *, source_only: bool = True, max_files: int = 3, max_changed: int = 40
               ) -> dict[str, set[int]] | None:
    """path -> the lines of the old side a diff changes (for a pure insertion, the line it follows)."""
    targets: dict[str, set[int]] = {}
    path: str | None = None
    changed = 0
    for line in out.splitlines():
        if line.startswith("diff --git "):
            path = None
        elif line.startswith("--- "):
            old = line[4:]
            path = old[2:] if old.startswith("a/") else None
        elif line.startswith("@@") and path is not None:
            m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@", line)
            if not m:
                continue
            start, count = int(m[1]), int(m[2] if m[2] is not None else 1)
            added = int(m[3] if m[3] is not None else 1)
            changed += max(count, added)
            lines = set(range(start, start + count)) if count else {max(start, 1)}
            if not source_only or (language_of(path) in _SOURCE_LANGUAGES and not _NOT_SOURCE.search(path)):
                targets.setdefault(path, set()).update(lines)
    if not targets or len(targets) > max_files or changed > max_changed:
        return None
    return targets


def swebench_tasks(instances: Path, mirrors: Path) -> dict[Path, list[Task]]:
    """SWE-bench instances (a JSON list with Repo, Base_commit, Problem_statement, Patch, as
    PaulRoewer/swe-bench-lite-api's src/main/resources/swe-bench-lite.json has them) of the
    repositories fetched under `mirrors` (<owner>+<name>/repo): the issue text is the instruction,
    the gold patch the answer, whatever its size."""
    import json

    by_repo: dict[Path, list[Task]] = {}
    for item in json.loads(instances.read_text()):
        item = {k.lower(): v for k, v in item.items()}
        source = mirrors / item["repo"].replace("/", "+") / "repo"
        if not source.is_dir():
            continue
        targets = targets_of(item["patch"], source_only=False, max_files=99, max_changed=10**6)
        if targets:
            by_repo.setdefault(source, []).append(Task(
                item["repo"], item["instance_id"], item["base_commit"], item["problem_statement"], targets))
    return by_repo


def find_tasks(repo: Path, limit: int) -> list[Task]:
    tasks: list[Task] = []
    log = git(repo, "log", "--no-merges", "--first-parent", "--format=%H %P%x09%s", "-n", "3000", "HEAD")
    for entry in log.splitlines():
        ids, _, subject = entry.partition("\t")
        parts = ids.split()
        if len(parts) != 2 or len(subject.split()) < 3 or _SKIP_SUBJECT.match(subject):
            continue
        commit, parent = parts
        targets = _targets(repo, parent, commit)
        if targets is None:
            continue
        subject = re.sub(r"\s*\(#\d+\)$", "", subject).strip()  # the PR number says nothing of the code
        tasks.append(Task(repo.name, commit, parent, subject, targets))
        if len(tasks) >= limit:
            break
    return tasks


# ---- BM25 baseline ------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+")


def tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text) if len(w) > 1]


@dataclass
class Chunk:
    path: str
    start: int
    end: int
    text: str


class BM25:
    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75):
        self.tf = [Counter(tokens(d)) for d in docs]
        self.lengths = [sum(c.values()) for c in self.tf]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        df: Counter[str] = Counter()
        for c in self.tf:
            df.update(c.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = set(tokens(query))
        out = []
        for tf, length in zip(self.tf, self.lengths, strict=True):
            s = 0.0
            for t in terms:
                f = tf.get(t)
                if f:
                    s += self.idf[t] * f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * length / self.avg))
            out.append(s)
        return out


def chunks_of(path: str, text: str) -> list[Chunk]:
    """Innermost definitions (methods rather than their class), the rest in runs of up to 40 lines."""
    lines = text.split("\n")
    record = index_bytes(text.encode(), language_of(path))
    spans = sorted({(d.start, d.end) for d in record.definitions})
    inner = [s for s in spans if not any(o != s and s[0] <= o[0] and o[1] <= s[1] for o in spans)]
    covered = [False] * (len(lines) + 2)
    out = []
    for start, end in inner:
        if any(covered[start:end + 1]):
            continue
        for i in range(start, end + 1):
            covered[i] = True
        out.append(Chunk(path, start, end, "\n".join(lines[start - 1:end])))
    run: list[int] = []
    for number in range(1, len(lines) + 1):
        if not covered[number]:
            run.append(number)
        if run and (covered[number] or len(run) == 40 or number == len(lines)):
            out.append(Chunk(path, run[0], run[-1], path + "\n" + "\n".join(lines[run[0] - 1:run[-1]])))
            run = []
    return out


def bm25_run(root: Path, instruction: str) -> tuple[list[str], dict[int, list[tuple[str, int, int]]], float]:
    started = time.perf_counter()
    files: dict[str, str] = {}
    for path in git(root, "ls-files", "-z").split("\0"):
        if not path or language_of(path) is None:
            continue
        try:
            data = (root / path).read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8000] or len(data) > 1_000_000:
            continue
        files[path] = data.decode("utf-8", "replace")
    names = list(files)
    file_scores = BM25([p + "\n" + files[p] for p in names]).scores(instruction)
    ranked_files = [p for s, p in sorted(zip(file_scores, names, strict=True), key=lambda x: -x[0]) if s > 0]
    chunks = [c for p in names for c in chunks_of(p, files[p])]
    chunk_scores = BM25([c.text for c in chunks]).scores(instruction)
    order = [c for s, c in sorted(zip(chunk_scores, chunks, strict=True), key=lambda x: -x[0]) if s > 0]
    packed: dict[int, list[tuple[str, int, int]]] = {}
    for budget in BUDGETS:
        left, shown = budget, []
        for c in order:
            cost = estimate_tokens(c.text)
            if cost <= left:
                shown.append((c.path, c.start, c.end))
                left -= cost
        packed[budget] = shown
    return ranked_files, packed, time.perf_counter() - started


# ---- scoring ------------------------------------------------------------------------------------

@dataclass
class Score:
    file1: list[float] = field(default_factory=list)
    file5: list[float] = field(default_factory=list)
    recall: dict[int, list[float]] = field(default_factory=lambda: {b: [] for b in BUDGETS})
    seconds: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)

    def add(self, task: Task, files: Sequence[str], shown: dict[int, Iterable[tuple[str, int, int]]]) -> None:
        distinct = list(dict.fromkeys(files))
        self.file1.append(float(bool(distinct) and distinct[0] in task.targets))
        self.file5.append(float(any(p in task.targets for p in distinct[:5])))
        wanted = sum(len(v) for v in task.targets.values())
        for budget, regions in shown.items():
            seen = {(p, n) for p, s, e in regions for n in range(s, e + 1)}
            got = sum(1 for p, lines in task.targets.items() for n in lines if (p, n) in seen)
            self.recall[budget].append(got / wanted)


def mean(values: Sequence[float]) -> str:
    return f"{100 * sum(values) / len(values):5.1f}%" if values else "   - "


def repo_name(source: Path) -> str:
    return source.parent.name if source.name in ("repo", ".git") else source.name


def run_repo(source: Path, limit: int, verbose: bool, surgeon: Score, bm25: Score,
             tasks: list[Task] | None = None) -> int:
    tasks = find_tasks(source, limit) if tasks is None else tasks[:limit]
    with tempfile.TemporaryDirectory(prefix="bench-context-") as tmp:
        root = Path(tmp) / repo_name(source)
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(source), str(root)], check=True)
        first = True
        done = 0
        for task in tasks:
            try:
                git(root, "checkout", "-q", "--force", "--detach", task.parent)
            except subprocess.CalledProcessError:
                print(f"  {repo_name(source)}: {task.commit[:20]}: its base {task.parent[:12]} is not in the clone; "
                      "skipped", file=sys.stderr)
                continue
            done += 1
            shown: dict[int, list[tuple[str, int, int]]] = {}
            files: list[str] = []
            for budget in BUDGETS:
                started = time.perf_counter()
                result = locate(root, task.instruction, budget=budget, on_note=lambda _t: None,
                                on_index=lambda _d, _t: None)
                elapsed = time.perf_counter() - started
                (surgeon.cold if first else surgeon.seconds).append(elapsed)
                first = False
                shown[budget] = [(r.path, r.start_line, r.end_line) for r in result.regions]
                if budget == BUDGETS[-1]:
                    files = [r.path for r in result.regions]
            surgeon.add(task, files, shown)
            ranked, packed, seconds = bm25_run(root, task.instruction)
            bm25.seconds.append(seconds)
            bm25.add(task, ranked, packed)
            if verbose:
                print(f"  {repo_name(source)} {task.commit[:8]} s={surgeon.recall[8000][-1]:.2f} "
                      f"b={bm25.recall[8000][-1]:.2f}  {task.instruction.splitlines()[0][:70]}")
    return done


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clones", nargs="*", type=Path)
    parser.add_argument("--tasks", type=int, default=40, help="tasks per repository (default 40)")
    parser.add_argument("--swebench", type=Path, help="SWE-bench instances (JSON): issue texts instead of commits")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                        help="with --swebench: the folder of fetched repositories (<owner>+<name>/repo)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    surgeon, bm25 = Score(), Score()
    counts = {}
    if args.swebench:
        for clone, tasks in swebench_tasks(args.swebench, args.mirrors).items():
            counts[repo_name(clone)] = run_repo(clone, args.tasks, args.verbose, surgeon, bm25, tasks)
    for clone in args.clones:
        counts[repo_name(clone)] = run_repo(
            clone, args.tasks, args.verbose, surgeon, bm25)
    print("tasks: " + ", ".join(f"{name} {n}" for name, n in counts.items()) + f"; {sum(counts.values())} in all")
    print(f"{'':10}{'file@1':>8}{'file@5':>8}{'recall 2k':>11}{'recall 8k':>11}{'all shown 8k':>14}{'seconds':>22}")
    for name, score in (("surgeon", surgeon), ("BM25", bm25)):
        allshown = [float(r == 1.0) for r in score.recall[8000]]
        seconds = (f"cold {statistics.median(score.cold):.2f} warm {statistics.median(score.seconds):.2f}"
                   if score.cold else f"{statistics.median(score.seconds):.2f}")
        print(f"{name:10}{mean(score.file1):>8}{mean(score.file5):>8}{mean(score.recall[2000]):>11}"
              f"{mean(score.recall[8000]):>11}{mean(allshown):>14}{seconds:>22}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
