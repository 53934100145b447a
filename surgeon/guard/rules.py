"""surgeon's rules for an edit an agent writes itself: never into git's folder or a file that is
never sent (secret files, .surgeonignore and what it matches), no new secret in the lines it adds,
no file that parsed before and does not after, no whole-file rewrite (rewrite_share). The same
validators judge surgeon's own diffs; here the change is the file before and after the call."""

from __future__ import annotations

import difflib
from pathlib import Path

from surgeon.diff.paths import git_folder_spelling
from surgeon.diff.types import FileChange, Refusal
from surgeon.guard.hook_input import ToolCall, resulting_text, written_text
from surgeon.model.redact import IGNORE_FILE
from surgeon.secrets import find_secrets


def _inside(path: Path, root: Path) -> str | None:
    """`path` relative to `root` (posix), or None when it lies outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def path_refusals(call: ToolCall) -> list[Refusal]:
    """The path as named and, through links, the file it reaches: inside git's folder anywhere, or
    inside the project and never sent. Judged before the file is read."""
    from surgeon.validate.scope import is_never_sent

    target = call.path.resolve()
    name = _inside(call.path, call.root) or str(call.path)
    if target != call.path:
        name += f" (a link to {_inside(target, call.root) or target})"
    if _inside(call.path, call.root) is not None and _inside(target, call.root) is None:
        return [Refusal(name, None, None, "leads out of the project through a link; edit the file where it lives")]
    for path in (call.path, target):
        relative = _inside(path, call.root)
        if any(git_folder_spelling(part) for part in (Path(relative).parts if relative else path.parts)):
            return [Refusal(name, None, None, "is inside git's own folder (.git); never edit git's files")]
        if relative is not None and (relative == IGNORE_FILE or is_never_sent(relative, call.root)):
            return [Refusal(name, None, None, (
                "is a file surgeon never sends or edits (a secret file, .surgeonignore, or a path .surgeonignore "
                "matches); leave it to the user"))]
    return []


def _read_text(path: Path) -> tuple[bool, str | None]:
    """(exists, its text with LF line endings, or None when it is not a UTF-8 text file)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False, None
    except OSError:  # a folder, no permission: the tool fails by itself
        return True, None
    try:
        return True, data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return True, None


def _added(old: str, new: str) -> tuple[list[tuple[int, str]], int]:
    """(1-based line in `new`, text) of each added line, and how many lines of `old` are replaced."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    added: list[tuple[int, str]] = []
    removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            added.extend((number + 1, new_lines[number]) for number in range(j1, j2))
        if tag in ("replace", "delete"):
            removed += i2 - i1
    return added, removed


def _secrets(name: str, before: str, added: list[tuple[int, str]]) -> list[Refusal]:
    # The one detector set, on the added lines only; a value the file held before is not new. (The
    # placeholder rules of validate.secrets do not apply: an agent never saw surgeon's placeholders.)
    refusals = []
    for secret in find_secrets("\n".join(text for _number, text in added), name):
        if secret.value in before:
            continue
        line = added[secret.line - 1][0] if 0 < secret.line <= len(added) else None
        refusals.append(Refusal(name, None, line, (
            f"adds a new secret ({secret.kind}); do not write credentials into files: read the value from the "
            "environment or a secret store instead")))
    return refusals


def _rewrite(name: str, old: str, removed: int, rewrite_share: float) -> Refusal | None:
    from surgeon.validate.minimality import check_minimality

    change = FileChange(name, None, old.encode("utf-8"), b"", None, None, 0, removed)
    if not check_minimality([change], rewrite_share=rewrite_share):
        return None
    total = len(old.splitlines())
    return Refusal(name, None, None, (
        f"the edit replaces {removed} of its {total} lines ({removed / total:.0%}, more than the "
        f"{rewrite_share:.0%} allowed): that is a whole-file rewrite. Change only the lines the task needs "
        "(Edit those lines instead of writing the whole file again)"))


def content_refusals(call: ToolCall, rewrite_share: float) -> list[Refusal]:
    """Secrets, syntax and minimality of the file the call would leave."""
    relative = _inside(call.path.resolve(), call.root) or _inside(call.path, call.root)
    name = relative or str(call.path)
    exists, old = _read_text(call.path.resolve())
    if exists and old is None:  # not text: only what the call writes can be judged
        return _secrets(name, "", list(enumerate(written_text(call).splitlines(), start=1)))
    new = resulting_text(call, old)
    if new is None:
        return []
    added, removed = _added(old or "", new)
    refusals = _secrets(name, old or "", added)
    from surgeon.validate.syntax import check_syntax

    broken = check_syntax(name, old, new, [number for number, _text in added])
    if broken is not None:
        refusals.append(broken)
    if old is not None:
        rewrite = _rewrite(name, old, removed, rewrite_share)
        if rewrite is not None:
            refusals.append(rewrite)
    return refusals


def judge(call: ToolCall, rewrite_share: float) -> list[Refusal]:
    """Why the call must not run; empty when it may."""
    return path_refusals(call) or content_refusals(call, rewrite_share)


def masked(text: str) -> str:
    """`text` with any secret value in it masked (a refusal may quote the line it is about)."""
    for secret in find_secrets(text):
        text = text.replace(secret.value, "<masked secret>")
    return text

