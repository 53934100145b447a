"""Pending review branches: read, find, show and discard them (accepting is stage/accept.py;
`surgeon pair` session branches are pair/listing.py, which builds on this).

A review branch is one commit on surgeon/<slug>-<id> whose message carries the instruction and
the Surgeon-* trailers; its gate result is a note (surgeon.gate.notes)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from surgeon.errors import Refused, UsageError
from surgeon.gate import GateResult, read_gate
from surgeon.git import Git, RepoInfo
from surgeon.stage.message import PAIR_REFS_PREFIX, REFS_PREFIX, SNAPSHOT_SUBJECT, branch_id, parse_trailers


@dataclass(frozen=True)
class PairState:
    """What a `surgeon pair` session branch holds and whether it is in use."""

    turns: int | None  # turns in its session file (None: no readable session file names this branch)
    turns_accepted: int  # accepted turns on the branch now (undone ones are gone from it)
    apply: bool | None  # accepted turns were written to the working tree (None: unknown)
    running_pid: int | None  # a `surgeon pair` process running it now
    resume: bool  # the session `surgeon pair --resume` continues

    def to_json(self) -> dict[str, Any]:
        return {
            "turns": self.turns,
            "turns_accepted": self.turns_accepted,
            "apply": self.apply,
            "running": self.running_pid is not None,
            "pid": self.running_pid,
            "resume": self.resume,
        }


@dataclass(frozen=True)
class BranchInfo:
    id: str
    branch: str  # surgeon/<slug>-<id>
    commit: str
    base: str  # parent of the surgeon commit (HEAD at staging, or the working-tree snapshot)
    head: str  # HEAD when the change was staged
    snapshot: bool  # staged with --base worktree on a snapshot commit
    created: int  # unix time of the surgeon commit
    files: tuple[str, ...]
    lines_added: int
    lines_removed: int
    summary: str
    instruction: str
    model: str | None
    cost: str | None
    check_command: str | None
    gate: GateResult | None
    kind: str = "review"  # "review": a staged change; "pair": a `surgeon pair` session branch
    pair: PairState | None = None

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        return {
            "id": self.id,
            "branch": self.branch,
            "commit": self.commit,
            "base": self.base,
            "head_at_staging": self.head,
            "snapshot": self.snapshot,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created)),
            "age_seconds": max(0, int(now - self.created)),
            "files": list(self.files),
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
            "summary": self.summary,
            "instruction": self.instruction,
            "model": self.model,
            "cost": self.cost,
            "check_command": self.check_command,
            "check": None if self.gate is None else self.gate.to_json(),
            "kind": self.kind,
            "session": None if self.pair is None else self.pair.to_json(),
        }

    @property
    def check_label(self) -> str:
        return "-" if self.gate is None else self.gate.label


@dataclass(frozen=True)
class AcceptResult:
    branch: BranchInfo
    how: str  # fast-forward | replayed | working-tree | already-merged
    commit: str | None  # what HEAD points at afterwards (None: HEAD unchanged)
    files: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.branch.to_json(), "how": self.how, "commit": self.commit, "files": list(self.files)}


def surgeon_refs(git: Git) -> dict[str, str]:
    """refs/heads/surgeon/... -> commit, for every surgeon branch (pair sessions included)."""
    out = git.out("for-each-ref", "--format=%(refname) %(objectname)", REFS_PREFIX)
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def review_refs(git: Git) -> dict[str, str]:
    """The review branches stage_diff makes: surgeon branches other than `surgeon pair`'s own
    session and check branches (surgeon/pair-...), which that command manages."""
    return {ref: commit for ref, commit in surgeon_refs(git).items() if not ref.startswith(PAIR_REFS_PREFIX)}


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---------------------------------------------------------------------------------------------
# reading


def numstat(git: Git, base: str, commit: str) -> tuple[tuple[str, ...], int, int]:
    files: list[str] = []
    added = removed = 0
    for field in git.z_list("diff-tree", "-r", "-z", "--no-renames", "--numstat", base, commit):
        plus, minus, path = field.split("\t", 2)
        files.append(path)
        added += int(plus) if plus.isdigit() else 0
        removed += int(minus) if minus.isdigit() else 0
    return tuple(sorted(files)), added, removed


def _load(git: Git, ref: str, commit: str) -> BranchInfo:
    shown = git.run("show", "-s", "--format=%P%x00%ct%x00%B", commit).stdout.decode("utf-8", "replace")
    parents, created, message = shown.split("\0", 2)
    base = parents.split()[0] if parents.split() else ""
    snapshot_head = None
    if base:
        subject_and_parent = git.out("show", "-s", "--format=%s%x00%P", base)
        subject, _, grand = subject_and_parent.partition("\0")
        if subject == SNAPSHOT_SUBJECT and grand.split():
            snapshot_head = grand.split()[0]
    files, added, removed = numstat(git, base, commit) if base else ((), 0, 0)
    trailers = parse_trailers(message)
    lines = message.strip().split("\n\n")
    body = "\n\n".join(lines[1:-1]) if trailers and len(lines) > 2 else ""
    return BranchInfo(
        id=branch_id(ref),
        branch=ref.removeprefix("refs/heads/"),
        commit=commit,
        base=base,
        head=snapshot_head or base,
        snapshot=snapshot_head is not None,
        created=int(created or 0),
        files=files,
        lines_added=added,
        lines_removed=removed,
        summary=message.strip().splitlines()[0] if message.strip() else "",
        instruction=trailers.get("Surgeon-Instruction") or body or "",
        model=trailers.get("Surgeon-Model"),
        cost=trailers.get("Surgeon-Cost"),
        check_command=trailers.get("Surgeon-Check"),
        gate=read_gate(git, commit),
    )


def list_branches(repo: RepoInfo) -> list[BranchInfo]:
    """Every pending surgeon branch, oldest first."""
    git = Git(repo.root)
    infos = [_load(git, ref, commit) for ref, commit in review_refs(git).items()]
    return sorted(infos, key=lambda info: (info.created, info.branch))


def match_ref(candidates: Iterable[str], ident: str) -> str:
    """The one ref among `candidates` that `ident` names: the branch name (with or without
    refs/heads/ or surgeon/), its short id, or a prefix of 4+ characters of that id."""
    refs = list(candidates)
    name = ident.strip().removeprefix("refs/heads/")
    exact = [ref for ref in refs if ref in (f"refs/heads/{name}", f"{REFS_PREFIX}{name}") or branch_id(ref) == name]
    if not exact and len(name) >= 4:
        exact = [ref for ref in refs if branch_id(ref).startswith(name)]
    if not exact:
        raise UsageError(f"no pending surgeon branch '{ident}'. `surgeon branches` lists them.")
    if len(exact) > 1:
        names = ", ".join(sorted(ref.removeprefix("refs/heads/") for ref in exact))
        raise UsageError(f"'{ident}' matches several surgeon branches: {names}. Use the full branch name.")
    return exact[0]


def load_branch(git: Git, ref: str, commit: str) -> BranchInfo:
    """The BranchInfo of a review branch `ref` whose tip is `commit`."""
    return _load(git, ref, commit)


def find_branch(repo: RepoInfo, ident: str) -> BranchInfo:
    """A pending review branch by short id, id prefix (4+ characters) or branch name."""
    git = Git(repo.root)
    refs = review_refs(git)
    ref = match_ref(refs, ident)
    return _load(git, ref, refs[ref])


def discard_branch(repo: RepoInfo, ident: str) -> BranchInfo:
    """Delete one review branch (and its gate note) by id or name."""
    git = Git(repo.root)
    info = find_branch(repo, ident)
    refuse_checked_out(git, [info], "discard")
    git.delete_branch(f"refs/heads/{info.branch}", info.commit)
    return info



def branch_diff(repo: RepoInfo, info: BranchInfo) -> str:
    """The change as a git diff (renames detected), exactly what accept brings in."""
    git = Git(repo.root)
    return git.run(
        "diff-tree", "-p", "-M", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/",
        info.base, info.commit,
    ).stdout.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# discarding


def refuse_checked_out(git: Git, infos: Sequence[BranchInfo], action: str) -> None:
    checked_out = git.checked_out()
    busy = [info.branch for info in infos if f"refs/heads/{info.branch}" in checked_out]
    if busy:
        raise Refused(
            f"cannot {action} {', '.join(busy)}: checked out in a worktree. "
            "Switch to another branch first; nothing changed."
        )


def discard_all(repo: RepoInfo) -> list[BranchInfo]:
    """Delete every review branch (pair sessions are left alone: see discard_everything)."""
    git = Git(repo.root)
    infos = list_branches(repo)
    refuse_checked_out(git, infos, "discard")
    for info in infos:
        git.delete_branch(f"refs/heads/{info.branch}", info.commit)
    return infos



