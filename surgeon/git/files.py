"""The working tree as surgeon reads and writes it.

Reading: repository-relative paths to the bytes on disk, refusing what surgeon does not edit
(symbolic links, folders, paths leading outside the repository).

Writing: `write_files`, the one transactional writer (`surgeon apply --in-place`, accepting a
change staged on a working-tree snapshot, pair turns): every file is checked to still hold what
the change was made against before anything is written, every new content is written beside its
target first, and a failure part-way (an error, Ctrl-C) puts back what was already replaced.
Writers take a lock on the working tree (so two surgeon processes never both pass the check on one
file), and each file is compared again just before it is replaced (so an editor's save since the
check is refused, not overwritten). Nothing is written through a symbolic link to a folder, nor
into a folder any filesystem may take for .git (.GIT, .git., git~1).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from surgeon.errors import Refused, WorkingTreeChanged
from surgeon.git.objects import SYMLINK_MODE

ReadFile = Callable[[str], "bytes | None"]


class WorkingTreeProblem(Exception):
    """A path the diff names cannot be read safely (a symlink, a folder, outside the repository)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def working_tree_reader(root: Path) -> ReadFile:
    """read_file for the engine: a repository-relative path -> the working tree's bytes, or None."""
    resolved_root = root.resolve()

    def read(path: str) -> bytes | None:
        target = resolved_root / path
        linked = linked_folder(resolved_root, path)
        if linked is not None:
            raise WorkingTreeProblem(path, f"leads through {linked}, a symbolic link to a folder; surgeon does not "
                                           "edit through links (git does not follow them either)")
        if target.is_symlink():
            raise WorkingTreeProblem(path, "is a symbolic link; surgeon edits regular files only")
        if not target.resolve().is_relative_to(resolved_root):
            raise WorkingTreeProblem(path, "leads outside the repository through a symbolic link")
        if target.is_dir():
            raise WorkingTreeProblem(path, "is a folder, not a file")
        if not target.exists():
            return None
        return target.read_bytes()

    return read


def linked_folder(root: Path, path: str) -> str | None:
    """The first folder on the way to `path` that is a symbolic link (None: there is none)."""
    parts = path.split("/")[:-1]
    for number in range(1, len(parts) + 1):
        prefix = "/".join(parts[:number])
        try:
            if stat.S_ISLNK(os.lstat(root / prefix).st_mode):
                return prefix
        except (FileNotFoundError, NotADirectoryError):
            return None
    return None


# Characters HFS+ ignores in names, so ".g\u200cit" is .git there too (git's own list).
_IGNORED = {chr(c) for c in (*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF)}


def git_folder_name(part: str) -> bool:
    """Whether some filesystem takes this name for .git: any case (.GIT), trailing dots or spaces
    (.git. on Windows), the 8.3 short name git~1, an NTFS stream (.git::$INDEX_ALLOCATION)."""
    folded = "".join(ch for ch in part if ch not in _IGNORED).casefold()
    folded = folded.split(":", 1)[0].rstrip(". ")
    return folded in (".git", "git~1")


# ---------------------------------------------------------------------------------------------
# writing


@dataclass(frozen=True)
class FileWrite:
    """One path of a change: what it must hold now, what it will hold, and its mode after.

    before/after: file bytes (a symbolic link's target when before_link / mode "120000"), or
    None for "absent" (after=None deletes the file).
    mode: "100755" (executable), "100644" (regular) or "120000" (a symbolic link); None keeps the
    permissions the file at `keep_mode_of` (default: `path`) has now, or gives a new file the
    default permissions (0666 less the umask)."""

    path: str
    before: bytes | None
    after: bytes | None
    mode: str | None = None
    keep_mode_of: str | None = None
    before_link: bool = False

    def inverse(self) -> FileWrite:
        """The write that puts `before` back (a regular file keeps the permissions it has then)."""
        return FileWrite(
            self.path, self.after, self.before,
            mode=SYMLINK_MODE if self.before_link else None, before_link=self.mode == SYMLINK_MODE,
        )


class Change(Protocol):
    """What writes_for reads of a change (surgeon.diff.FileChange)."""

    @property
    def path(self) -> str: ...
    @property
    def old_path(self) -> str | None: ...
    @property
    def old_content(self) -> bytes | None: ...
    @property
    def new_content(self) -> bytes | None: ...
    @property
    def old_mode(self) -> str | None: ...
    @property
    def new_mode(self) -> str | None: ...


def writes_for(changes: Iterable[Change]) -> list[FileWrite]:
    """The writes of a diff's changes: a rename is a deletion plus a creation that keeps the old
    file's permissions; a mode is set only where the diff changes it or creates the file."""
    writes: list[FileWrite] = []
    for change in changes:
        if change.old_path and change.old_path != change.path:
            writes.append(FileWrite(change.old_path, change.old_content, None))
            writes.append(FileWrite(change.path, None, change.new_content, change.new_mode, keep_mode_of=change.old_path))
        else:
            changed = change.new_mode != change.old_mode or change.old_content is None
            writes.append(FileWrite(change.path, change.old_content, change.new_content,
                                    change.new_mode if changed else None))
    return writes


State = tuple[str, bytes] | None  # ("file" | "link" | "other", content) or None when absent


def _state(target: Path) -> State:
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "link", os.fsencode(os.readlink(target))
    if stat.S_ISREG(info.st_mode):
        return "file", target.read_bytes()
    return "other", b""


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _permissions(root: Path, write: FileWrite, umask: int) -> int:
    if write.mode is not None:
        return (0o777 if write.mode == "100755" else 0o666) & ~umask
    with contextlib.suppress(FileNotFoundError):
        info = os.lstat(root / (write.keep_mode_of or write.path))
        if stat.S_ISREG(info.st_mode):
            return info.st_mode & 0o7777
    return 0o666 & ~umask


def _beside(target: Path, data: bytes, link: bool, permissions: int) -> Path:
    """`data` as a new file (or symbolic link) in the folder of `target`, under a temporary name."""
    if link:
        for _ in range(100):
            temp = target.with_name(f".{target.name}.surgeon-{secrets.token_hex(4)}")
            try:
                os.symlink(os.fsdecode(data), temp)
            except FileExistsError:
                continue
            return temp
        raise FileExistsError(f"no free temporary name beside {target}")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.surgeon-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(name, permissions)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Path(name)


def write_files(root: Path, writes: Sequence[FileWrite]) -> None:
    """Write every one of `writes` to the working tree at `root`, or none of them.

    Raises Refused for a path outside the working tree (or inside .git) and WorkingTreeChanged when
    a file no longer holds `before`: both before anything is written. Any other failure part-way
    (an OSError, Ctrl-C) puts back every file already replaced or deleted, then propagates."""
    resolved_root = root.resolve()
    for write in writes:
        parent = (root / write.path).parent.resolve()
        outside = parent != resolved_root and resolved_root not in parent.parents
        if outside or any(git_folder_name(part) for part in write.path.split("/")):
            raise Refused(f"{write.path} is not a file of this working tree; nothing was written")
        linked = linked_folder(root, write.path)
        if linked is not None:
            raise Refused(f"{write.path}: leads through {linked}, a symbolic link to a folder; nothing was written")
    with _write_lock(root):
        _write_checked(root, writes)


def _expected(write: FileWrite) -> State:
    return None if write.before is None else ("link" if write.before_link else "file", write.before)


def _write_checked(root: Path, writes: Sequence[FileWrite]) -> None:
    for write in writes:
        if _state(root / write.path) != _expected(write):
            raise WorkingTreeChanged(write.path)

    umask = _umask()
    temps: dict[int, Path] = {}
    undo: list[Callable[[], None]] = []
    backups: list[Path] = []
    try:
        for number, write in enumerate(writes):
            if write.after is None:
                continue
            target = root / write.path
            target.parent.mkdir(parents=True, exist_ok=True)
            temps[number] = _beside(target, write.after, write.mode == SYMLINK_MODE, _permissions(root, write, umask))
        for number, write in enumerate(writes):
            target = root / write.path
            old = _state(target)
            if old != _expected(write):  # saved by someone else since the check: theirs stays
                raise WorkingTreeChanged(write.path)
            if write.after is None:
                if old is None:
                    continue
                handle, name = tempfile.mkstemp(prefix=f".{target.name}.surgeon-deleted-", dir=target.parent)
                os.close(handle)
                backup = Path(name)
                os.replace(target, backup)
                backups.append(backup)
                undo.append(partial(os.replace, backup, target))
                continue
            old_permissions = os.lstat(target).st_mode & 0o7777 if old is not None else 0
            os.replace(temps[number], target)
            del temps[number]
            undo.append(partial(_put_back, target, old, old_permissions))
    except BaseException:
        for step in reversed(undo):
            with contextlib.suppress(OSError):  # put back as much as can be put back
                step()
        for temp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        raise
    for backup in backups:
        with contextlib.suppress(FileNotFoundError):
            backup.unlink()


def _put_back(target: Path, old: State, permissions: int) -> None:
    """Undo one replacement: `target` holds `old` again (or is gone when it was absent)."""
    if old is None:
        target.unlink(missing_ok=True)
        return
    kind, data = old
    os.replace(_beside(target, data, kind == "link", permissions), target)


@contextlib.contextmanager
def _write_lock(root: Path) -> Iterator[None]:
    """An exclusive lock on writing this working tree, held from the check to the last write."""
    with exclusive_lock(_lock_path(root)):
        yield


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An exclusive flock on the file at `path` (made, with its folder, when missing) while the
    block runs; the kernel drops it when the process dies. Where there is no flock, no lock: the
    callers' own checks still hold, only without the wait."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _lock_path(root: Path) -> Path:
    """<git dir>/surgeon/write.lock (a linked worktree's own git dir); beside the temporary files
    for a folder that is no git working tree."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git / "surgeon" / "write.lock"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        first = dot_git.read_text(encoding="utf-8").splitlines()[0]
        if first.startswith("gitdir:"):
            return (root / first.removeprefix("gitdir:").strip()) / "surgeon" / "write.lock"
    digest = hashlib.sha256(os.fsencode(root.resolve())).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"surgeon-write-{digest}.lock"
