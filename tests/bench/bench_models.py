"""`surgeon bench` on this project's own history with scripted replies: how long it takes, and that
the ranking follows the replies.

    .venv/bin/python tests/bench/bench_models.py [--tasks 10] [--repo DIR]

It clones this checkout into a temporary folder (bench makes and removes worktrees and branches in
the repository it measures; this keeps them out of the checkout), picks the same tasks bench will,
and writes two scripts: "oracle" answers each task with the commit's own change; "sloppy" answers
every other task with only the first hunk of it and the rest with no diff at all. Then it runs the
installed console script once, one attempt per task (SURGEON_MAX_ATTEMPTS=1: a retry would take the
next task's scripted reply), and prints the wall time, the tables and the routing. BENCH_LOG=1 adds
bench's log (one line per run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from unidiff import PatchSet

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.bench import pick_tasks  # noqa: E402
from surgeon.git import Git  # noqa: E402

SURGEON = Path(sys.executable).parent / "surgeon"
NO_DIFF = "I would rather leave this as it is."


def answer(git: Git, parent: str, commit: str, files: tuple[str, ...]) -> str:
    return git.run("diff", "--no-color", parent, commit, "--", *files).stdout.decode("utf-8", "replace")


def first_hunk(diff: str) -> str:
    patched = PatchSet(diff)[0]
    return f"--- a/{patched.path}\n+++ b/{patched.path}\n{patched[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--repo", type=Path, help="benchmark this repository in place (default: a clone of this checkout)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-models-") as scratch:
        repo = args.repo
        if repo is None:
            repo = Path(scratch) / "surgeon"
            subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(repo)], check=True)
        git = Git(repo)
        tasks = pick_tasks(git, args.tasks)
        oracle, sloppy = [], []
        for number, task in enumerate(tasks):
            diff = answer(git, task.parent, task.commit, task.files)
            oracle.append(f"```diff\n{diff}```\n")
            sloppy.append(f"```diff\n{first_hunk(diff)}```\n" if number % 2 == 0 else NO_DIFF)
        specs = []
        for name, replies in (("oracle", oracle), ("sloppy", sloppy)):
            path = Path(scratch) / f"{name}.json"
            path.write_text(json.dumps(replies))
            specs.append(f"script:{path}")
        # the commit's own tests run with this environment's interpreter (the clone has no .venv)
        # One attempt per task: a scripted reply cannot read a refusal, and a retry would take the next task's reply.
        env = {**os.environ, "VIRTUAL_ENV": sys.prefix, "NO_COLOR": "1", "COLUMNS": "160", "SURGEON_MAX_ATTEMPTS": "1"}
        started = time.perf_counter()
        run = subprocess.run([str(SURGEON), "bench", "--models", ",".join(specs), "--tasks", str(args.tasks)],
                             cwd=repo, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        print(run.stdout)
        if os.environ.get("BENCH_LOG"):
            print(run.stderr)
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            raise SystemExit(run.returncode)
        print(f"surgeon bench: {len(tasks)} tasks x 2 scripted models on {repo.name}'s own history "
              f"in {seconds:.1f}s wall time ({seconds / max(1, 2 * len(tasks)):.2f}s per run)")


if __name__ == "__main__":
    main()
