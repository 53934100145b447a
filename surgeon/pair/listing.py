"""`surgeon pair` session branches beside the review branches: `surgeon branches`, `show`,
`accept` and `discard` see both through this module.
`surgeon pair` session branches (surgeon/pair-<date>-<id>) are listed too, as kind "pair", with
the number of accepted turns on them (commits with a Surgeon-Pair-Session trailer between the
session's start and the tip). They are not staged changes: accept refuses them (their turns are
already in the working tree, or, with --no-apply, `git merge` brings them in), show shows what the
branch holds since the session started. Discarding one by id or name deletes its branch and its
session file (so `--resume` no longer continues it), refused while a `surgeon pair` process runs
it. `discard --all` skips the session `surgeon pair --resume` would continue and running ones,
and says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from surgeon.errors import Refused
from surgeon.git import Git, RepoInfo
from surgeon.pair.branch import delete_ref, forget_session
from surgeon.pair.store import last_session_id, parse_stamp, read_session, running_pid
from surgeon.stage.accept import accept_branch
from surgeon.stage.branches import (
    AcceptResult,
    BranchInfo,
    PairState,
    discard_all,
    discard_branch,
    list_branches,
    load_branch,
    match_ref,
    numstat,
    refuse_checked_out,
    review_refs,
    surgeon_refs,
)

SESSION_BRANCH = re.compile(r"surgeon/pair-\d{8}-([0-9a-f]{6,8})")
PAIR_TRAILER = "Surgeon-Pair-Session"


def _session_refs(git: Git) -> dict[str, str]:
    """The `surgeon pair` session branches (not its throwaway check branches)."""
    return {ref: commit for ref, commit in surgeon_refs(git).items()
            if SESSION_BRANCH.fullmatch(ref.removeprefix("refs/heads/"))}


def _session_start(git: Git, tip: str) -> str:
    """Where a session branch without a session file started: the first commit down its first
    parents that pair did not make (pair's turn and snapshot commits all say "pair turn N: ...")."""
    skip = 0
    while True:
        out = git.out("log", "--first-parent", "--format=%H %s", f"--skip={skip}", "-n", "200", tip)
        lines = out.splitlines()
        for line in lines:
            commit, _, subject = line.partition(" ")
            if not re.match(r"pair turn \d+: ", subject):
                return commit
        if len(lines) < 200:
            return lines[-1].split(" ", 1)[0] if lines else tip
        skip += 200


def _load_session(repo: RepoInfo, git: Git, ref: str, tip: str, resume_id: str | None) -> BranchInfo:
    name = ref.removeprefix("refs/heads/")
    match = SESSION_BRANCH.fullmatch(name)
    assert match is not None
    sid = match.group(1)
    saved = read_session(repo.surgeon_dir, sid)
    if saved is not None and saved.branch != name:
        saved = None  # the file of another session that drew the same id
    base = saved.base if saved is not None else ""
    if not base or git.run("merge-base", "--is-ancestor", base, tip, check=False).returncode != 0:
        base = _session_start(git, tip)
    files, added, removed = numstat(git, base, tip)
    accepted = int(git.out("rev-list", "--count", "--fixed-strings", f"--grep={PAIR_TRAILER}: {sid}",
                           f"{base}..{tip}") or 0)
    created = parse_stamp(saved.created) if saved is not None else 0
    if not created:
        created = float(git.out("show", "-s", "--format=%ct", tip) or 0)
    live = [t for t in saved.turns if t.status == "accepted" and not t.undone] if saved is not None else []
    totals = saved.totals if saved is not None else None
    priced = totals is not None and totals.calls > totals.calls_without_price
    state = PairState(
        turns=len(saved.turns) if saved is not None else None,
        turns_accepted=accepted,
        apply=saved.apply if saved is not None else None,
        running_pid=running_pid(repo.surgeon_dir, sid),
        resume=saved is not None and sid == resume_id,
    )
    return BranchInfo(
        id=sid,
        branch=name,
        commit=tip,
        base=base,
        head=base,
        snapshot=False,
        created=int(created),
        files=files,
        lines_added=added,
        lines_removed=removed,
        summary=f"pair session {sid}: {accepted} accepted turn(s)",
        instruction="; ".join(t.instruction for t in live),
        model=saved.model if saved is not None else None,
        cost=f"${totals.cost:.4f}" if priced and totals is not None else None,
        check_command=saved.check if saved is not None else None,
        gate=None,
        kind="pair",
        pair=state,
    )


def list_sessions(repo: RepoInfo) -> list[BranchInfo]:
    """Every `surgeon pair` session branch (kind "pair"), oldest first."""
    git = Git(repo.root)
    resume_id = last_session_id(repo.surgeon_dir)
    infos = [_load_session(repo, git, ref, tip, resume_id) for ref, tip in _session_refs(git).items()]
    return sorted(infos, key=lambda info: (info.created, info.branch))


def find_any(repo: RepoInfo, ident: str) -> BranchInfo:
    """A pending review branch or a `surgeon pair` session branch, by short id, id prefix (4+
    characters) or branch name."""
    git = Git(repo.root)
    refs = review_refs(git)
    sessions = _session_refs(git)
    ref = match_ref({**refs, **sessions}, ident)
    if ref in sessions:
        return _load_session(repo, git, ref, sessions[ref], last_session_id(repo.surgeon_dir))
    return load_branch(git, ref, refs[ref])


def accept(repo: RepoInfo, ident: str) -> AcceptResult:
    """`surgeon accept`: a review branch is accepted; a pair session is refused with what to do."""
    info = find_any(repo, ident)
    if info.kind == "pair":
        _refuse_pair_session(info)
    return accept_branch(repo, info)


def _discard_session(repo: RepoInfo, git: Git, info: BranchInfo) -> None:
    assert info.pair is not None
    if info.pair.running_pid is not None:
        raise Refused(
            f"cannot discard {info.branch}: `surgeon pair` is running this session now (process "
            f"{info.pair.running_pid}). End it first (/quit or Ctrl-D); nothing changed."
        )
    refuse_checked_out(git, [info], "discard")
    if not delete_ref(repo.root, info.branch, info.commit):
        raise Refused(f"{info.branch} moved while it was being discarded; nothing changed")
    forget_session(repo.root, repo.surgeon_dir, info.id, info.branch)


def discard(repo: RepoInfo, ident: str) -> BranchInfo:
    """Delete a review branch, or a pair session branch (with its session file), by id or name."""
    git = Git(repo.root)
    info = find_any(repo, ident)
    if info.kind == "pair":
        _discard_session(repo, git, info)
        return info
    return discard_branch(repo, info.branch)


@dataclass(frozen=True)
class Kept:
    """A pair session `discard --all` left alone, and why."""

    branch: BranchInfo
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.branch.id, "branch": self.branch.branch, "reason": self.reason}


def kept_reason(info: BranchInfo) -> str | None:
    """Why `discard --all` keeps this pair session (None: it does not)."""
    if info.pair is None:
        return None
    if info.pair.running_pid is not None:
        return f"`surgeon pair` is running it now (process {info.pair.running_pid})"
    if info.pair.resume:
        return "it is the session `surgeon pair --resume` continues"
    return None


def discard_everything(repo: RepoInfo) -> tuple[list[BranchInfo], list[Kept]]:
    """`surgeon discard --all`: every review branch and every pair session branch, except the
    session `surgeon pair --resume` continues and sessions running now (returned as kept)."""
    git = Git(repo.root)
    sessions = list_sessions(repo)
    kept = [Kept(info, reason) for info in sessions if (reason := kept_reason(info)) is not None]
    kept_ids = {k.branch.branch for k in kept}
    going = [info for info in sessions if info.branch not in kept_ids]
    refuse_checked_out(git, [*list_branches(repo), *going], "discard")
    removed = discard_all(repo)
    for info in going:
        if delete_ref(repo.root, info.branch, info.commit):
            forget_session(repo.root, repo.surgeon_dir, info.id, info.branch)
            removed.append(info)
    return removed, kept


def _refuse_pair_session(info: BranchInfo) -> None:
    assert info.pair is not None
    if info.pair.apply is False:
        where = f"it ran with --no-apply, so they are only on its branch: `git merge {info.branch}` brings them in"
    elif info.pair.apply:
        where = "they were written to your working tree when you accepted them"
    else:
        where = (f"they were written to your working tree, unless it ran with --no-apply (then `git merge "
                 f"{info.branch}` brings them in)")
    raise Refused(
        f"{info.branch} is a `surgeon pair` session, not a staged change, so there is nothing to accept: "
        f"{where}. `surgeon discard {info.id}` deletes it."
    )
