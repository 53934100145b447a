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


def unsafe_path(path: str) -> str | None:
    """Why `path` may not be touched, or None when it is an ordinary path inside the repository."""
    if not path or path in (".", "/"):
        return "the diff names an empty path"
    if "\0" in path:
        return "the path contains a NUL character"
    if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        return "the path is absolute; diffs must use paths relative to the repository root"
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        return "the path leads outside the repository (..)"
    if ".git" in parts:
        return "the path is inside .git; surgeon never edits git's own files"
    return None


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


def _resolve(section: ParsedFile, exists: Callable[[str], bool]) -> Target | Refusal:
    old_raw, new_raw = section.old_path, section.new_path
    shown = strip_prefix(new_raw or old_raw or "?")
    if section.binary:
        return Refusal(shown, None, None, "binary patches are not supported; surgeon edits text files only")
    if section.copy:
        return Refusal(shown, None, None, "'copy from'/'copy to' diffs are not supported; create the file with a new-file diff")
    conventional = (old_raw is None or old_raw.startswith("a/")) and (new_raw is None or new_raw.startswith("b/"))
    notes: list[str] = []

    def first(raw: str) -> str:
        return readings(raw, conventional)[0]

    def existing(raw: str) -> str | None:
        for choice in readings(raw, conventional):
            if unsafe_path(choice) is None and exists(choice):
                if choice != first(raw):
                    notes.append(f"path {raw} read as {choice}")
                return choice
        return None

    if old_raw is None and new_raw is None and not (section.rename_from or section.rename_to):
        return Refusal(None, None, section.diff_line, (
            "both the '---' and the '+++' line name /dev/null, so the diff names no file: write "
            "'--- a/PATH' and '+++ b/PATH' (or /dev/null on one side only, to create or delete PATH)"))
    if section.rename_from or section.rename_to:
        old = section.rename_from or (old_raw and first(old_raw))
        new = section.rename_to or (new_raw and first(new_raw))
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
            refusals.append(Refusal(problem[0], None, None, problem[1]))
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
