"""Which files and which lines a review judges.

--staged (the default, what `surgeon hook install` runs) judges only the lines the commit adds, read
from the index, so old code never blocks a new commit. --range A..B judges the lines B adds over A,
read from B. --all and PATH... judge every line of the working-tree files. --pre-commit (the hook of the
pre-commit framework) judges the files the framework passes: see `pre_commit`.

Paths are str; a name that is not UTF-8 is held with surrogate escapes (as os.fsdecode does), so it
reaches git and the file system unchanged; findings.printable shows it to people.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from surgeon.errors import GitFailed, UsageError
from surgeon.git.runner import Git
from surgeon.languages import language_for
from surgeon.review.findings import printable
from surgeon.review.lexing import Lexed, lex

MAX_FILE_BYTES = 1_000_000  # larger files are generated or data; skipped and counted
MINIFIED_SUFFIXES = (".min.js", ".min.css", ".min.mjs", ".js.map", ".css.map", ".bundle.js")

TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "fixtures", "testdata",
                       "__fixtures__", "__mocks__"})
TEST_FILE = re.compile(
    r"(^test_.*\.py$|.*_test\.(py|go|rb)$|^conftest\.py$|.*\.(test|spec)\.(js|jsx|ts|tsx|mjs|cjs)$|.*Test\.java$)"
)
LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock",
    "Cargo.lock", "go.sum", "composer.lock", "Gemfile.lock", "uv.lock", "pdm.lock", "bun.lockb", "flake.lock",
    "packages.lock.json", "mix.lock", "pubspec.lock", "Podfile.lock",
})
DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".org", ".rdoc", ".tex"})


@dataclass(frozen=True)
class SourceFile:
    """One file under review: its text and the 1-based line numbers judged (None = every line)."""

    path: str
    text: str
    judged: frozenset[int] | None = None

    @cached_property
    def lines(self) -> tuple[str, ...]:
        # Split on "\n" only, as git numbers lines; a trailing "\r" stays part of the line.
        parts = self.text.split("\n")
        if parts and parts[-1] == "":
            parts.pop()
        return tuple(parts)

    @cached_property
    def language(self) -> str | None:
        return language_for(self.path)

    @cached_property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @cached_property
    def is_test(self) -> bool:
        """Tests, fixtures and test data: hard-coded hosts, fake keys and relaxed settings are normal there."""
        parts = PurePosixPath(self.path).parts
        return bool(TEST_DIRS.intersection(part.lower() for part in parts[:-1])) or bool(TEST_FILE.match(self.name))

    @cached_property
    def is_lock(self) -> bool:
        return self.name in LOCK_FILES or self.name.endswith(".lock")

    @cached_property
    def is_doc(self) -> bool:
        return PurePosixPath(self.path).suffix.lower() in DOC_SUFFIXES or self.name.upper().startswith(
            ("README", "CHANGELOG", "LICENSE", "CONTRIBUTING", "NOTICE", "AUTHORS"))

    @cached_property
    def lexed(self) -> Lexed:
        return lex(self.lines, self.language)

    def judges(self, line: int) -> bool:
        return self.judged is None or line in self.judged

    def judged_lines(self) -> Iterable[tuple[int, str]]:
        """(line number, text) for each judged line, in order."""
        if self.judged is None:
            yield from enumerate(self.lines, start=1)
            return
        for number in sorted(self.judged):
            if 1 <= number <= len(self.lines):
                yield number, self.lines[number - 1]

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""


@dataclass(frozen=True)
class Scope:
    """The files to review, described for people ("staged changes", "main..topic", ...)."""

    description: str
    files: tuple[SourceFile, ...]
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> number of files
    content_ref: str | None = None  # "" for the index, a commit for --range, None for the working tree
    base_ref: str | None = None  # for --range: the commit the added lines are measured against


# --- git plumbing ---------------------------------------------------------------------------------------

def _git(root: Path) -> Git:
    """The runner for the review's git calls: paths in diff headers are written as they are (only
    names with control characters, quotes or backslashes come C-quoted)."""
    return Git(root, config=("core.quotepath=false",))


_OCTAL = re.compile(rb"\\([0-7]{3}|.)")
_ESCAPES = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b", b"f": b"\f",
            b"r": b"\r", b"v": b"\v"}


def _unquote(raw: bytes) -> str:
    """A path as git prints it in diff headers: plain, or C-quoted with octal escapes for bytes."""
    raw = raw.rstrip(b"\t")
    if raw.startswith(b'"') and raw.endswith(b'"'):
        def unescape(match: re.Match[bytes]) -> bytes:
            token = match.group(1)
            return bytes([int(token, 8)]) if len(token) == 3 else _ESCAPES.get(token, token)

        raw = _OCTAL.sub(unescape, raw[1:-1])
    return raw.decode("utf-8", "surrogateescape")


def added_lines(diff: bytes) -> dict[str, set[int]]:
    """Parse `git diff -U0` output into {new path: line numbers the diff adds}.

    git wrote the diff, so it is read by unidiff, which follows each hunk's line counts (an added
    line that reads "++ x" is content, not a file header); the tolerant reader of surgeon.diff is
    for diffs models write."""
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

    try:
        patch = PatchSet(diff.decode("utf-8", "surrogateescape"), metadata_only=True)
    except UnidiffParseError as exc:
        raise GitFailed(f"git diff wrote output surgeon cannot read: {exc}") from None
    added: dict[str, set[int]] = {}
    for patched in patch:
        target = patched.target_file
        if target is None or target == "/dev/null":
            continue
        path = _unquote(target.encode("utf-8", "surrogateescape"))
        path = path[2:] if path.startswith("b/") else path
        lines = added.setdefault(path, set())
        for hunk in patched:
            lines.update(range(hunk.target_start, hunk.target_start + hunk.target_length))
    return {path: lines for path, lines in added.items() if lines}


def _diff(root: Path, *revisions: str) -> bytes:
    return _git(root).run("diff", *revisions, "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv",
                          "--src-prefix=a/", "--dst-prefix=b/", "--diff-filter=ACMRT").stdout


def read_objects(root: Path, specs: Sequence[str]) -> dict[str, bytes | None]:
    """Blob contents for object names like ":path" (the index) or "HEAD:path", in one git process."""
    if any("\n" in spec for spec in specs):
        raise UsageError("a path with a newline in its name cannot be reviewed")
    return _git(root).read_objects(specs)


def _decode(path: str, data: bytes | None, skipped: dict[str, int]) -> str | None:
    if data is None:
        skipped["not a file"] = skipped.get("not a file", 0) + 1
        return None
    if len(data) > MAX_FILE_BYTES:
        skipped["larger than 1 MB"] = skipped.get("larger than 1 MB", 0) + 1
        return None
    if b"\0" in data[:8192]:
        skipped["binary"] = skipped.get("binary", 0) + 1
        return None
    if path.endswith(MINIFIED_SUFFIXES) or (len(data) > 20_000 and data.count(b"\n") < len(data) // 5_000):
        skipped["minified or generated"] = skipped.get("minified or generated", 0) + 1
        return None
    return data.decode("utf-8", "replace")


def _from_objects(root: Path, ref: str, judged: dict[str, set[int]] | dict[str, None],
                  skipped: dict[str, int]) -> list[SourceFile]:
    specs = {path: f"{ref}:{path}" for path in judged}
    blobs = read_objects(root, list(specs.values()))
    files = []
    for path, lines in sorted(judged.items()):
        text = _decode(path, blobs[specs[path]], skipped)
        if text is not None:
            files.append(SourceFile(path, text, None if lines is None else frozenset(lines)))
    return files


# --- the five scopes -------------------------------------------------------------------------------------

def staged(root: Path) -> Scope:
    """Lines the next commit adds, with the staged (index) content of each file."""
    skipped: dict[str, int] = {}
    judged = added_lines(_diff(root, "--cached"))
    return Scope("staged changes", tuple(_from_objects(root, "", judged, skipped)), skipped, "")


def commit_range(root: Path, spec: str) -> Scope:
    """Lines that B adds over A for `A..B` (or `A...B`: over their merge base), read from B."""
    if ".." not in spec:
        raise UsageError(f"--range {spec!r}: expected A..B (for example main..HEAD)")
    three_dots = "..." in spec
    base, _, tip = spec.partition("..." if three_dots else "..")
    base, tip = base or "HEAD", tip or "HEAD"
    git = _git(root)
    for rev in (base, tip):
        if git.rev(f"{rev}^{{commit}}") is None:
            raise UsageError(f"--range {spec!r}: {rev!r} is not a commit in this repository")
    if three_dots:
        merge_base = git.run("merge-base", base, tip, check=False)
        if merge_base.returncode != 0 or not merge_base.stdout.strip():
            raise UsageError(f"--range {spec!r}: {base!r} and {tip!r} have no common commit (use A..B)")
        base = merge_base.stdout.decode().strip()
    return _range(root, spec, base, tip)


def _range(root: Path, description: str, base: str, tip: str, only: set[str] | None = None) -> Scope:
    """The lines `tip` adds over `base` (in the files of `only`, when given), read from `tip`."""
    skipped: dict[str, int] = {}
    judged = added_lines(_diff(root, base, tip))
    if only is not None:
        judged = {path: lines for path, lines in judged.items() if path in only}
    tip_commit = _git(root).out("rev-parse", f"{tip}^{{commit}}")
    return Scope(description, tuple(_from_objects(root, tip_commit, judged, skipped)), skipped, tip_commit, base)


def _tracked(root: Path, paths: Sequence[str] = ()) -> list[str]:
    return sorted(set(_git(root).z_list("ls-files", "-z", "--", *paths)))


def _from_worktree(root: Path, paths: Iterable[str], skipped: dict[str, int]) -> list[SourceFile]:
    files = []
    for path in paths:
        target = root / path
        if target.is_symlink() or not target.is_file():
            skipped["not a file"] = skipped.get("not a file", 0) + 1
            continue
        text = _decode(path, target.read_bytes(), skipped)
        if text is not None:
            files.append(SourceFile(path, text, None))
    return files


def all_files(root: Path) -> Scope:
    """Every line of every tracked file, as it is in the working tree."""
    skipped: dict[str, int] = {}
    return Scope("all tracked files", tuple(_from_worktree(root, _tracked(root), skipped)), skipped, None)


def named_paths(root: Path, paths: Sequence[str], cwd: Path) -> Scope:
    """Every line of the named files; a folder stands for the tracked files under it."""
    rels: set[str] = set()
    for raw in paths:
        target = (cwd / raw).resolve()
        if not target.exists() and (root / raw).exists():
            target = (root / raw).resolve()  # relative to the repository given with --repo
        if not target.exists():
            raise UsageError(f"{printable(raw)}: no such file or folder")
        try:
            rel = target.relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UsageError(f"{printable(raw)}: outside the repository {root}") from None
        if target.is_dir():
            rels.update(_tracked(root, [rel or "."]))
        else:
            rels.add(rel)
    skipped: dict[str, int] = {}
    return Scope(", ".join(paths), tuple(_from_worktree(root, sorted(rels), skipped)), skipped, None)


def pre_commit(root: Path, paths: Sequence[str], cwd: Path, from_ref: str | None = None,
               to_ref: str | None = None) -> Scope:
    """The files the pre-commit framework passes (`surgeon review --pre-commit FILE...`).

    With PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF (`pre-commit run --from-ref A --to-ref B`, pre-push):
    the lines the range adds in those files, read from B, over the merge base as pre-commit lists the
    files (A...B; A..B when there is none). Otherwise: a passed file with a staged change (a normal
    commit passes exactly those) is judged on the lines the commit adds, so old code never blocks a new
    commit; a passed file with no staged change (what --all-files and --files pass) is judged whole, in
    its index content (working-tree content for a file git does not track). No FILE at all stands for
    every file: the staged changes, or the whole range.
    """
    wanted = _passed(root, paths, cwd) if paths else None
    if from_ref or to_ref:
        if not (from_ref and to_ref):
            raise UsageError("PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF must be set together (pre-commit sets "
                             "both for --from-ref/--to-ref)")
        base = _commit(root, from_ref, "PRE_COMMIT_FROM_REF")
        tip = _commit(root, to_ref, "PRE_COMMIT_TO_REF")
        merge_base = _git(root).run("merge-base", base, tip, check=False)
        if merge_base.returncode == 0 and merge_base.stdout.strip():
            base = merge_base.stdout.decode().strip()
        return _range(root, f"{from_ref}...{to_ref} (pre-commit)", base, tip, wanted)
    if wanted is None:
        return staged(root)
    changed = set(_git(root).z_list("diff", "--cached", "--name-only", "-z", "--no-renames"))
    added = added_lines(_diff(root, "--cached")) if changed & wanted else {}
    with_change = {path: added[path] for path in wanted & changed if path in added}  # none added: nothing judged
    whole = sorted(wanted - changed)
    skipped: dict[str, int] = {}
    files = _from_objects(root, "", with_change, skipped)
    tracked = set(_tracked(root)) if whole else set()
    files += _from_objects(root, "", {path: None for path in whole if path in tracked}, skipped)
    files += _from_worktree(root, [path for path in whole if path not in tracked], skipped)
    files.sort(key=lambda file: file.path)
    description = (f"the files pre-commit passed ({len(with_change)} with staged changes: added lines; "
                   f"{len(whole)} without: whole file)")
    return Scope(description, tuple(files), skipped, "")


def _commit(root: Path, rev: str, variable: str) -> str:
    commit = _git(root).rev(f"{rev}^{{commit}}")
    if commit is None:
        raise UsageError(f"{variable}={rev!r} is not a commit in this repository (in CI, fetch enough history)")
    return commit


def _passed(root: Path, paths: Sequence[str], cwd: Path) -> set[str]:
    """Repository-relative posix paths for the names pre-commit passes (relative to the top of the working
    tree, where it runs hooks; or to the current folder). Symlinks are not followed; a name need not exist."""
    top = root.resolve()
    rels: set[str] = set()
    for raw in paths:
        target = Path(os.path.abspath(cwd / raw))
        beside_top = Path(os.path.abspath(top / raw))
        if not target.exists() and beside_top.exists():
            target = beside_top
        try:
            rel = target.relative_to(top).as_posix()
        except ValueError:
            raise UsageError(f"{printable(raw)}: outside the repository {root}") from None
        if rel != ".":
            rels.add(rel)
    return rels
