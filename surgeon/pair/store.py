"""Where pair sessions live on disk, under the repository's .git/surgeon/:

- sessions/<id>.json: the session file (save, load the last one, read one by id);
- pair/<id>/running: the process id of the `surgeon pair` running the session now;
- pair/<id>/worktree: the private worktree of a --no-apply session (made by branch.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from surgeon.errors import SurgeonError, UsageError
from surgeon.pair.session import Session, session_from_json, session_to_json


def now_local() -> datetime:
    return datetime.now().astimezone()


def stamp(session: Session) -> Session:
    """The session marked as updated now."""
    return replace(session, updated=now_local().isoformat(timespec="microseconds"))


def parse_stamp(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


# -- the layout -------------------------------------------------------------------------------------


def sessions_dir(surgeon_dir: Path) -> Path:
    return surgeon_dir / "sessions"


def session_file(surgeon_dir: Path, session_id: str) -> Path:
    return sessions_dir(surgeon_dir) / f"{session_id}.json"


def session_dir(surgeon_dir: Path, session_id: str) -> Path:
    return surgeon_dir / "pair" / session_id


def private_worktree_path(surgeon_dir: Path, session_id: str) -> Path:
    return session_dir(surgeon_dir, session_id) / "worktree"


def _running_marker(surgeon_dir: Path, session_id: str) -> Path:
    return session_dir(surgeon_dir, session_id) / "running"


# -- the session file ---------------------------------------------------------------------------------


def save_session(surgeon_dir: Path, session: Session) -> Path:
    """Atomic: a temporary file in the same folder, then rename."""
    folder = sessions_dir(surgeon_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = session_file(surgeon_dir, session.id)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{session.id}.", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(session_to_json(session), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _saved_sessions(surgeon_dir: Path, *, strict: bool) -> list[tuple[float, float, Session]]:
    folder = sessions_dir(surgeon_dir)
    found: list[tuple[float, float, Session]] = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            session = session_from_json(json.loads(path.read_text(encoding="utf-8")))
            found.append((parse_stamp(session.updated), path.stat().st_mtime, session))
        except (OSError, ValueError, TypeError) as exc:
            if strict:
                raise UsageError(f"{path}: unreadable session file ({exc}); move it away to continue") from None
    return found


def load_last_session(surgeon_dir: Path) -> Session:
    """The session saved most recently under .git/surgeon/sessions/."""
    found = _saved_sessions(surgeon_dir, strict=True)
    if not found:
        raise UsageError("no pair session to resume in this repository; start one with `surgeon pair`")
    return max(found, key=lambda item: (item[0], item[1]))[2]


def last_session_id(surgeon_dir: Path) -> str | None:
    """The id of the session `surgeon pair --resume` continues (unreadable files are skipped)."""
    found = _saved_sessions(surgeon_dir, strict=False)
    return max(found, key=lambda item: (item[0], item[1]))[2].id if found else None


def read_session(surgeon_dir: Path, session_id: str) -> Session | None:
    """The saved session with this id, or None (no file, or an unreadable one)."""
    try:
        return session_from_json(json.loads(session_file(surgeon_dir, session_id).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, SurgeonError):
        return None


# -- a running session ----------------------------------------------------------------------------------


def mark_running(surgeon_dir: Path, session_id: str) -> None:
    """Record that this process runs the session, so `surgeon discard` leaves it alone."""
    marker = _running_marker(surgeon_dir, session_id)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{os.getpid()}\n", encoding="utf-8")


def clear_running(surgeon_dir: Path, session_id: str) -> None:
    marker = _running_marker(surgeon_dir, session_id)
    try:
        if marker.read_text(encoding="utf-8").split()[0] == str(os.getpid()):
            marker.unlink()
    except (OSError, IndexError):
        pass


def running_pid(surgeon_dir: Path, session_id: str) -> int | None:
    """The process id of the `surgeon pair` that runs this session now, or None. A marker left by a
    process that died (killed, terminal closed) is ignored."""
    try:
        pid = int(_running_marker(surgeon_dir, session_id).read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except PermissionError:
        return pid  # alive, someone else's
    except OSError:
        return None
    return pid


# -- forgetting a session ---------------------------------------------------------------------------------


def remove_session_file(surgeon_dir: Path, session_id: str, branch: str) -> bool:
    """Delete the session file of `session_id` when it is the file of this branch (another session
    may have drawn the same id). Returns whether a file was removed."""
    saved = read_session(surgeon_dir, session_id)
    if saved is None or saved.branch != branch:
        return False
    session_file(surgeon_dir, session_id).unlink(missing_ok=True)
    return True


def remove_session_dir(surgeon_dir: Path, session_id: str) -> None:
    """Remove what is left of .git/surgeon/pair/<id>/ (a running marker, an empty worktree folder)."""
    folder = session_dir(surgeon_dir, session_id)
    for leftover in (folder / "running", folder / "worktree", folder):
        try:
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        except OSError:
            pass
