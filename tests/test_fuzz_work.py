"""Never lose work, under attack: hypothesis drives random sequences of `surgeon apply` (staged, on
the working tree with --base worktree, and --in-place), `accept`, `discard`, the user's own edits,
`git add`s and commits (on their branch, on review branches, on hand-made surgeon/ branches), and
interrupts (SIGKILL, SIGTERM, or Ctrl-C to the whole process group, after a random git call of an
accept or a staging: tests/stage/faults.py) on a repository with uncommitted work.

After every step the user's commits are all still reachable, and the index and working-tree bytes
are what the step allows: untouched by a refusal, a staging, a discard or an accept that was rolled
back; for an accept that went in, exactly the accepted commit's content in the files it touched
(which held no uncommitted work) and nothing else changed. The totals (scenarios, steps, lost bytes)
are printed; SURGEON_FUZZ_EXAMPLES sets how many scenarios to try (default 6), SURGEON_FUZZ_RANDOM=1 draws new ones each run.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import GIT_ENV, git, make_repo, run_surgeon
from tests.stage.faults import Faults, run_in_session

FILES = [f"f{n}.py" for n in range(3)]
BASE = "".join(f"L{k} = {k}\n" for k in range(8))
EXAMPLES = int(os.environ.get("SURGEON_FUZZ_EXAMPLES", "6"))
TOTALS = {"scenarios": 0, "steps": 0, "surgeon_runs": 0, "interrupts": 0, "accepted": 0, "lost_bytes": 0,
          "refused": 0}

interrupt = st.one_of(st.none(), st.tuples(st.sampled_from(["KILL", "TERM", "INT"]), st.integers(1, 24)))
STEPS = {
    "apply": st.tuples(st.just("apply"), st.sampled_from(FILES), st.integers(0, 7),
                       st.sampled_from(["head", "worktree", "in-place"]), interrupt),
    "accept": st.tuples(st.just("accept"), st.integers(0, 5), interrupt),
    "discard": st.tuples(st.just("discard"), st.integers(-1, 5)),
    "edit": st.tuples(st.just("edit"), st.sampled_from(FILES), st.integers(0, 7)),
    "add": st.tuples(st.just("add"), st.sampled_from(FILES)),
    "commit": st.tuples(st.just("commit")),
    "commit-on-branch": st.tuples(st.just("commit-on-branch"), st.integers(0, 5), st.sampled_from(FILES)),
    "hand-made": st.tuples(st.just("hand-made")),
}
# surgeon's apply and accept three times as often as each other step
step = st.sampled_from(["apply"] * 3 + ["accept"] * 3 + [k for k in STEPS if k not in ("apply", "accept")]).flatmap(
    STEPS.__getitem__)
# every scenario starts with two staged changes, one of them on uncommitted work
OPENING = [("apply", "f0.py", 0, "head", None), ("apply", "f2.py", 3, "worktree", None)]


@dataclass
class Snapshot:
    files: dict[str, bytes]
    index: dict[str, str]
    head: str
    branches: dict[str, str]


@dataclass
class World:
    repo: Path
    faults: Faults
    user_commits: dict[str, int] = field(default_factory=dict)  # commit -> bytes of its patch
    counter: int = 0

    def next(self) -> int:
        self.counter += 1
        return self.counter


def snapshot(repo: Path) -> Snapshot:
    files = {p.name: p.read_bytes() for p in repo.iterdir() if p.is_file()}
    index = dict(reversed(line.split("\t", 1)) for line in git(repo, "ls-files", "-s").splitlines())
    refs = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/").split("\n")
    return Snapshot(files, index, git(repo, "rev-parse", "HEAD").strip(),
                    dict(line.split(" ") for line in refs if line))


def raw_git(repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> bytes | None:
    done = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True,
                          env={**os.environ, **GIT_ENV, **(env or {})})
    if check:
        assert done.returncode == 0, done.stderr
    return done.stdout if done.returncode == 0 else None


def content(repo: Path, commit: str, path: str) -> bytes | None:
    return raw_git(repo, "cat-file", "blob", f"{commit}:{path}", check=False)


def entry(repo: Path, commit: str, path: str) -> str | None:
    listed = git(repo, "ls-tree", commit, "--", path).split()
    return f"{listed[0]} {listed[2]} 0" if listed else None


def rows(world: World) -> list[dict]:
    listed = run_surgeon("branches", "--json", cwd=world.repo)
    TOTALS["surgeon_runs"] += 1
    assert listed.code == 0, listed.stderr
    found = [row for row in json.loads(listed.stdout)["branches"] if row["kind"] == "review"]
    assert all(row["state"] in ("verified", "changed", "rewritten", "not-surgeon") for row in found), found
    return found


def lost(world: World, before: Snapshot, after: Snapshot, allowed: dict[str, bytes | None],
         index: dict[str, str | None] | None = None) -> int:
    """Bytes of the user's work a step did not keep: files that changed though the step may not
    change them (`allowed`: path -> the only other content it may have), index entries likewise
    (`index`: path -> the only other entry), and patches of user commits no ref holds any more.
    Added to TOTALS["lost_bytes"]."""
    missing = 0
    for path in set(before.files) | set(after.files):
        now, was = after.files.get(path), before.files.get(path)
        if now != was and (path not in allowed or now != allowed[path]):
            missing += len(was or b"") or 1
    for path in set(before.index) | set(after.index):
        now_entry, was_entry = after.index.get(path), before.index.get(path)
        if now_entry != was_entry and (path not in (index or {}) or now_entry != (index or {})[path]):
            missing += len(before.files.get(path, b"")) or 1
    reachable = set(git(world.repo, "rev-list", "--branches", "HEAD").split())
    missing += sum(size for commit, size in world.user_commits.items() if commit not in reachable)
    TOTALS["lost_bytes"] += missing
    return missing


def user_commit(world: World, parent: str, path: str) -> str:
    """A commit of the user's on `parent` adding a line to `path` (plumbing: their checkout is untouched)."""
    repo = world.repo
    text = (content(repo, parent, path) or b"") + f"U{world.next()} = 'mine'\n".encode()
    blob = (raw_git(repo, "hash-object", "-w", "--stdin", input=text) or b"").decode().strip()
    env = {"GIT_INDEX_FILE": str(repo.parent / "fuzz.index")}  # not the user's index
    raw_git(repo, "read-tree", parent, env=env)
    raw_git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
    tree = (raw_git(repo, "write-tree", env=env) or b"").decode().strip()
    commit = git(repo, "commit-tree", tree, "-p", parent, input="my own commit\n").strip()
    world.user_commits[commit] = len(text)
    return commit


def make_diff(old: bytes, path: str, line: int, marker: int) -> tuple[str, bytes | None]:
    """surgeon's change to `path`: line L<line> gets a new value; and the file after it (None: the
    line is gone, so the diff no longer fits and must be refused)."""
    lines = old.decode().splitlines(keepends=True)
    wanted = f"L{line} = {line}\n"
    new = [f"L{line} = {marker}  # S{marker}\n" if text == wanted else text for text in lines]
    if new == lines:
        return f"--- a/{path}\n+++ b/{path}\n@@ -{line + 1} +{line + 1} @@\n-{wanted}+L{line} = -1\n", None
    return "".join(difflib.unified_diff(lines, new, f"a/{path}", f"b/{path}", n=1)), "".join(new).encode()


def do_apply(world: World, path: str, line: int, mode: str, fault: tuple[str, int] | None) -> None:
    repo = world.repo
    before = snapshot(repo)
    source = before.files.get(path, b"") if mode != "head" else (content(repo, "HEAD", path) or b"")
    diff, expected = make_diff(source, path, line, world.next())
    args = ["--in-place"] if mode == "in-place" else ["--base", mode]
    if fault is not None and mode != "in-place":
        TOTALS["interrupts"] += 1
        run = run_in_session("apply", "-", *args, cwd=repo, env=world.faults.env(*reversed(fault)),
                             input=diff.encode())
    else:
        run = run_surgeon("apply", "-", *args, cwd=repo, input=diff)
    TOTALS["surgeon_runs"] += 1
    assert "Traceback" not in run.stderr, run.stderr
    rows(world)
    after = snapshot(repo)
    # --in-place writes exactly the changed file (never the index); staging writes nothing of the user's
    allowed = {path: expected} if mode == "in-place" and run.code == 0 else {}
    assert run.code == 0 or expected is None or mode != "in-place" or fault, (run.code, run.stderr)
    TOTALS["refused"] += run.code != 0
    assert after.head == before.head and lost(world, before, after, allowed) == 0, (run.code, run.stderr)


def do_accept(world: World, choice: int, fault: tuple[str, int] | None) -> None:
    repo = world.repo
    pending = rows(world)
    if not pending:
        return
    row = pending[choice % len(pending)]
    before = snapshot(repo)
    if fault is not None:
        TOTALS["interrupts"] += 1
        run = run_in_session("accept", row["id"], cwd=repo, env=world.faults.env(*reversed(fault)))
    else:
        run = run_surgeon("accept", row["id"], cwd=repo)
    TOTALS["surgeon_runs"] += 1
    assert "Traceback" not in run.stderr, run.stderr
    still = {r["branch"] for r in rows(world)}  # settles an interrupted accept first
    after = snapshot(repo)
    allowed: dict[str, bytes | None] = {}
    index: dict[str, str | None] = {}
    if after.head != before.head:  # went in on HEAD: fast-forward or replayed
        assert git(repo, "merge-base", "--is-ancestor", before.head, after.head, check=False) == ""
        touched = git(repo, "diff-tree", "-r", "--name-only", "--no-renames", before.head, after.head).split()
        for path in touched:
            assert before.files.get(path) == content(repo, before.head, path), f"{path} held uncommitted work"
            allowed[path], index[path] = content(repo, after.head, path), entry(repo, after.head, path)
            assert after.files.get(path) == allowed[path], f"{path}: only part of the change came in"
        assert row["branch"] not in still
    elif row["branch"] not in still and row["snapshot"]:  # went into the working tree
        for path in row["files"]:
            allowed[path] = content(repo, row["commit"], path)
            assert before.files.get(path) == content(repo, row["base"], path), f"{path} changed since snapshot"
            assert after.files.get(path) == allowed[path], f"{path}: only part of the change came in"
    missing = lost(world, before, after, allowed, index)
    TOTALS["accepted"] += row["branch"] not in still
    TOTALS["refused"] += run.code != 0
    assert missing == 0, (run.code, run.stderr)


def do_discard(world: World, choice: int) -> None:
    pending = rows(world)
    before = snapshot(world.repo)
    if choice < 0:
        run = run_surgeon("discard", "--all", cwd=world.repo)
    elif pending:
        run = run_surgeon("discard", pending[choice % len(pending)]["id"], cwd=world.repo)
    else:
        return
    TOTALS["surgeon_runs"] += 1
    assert "Traceback" not in run.stderr, run.stderr
    left = {row["branch"] for row in rows(world)}
    gone = [row for row in pending if row["branch"] not in left]
    assert all(row["state"] == "verified" for row in gone), gone
    after = snapshot(world.repo)
    assert after.head == before.head and lost(world, before, after, {}) == 0


def do_user(world: World, action: tuple) -> None:
    repo = world.repo
    before = snapshot(repo)
    kind = action[0]
    if kind == "edit":
        _, path, line = action
        text = (repo / path).read_text() if (repo / path).exists() else ""
        lines = text.splitlines(keepends=True) or [""]
        lines[line % len(lines)] = f"U{world.next()} = 'my edit'\n"
        (repo / path).write_text("".join(lines))
    elif kind == "add":
        git(repo, "add", "--", action[1])
    elif kind == "commit":
        if git(repo, "diff", "--cached", "--name-only"):
            git(repo, "commit", "-qm", f"my commit {world.next()}")
            head = git(repo, "rev-parse", "HEAD").strip()
            world.user_commits[head] = len(git(repo, "show", "--format=", head))
    elif kind == "commit-on-branch":
        pending = [b for b in before.branches if b.startswith("surgeon/")]
        if pending:
            branch = pending[action[1] % len(pending)]
            git(repo, "update-ref", f"refs/heads/{branch}", user_commit(world, before.branches[branch], action[2]))
    elif kind == "hand-made":
        git(repo, "update-ref", f"refs/heads/surgeon/my-experiment-{world.next()}",
            user_commit(world, before.head, FILES[0]))


def scenario(tmp: Path, steps: list[tuple]) -> None:
    repo = make_repo(tmp / "repo", {path: BASE for path in FILES})
    (repo / "f1.py").write_text(BASE.replace("L7 = 7", "L7 = 'staged by me'"))
    git(repo, "add", "f1.py")
    (repo / "f2.py").write_text(BASE.replace("L6 = 6", "L6 = 'unsaved'"))
    (repo / "scratch.txt").write_bytes(b"untracked \x00\xff bytes\n")
    world = World(repo, Faults(tmp / "faults"))
    for action in [*OPENING, *steps]:
        TOTALS["steps"] += 1
        if action[0] == "apply":
            do_apply(world, *action[1:])
        elif action[0] == "accept":
            do_accept(world, *action[1:])
        elif action[0] == "discard":
            do_discard(world, action[1])
        else:
            do_user(world, action)
    TOTALS["scenarios"] += 1


def test_random_sequences_never_lose_work(tmp_path_factory):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize="SURGEON_FUZZ_RANDOM" not in os.environ,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(step, min_size=3, max_size=9))
    def run(steps: list[tuple]) -> None:
        tmp = tmp_path_factory.mktemp("fuzz")
        try:
            scenario(tmp, steps)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    if shutil.which("sh") is None:
        pytest.skip("the fault-injecting git wrapper needs /bin/sh")
    run()
    print("\nfuzz: " + ", ".join(f"{key} {value}" for key, value in TOTALS.items()))
    assert TOTALS["lost_bytes"] == 0 and TOTALS["scenarios"] >= 1
