"""Tasks from the repository's own history: recent commits that make one small, focused change.

A task is a commit's subject (and short body) as the instruction, its parent as the base and its
change as the answer. The commit's test files are not part of the answer: they are the check that
tells an equivalent result from a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from surgeon.git import Git
from surgeon.languages import CONFIG_KINDS, FILENAMES, language_for

MAX_FILES = 3  # answer files (the commit's test files come on top)
MAX_LINES = 40  # changed lines in the answer files
MAX_BODY = 400  # characters of the commit body that join the instruction
SCAN = 400  # commits read to find the tasks

Kind = Literal["code", "config", "docs"]

DOC_SUFFIXES = {".md", ".rst", ".txt", ".adoc"}
CONFIG_SUFFIXES = {".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".conf", ".service", ".env", ".lock"}
GENERIC_SUBJECTS = {"wip", "fix", "fixes", "update", "updates", "changes", "misc", "cleanup", "tmp", "temp",
                    "minor", "stuff", "typo", "more", "save", "test", "tests", "commit", "initial commit"}
SKIPPED_SUBJECT = re.compile(
    r"^(revert|merge)\b|\bbump(ed|s)?\b|^(release|version|prepare release)\b|^v?\d+(\.\d+)+\b"
    r"|\b(format(ting)?|reformat|black|prettier|gofmt|rustfmt|isort|ruff format|whitespace)\b"
    r"|\bversion \d|\b\d+\.\d+\.\d+\b",
    re.IGNORECASE,
)
TRAILER = re.compile(r"^[A-Za-z-]+: .+$")


@dataclass(frozen=True)
class Task:
    commit: str
    parent: str
    subject: str
    instruction: str
    files: tuple[str, ...]  # the answer: what the model must change
    test_files: tuple[str, ...]  # the commit's own tests: the check, not the answer
    changed_lines: int
    kind: Kind
    language: str

    @property
    def short(self) -> str:
        return self.commit[:10]

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "parent": self.parent, "subject": self.subject,
                "instruction": self.instruction, "files": list(self.files), "test_files": list(self.test_files),
                "changed_lines": self.changed_lines, "kind": self.kind, "language": self.language}


def is_test_file(path: str) -> bool:
    pure = PurePosixPath(path)
    name = pure.name
    if any(part in ("tests", "test", "__tests__", "spec", "testing") for part in pure.parts[:-1]):
        return True
    return bool(re.match(r"(test_.*\.py|.*_test\.(py|go|rb|exs)|.*\.(test|spec)\.[cm]?[jt]sx?|.*Tests?\.java)$", name))


def file_kind(path: str) -> Kind:
    pure = PurePosixPath(path)
    if pure.suffix.lower() in DOC_SUFFIXES or (pure.parts and pure.parts[0] in ("docs", "doc")):
        return "docs"
    if (pure.suffix.lower() in CONFIG_SUFFIXES or pure.suffix in CONFIG_KINDS or pure.name in FILENAMES
            or pure.name.startswith(".")):
        return "config"
    return "code"


def task_kind(paths: Sequence[str]) -> tuple[Kind, str]:
    """code when any answer file is code, else config, else docs; the language of the first such file."""
    kinds: tuple[Kind, ...] = ("code", "config", "docs")
    for kind in kinds:
        of_kind = [p for p in paths if file_kind(p) == kind]
        if of_kind:
            first = PurePosixPath(of_kind[0])
            return kind, language_for(of_kind[0]) or first.suffix.lstrip(".").lower() or "text"
    return "code", "text"


def descriptive(subject: str) -> bool:
    words = re.findall(r"[A-Za-z]{2,}", subject)
    return len(words) >= 3 and len(subject) >= 15 and subject.strip().lower().rstrip(".") not in GENERIC_SUBJECTS


def instruction_for(subject: str, body: str) -> str:
    """The subject, and the body when it is short, without trailers (Signed-off-by: ...)."""
    lines = [line for line in body.strip().splitlines() if not TRAILER.match(line.strip())]
    kept = "\n".join(lines).strip()
    return f"{subject}\n\n{kept}" if kept and len(kept) <= MAX_BODY else subject


def _numstat(git: Git, parent: str, commit: str) -> list[tuple[str, int, int, str]] | None:
    """(path, added, removed, status) per file; None when the change holds a binary file, a rename,
    a deletion, or a mode other than a regular file's."""
    raw = git.z_list("diff-tree", "-r", "--no-renames", "--raw", "--numstat", "-z", parent, commit)
    statuses: dict[str, str] = {}
    rows: list[tuple[str, int, int, str]] = []
    index = 0
    while index < len(raw):
        field = raw[index]
        if field.startswith(":"):  # :old_mode new_mode old new STATUS, then the path
            parts = field.split()
            if parts[1] not in ("100644", "100755") or parts[4] not in ("M", "A"):
                return None
            statuses[raw[index + 1]] = parts[4]
            index += 2
            continue
        added, removed, path = field.split("\t", 2)
        if added == "-" or removed == "-":
            return None
        rows.append((path, int(added), int(removed), statuses.get(path, "M")))
        index += 1
    return rows


def _only_whitespace(git: Git, parent: str, commit: str) -> bool:
    shown = git.run("diff", "--no-ext-diff", "-w", "--ignore-blank-lines", "--quiet", parent, commit, check=False)
    return shown.returncode == 0


def pick_tasks(git: Git, count: int, *, since: str | None = None, matches: Any = None) -> list[Task]:
    """Up to `count` tasks from the newest commits of HEAD (after `since`), newest first. `matches`
    (a path -> bool) must hold for every answer file."""
    spec = f"{since}..HEAD" if since else "HEAD"
    log = git.run("log", "--no-merges", "-z", f"--max-count={SCAN}", "--format=%H%x00%P%x00%s%x00%b", spec).stdout
    fields = log.decode("utf-8", "replace").split("\0")
    tasks: list[Task] = []
    for start in range(0, len(fields) - 3, 4):
        commit, parents, subject, body = (f.strip("\n") for f in fields[start:start + 4])
        parent_list = parents.split()
        if len(parent_list) != 1 or not descriptive(subject) or SKIPPED_SUBJECT.search(subject):
            continue
        rows = _numstat(git, parent_list[0], commit)
        if not rows:
            continue
        answer = [r for r in rows if not is_test_file(r[0])] or rows
        tests = tuple(r[0] for r in rows if r not in answer)
        lines = sum(added + removed for _path, added, removed, _status in answer)
        files = tuple(r[0] for r in answer)
        if len(files) > MAX_FILES or not 0 < lines <= MAX_LINES or len(tests) > MAX_FILES:
            continue
        if matches is not None and not all(matches(path) for path in files):
            continue
        if _only_whitespace(git, parent_list[0], commit):
            continue
        kind, language = task_kind(files)
        tasks.append(Task(commit, parent_list[0], subject, instruction_for(subject, body), files, tests,
                          lines, kind, language))
        if len(tasks) >= count:
            break
    return tasks
