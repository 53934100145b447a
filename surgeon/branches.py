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
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surgeon.errors import Refused
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
)


class WouldOverwrite(Refused):
    """Accepting would overwrite uncommitted changes; nothing was changed."""

    def __init__(self, branch: str, files: Sequence[str], why: str) -> None:
        self.files = tuple(files)
        super().__init__(
            f"accepting {branch} would overwrite {why}: {', '.join(self.files)}. Nothing changed. "
            "Commit or stash those changes first, then accept again (or discard the branch)."
        )


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
    files: list[str] = []
    added = removed = 0
    if base:
        fields = git.z_list("diff-tree", "-r", "-z", "--no-renames", "--numstat", base, commit)
        for field in fields:
            plus, minus, path = field.split("\t", 2)
            files.append(path)
            added += int(plus) if plus.isdigit() else 0
            removed += int(minus) if minus.isdigit() else 0
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
        files=tuple(sorted(files)),
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


def find_branch(repo: RepoInfo, ident: str) -> BranchInfo:
    """A pending surgeon branch by short id, id prefix (4+ characters) or branch name."""
    git = Git(repo.root)
    refs = review_refs(git)
    name = ident.strip().removeprefix("refs/heads/")
    exact = [ref for ref in refs if ref in (f"refs/heads/{name}", f"{REFS_PREFIX}{name}") or branch_id(ref) == name]
    if not exact and len(name) >= 4:
        exact = [ref for ref in refs if branch_id(ref).startswith(name)]
    if not exact:
        raise Refused(f"no pending surgeon branch '{ident}'. `surgeon branches` lists them.")
    if len(exact) > 1:
        names = ", ".join(sorted(ref.removeprefix("refs/heads/") for ref in exact))
        raise Refused(f"'{ident}' matches several surgeon branches: {names}. Use the full branch name.")
    return _load(git, exact[0], refs[exact[0]])


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


def discard(repo: RepoInfo, ident: str) -> BranchInfo:
    git = Git(repo.root)
    info = find_branch(repo, ident)
    _refuse_checked_out(git, [info], "discard")
    git.delete_branch(f"refs/heads/{info.branch}", info.commit)
    return info


def discard_branch(repo: RepoInfo, branch: str) -> BranchInfo:
    """Delete one review branch (and its note) by id or name; the same as `surgeon discard`."""
    return discard(repo, branch)


def discard_all(repo: RepoInfo) -> list[BranchInfo]:
    git = Git(repo.root)
    infos = list_branches(repo)
    _refuse_checked_out(git, infos, "discard")
    for info in infos:
        git.delete_branch(f"refs/heads/{info.branch}", info.commit)
    return infos


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


def accept(repo: RepoInfo, ident: str) -> AcceptResult:
    git = Git(repo.root)
    info = find_branch(repo, ident)
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
    changed: list[str] = []
    for path in paths:
        state = _worktree_state(git, path, filemode, (before.get(path) or after.get(path) or ("100644", ""))[0])
        have = None if state is None else (state[0], git.blob_id(state[1]))
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
    data = git.run("cat-file", "blob", oid).stdout
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
    "WouldOverwrite",
    "accept",
    "age",
    "branch_diff",
    "discard",
    "discard_all",
    "discard_branch",
    "find_branch",
    "list_branches",
]
