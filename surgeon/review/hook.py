"""Installing `surgeon review --staged` as the repository's git pre-commit hook.

The hook goes where git looks for hooks (core.hooksPath is respected). A pre-commit hook that is
already there is kept: it moves to `pre-commit.surgeon-chained`, runs first, and its failure still
stops the commit with its own exit code. Uninstalling puts it back.

A hook someone edited after surgeon wrote it (lines added, changed or removed) is theirs too:
uninstall and a reinstall refuse to delete or overwrite it, name the first line that differs and
say how to remove it by hand.
"""

from __future__ import annotations

import difflib
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from surgeon.errors import Refused, RepoError, UsageError
from surgeon.git.runner import Git

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
    result = Git(root).run("rev-parse", "--git-path", "hooks", check=False)
    if result.returncode != 0:
        raise RepoError(f"git could not say where hooks live: {result.stderr.decode('utf-8', 'replace').strip()}")
    return (root / os.fsdecode(result.stdout.strip())).resolve()


@dataclass(frozen=True)
class HooksSetting:
    """core.hooksPath as configured: its value and the `git config` flag of the file that sets it."""

    value: str
    scope_flag: str  # "" (the repository's .git/config), "--global", "--system", "--worktree"

    def unset_command(self) -> str:
        return " ".join(part for part in ("git config", self.scope_flag, "--unset core.hooksPath") if part)

    def set_command(self) -> str:
        return " ".join(part for part in ("git config", self.scope_flag, "core.hooksPath DIR") if part)


def hooks_setting(root: Path) -> HooksSetting | None:
    """core.hooksPath when it is set (in any config file), else None."""
    git = Git(root)
    result = git.run("config", "--show-scope", "--get", "core.hooksPath", check=False)
    if result.returncode not in (0, 1):  # a git older than 2.26 has no --show-scope
        result = git.run("config", "--get", "core.hooksPath", check=False)
        value = os.fsdecode(result.stdout).rstrip("\n")
        return HooksSetting(value, "") if result.returncode == 0 and value.strip() else None
    scope, _, value = os.fsdecode(result.stdout).rstrip("\n").partition("\t")
    if result.returncode != 0 or not value:
        return None
    flags = {"global": "--global", "system": "--system", "worktree": "--worktree"}
    return HooksSetting(value, flags.get(scope, ""))


def _hooks_folder(root: Path, command: str) -> tuple[Path, HooksSetting | None]:
    """The hooks folder, checked: a file there (or a folder that cannot be made) is a UsageError
    that names core.hooksPath when that is what points there, and says how to fix it."""
    directory = hooks_dir(root)
    setting = hooks_setting(root)
    if os.path.lexists(directory) and not directory.is_dir():
        raise UsageError(f"{_subject(directory, setting)} a file, not a folder; {_fix(setting, command)}")
    if command == "install" and not directory.is_dir():
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{_subject(directory, setting)} a folder that does not exist and cannot be created "
                             f"({_os_reason(exc)}); {_fix(setting, command)}") from None
    return directory, setting


def _subject(directory: Path, setting: HooksSetting | None) -> str:
    """'core.hooksPath is X,' or 'the hooks folder X is', to open a message."""
    if setting is None:
        return f"the hooks folder {directory} is"
    shown = setting.value if setting.value == str(directory) else f"{setting.value} ({directory})"
    return f"core.hooksPath is {shown},"


def _where(directory: Path, setting: HooksSetting | None) -> str:
    return str(directory) if setting is None else f"{directory}, the folder core.hooksPath names"


def _fix(setting: HooksSetting | None, command: str) -> str:
    again = f"then run `surgeon hook {command}` again"
    if setting is None:
        return f"move it away or make it a writable folder, {again}"
    return f"point it at a writable folder (`{setting.set_command()}`) or unset it (`{setting.unset_command()}`), {again}"


def _os_reason(exc: OSError) -> str:
    return exc.strerror.lower() if exc.strerror else (str(exc) or type(exc).__name__)


def _cannot_write(directory: Path, setting: HooksSetting | None, command: str, exc: OSError) -> UsageError:
    what = "write" if command == "install" else "change"
    return UsageError(f"cannot {what} the pre-commit hook in {_where(directory, setting)} ({_os_reason(exc)}); "
                      f"{_fix(setting, command)}")


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


def edits(hook: Path) -> list[str]:
    """The lines of surgeon's hook someone changed since surgeon wrote it ("+ line" added or
    changed, "- line" removed), compared with the text surgeon writes for the interpreter the
    hook names; empty when it is exactly surgeon's."""
    try:
        text = hook.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ["+ (the hook is no longer readable text)"]
    python = None
    for line in text.splitlines():
        if line.startswith("surgeon_python="):
            try:
                python = shlex.split(line.removeprefix("surgeon_python="))[0]
            except (ValueError, IndexError):
                python = None
            break
    expected = script(python) if python is not None else script()
    if text == expected:
        return []
    differ = difflib.ndiff(expected.splitlines(), text.splitlines())
    return [line for line in differ if line.startswith(("+ ", "- "))]


def _refuse_edited(hook: Path, chained: Path, command: str) -> None:
    changed = edits(hook)
    if not changed:
        return
    first = changed[0]
    what = f"line `{first[2:].strip()}` was added or changed" if first.startswith("+") else \
        f"line `{first[2:].strip()}` was removed"
    restore = f"; the hook it replaced is {chained} (`mv {chained} {hook}` puts it back)" if chained.exists() else ""
    action = "remove" if command == "uninstall" else "replace"
    raise Refused(
        f"{hook} is surgeon's hook with your edits ({what}, {len(changed)} line(s) differ), so surgeon will not "
        f"{action} it. Keep your lines elsewhere and delete it yourself (`rm {hook}`{restore}), then run "
        f"`surgeon hook {command}` again if you still want to"
    )


def install(root: Path, python: str | None = None) -> HookResult:
    directory, setting = _hooks_folder(root, "install")
    hook = directory / "pre-commit"
    chained = directory / CHAINED_NAME
    temporary = directory / ".pre-commit.surgeon-tmp"
    action = "installed"
    moved = False
    try:
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(directory))
        if hook.exists() or hook.is_symlink():
            if is_ours(hook):
                _refuse_edited(hook, chained, "install")
                action = "updated"
            else:
                if chained.exists() or chained.is_symlink():
                    raise UsageError(
                        f"{hook} is not surgeon's, and {chained} (a hook surgeon kept earlier) exists too; "
                        "move one of them away, then run `surgeon hook install` again")
                os.replace(hook, chained)
                moved = True
        temporary.write_text(script(python), encoding="utf-8")
        temporary.chmod(0o755)
        os.replace(temporary, hook)
    except OSError as exc:
        _undo(temporary, chained if moved else None, hook)
        raise _cannot_write(directory, setting, "install", exc) from None
    return HookResult(action, hook, chained if (chained.exists() or chained.is_symlink()) else None)


def _undo(temporary: Path, chained: Path | None, hook: Path) -> None:
    """After a failed install: no temporary file left, and a hook moved aside put back (as far as the
    folder allows; the error being reported already says it cannot be written)."""
    try:
        temporary.unlink(missing_ok=True)
    except OSError:
        pass
    if chained is not None:
        try:
            os.replace(chained, hook)
        except OSError:
            pass


def uninstall(root: Path) -> HookResult:
    directory, setting = _hooks_folder(root, "uninstall")
    hook = directory / "pre-commit"
    chained = directory / CHAINED_NAME
    if not (hook.exists() or hook.is_symlink()):
        return HookResult("absent", hook, None)
    if not is_ours(hook):
        raise UsageError(f"{hook} was not installed by surgeon; left it alone")
    _refuse_edited(hook, chained, "uninstall")
    try:
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied", str(directory))
        hook.unlink()
        if chained.exists() or chained.is_symlink():
            os.replace(chained, hook)
            return HookResult("uninstalled", hook, hook)
    except OSError as exc:
        raise _cannot_write(directory, setting, "uninstall", exc) from None
    return HookResult("uninstalled", hook, None)
