"""SWE-bench tasks of a repository too large to fetch, rebuilt from its release sdists, for
bench_context.py --swebench.

    .venv/bin/python tests/bench/swebench_sdists.py swe-bench-lite.json --repo django/django \
        --package django --out /tmp/sdist-mirrors
    .venv/bin/python tests/bench/bench_context.py --swebench /tmp/sdist-mirrors/django+django-tasks.json \
        --mirrors /tmp/sdist-mirrors

An instance's base commit lies in the development of its `Version`, and that release's sdist (from
the package registry, kept in tests/bench/.cache/) holds its fix: the gold patch is undone there,
and the tree without the fix is the task's base. The answer is the fix redone on that tree, so line
numbers are the tree's own. A fix that later changes have overlaid no longer undoes cleanly
(`git apply -R`, else GNU patch with fuzz 1): that instance is left out and counted. The rest of the
tree is the release, months from the issue's own commit: a close stand-in for file and line
retrieval, not the exact repository.

Writes OUT/<owner>+<name>/repo (a git repository: one commit per release, one per task on top of
its release) and OUT/<owner>+<name>-tasks.json (the instances with Base_commit and Patch rewritten).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_locate import GIT_ENV, sdist  # noqa: E402


def git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          input=stdin, env=GIT_ENV).stdout


def commit_release(repo: Path, archive: Path, version: str) -> str:
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive) as tar:
        tar.extractall(scratch, filter="data")
        (top,) = Path(scratch).iterdir()
        for entry in top.iterdir():
            shutil.move(str(entry), repo / entry.name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"release {version}")
    return git(repo, "rev-parse", "HEAD").strip()


def undo(repo: Path, patch: str) -> bool:
    """The gold patch undone in the work tree; False (tree untouched) when it no longer undoes cleanly."""
    if subprocess.run(["git", "-C", str(repo), "apply", "-R", "--check"], input=patch, text=True,
                      capture_output=True).returncode == 0:
        git(repo, "apply", "-R", stdin=patch)
        return True
    dry = subprocess.run(["patch", "-R", "-p1", "-F1", "--dry-run", "-s"], cwd=repo, input=patch, text=True,
                         capture_output=True)
    if dry.returncode != 0 or "Unreversed" in dry.stdout:
        return False
    subprocess.run(["patch", "-R", "-p1", "-F1", "-s", "--no-backup-if-mismatch"], cwd=repo, input=patch,
                   text=True, capture_output=True, check=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instances", type=Path, help="SWE-bench instances (JSON list)")
    parser.add_argument("--repo", required=True, help="the instances' repository, e.g. django/django")
    parser.add_argument("--package", required=True, help="its name in the package registry, e.g. django")
    parser.add_argument("--out", required=True, type=Path, help="the folder to write the repository and tasks to")
    args = parser.parse_args(argv)
    # field names as the file spells them (Base_commit or base_commit), by their lower-case name
    items = json.loads(args.instances.read_text())
    chosen = [(item, {k.lower(): k for k in item}) for item in items]
    chosen = [(item, keys) for item, keys in chosen if item[keys["repo"]] == args.repo]
    if not chosen:
        parser.error(f"no instance of {args.repo} in {args.instances}")
    name = args.repo.replace("/", "+")
    repo = args.out / name / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    versions = sorted({item[keys["version"]] for item, keys in chosen})
    releases = {v: commit_release(repo, sdist(args.package, v), v) for v in versions}
    tasks, left_out = [], []
    for item, keys in chosen:
        release, patch, name_of = releases[item[keys["version"]]], item[keys["patch"]], item[keys["instance_id"]]
        git(repo, "checkout", "-q", "--force", release)
        if not undo(repo, patch):
            left_out.append(name_of)
            continue
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"{name_of} without its fix")
        base = git(repo, "rev-parse", "HEAD").strip()
        paths = sorted({line[6:] for line in patch.splitlines() if line.startswith("--- a/")})
        redone = git(repo, "diff", base, release, "--", *paths)
        tasks.append({**item, keys["base_commit"]: base, keys["patch"]: redone})
    out = args.out / f"{name}-tasks.json"
    out.write_text(json.dumps(tasks))
    print(f"{len(tasks)} of {len(chosen)} instances of {args.repo} over {len(releases)} releases "
          f"({len(left_out)} left out: their fix no longer undoes cleanly): {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
