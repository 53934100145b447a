"""Which files a diff touches: header paths read with or without git's a/ b/ prefixes (checked
against the files that exist), paths that must never be touched, and the sections of a diff
that name the same file gathered into one target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from surgeon.diff.parse import ParsedFile, ParsedHunk
from surgeon.diff.types import Refusal

TargetKind = Literal["modify", "create", "delete", "rename"]


MAX_NAME_BYTES = 255  # one path component: NAME_MAX on Linux, macOS and Windows file systems
MAX_PATH_BYTES = 4096  # PATH_MAX on Linux
REGULAR_MODES = ("100644", "100755")
# code points HFS+ ignores in names, so ".g\u200cit" is ".git" there (git refuses them the same way)
_IGNORED_BY_HFS = frozenset(chr(c) for c in (*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF))


def shown_path(path: str) -> str:
    """`path` printable: bytes that are not UTF-8 (kept as surrogate escapes) written as \\xNN."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def git_folder_spelling(part: str) -> bool:
    """Whether one path component names git's folder on some file system: case-insensitive
    (.GIT), Windows (trailing dots and spaces dropped, `:stream` suffixes, the 8.3 name GIT~1),
    HFS+ (ignorable code points)."""
    name = "".join(ch for ch in part if ch not in _IGNORED_BY_HFS).split(":", 1)[0].rstrip(" .")
    return name.casefold() in (".git", "git~1")


def unsafe_path(path: str) -> str | None:
    """Why `path` may not be touched, or None when it is an ordinary path inside the repository."""
    if not path or path in (".", "/"):
        return "the diff names an empty path"
    if "\0" in path:
        return "the path contains a NUL character"
    if any("\udc80" <= ch <= "\udcff" for ch in path):
        byte = next(ch for ch in path if "\udc80" <= ch <= "\udcff").encode("utf-8", "surrogateescape")[0]
        return (f"the path is not UTF-8 (its quoted name holds the byte \\x{byte:02x}, which is not part of a "
                "UTF-8 character); surgeon edits files whose names are UTF-8: name the file in UTF-8")
    if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        return "the path is absolute; diffs must use paths relative to the repository root"
    if path.endswith("/"):
        return "the path ends with '/', so it names a folder; a diff changes files"
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        return "the path leads outside the repository (..)"
    for part in parts:
        if part == ".git":
            return "the path is inside .git; surgeon never edits git's own files"
        if git_folder_spelling(part):
            return (f"the path is inside git's own folder: '{part}' is .git on case-insensitive or Windows "
                    "file systems; surgeon never edits git's own files")
    longest = max(parts, key=lambda part: len(part.encode("utf-8")))
    if len(longest.encode("utf-8")) > MAX_NAME_BYTES:
        return (f"a name in the path is {len(longest.encode('utf-8'))} bytes long (`{longest[:40]}...`); file "
                f"systems allow at most {MAX_NAME_BYTES} bytes per name")
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        return f"the path is {len(path.encode('utf-8'))} bytes long; file systems allow at most {MAX_PATH_BYTES}"
    return None


def tidy(path: str) -> str:
    """`path` without `./` components and doubled slashes (`./sub/./x` -> `sub/x`). An absolute path
    and a trailing slash are kept, for unsafe_path to refuse."""
    if path.startswith("/"):
        return path
    parts = path.split("/")
    kept = "/".join(part for part in parts if part not in ("", "."))
    return kept + "/" if kept and len(parts) > 1 and parts[-1] == "" else kept


def mode_problem(mode: str | None) -> str | None:
    """Why the engine will not write a file with git mode `mode`, or None for a regular file."""
    if mode is None or mode in REGULAR_MODES:
        return None
    kind = {"120000": "a symbolic link", "160000": "a submodule (gitlink)", "040000": "a folder"}.get(mode)
    what = f"mode {mode} ({kind})" if kind else f"mode {mode}"
    return f"the diff sets {what} on this path; surgeon writes regular files only (modes 100644 and 100755)"


def strip_prefix(path: str) -> str:
    return path[2:] if path.startswith(("a/", "b/")) else path


def readings(raw: str, conventional: bool) -> list[str]:
    """Readings of a header path, most likely first: git's a/ b/ prefix stripped (when the diff
    uses the convention), a doubled prefix (a/a/x) stripped, the path as written."""
    once = strip_prefix(raw)
    twice = strip_prefix(once)
    ordered = [once, twice, raw] if conventional else [raw, once, twice]
    return list(dict.fromkeys(p for p in ordered if p))


@dataclass
class Target:
    """One file the diff touches, its hunks gathered from every section that names it."""

    kind: TargetKind
    old_path: str | None
    new_path: str | None
    sections: list[ParsedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def hunks(self) -> list[ParsedHunk]:
        return [h for s in self.sections for h in s.hunks]


def _tidied(raw: str | None, notes: list[str]) -> str | None:
    if raw is None:
        return None
    clean = tidy(raw)
    if clean != raw and clean:
        notes.append(f"path {shown_path(strip_prefix(raw))} written as {shown_path(strip_prefix(clean))} "
                     "(without ./ parts and doubled slashes)")
    return clean


def _resolve(section: ParsedFile, exists: Callable[[str], bool]) -> Target | Refusal:
    notes: list[str] = []
    old_raw, new_raw = _tidied(section.old_path, notes), _tidied(section.new_path, notes)
    rename_from, rename_to = _tidied(section.rename_from, notes), _tidied(section.rename_to, notes)
    shown = shown_path(strip_prefix(new_raw or old_raw or "?"))
    if section.binary:
        return Refusal(shown, None, None, "binary patches are not supported; surgeon edits text files only")
    if section.copy:
        return Refusal(shown, None, None, "'copy from'/'copy to' diffs are not supported; create the file with a new-file diff")
    modes = (section.new_file_mode, section.new_mode, section.old_mode, section.deleted_file_mode, section.index_mode)
    refused_mode = next((why for why in map(mode_problem, modes) if why), None)
    if refused_mode:
        return Refusal(shown, None, section.diff_line, refused_mode)
    conventional = (old_raw is None or old_raw.startswith("a/")) and (new_raw is None or new_raw.startswith("b/"))

    def first(raw: str) -> str:
        return readings(raw, conventional)[0]

    def existing(raw: str) -> str | None:
        for choice in readings(raw, conventional):
            if unsafe_path(choice) is None and exists(choice):
                if choice != first(raw):
                    notes.append(f"path {raw} read as {choice}")
                return choice
        return None

    if old_raw is None and new_raw is None and not (rename_from or rename_to):
        return Refusal(None, None, section.diff_line, (
            "both the '---' and the '+++' line name /dev/null, so the diff names no file: write "
            "'--- a/PATH' and '+++ b/PATH' (or /dev/null on one side only, to create or delete PATH)"))
    if rename_from or rename_to:
        old = rename_from or (old_raw and first(old_raw))
        new = rename_to or (new_raw and first(new_raw))
        if not old or not new:
            return Refusal(shown, None, None, "a rename needs both 'rename from' and 'rename to' lines")
        return Target("rename", old, new, [section], notes)
    if section.creates:
        if new_raw is None:
            return Refusal(None, None, section.diff_line, "a new-file diff without a '+++ b/PATH' line")
        return Target("create", None, first(new_raw), [section], notes)
    if section.deletes:
        if old_raw is None:
            return Refusal(None, None, section.diff_line, "a deleted-file diff without a '--- a/PATH' line")
        return Target("delete", existing(old_raw) or first(old_raw), None, [section], notes)
    if old_raw is None or new_raw is None:  # creates/deletes above cover one side missing
        return Refusal(shown, None, section.diff_line, "the diff needs both a '---' and a '+++' line")
    old = existing(old_raw)
    if strip_prefix(old_raw) != strip_prefix(new_raw) and old_raw != new_raw:
        if old is not None and old == existing(new_raw):
            return Target("modify", old, old, [section], notes)
        return Refusal(strip_prefix(new_raw), None, None, (
            f"the '---' and '+++' lines name different files ({old_raw}, {new_raw}) and there are no "
            "'rename from'/'rename to' lines: name the same file in both"))
    if old is None:
        if section.hunks and all(h.old_start == 0 and not h.old_lines for h in section.hunks):
            notes.append("treated as a new file (its hunk adds to line 0 of a file that does not exist)")
            return Target("create", None, first(new_raw), [section], notes)
        return Target("modify", first(old_raw), first(old_raw), [section], notes)
    if not conventional and old == old_raw:
        notes.append("the a/ b/ path prefixes were missing")
    return Target("modify", old, old, [section], notes)


def targets(sections: Sequence[ParsedFile], exists: Callable[[str], bool]) -> tuple[list[Target], list[Refusal]]:
    """The files `sections` touch. A file named by several plain sections (a diff split across
    fenced blocks) becomes one target; any other repetition is refused."""
    found: list[Target] = []
    refusals: list[Refusal] = []
    by_path: dict[str, Target] = {}
    for section in sections:
        target = _resolve(section, exists)
        if isinstance(target, Refusal):
            refusals.append(target)
            continue
        problems = [(p, unsafe_path(p)) for p in dict.fromkeys((target.old_path, target.new_path)) if p]
        problem = next(((p, why) for p, why in problems if why), None)
        if problem:
            refusals.append(Refusal(shown_path(problem[0]), None, None, problem[1]))
            continue
        seen = by_path.get(target.path)
        if seen is None:
            by_path[target.path] = target
            if target.old_path and target.old_path != target.path:
                by_path.setdefault(target.old_path, target)
            found.append(target)
        elif seen.kind == target.kind == "modify":
            seen.sections.extend(target.sections)
            seen.notes.extend(target.notes)
        else:
            refusals.append(Refusal(target.path, None, None, (
                "the diff touches this file more than once in ways that contradict each other "
                f"({seen.kind} and {target.kind})")))
    return found, refusals
