"""Pending review branches: list, show, accept, discard.

accept brings a staged change into the current branch and working tree without ever losing
uncommitted work; it checks first and changes nothing when it refuses:

  fast-forward    HEAD is still the commit the change was staged on: the branch (or detached HEAD)
                  moves to the surgeon commit, and the index and working tree are updated for the
                  files the change touches only (`git read-tree -m -u`, git's own carry-forward of
                  local changes). A touched file with uncommitted changes is refused.
  replayed        HEAD moved since staging: the change is applied with a 3-way merge
                  (`git apply --3way`) to a temporary index of HEAD; a conflict refuses, a clean
                  result becomes a new commit on HEAD (author and message of the surgeon commit),
                  then as above.
  working-tree    the change was staged with --base worktree on a snapshot of uncommitted work:
                  the change is written to those files in the working tree, left uncommitted
                  (committing your work is your call); HEAD and the index stay. Refused when a
                  touched file changed since it was snapshotted.
  already-merged  the change is already in HEAD.

After accept the surgeon branch is deleted, so `surgeon branches` lists pending changes only. The
gate note stays when the surgeon commit itself became part of history (fast-forward), so
`git log --notes=surgeon` still shows its check; otherwise the note goes with the branch.

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

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surgeon import pair
from surgeon.errors import Refused, UsageError
from surgeon.gate import read_gate
from surgeon.repo import RepoInfo
from surgeon.stage import (
    BRANCH_PREFIX,
    REFS_PREFIX,
    REGULAR_MODES,
    SNAPSHOT_SUBJECT,
    GateResult,
    Git,
    branch_id,
    last_line,
    parse_trailers,
    review_refs,
    stored_blob_id,
    surgeon_refs,
)

SESSION_BRANCH = re.compile(r"surgeon/pair-\d{8}-([0-9a-f]{6,8})")
PAIR_TRAILER = "Surgeon-Pair-Session"


class WouldOverwrite(Refused):
    """Accepting would overwrite uncommitted changes; nothing was changed."""

    def __init__(self, branch: str, files: Sequence[str], why: str) -> None:
        self.files = tuple(files)
        super().__init__(
            f"accepting {branch} would overwrite {why}: {', '.join(self.files)}. Nothing changed. "
            "Commit or stash those changes first, then accept again (or discard the branch)."
        )


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


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# ---------------------------------------------------------------------------------------------
# reading


def _numstat(git: Git, base: str, commit: str) -> tuple[tuple[str, ...], int, int]:
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
    files, added, removed = _numstat(git, base, commit) if base else ((), 0, 0)
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
    saved = pair.read_session(repo.surgeon_dir, sid)
    if saved is not None and saved.branch != name:
        saved = None  # the file of another session that drew the same id
    base = saved.base if saved is not None else ""
    if not base or git.run("merge-base", "--is-ancestor", base, tip, check=False).returncode != 0:
        base = _session_start(git, tip)
    files, added, removed = _numstat(git, base, tip)
    accepted = int(git.out("rev-list", "--count", "--fixed-strings", f"--grep={PAIR_TRAILER}: {sid}",
                           f"{base}..{tip}") or 0)
    created = pair._when(saved.created) if saved is not None else 0
    if not created:
        created = float(git.out("show", "-s", "--format=%ct", tip) or 0)
    live = [t for t in saved.turns if t.status == "accepted" and not t.undone] if saved is not None else []
    totals = saved.totals if saved is not None else None
    priced = totals is not None and totals.calls > totals.calls_without_price
    state = PairState(
        turns=len(saved.turns) if saved is not None else None,
        turns_accepted=accepted,
        apply=saved.apply if saved is not None else None,
        running_pid=pair.running_pid(repo.surgeon_dir, sid),
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
    resume_id = pair.last_session_id(repo.surgeon_dir)
    infos = [_load_session(repo, git, ref, tip, resume_id) for ref, tip in _session_refs(git).items()]
    return sorted(infos, key=lambda info: (info.created, info.branch))


def _resolve(repo: RepoInfo, ident: str, *, sessions: bool) -> BranchInfo:
    git = Git(repo.root)
    refs = review_refs(git)
    pair_refs = _session_refs(git) if sessions else {}
    candidates = {**refs, **pair_refs}
    name = ident.strip().removeprefix("refs/heads/")
    exact = [ref for ref in candidates
             if ref in (f"refs/heads/{name}", f"{REFS_PREFIX}{name}") or branch_id(ref) == name]
    if not exact and len(name) >= 4:
        exact = [ref for ref in candidates if branch_id(ref).startswith(name)]
    if not exact:
        raise UsageError(f"no pending surgeon branch '{ident}'. `surgeon branches` lists them.")
    if len(exact) > 1:
        names = ", ".join(sorted(ref.removeprefix("refs/heads/") for ref in exact))
        raise UsageError(f"'{ident}' matches several surgeon branches: {names}. Use the full branch name.")
    ref = exact[0]
    if ref in pair_refs:
        return _load_session(repo, git, ref, pair_refs[ref], pair.last_session_id(repo.surgeon_dir))
    return _load(git, ref, refs[ref])


def find_branch(repo: RepoInfo, ident: str) -> BranchInfo:
    """A pending surgeon branch by short id, id prefix (4+ characters) or branch name."""
    return _resolve(repo, ident, sessions=False)


def find_any(repo: RepoInfo, ident: str) -> BranchInfo:
    """A pending surgeon branch or a `surgeon pair` session branch, by short id, id prefix (4+
    characters) or branch name."""
    return _resolve(repo, ident, sessions=True)


def branch_diff(repo: RepoInfo, info: BranchInfo) -> str:
    """The change as a git diff (renames detected), exactly what accept brings in."""
    git = Git(repo.root)
    return git.run(
        "diff-tree", "-p", "-M", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/",
        info.base, info.commit,
    ).stdout.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# discarding


def _checked_out(git: Git) -> set[str]:
    """refs checked out in any worktree of the repository."""
    out = git.run("worktree", "list", "--porcelain", check=False).stdout.decode("utf-8", "surrogateescape")
    return {line[len("branch "):] for line in out.splitlines() if line.startswith("branch ")}


def _refuse_checked_out(git: Git, infos: Sequence[BranchInfo], action: str) -> None:
    busy = [info.branch for info in infos if f"refs/heads/{info.branch}" in _checked_out(git)]
    if busy:
        raise Refused(
            f"cannot {action} {', '.join(busy)}: checked out in a worktree. "
            "Switch to another branch first; nothing changed."
        )


def _discard_session(repo: RepoInfo, git: Git, info: BranchInfo) -> None:
    assert info.pair is not None
    if info.pair.running_pid is not None:
        raise Refused(
            f"cannot discard {info.branch}: `surgeon pair` is running this session now (process "
            f"{info.pair.running_pid}). End it first (/quit or Ctrl-D); nothing changed."
        )
    _refuse_checked_out(git, [info], "discard")
    if not pair.delete_ref(repo.root, info.branch, info.commit):
        raise Refused(f"{info.branch} moved while it was being discarded; nothing changed")
    pair.forget_session(repo.root, repo.surgeon_dir, info.id, info.branch)


def discard(repo: RepoInfo, ident: str) -> BranchInfo:
    """Delete a review branch, or a pair session branch (with its session file), by id or name."""
    git = Git(repo.root)
    info = find_any(repo, ident)
    if info.kind == "pair":
        _discard_session(repo, git, info)
        return info
    _refuse_checked_out(git, [info], "discard")
    git.delete_branch(f"refs/heads/{info.branch}", info.commit)
    return info


def discard_branch(repo: RepoInfo, branch: str) -> BranchInfo:
    """Delete one review branch (and its note) by id or name; the same as `surgeon discard`."""
    return discard(repo, branch)


def discard_all(repo: RepoInfo) -> list[BranchInfo]:
    """Delete every review branch (pair sessions are left alone: see discard_everything)."""
    git = Git(repo.root)
    infos = list_branches(repo)
    _refuse_checked_out(git, infos, "discard")
    for info in infos:
        git.delete_branch(f"refs/heads/{info.branch}", info.commit)
    return infos


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
    _refuse_checked_out(git, [*list_branches(repo), *going], "discard")
    removed = discard_all(repo)
    for info in going:
        if pair.delete_ref(repo.root, info.branch, info.commit):
            pair.forget_session(repo.root, repo.surgeon_dir, info.id, info.branch)
            removed.append(info)
    return removed, kept


# ---------------------------------------------------------------------------------------------
# accepting


# Files git keeps while an operation that owns HEAD and the index is half done.
IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or git am",
}


def _refuse_in_progress(repo: RepoInfo, info: BranchInfo) -> None:
    for name, what in IN_PROGRESS.items():
        if (repo.git_dir / name).exists():
            raise Refused(
                f"cannot accept {info.branch} while {what} is in progress; finish or abort it first. Nothing changed."
            )


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


def accept(repo: RepoInfo, ident: str) -> AcceptResult:
    git = Git(repo.root)
    info = find_any(repo, ident)
    if info.kind == "pair":
        _refuse_pair_session(info)
    _refuse_checked_out(git, [info], "accept")
    _refuse_in_progress(repo, info)
    ref = f"refs/heads/{info.branch}"
    if info.snapshot:
        files = _accept_onto_worktree(git, info)
        git.delete_branch(ref, info.commit)
        return AcceptResult(info, "working-tree", None, files)

    head = git.rev("HEAD^{commit}")
    assert head is not None  # find_repo(need_commit=True) guarantees a commit
    if git.run("merge-base", "--is-ancestor", info.commit, head, check=False).returncode == 0:
        git.run("update-ref", "-d", ref, info.commit, check=False)
        return AcceptResult(info, "already-merged", head, ())
    if head == info.base:
        target, how = info.commit, "fast-forward"
    else:
        replayed = _replay(git, info, head)
        if replayed is None:
            git.delete_branch(ref, info.commit)
            return AcceptResult(info, "already-merged", head, ())
        target, how = replayed, "replayed"
    files = _move_head(git, info, head, target)
    if how == "fast-forward":
        git.run("update-ref", "-d", ref, info.commit, check=False)  # the note stays with the commit
    else:
        git.delete_branch(ref, info.commit)
    return AcceptResult(info, how, target, files)


def _move_head(git: Git, info: BranchInfo, old: str, new: str) -> tuple[str, ...]:
    """Move HEAD from `old` to `new`, updating index and working tree for the paths that differ."""
    paths = git.changed_paths(old, new)
    dirty = git.dirty(paths)
    if dirty:
        raise WouldOverwrite(info.branch, dirty, "uncommitted changes (or untracked files) in")
    # Stat information only; the content check above is what decides.
    git.run("update-index", "-q", "--refresh", check=False)
    git.run("update-ref", "-m", f"surgeon: accept {info.branch}", "HEAD", new, old)
    updated = git.run("read-tree", "-m", "-u", old, new, check=False)
    if updated.returncode != 0:
        git.run("update-ref", "-m", f"surgeon: undo accept {info.branch}", "HEAD", old, new, check=False)
        raise Refused(f"git refused to update the working tree ({last_line(updated.stderr)}); nothing changed")
    return tuple(sorted(paths))


def _replay(git: Git, info: BranchInfo, head: str) -> str | None:
    """The surgeon change re-applied on `head` as a new commit (None: HEAD already has it)."""
    patch = git.run(
        "diff-tree", "-p", "--full-index", "--binary", "--no-renames", "--no-color", info.base, info.commit
    ).stdout
    with tempfile.TemporaryDirectory(prefix="surgeon-accept-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git.run("read-tree", head, env=env)
        applied = git.run("apply", "--cached", "--3way", "--whitespace=nowarn", "-", input=patch, env=env, check=False)
        if applied.returncode != 0:
            conflicts = sorted({entry.split("\t", 1)[1] for entry in git.z_list("ls-files", "-u", "-z", env=env)})
            where = f"conflicts in {', '.join(conflicts)}" if conflicts else last_line(applied.stderr)
            raise Refused(
                f"HEAD moved since {info.branch} was staged and the change no longer applies cleanly "
                f"({where}). Nothing changed. Run the instruction again on the current code, or discard it."
            )
        tree = git.out("write-tree", env=env)
    if tree == git.out("rev-parse", f"{head}^{{tree}}"):
        return None
    author = git.out("show", "-s", "--format=%an%x00%ae%x00%ad", "--date=raw", info.commit).split("\0")
    message = git.run("show", "-s", "--format=%B", info.commit).stdout
    env = {**git.identity_env(), "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": author[2]}
    return git.out("commit-tree", tree, "-p", head, input=message, env=env)


def _worktree_state(git: Git, path: str, filemode: bool, fallback_mode: str) -> tuple[str, bytes] | None:
    full = git.root / path
    try:
        info = os.lstat(full)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "120000", os.fsencode(os.readlink(full))
    if not stat.S_ISREG(info.st_mode):
        return "040000", b""
    if filemode:
        mode = "100755" if info.st_mode & stat.S_IXUSR else "100644"
    else:
        mode = fallback_mode if fallback_mode in REGULAR_MODES else "100644"
    return mode, full.read_bytes()


def _accept_onto_worktree(git: Git, info: BranchInfo) -> tuple[str, ...]:
    paths = git.changed_paths(info.base, info.commit)
    before = git.tree_entries(info.base, paths)
    after = git.tree_entries(info.commit, paths)
    filemode = git.run("config", "--bool", "core.fileMode", check=False).stdout.decode().strip() != "false"
    conversions, indexed = git.conversions(paths), git.index_entries(paths)  # core.autocrlf, .gitattributes
    changed: list[str] = []
    for path in paths:
        state = _worktree_state(git, path, filemode, (before.get(path) or after.get(path) or ("100644", ""))[0])
        have = None if state is None else (
            state[0], stored_blob_id(git, path, state[0], state[1], conversions[path], indexed.get(path))
        )
        if have != before.get(path) and have != after.get(path):
            changed.append(path)
    if changed:
        raise WouldOverwrite(info.branch, changed, "changes made since it was staged on your working tree, in")
    for path in paths:
        _write_worktree_file(git, path, after.get(path))
    return tuple(sorted(paths))


def _write_worktree_file(git: Git, path: str, entry: tuple[str, str] | None) -> None:
    full = git.root / path
    if entry is None:
        with contextlib.suppress(FileNotFoundError):
            full.unlink()
        return
    mode, oid = entry
    # Checked out as git would: smudge filters and eol conversion for regular files.
    data = git.run("cat-file", "blob", oid).stdout if mode == "120000" else git.smudged(path, oid)
    full.parent.mkdir(parents=True, exist_ok=True)
    if mode == "120000":
        with contextlib.suppress(FileNotFoundError):
            full.unlink()
        os.symlink(os.fsdecode(data), full)
        return
    handle, temp = tempfile.mkstemp(dir=full.parent, prefix=f".{full.name}.surgeon-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, (0o777 if mode == "100755" else 0o666) & ~umask)
        os.replace(temp, full)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


__all__ = [
    "BRANCH_PREFIX",
    "AcceptResult",
    "BranchInfo",
    "Kept",
    "PairState",
    "WouldOverwrite",
    "accept",
    "age",
    "branch_diff",
    "discard",
    "discard_all",
    "discard_branch",
    "discard_everything",
    "find_any",
    "find_branch",
    "list_branches",
    "list_sessions",
]
