"""`surgeon review --fix`: the validated mechanical fixes, combined (fixes.combined_fix), staged as one
commit on a review branch. The working tree, the index and the current branch are not touched."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from surgeon.errors import Refused
from surgeon.review.findings import Finding

if TYPE_CHECKING:
    from surgeon.diff import PatchResult
    from surgeon.git import RepoInfo
    from surgeon.stage import StagedChange


def onto_partly_staged_files(root: Path, result: PatchResult) -> tuple[PatchResult, str | None]:
    """The review judged the staged content. Where a file also has edits that are not staged, the review
    branch is built on the working-tree version (as for any uncommitted work), so the same fix is moved
    there; `surgeon accept` then writes it into the working tree, keeping those edits.

    Returns the fix to stage and, when it was moved, the note that says so. Raises Refused when the fix
    does not fit the working-tree version."""
    from surgeon.review import fixes

    def worktree(path: str) -> bytes | None:
        target = root / path
        return target.read_bytes() if target.is_file() and not target.is_symlink() else None

    partly = sorted(c.path for c in result.changes if worktree(c.path) != c.old_content)
    if not partly:
        return result, None
    listed = ", ".join(partly)
    moved = fixes.onto_other_content(result, worktree)
    if moved is None:
        raise Refused(
            f"--fix: {listed} has edits that are not staged (the working tree differs from the index), and the "
            "fix for the staged content does not fit the working-tree version. Nothing staged. Stage the other "
            "edits (git add) or stash them (git stash --keep-index), then run `surgeon review --fix` again.")
    return moved, (f"surgeon review: note: {listed} has edits that are not staged; the fix for the staged content "
                   "is staged on top of the working-tree version (your other edits kept). After `surgeon accept`, "
                   "`git add` the fixed lines.")


def stage_fixes(repo: RepoInfo, result: PatchResult, used: Sequence[Finding]) -> StagedChange:
    """One commit on a new review branch, on top of the working tree's version of the fixed files."""
    from surgeon.stage import stage_diff

    rules = sorted({f.rule for f in used})
    return stage_diff(repo, result, instruction=f"surgeon review --fix: {len(used)} mechanical fix(es) "
                      f"({', '.join(rules)})", base="worktree")
