"""What a verdict does to the session branch and the person's files: accepting a proposal (a
commit on the session branch and, unless --no-apply, the files written), undoing the last
accepted turn, and the throwaway commit a `t` check runs on. Nothing is lost: each step either
happens whole or leaves everything as it was (the caller holds Ctrl-C, see
controller.sigint_deferred). Files are read and written by surgeon.git.files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from surgeon.diff import PatchResult
from surgeon.errors import Refused, RepoError, UsageError, WorkingTreeChanged
from surgeon.git import Git
from surgeon.git.files import FileWrite, WorkingTreeProblem, working_tree_reader, write_files, writes_for
from surgeon.pair.branch import SessionGit, sync_private_worktree
from surgeon.pair.conversation import one_line
from surgeon.pair.session import Session, Turn
from surgeon.stage import StagedChange
from surgeon.validate import ApplyOptions, patch_working_tree

_REAPPLY = ApplyOptions(allow_rewrite=True, check_syntax=False)


def write(workdir: Path, writes: Sequence[FileWrite]) -> None:
    """surgeon.git.files.write_files (every file or none), refusing in pair's words."""
    try:
        write_files(workdir, writes)
    except WorkingTreeChanged as e:
        raise Refused(f"{e.path} changed while the diff waited; nothing was written") from None
    except OSError as e:
        raise Refused(f"could not write {e.filename or 'a file'}: {e.strerror}; nothing was changed") from None


def touched_files(result: PatchResult) -> tuple[str, ...]:
    """Every path a proposal writes (both sides of a rename), in order."""
    return tuple(dict.fromkeys(w.path for w in writes_for(result.changes)))


# -- accept ----------------------------------------------------------------------------------------


def current_writes(workdir: Path, session: Session, result: PatchResult) -> list[FileWrite]:
    """The writes of an accepted proposal against the files as they are now. If the person
    edited a touched file while the proposal waited, the diff is re-applied to the new content
    by the diff engine; if it no longer fits exactly (refusal or repair), accepting is refused."""
    writes = writes_for(result.changes)
    if not session.apply or all(_holds(workdir, w) for w in writes):
        return writes
    again = patch_working_tree(workdir, result.normalised, _REAPPLY)
    if not again.ok or again.repairs:
        why = "; ".join(str(r) for r in again.refusals) or "it would need repairs: " + "; ".join(again.repairs)
        raise Refused(f"your files changed since this diff was proposed and it no longer fits ({why}). "
                      "Nothing was written; reject it and ask again")
    return writes_for(again.changes)


def _holds(workdir: Path, w: FileWrite) -> bool:
    """Whether the working tree still holds what the write was made against."""
    try:
        return working_tree_reader(workdir)(w.path) == w.before
    except WorkingTreeProblem:  # now a symbolic link or a folder: the re-applied diff says why
        return False


def accept_turn(git: SessionGit, workdir: Path, session: Session, turn: Turn, result: PatchResult) -> Turn:
    """Commit the turn on the session branch and (unless --no-apply) write its files; returns the
    accepted turn. The caller holds Ctrl-C until the turn is also recorded in the session."""
    branch = session.branch
    tip = git.tip(branch)
    if tip is None:
        raise Refused(f"the session branch {branch} is gone; nothing was written")
    writes = current_writes(workdir, session, result)
    message = (f"pair turn {turn.number}: {one_line(turn.instruction, 60)}\n\n{turn.instruction}\n\n"
               f"Surgeon-Pair-Session: {session.id}\nSurgeon-Model: {turn.model}\n")
    snapshot = (f"pair turn {turn.number}: your own edits to {{paths}}\n\n"
                "The state these files had in the working tree before the turn's diff was applied.\n")
    commit = git.commit_turn(tip, writes, message, snapshot)
    if session.apply:
        write(workdir, writes)
    try:
        git.move_branch(branch, commit, tip)
    except RepoError:
        if session.apply:
            write(workdir, [w.inverse() for w in writes])
        raise Refused(f"the session branch {branch} moved meanwhile; nothing was changed") from None
    if not session.apply:
        sync_private_worktree(workdir, commit)
    return replace(turn, status="accepted", commit=commit, parent=tip)


# -- undo ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undo:
    """The last accepted turn and where its branch goes back to."""

    turn: Turn
    commit: str  # the turn's commit, the branch tip now
    back: str  # the tip before the turn


def plan_undo(git: SessionGit, session: Session) -> Undo:
    """What /undo reverts; UsageError when nothing, Refused when the branch moved since."""
    turn = session.last_accepted()
    if turn is None or turn.commit is None:
        raise UsageError("nothing to undo: no accepted turn")
    branch = session.branch
    tip = git.tip(branch)
    if tip != turn.commit:
        raise Refused(f"the session branch {branch} has moved since turn {turn.number} was accepted "
                      f"(it is at {tip[:10] if tip else 'nothing'}); undo it with git instead")
    # Back to the tip before the turn; a snapshot of the person's edits made for this turn goes
    # too (those edits stay in the working tree; a later turn records them again if needed).
    back = turn.parent or git.g.rev(f"{turn.commit}^^{{commit}}")
    assert back is not None
    return Undo(turn, turn.commit, back)


def undo_turn(git: SessionGit, workdir: Path, session: Session, undo: Undo) -> Turn:
    """Move the session branch back and (unless --no-apply) revert the turn's files; returns the
    turn marked undone. The caller holds Ctrl-C until that is recorded in the session."""
    branch = session.branch
    if session.apply:
        writes = undo_writes(git, workdir, undo.turn)
        write(workdir, writes)
        try:
            git.move_branch(branch, undo.back, undo.commit)
        except RepoError:
            write(workdir, [w.inverse() for w in writes])
            raise Refused(f"the session branch {branch} moved meanwhile; nothing was changed") from None
    else:
        git.move_branch(branch, undo.back, undo.commit)
        sync_private_worktree(workdir, undo.back)
    return replace(undo.turn, undone=True)


def undo_writes(git: SessionGit, workdir: Path, turn: Turn) -> list[FileWrite]:
    """The turn's diff applied in reverse to the files as they are now. If the person has since
    edited the lines it changed, the reverse diff does not fit and undo is refused."""
    assert turn.commit is not None
    reverse = git.reverse_diff(turn.commit)
    result = patch_working_tree(workdir, reverse, _REAPPLY)
    if not result.ok or result.repairs:
        why = "; ".join(str(r) for r in result.refusals) or "; ".join(result.repairs)
        raise Refused(f"cannot undo turn {turn.number}: you have edited the lines it changed ({why}). "
                      "Nothing was changed")
    return writes_for(result.changes)


# -- t: the check on a throwaway branch ------------------------------------------------------------


def check_branch(git: SessionGit, workdir: Path, session: Session, turn: Turn, result: PatchResult) -> StagedChange:
    """A throwaway branch holding the files as they would be after accepting (the working tree
    plus the proposal), for the gate to run the check on. The caller deletes it afterwards."""
    commit = git.worktree_snapshot(workdir, writes_for(result.changes), f"pair turn {turn.number} (check only)\n")
    branch = f"surgeon/pair-check-{session.id}-{turn.number}"
    stale = git.tip(branch)
    if stale:
        git.delete_branch(branch, stale)
    git.create_branch(branch, commit)
    return StagedChange(id=f"pair-check-{session.id}-{turn.number}", branch=branch, commit=commit,
                        base=Git(workdir).rev("HEAD^{commit}") or "", files=turn.files,
                        lines_added=turn.lines_added, lines_removed=turn.lines_removed)
