"""Installing `surgeon review --staged` as the repository's git pre-commit hook.

The hook goes where git looks for hooks (core.hooksPath is respected). A pre-commit hook that is
already there is kept: it moves to `pre-commit.surgeon-chained`, runs first, and its failure still
stops the commit with its own exit code. Uninstalling puts it back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import RepoError, UsageError

MARKER = "# surgeon-hook: pre-commit"
CHAINED_NAME = "pre-commit.surgeon-chained"

_TEMPLATE = """#!/bin/sh
{marker}
# Installed by `surgeon hook install`; `surgeon hook uninstall` removes it and restores any hook that
# was here before (kept as {chained} and run first).
# Skip once: SURGEON_SKIP=1 git commit ...   (or: git commit --no-verify)
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/{chained}" ]; then
    "$hook_dir/{chained}" "$@" || exit $?
fi
surgeon_python={python}
if [ -x "$surgeon_python" ]; then
    exec "$surgeon_python" -m surgeon review --staged
elif command -v surgeon >/dev/null 2>&1; then
    exec surgeon review --staged
fi
echo "surgeon: the pre-commit hook cannot find surgeon (not at $surgeon_python, not on PATH)." >&2
echo "surgeon: reinstall it with 'surgeon hook install', remove it with 'surgeon hook uninstall'," >&2
echo "surgeon: or skip this once with 'git commit --no-verify'." >&2
exit 1
"""


@dataclass(frozen=True)
class HookResult:
    action: str  # "installed", "updated", "uninstalled", "absent"
    hook: Path
    chained: Path | None  # the previous hook, now chained (install) or restored (uninstall)


def hooks_dir(root: Path) -> Path:
    """Where git runs hooks from for this repository (honours core.hooksPath)."""
    result = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise RepoError(f"git could not say where hooks live: {result.stderr.strip()}")
    return (root / result.stdout.strip()).resolve()


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def script(python: str | None = None) -> str:
    """The hook's text; `python` is the interpreter that has surgeon installed (default: this one)."""
    return _TEMPLATE.format(marker=MARKER, chained=CHAINED_NAME, python=_shell_quote(python or sys.executable))


def is_ours(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    return MARKER.encode() in head


def install(root: Path, python: str | None = None) -> HookResult:
    directory = hooks_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    hook = directory / "pre-commit"
    chained = directory / CHAINED_NAME
    action = "installed"
    if hook.exists() or hook.is_symlink():
        if is_ours(hook):
            action = "updated"
        else:
            if chained.exists() or chained.is_symlink():
                raise UsageError(
                    f"{hook} is not surgeon's, and {chained} (a hook surgeon kept earlier) exists too; "
                    "move one of them away, then run `surgeon hook install` again")
            os.replace(hook, chained)
    temporary = directory / ".pre-commit.surgeon-tmp"
    temporary.write_text(script(python), encoding="utf-8")
    temporary.chmod(0o755)
    os.replace(temporary, hook)
    return HookResult(action, hook, chained if (chained.exists() or chained.is_symlink()) else None)


def uninstall(root: Path) -> HookResult:
    directory = hooks_dir(root)
    hook = directory / "pre-commit"
    chained = directory / CHAINED_NAME
    if not (hook.exists() or hook.is_symlink()):
        return HookResult("absent", hook, None)
    if not is_ours(hook):
        raise UsageError(f"{hook} was not installed by surgeon; left it alone")
    hook.unlink()
    if chained.exists() or chained.is_symlink():
        os.replace(chained, hook)
        return HookResult("uninstalled", hook, hook)
    return HookResult("uninstalled", hook, None)
