"""The guard as a Claude Code PreToolUse hook in a project's .claude/settings.json: installed beside
whatever the file already holds (other hooks, other keys), once however often install runs, and
removed without touching anything else. A file that is not a JSON object is left as it is."""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from surgeon.errors import UsageError

CHECK_ARGS = "hook claude-code check"
MATCHER = "Edit|MultiEdit|Write"
SETTINGS = Path(".claude") / "settings.json"

Action = Literal["installed", "updated", "unchanged", "uninstalled", "absent"]


@dataclass(frozen=True)
class SettingsResult:
    action: Action
    settings: Path
    command: str | None  # the hook command now in the file (None after uninstall)


def hook_command() -> str:
    """The shell command the hook runs: this surgeon by its absolute path, else `surgeon` on PATH
    (the path goes stale when that install is removed or moved)."""
    script = Path(sys.argv[0])
    if script.name == "surgeon" and script.is_file():
        runner = shlex.quote(str(script.absolute()))
    else:
        runner = f"{shlex.quote(sys.executable)} -m surgeon"
    probe = shlex.split(runner)[0]
    return (f"if [ -x {shlex.quote(probe)} ]; then exec {runner} {CHECK_ARGS}; "
            f"else exec surgeon {CHECK_ARGS}; fi")


def _ours(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("command"), str) and CHECK_ARGS in entry["command"]


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; nothing was changed") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                         "fix it and run this again, nothing was changed") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror}); nothing was changed") from None
    hooks = data.get("hooks", {}) if isinstance(data, dict) else None
    if not isinstance(hooks, dict) or not isinstance(hooks.get("PreToolUse", []), list):
        what = "is not a JSON object" if not isinstance(data, dict) else "has a \"hooks\" entry Claude Code cannot read"
        raise UsageError(f"{path}: {what}; fix it and run this again, nothing was changed")
    return data


def _without_ours(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """`data` with surgeon's hook entries taken out (and the groups, lists and tables they leave
    empty), and how many there were."""
    hooks = data.get("hooks")
    if not isinstance(hooks, dict) or not isinstance(hooks.get("PreToolUse"), list):
        return data, 0
    removed, groups = 0, []
    for group in hooks["PreToolUse"]:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            kept = [entry for entry in group["hooks"] if not _ours(entry)]
            removed += len(group["hooks"]) - len(kept)
            if not kept and len(group["hooks"]):
                continue
            group = {**group, "hooks": kept}
        groups.append(group)
    rest = {key: value for key, value in hooks.items() if key != "PreToolUse"}
    new_hooks = {**rest, "PreToolUse": groups} if groups else rest
    out = dict(data)
    if new_hooks:
        out["hooks"] = new_hooks
    else:
        out.pop("hooks")
    return out, removed


def _write(path: Path, data: dict[str, Any]) -> None:
    target = path.resolve() if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def install(root: Path, command: str) -> SettingsResult:
    path = root / SETTINGS
    data = _load(path)
    group = {"matcher": MATCHER, "hooks": [{"type": "command", "command": command}]}
    groups = data.get("hooks", {}).get("PreToolUse", [])
    if group in groups and sum(_ours(e) for g in groups if isinstance(g, dict) for e in g.get("hooks") or []) == 1:
        return SettingsResult("unchanged", path, command)
    rest, removed = _without_ours(data)
    hooks = dict(rest.get("hooks", {}))
    hooks["PreToolUse"] = [*hooks.get("PreToolUse", []), group]
    _write(path, {**rest, "hooks": hooks})
    return SettingsResult("updated" if removed else "installed", path, command)


def uninstall(root: Path) -> SettingsResult:
    path = root / SETTINGS
    data = _load(path)
    rest, removed = _without_ours(data)
    if not removed:
        return SettingsResult("absent", path, None)
    _write(path, rest)
    return SettingsResult("uninstalled", path, None)
