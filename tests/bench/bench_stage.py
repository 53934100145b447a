"""Benchmark: staging a 3-file diff in a repository of 10,000 files (target: under 300 ms).

Run: .venv/bin/python tests/bench/bench_stage.py [--runs N]
The repository is built once in tests/bench/.cache/stage-10k (git-ignored) and reused.
Each run stages two modified files and one new file with surgeon.stage.stage_diff (dirty check,
temporary index of 10k entries, commit, branch, three-way verification), then discards the branch.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.git import Git, find_repo  # noqa: E402
from surgeon.stage import stage_diff  # noqa: E402
from tests.helpers import GIT_ENV  # noqa: E402
from tests.stage.support import patch_result  # noqa: E402

CACHE = ROOT / "tests" / "bench" / ".cache" / "stage-10k"
FILE_COUNT = 10_000
TARGET_MS = 300.0


def build_repo(path: Path) -> Path:
    if (path / ".git").exists() and (path / "READY").exists():
        return path
    subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(parents=True)
    env = {**GIT_ENV, "PATH": "/usr/bin:/bin:/usr/local/bin"}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=env)
    for number in range(FILE_COUNT):
        folder = path / f"pkg{number // 100:03d}"
        folder.mkdir(exist_ok=True)
        lines = "".join(f"VALUE_{number}_{line} = {line}\n" for line in range(30))
        (folder / f"module_{number:05d}.py").write_text(f'"""Module {number}."""\n\n{lines}')
    subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", "10k files"], cwd=path, check=True, env=env)
    (path / ".git" / "info" / "exclude").write_text("READY\n")
    (path / "READY").write_text("")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    import os

    os.environ.update(GIT_ENV)
    started = time.perf_counter()
    repo_path = build_repo(CACHE)
    print(f"repository: {repo_path} ({FILE_COUNT} files, ready in {time.perf_counter() - started:.1f}s)")
    repo = find_repo(repo_path)
    git = Git(repo.root)
    timings = []
    for run in range(args.runs + 1):
        edits = {
            "pkg001/module_00100.py": (repo_path / "pkg001/module_00100.py").read_text().replace("= 3\n", f"= {run}3\n"),
            "pkg050/module_05000.py": (repo_path / "pkg050/module_05000.py").read_text().replace("= 7\n", f"= {run}7\n"),
            f"pkg099/new_{run}.py": f"NEW = {run}\n",
        }
        result = patch_result(repo_path, edits)
        begin = time.perf_counter()
        staged = stage_diff(repo, result, instruction="Bump two values and add a module", model="bench")
        elapsed = (time.perf_counter() - begin) * 1000
        git.delete_branch(f"refs/heads/{staged.branch}", staged.commit)
        if run:  # the first run warms the file cache
            timings.append(elapsed)
    median = statistics.median(timings)
    print(f"stage_diff, 3-file diff, {FILE_COUNT} files: median {median:.0f} ms, "
          f"min {min(timings):.0f} ms, max {max(timings):.0f} ms over {len(timings)} runs "
          f"(target < {TARGET_MS:.0f} ms: {'OK' if median < TARGET_MS else 'SLOW'})")


if __name__ == "__main__":
    main()
