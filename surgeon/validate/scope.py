"""Scope: a diff may only touch files the model was shown, or create files the instruction asks for;
and a model's diff never gets to read a file that is never sent (patch_sendable_files)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Sequence
from pathlib import Path, PurePosixPath

from surgeon.diff import FileChange, PatchResult, Refusal
from surgeon.git.files import WorkingTreeProblem, working_tree_reader
from surgeon.model.redact import never_send
from surgeon.validate.options import ApplyOptions

# "add a new file", "create tests/test_x.py", "write a smoke-test script" ...
_ASKS_FOR_NEW_FILE = re.compile(
    r"\b(new|create|add|write|generate)\b[^.\n]{0,40}?\b(file|module|script|test|tests|page|unit|config)\b",
    re.IGNORECASE,
)


def instruction_allows_new_file(instruction: str, path: str) -> bool:
    """A new file is in scope when the instruction names its path or file name, or asks for a new
    file, module, script or test in so many words."""
    lowered = instruction.lower()
    pure = PurePosixPath(path)
    if path.lower() in lowered or pure.name.lower() in lowered:
        return True
    return bool(_ASKS_FOR_NEW_FILE.search(instruction))


def check_scope(
    changes: Sequence[FileChange], shown: Collection[str], instruction: str, *, allow_any_file: bool = False
) -> list[Refusal]:
    if allow_any_file:
        return []
    refusals: list[Refusal] = []
    shown_list = ", ".join(sorted(shown)) or "none"
    for change in changes:
        paths = {change.path} | ({change.old_path} if change.old_path else set())
        if paths <= set(shown):
            continue
        if change.old_content is None and instruction_allows_new_file(instruction, change.path):
            continue
        if change.old_content is None:
            reason = (
                f"creates the new file {change.path}, but the instruction does not ask for a new file; "
                f"change only the files you were shown ({shown_list})"
            )
        else:
            reason = (
                f"edits {change.path}, which you were not shown; change only the files you were shown "
                f"({shown_list})"
            )
        hunk = 1 if change.lines_added or change.lines_removed else None  # every hunk of it; the first named
        refusals.append(Refusal(path=change.path, hunk=hunk, line=None, reason=reason))
    return refusals


def is_never_sent(path: str, root: Path) -> bool:
    """never_send for a path as a diff names it: also spelled ./x or in another case (one file on a
    case-insensitive file system), or reached through a linked folder."""
    plain = posixpath.normpath(path.replace("\\", "/"))
    return any(never_send(candidate, root) for candidate in (plain, plain.lower(), str(Path(root) / plain)))


def patch_sendable_files(root: Path, diff_text: str, options: ApplyOptions, shown: Collection[str] = ()
                         ) -> PatchResult:
    """check_patch on the working tree for a model's diff. A diff that names a never-sent file (a secret
    file, a .surgeonignore match) is refused before the engine reads a byte of it: the engine's refusals
    quote file lines, and they go back to the model."""
    reader = working_tree_reader(root)
    listed = ", ".join(sorted(shown)) or "none"

    def read(path: str) -> bytes | None:
        if is_never_sent(path, root):
            raise WorkingTreeProblem(path, (
                "is never sent to a model (a secret file, or matched by .surgeonignore), so a diff from a model may "
                f"not touch it: leave it out and change only the files you were shown ({listed})"))
        return reader(path)

    from surgeon.validate.patch import check_patch  # the engine: loaded where replies are judged

    try:
        return check_patch(diff_text, read, options)
    except WorkingTreeProblem as problem:
        return PatchResult(False, (), (Refusal(problem.path, None, None, problem.reason),), (), "", 0, 0)
