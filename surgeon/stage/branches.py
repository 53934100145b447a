"""Pending review branches: read, find, show and discard them (accepting is stage/accept.py;
`surgeon pair` session branches are pair/listing.py, which builds on this).

A review branch is one commit on surgeon/<slug>-<id> whose message carries the instruction and
the Surgeon-* trailers; its gate result is a note (surgeon.gate.notes). Its staging mark
(refs/surgeon/staged/<slug>-<id>, made with the branch once the commit was verified) says which
commit surgeon made, so each branch has a state:

  verified     the tip is the commit surgeon made and verified
  changed      surgeon's commit is on the branch, with commits on top that surgeon did not make
  rewritten    the branch no longer holds surgeon's commit (reset, amended, rebased)
  unverified   no mark, a surgeon commit message: staging never finished its check (an older
               surgeon killed part-way), so the commit may not be exactly the diff
  not-surgeon  no mark and not surgeon's commit: made by hand under the surgeon/ name

Only a verified branch is discarded; accept takes a verified or changed one (every commit on it)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from surgeon.errors import Refused, UsageError
from surgeon.gate import GateResult, read_gate
from surgeon.git import Git, RepoInfo
from surgeon.stage.message import (
    MARKS_PREFIX,
    PAIR_REFS_PREFIX,
    REFS_PREFIX,
    SNAPSHOT_SUBJECT,
    branch_id,
    mark_ref,
    parse_trailers,
)

STATE_WORDS = {
    "verified": "verified",
    "changed": "has commits surgeon did not make",
    "rewritten": "no longer holds surgeon's commit",
    "unverified": "never verified",
    "not-surgeon": "not made by surgeon",
}


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
    state: str | None = None  # review branches: verified | changed | rewritten | unverified | not-surgeon
    mark: str | None = None  # the commit surgeon made and verified (its staging mark), if any
    foreign: tuple[str, ...] = ()  # "<short id> <subject>" of commits only this branch holds, not surgeon's

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
            "state": self.state,
            "surgeon_commit": self.mark,
            "commits_not_by_surgeon": list(self.foreign),
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
    held_interrupt: bool = False  # Ctrl-C (or SIGTERM) came while the accept was being written; it finished first

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


def staging_marks(git: Git) -> dict[str, str]:
    """refs/heads/surgeon/... -> the commit its staging mark points at."""
    out = git.out("for-each-ref", "--format=%(refname) %(objectname)", MARKS_PREFIX)
    pairs = (line.split(" ", 1) for line in out.splitlines() if line)
    return {REFS_PREFIX + name.removeprefix(MARKS_PREFIX): oid for name, oid in pairs}


def _is_ancestor(git: Git, older: str, newer: str) -> bool:
    return git.run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def only_here(git: Git, ref: str, tip: str, limit: int = 20) -> tuple[str, ...]:
    """"<short id> <subject>" of the commits deleting `ref` would lose (no other ref, HEAD or
    staging mark holds them), newest first, at most `limit`."""
    out = git.out("log", f"--max-count={limit}", "--format=%h %s", tip, "--not", f"--exclude={ref}", "--all")
    return tuple(line for line in out.splitlines() if line)


def _load(git: Git, ref: str, commit: str, marks: dict[str, str] | None = None) -> BranchInfo:
    mark = (staging_marks(git) if marks is None else marks).get(ref)
    if mark == commit:
        state = "verified"
    elif mark is not None:
        state = "changed" if _is_ancestor(git, mark, commit) else "rewritten"
    else:
        state = None
    made = mark if mark is not None and state in ("verified", "changed") else commit  # its message describes the change
    shown = git.run("show", "-s", "--format=%P%x00%ct%x00%B", made).stdout.decode("utf-8", "replace")
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
    if state is None:
        state = "unverified" if "Surgeon-Instruction" in trailers else "not-surgeon"
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
        gate=read_gate(git, made),
        state=state,
        mark=mark,
        foreign=() if state == "verified" else only_here(git, ref, commit),
    )


def list_branches(repo: RepoInfo) -> list[BranchInfo]:
    """Every pending surgeon branch, oldest first."""
    git = Git(repo.root)
    marks = staging_marks(git)
    infos = [_load(git, ref, commit, marks) for ref, commit in review_refs(git).items()]
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
    """Delete one review branch (its mark and its gate note) by id or name: only a verified one,
    which holds nothing but the commit surgeon made; anything else is refused with what is there."""
    git = Git(repo.root)
    info = find_branch(repo, ident)
    refuse_checked_out(git, [info], "discard")
    reason = kept_reason(info)
    if reason is not None:
        raise Refused(f"cannot discard {info.branch}: {reason}. Nothing changed.")
    if not drop_branch(git, info):
        raise Refused(f"{info.branch} moved while it was being discarded; nothing changed")
    return info


def kept_reason(info: BranchInfo) -> str | None:
    """Why discard leaves this review branch alone, and how to drop it by hand (None: it goes)."""
    if info.state in (None, "verified"):
        return None
    drop = f"`git branch -D {info.branch}` deletes it"
    lost = f" and loses {_listed(info.foreign)}" if info.foreign else ""
    why = {
        "changed": f"it holds commits surgeon did not make on top of its change ({_listed(info.foreign)}); "
                   f"`surgeon accept {info.id}` brings them all in, ",
        "rewritten": "it no longer holds the commit surgeon made (it was reset, amended or rebased); ",
        "unverified": "surgeon never verified it (its staging was interrupted before the check, or an older "
                      "surgeon made it), so it may not be exactly the diff; ",
        "not-surgeon": "surgeon did not make it (it has no staging mark); ",
    }[info.state]
    return f"{why}{drop}{lost if info.state != 'changed' else ''}"


def _listed(commits: Sequence[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in commits[:3])
    more = f" and {len(commits) - 3} more" if len(commits) > 3 else ""
    return f"{len(commits)} commit{'s' if len(commits) != 1 else ''}: {shown}{more}"


def drop_branch(git: Git, info: BranchInfo, *, keep_note: bool = False) -> bool:
    """Delete a review branch and its mark in one ref transaction, if the branch still points at
    info.commit (and the mark at info.mark); then its gate note unless `keep_note`. False: it moved."""
    ref = f"refs/heads/{info.branch}"
    transaction = f"delete {ref} {info.commit}\n"
    if info.mark is not None:
        transaction += f"delete {mark_ref(ref)} {info.mark}\n"
    deleted = git.run("update-ref", "-m", "surgeon: drop", "--stdin", input=transaction.encode(),
                      check=False, shielded=True)
    if deleted.returncode != 0:
        return False
    if not keep_note and info.mark is not None:
        git.run("notes", "--ref=refs/notes/surgeon", "remove", "--ignore-missing", info.mark, check=False)
    return True


def sweep_marks(git: Git) -> None:
    """Delete staging marks whose branch is gone (deleted with git): they only kept surgeon's own
    commit alive."""
    branches = surgeon_refs(git)
    stale = [(ref, oid) for ref, oid in staging_marks(git).items() if ref not in branches]
    if stale:
        transaction = "".join(f"delete {mark_ref(ref)} {oid}\n" for ref, oid in stale)
        git.run("update-ref", "--stdin", input=transaction.encode(), check=False, shielded=True)



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
    if action == "discard":  # only what discard would delete matters
        infos = [info for info in infos if kept_reason(info) is None]
    checked_out = git.checked_out()
    busy = [info.branch for info in infos if f"refs/heads/{info.branch}" in checked_out]
    if busy:
        raise Refused(
            f"cannot {action} {', '.join(busy)}: checked out in a worktree. "
            "Switch to another branch first; nothing changed."
        )


def discard_all(repo: RepoInfo) -> list[BranchInfo]:
    """Delete every verified review branch (pair sessions are left alone: see discard_everything;
    the others are kept, see kept_reason)."""
    git = Git(repo.root)
    infos = [info for info in list_branches(repo) if kept_reason(info) is None]
    refuse_checked_out(git, infos, "discard")
    removed = [info for info in infos if drop_branch(git, info)]
    sweep_marks(git)
    return removed



