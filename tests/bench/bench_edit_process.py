"""The time an edit spends outside the model, as a user runs it: the `surgeon` console script
(`surgeon edit "<subject>" --json`, a process per edit), against a loopback server that speaks
Anthropic's wire protocol and answers at once with the commit's own diff, on recent small commits
of real repositories (the tasks of bench_context.py: each replayed on its commit's parent).

    .venv/bin/python tests/bench/bench_edit_process.py CLONE [CLONE ...] [--tasks 8] [--surgeon PATH]

Use the installed wheel's console script (`--surgeon /path/to/venv/bin/surgeon`) to measure what
users run: an editable install in a tree without byte-code compiles every module on each start.
The server answers in well under a millisecond, so a process's wall time is all outside the model:
Python's start, the model SDK's import, locate, the context, validation, staging and exit.
Printed per edit, then the medians, beside the plain baseline of applying the same diff by hand
(`git apply --check` then `git apply --cached` into a scratch index).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from bench_context import find_tasks, git, repo_name  # noqa: E402

from tests.fakes.server import FakeModelServer  # noqa: E402

PHASES = ("startup", "setup", "locate", "context", "model", "validate", "stage")


def edit_once(surgeon: str, root: Path, subject: str, diff: str, server: FakeModelServer) -> dict:
    server.script([f"```diff\n{diff}```"] * 2)  # a retry gets the same answer
    started = time.perf_counter()
    run = subprocess.run([surgeon, "edit", subject, "--json", "--model", "anthropic:claude-sonnet-5-5"],
                         cwd=root, env={**os.environ, **server.env()}, capture_output=True, text=True)
    wall = time.perf_counter() - started
    try:
        answer = json.loads(run.stdout)
    except ValueError:
        answer = {"status": f"no JSON (exit {run.returncode}): {run.stderr.strip()[-120:]}"}
    return {"wall": wall, "status": str(answer.get("status")), **(answer.get("timings") or {})}


def apply_by_hand(root: Path, diff: str) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        started = time.perf_counter()
        subprocess.run(["git", "read-tree", "HEAD"], cwd=root, env=env, check=True)
        for args in (["--check"], ["--cached"]):
            subprocess.run(["git", "apply", *args], cwd=root, env=env, input=diff, text=True, check=True,
                           capture_output=True)
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clones", nargs="+", type=Path)
    parser.add_argument("--tasks", type=int, default=8, help="edits per repository (default 8)")
    parser.add_argument("--surgeon", default=shutil.which("surgeon") or str(ROOT / ".venv" / "bin" / "surgeon"),
                        help="the console script to run (default: surgeon on PATH)")
    args = parser.parse_args(argv)
    rows: list[dict] = []
    by_hand: list[float] = []
    with FakeModelServer() as server, tempfile.TemporaryDirectory(prefix="bench-edit-") as tmp:
        for source in args.clones:
            root = Path(tmp) / repo_name(source)
            subprocess.run(["git", "clone", "-q", "--no-checkout", str(source), str(root)], check=True)
            for at, task in enumerate(find_tasks(source, args.tasks)):
                git(root, "checkout", "-q", "--force", "--detach", task.parent)
                diff = git(root, "diff", task.parent, task.commit, "--", *sorted(task.targets))
                row = edit_once(args.surgeon, root, task.instruction, diff, server)
                row["cache"] = "cold" if at == 0 else "warm"
                rows.append(row)
                by_hand.append(apply_by_hand(root, diff))
                for branch in git(root, "branch", "--format=%(refname:short)").split():
                    if branch.startswith("surgeon/"):
                        git(root, "branch", "-D", branch)
                print(f"  {row['wall']:5.2f}s {row['status']:8.8} {row['cache']} "
                      + " ".join(f"{k} {row.get(k, 0):.2f}" for k in PHASES)
                      + f"  {repo_name(source)}: {task.instruction[:50]}")
    warm = [r for r in rows if r["cache"] == "warm"]
    staged = [r for r in warm if r["status"] == "staged"]
    print(f"{len(rows)} edits ({sum(r['status'] == 'staged' for r in rows)} staged); medians over the "
          f"{len(warm)} with a warm index:")
    for name in ("wall", *PHASES):
        print(f"  {name:9}{statistics.median(r.get(name, 0.0) for r in warm):6.2f} s")
    if staged:
        print(f"  wall of the {len(staged)} staged: {statistics.median(r['wall'] for r in staged):.2f} s")
    print(f"baseline, the same diff by hand (git apply --check, --cached): {statistics.median(by_hand):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
