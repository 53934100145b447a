"""Review branches: a validated diff becomes one commit on `surgeon/<slug>-<id>`.

The commit is built with git plumbing through a temporary index (GIT_INDEX_FILE), so the working
tree, the real index, HEAD and the current branch are never touched. After writing it, the commit
is checked three ways; if any disagrees the branch is deleted and the change refused:

  (a) `git diff-tree base commit` lists exactly the paths the change touches (both sides of renames);
  (b) every written blob and mode in the commit's tree is the one expected from the change's bytes;
  (c) applying `result.normalised` with `git apply --cached` to a fresh index of the base gives the
      same tree (an independent route from the diff text to the tree).

The diff engine works on working-tree bytes; the commit holds what `git add` would store for them.
For a path no conversion applies to (no core.autocrlf, no text/eol/filter/ident/working-tree-encoding
attribute) that is the bytes themselves, stored with `hash-object --no-filters`. For a converted
path it is the *clean* form (`hash-object --path=<path>`, plus git's rule that an "auto" eol
conversion leaves alone a file whose indexed blob already holds a CR): the base check compares the
cleaned old bytes with the base, and check (c) applies the diff to the working-tree form of the base
and cleans the result independently of the bytes the engine produced.

Metadata lives in the commit message: a one-line summary, the instruction, and the trailers
Surgeon-Instruction, Surgeon-Model, Surgeon-Cost and Surgeon-Check (the check *command*). The
commit exists before the gate runs, so the gate's *result* is recorded separately as a git note on
the commit under refs/notes/surgeon (see surgeon.gate).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surgeon.errors import Refused, SurgeonError, UsageError
from surgeon.repo import RepoInfo

if TYPE_CHECKING:  # pragma: no cover
    from surgeon.diff import PatchResult

BRANCH_PREFIX = "surgeon/"
REFS_PREFIX = "refs/heads/" + BRANCH_PREFIX
PAIR_REFS_PREFIX = REFS_PREFIX + "pair-"
NOTES_REF = "refs/notes/surgeon"
SNAPSHOT_SUBJECT = "surgeon: working-tree snapshot"
FALLBACK_NAME = "surgeon"
FALLBACK_EMAIL = "surgeon@localhost"
SLUG_MAX = 40
SUMMARY_MAX = 72
REGULAR_MODES = ("100644", "100755")
FILE_MODES = (*REGULAR_MODES, "120000")


class GitFailed(SurgeonError):
    """A git command failed in a way surgeon did not expect; the message carries git's words."""


class DirtyFiles(Refused):
    """Files the diff touches have uncommitted changes (in the working tree or the index)."""

    def __init__(self, files: Sequence[str]) -> None:
        self.files = tuple(files)
        listed = ", ".join(self.files)
        super().__init__(
            f"the diff touches files with uncommitted changes: {listed}. Nothing was staged. "
            "Either commit (or stash) those changes first, or run again with --base worktree to "
            "stage the change on top of your working-tree content (recorded as a separate "
            f"'{SNAPSHOT_SUBJECT}' commit, so the surgeon commit holds only the diff)."
        )


@dataclass(frozen=True)
class StagedChange:
    id: str
    branch: str  # "surgeon/<slug>-<id>" (the ref is refs/heads/<branch>)
    commit: str
    base: str  # the parent of `commit`: HEAD, or the working-tree snapshot on top of HEAD
    files: tuple[str, ...]  # every path the change touches, both sides of a rename, sorted
    lines_added: int
    lines_removed: int
    head: str = ""  # HEAD when the change was staged
    snapshot: str | None = None  # the snapshot commit when staged with base="worktree"
    instruction: str = ""


@dataclass(frozen=True)
class GateResult:
    command: str
    passed: bool
    exit_code: int | None  # None when the command was stopped (timeout)
    timed_out: bool
    seconds: float
    output_tail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "seconds": round(self.seconds, 3),
            "output_tail": self.output_tail,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateResult:
        return cls(
            command=str(data["command"]),
            passed=bool(data["passed"]),
            exit_code=None if data.get("exit_code") is None else int(data["exit_code"]),
            timed_out=bool(data.get("timed_out", False)),
            seconds=float(data.get("seconds", 0.0)),
            output_tail=str(data.get("output_tail", "")),
        )

    @property
    def label(self) -> str:
        """passed / failed (exit N) / timed out after Ns."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f}s"
        if self.passed:
            return "passed"
        return f"failed (exit {self.exit_code})"


# ---------------------------------------------------------------------------------------------
# git plumbing


class Git:
    """Runs git in one repository. Read-only calls never take optional locks on the real index."""

    def __init__(self, root: Path, *, own_index: bool = False) -> None:
        """own_index: ignore a GIT_INDEX_FILE set by the caller's environment (a hook's), for
        commands that must use their own index, such as `git worktree add`."""
        self.root = Path(root)
        self._env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
        if own_index:
            self._env.pop("GIT_INDEX_FILE", None)
        self._object_format: str | None = None

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(
            ["git", *args],
            cwd=self.root,
            input=input,
            capture_output=True,
            env={**self._env, **(env or {})},
        )
        if check and result.returncode != 0:
            raise GitFailed(f"git {args[0]} failed: {last_line(result.stderr)}")
        return result

    def out(self, *args: str, **kwargs: Any) -> str:
        return self.run(*args, **kwargs).stdout.decode("utf-8", "surrogateescape").strip()

    def z_list(self, *args: str, **kwargs: Any) -> list[str]:
        """Output of a `-z` command split into its NUL-separated fields."""
        raw = self.run(*args, **kwargs).stdout.decode("utf-8", "surrogateescape")
        return [part for part in raw.split("\0") if part]

    def rev(self, spec: str) -> str | None:
        result = self.run("rev-parse", "--verify", "-q", spec, check=False)
        if result.returncode != 0:
            return None
        return result.stdout.decode().strip() or None

    @property
    def object_format(self) -> str:
        if self._object_format is None:
            self._object_format = self.out("rev-parse", "--show-object-format")
        return self._object_format

    def blob_id(self, data: bytes) -> str:
        """The object id git gives these bytes as a blob, computed here without a git call."""
        digest = hashlib.new(self.object_format)
        digest.update(b"blob %d\0" % len(data))
        digest.update(data)
        return digest.hexdigest()

    def write_blobs(self, contents: Sequence[bytes], tmp: Path) -> list[str]:
        """Store each content as a blob, exactly as given (no filters), in one git call."""
        if not contents:
            return []
        paths = []
        for number, data in enumerate(contents):
            path = tmp / f"blob-{number}"
            path.write_bytes(data)
            paths.append(str(path))
        out = self.run(
            "hash-object", "-w", "--no-filters", "--stdin-paths", input="\n".join(paths).encode() + b"\n"
        )
        return out.stdout.decode().split()

    def tree_entries(self, treeish: str, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
        """path -> (mode, object id) for those of `paths` that are files in `treeish`."""
        wanted = set(paths)
        if not wanted:
            return {}
        entries: dict[str, tuple[str, str]] = {}
        for record in self.z_list("ls-tree", "-r", "-z", "--full-tree", treeish, "--", *sorted(wanted)):
            meta, _, path = record.partition("\t")
            mode, _kind, oid = meta.split()
            if path in wanted:
                entries[path] = (mode, oid)
        return entries

    def index_entries(self, paths: Iterable[str], index: Path | None = None) -> dict[str, tuple[str, str]]:
        """path -> (mode, object id) for those of `paths` in an index (the repository's own
        index when `index` is None)."""
        wanted = set(paths)
        if not wanted:
            return {}
        env = None if index is None else {"GIT_INDEX_FILE": str(index)}
        entries: dict[str, tuple[str, str]] = {}
        for record in self.z_list("--literal-pathspecs", "ls-files", "-s", "-z", "--", *sorted(wanted), env=env):
            meta, _, path = record.partition("\t")
            mode, oid, stage_number = meta.split()
            if path in wanted and stage_number == "0":
                entries[path] = (mode, oid)
        return entries

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Every path whose entry differs between two commits (renames as delete + add)."""
        return self.z_list("diff-tree", "-r", "-z", "--no-renames", "--name-only", old, new)

    def identity_env(self) -> dict[str, str]:
        """The user's identity when git has one; otherwise "surgeon <surgeon@localhost>"."""
        env: dict[str, str] = {}
        for role in ("AUTHOR", "COMMITTER"):
            if self.run("var", f"GIT_{role}_IDENT", check=False).returncode != 0:
                env[f"GIT_{role}_NAME"] = FALLBACK_NAME
                env[f"GIT_{role}_EMAIL"] = FALLBACK_EMAIL
        return env

    def update_index(self, index: Path, entries: Mapping[str, tuple[str, str] | None]) -> None:
        """Set (mode, oid) or remove (None) each path in the index file `index`."""
        zero = "0" * (64 if self.object_format == "sha256" else 40)
        records = []
        for path, entry in entries.items():
            if entry is None:
                records.append(f"0 {zero}\t{path}\0")
            else:
                records.append(f"{entry[0]} {entry[1]}\t{path}\0")
        self.run(
            "update-index", "-z", "--index-info",
            input="".join(records).encode("utf-8", "surrogateescape"),
            env={"GIT_INDEX_FILE": str(index)},
        )

    def dirty(self, paths: Sequence[str]) -> list[str]:
        """Those of `paths` whose working-tree or index state differs from HEAD, plus untracked
        or ignored files sitting at one of them. Only these paths are looked at."""
        if not paths:
            return []
        records = self.z_list(
            "--literal-pathspecs", "status", "--porcelain=v1", "-z", "--untracked-files=all",
            "--ignored=matching", "--no-renames", "--", *paths,
        )
        wanted = set(paths)
        return sorted({record[3:] for record in records if record[3:] in wanted})

    def conversions(self, paths: Iterable[str]) -> dict[str, Conversion]:
        """path -> how git converts it on `git add` (attributes as the working tree has them)."""
        wanted = sorted(set(paths))
        if not wanted:
            return {}
        autocrlf = self.run("config", "--get", "core.autocrlf", check=False).stdout.decode("utf-8", "replace")
        autocrlf_mode = _parse_autocrlf(autocrlf.rstrip("\n") if autocrlf else None)
        fields = self.run(
            "check-attr", "-z", "--stdin", *CONVERSION_ATTRIBUTES,
            input="".join(path + "\0" for path in wanted).encode("utf-8", "surrogateescape"),
        ).stdout.decode("utf-8", "surrogateescape").split("\0")
        attributes: dict[str, dict[str, str]] = {path: {} for path in wanted}
        for start in range(0, len(fields) - 2, 3):
            path, name, value = fields[start : start + 3]
            attributes.setdefault(path, {})[name] = value
        return {path: conversion_for(attributes[path], autocrlf_mode) for path in wanted}

    def clean_blob(
        self, path: str, data: bytes, conversion: Conversion, *, index_blob: str | None, write: bool
    ) -> str:
        """The blob id `git add` gives `data` as the working-tree content of `path` (written to
        the object store when `write`). index_blob: what the index holds at `path` (None: nothing),
        needed for git's rule that an "auto" eol conversion leaves a file alone whose indexed
        blob already contains a CR."""
        eol_converts = conversion.eol == "text"
        if conversion.eol == "auto":
            eol_converts = index_blob is None or b"\r" not in self.run("cat-file", "blob", index_blob).stdout
            if not eol_converts and conversion.other:
                # hash-object --path would convert the line endings anyway; git add would not.
                raise Refused(
                    f"{path}: git keeps this file's CR line endings but also runs a filter on it, which "
                    "surgeon cannot reproduce exactly; nothing staged (apply it with --in-place instead)"
                )
        if not (eol_converts or conversion.other):
            if not write:
                return self.blob_id(data)
            with tempfile.TemporaryDirectory(prefix="surgeon-blob-") as tmp:
                return self.write_blobs([data], Path(tmp))[0]
        args = ["hash-object", *(["-w"] if write else []), f"--path={path}", "--stdin"]
        cleaned = self.run(*args, input=data, check=False)
        if cleaned.returncode != 0:
            raise Refused(f"{path}: git's clean filter refused the content ({last_line(cleaned.stderr)}); nothing staged")
        return cleaned.stdout.decode().strip()

    def smudged(self, path: str, oid: str) -> bytes:
        """The working-tree bytes git checks a blob out as at `path` (smudge filters, eol)."""
        return self.run("cat-file", "--filters", f"--path={path}", oid).stdout

    def delete_branch(self, ref: str, commit: str) -> None:
        self.run("update-ref", "-d", ref, commit, check=False)
        self.run("notes", f"--ref={NOTES_REF}", "remove", "--ignore-missing", commit, check=False)


# Attributes that make git convert a file between the working tree and the repository.
CONVERSION_ATTRIBUTES = ("text", "crlf", "eol", "filter", "ident", "working-tree-encoding")
NOT_SET = ("unspecified", "unset")


@dataclass(frozen=True)
class Conversion:
    """How git converts one path on its way into the repository (its clean step)."""

    eol: str = "none"  # "none", "text" (CRLF -> LF always) or "auto" (only text, only without a CR in the index)
    other: bool = False  # a filter driver, ident or working-tree-encoding applies as well

    @property
    def converts(self) -> bool:
        return self.eol != "none" or self.other


def _parse_autocrlf(value: str | None) -> str:
    """core.autocrlf as git reads it: "true", "input" or "false"."""
    if value is None:
        return "false"
    value = value.strip().lower()
    if value == "input":
        return "input"
    if value in ("", "true", "yes", "on") or (value.lstrip("-").isdigit() and int(value) != 0):
        return "true"
    return "false"


def conversion_for(attributes: Mapping[str, str], autocrlf: str) -> Conversion:
    """The conversion git's convert.c picks from a path's attributes (check-attr values) and
    core.autocrlf ("true", "input" or "false")."""

    def eol_action(value: str) -> str | None:
        if value in ("set", "input"):
            return "text"
        if value == "unset":
            return "none"
        if value == "auto":
            return "auto"
        return None

    action = eol_action(attributes.get("text", "unspecified"))
    if action is None:
        action = eol_action(attributes.get("crlf", "unspecified"))
    if action != "none" and action != "auto" and attributes.get("eol") in ("lf", "crlf"):
        action = "text"
    if action is None:
        action = "auto" if autocrlf in ("true", "input") else "none"
    other = any(attributes.get(name, "unspecified") not in NOT_SET for name in ("filter", "ident", "working-tree-encoding"))
    return Conversion(eol=action, other=other)


def last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


# ---------------------------------------------------------------------------------------------
# names and messages (pure)


def slugify(instruction: str, limit: int = SLUG_MAX) -> str:
    """Lowercase ascii words of the instruction joined by '-', at most `limit` characters."""
    folded = unicodedata.normalize("NFKD", instruction).encode("ascii", "ignore").decode().lower()
    slug = ""
    for word in re.findall(r"[a-z0-9]+", folded):
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            if not slug:
                slug = word[:limit]
            break
        slug = candidate
    return slug or "change"


def one_line(text: str) -> str:
    return " ".join(text.split())


def summary_line(instruction: str, limit: int = SUMMARY_MAX) -> str:
    first = next((one_line(line) for line in instruction.splitlines() if line.strip()), "")
    if not first:
        return "surgeon change"
    if len(first) <= limit:
        return first
    cut = first[: limit - 3].rsplit(" ", 1)[0] or first[: limit - 3]
    return cut + "..."


def commit_message(
    instruction: str, *, model: str | None = None, cost: str | None = None, check: str | None = None
) -> str:
    trailers = [("Surgeon-Instruction", one_line(instruction) or "(none)")]
    for key, value in (("Surgeon-Model", model), ("Surgeon-Cost", cost), ("Surgeon-Check", check)):
        if value is not None and one_line(str(value)):
            trailers.append((key, one_line(str(value))))
    body = instruction.strip()
    parts = [summary_line(instruction)]
    if body:
        parts.append(body)
    parts.append("\n".join(f"{key}: {value}" for key, value in trailers))
    return "\n\n".join(parts) + "\n"


def parse_trailers(message: str) -> dict[str, str]:
    """Trailers of the last paragraph of a commit message ("Key: value" lines)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    trailers: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9-]+", key):
            return {}
        trailers[key] = value.strip()
    return trailers


def new_id() -> str:
    return secrets.token_hex(3)


def branch_id(branch: str) -> str:
    """The short id at the end of a surgeon branch name (the whole name when it has none)."""
    name = branch.removeprefix("refs/heads/").removeprefix(BRANCH_PREFIX)
    match = re.search(r"-([0-9a-f]{6,8})$", name)
    return match.group(1) if match else name


def surgeon_refs(git: Git) -> dict[str, str]:
    """refs/heads/surgeon/... -> commit, for every surgeon branch (pair sessions included)."""
    out = git.out("for-each-ref", "--format=%(refname) %(objectname)", REFS_PREFIX)
    return dict(line.split(" ", 1) for line in out.splitlines() if line)


def review_refs(git: Git) -> dict[str, str]:
    """The review branches stage_diff makes: surgeon branches other than `surgeon pair`'s own
    session and check branches (surgeon/pair-...), which that command manages."""
    return {ref: commit for ref, commit in surgeon_refs(git).items() if not ref.startswith(PAIR_REFS_PREFIX)}


# ---------------------------------------------------------------------------------------------
# staging


def touched_paths(changes: Iterable[Any]) -> list[str]:
    paths: set[str] = set()
    for change in changes:
        paths.add(change.path)
        if change.old_path:
            paths.add(change.old_path)
    return sorted(paths)


def _normal_mode(mode: str | None) -> str | None:
    if mode is None:
        return None
    try:
        text = format(int(str(mode), 8), "o")
    except ValueError:
        text = str(mode)
    if text not in FILE_MODES:
        raise Refused(f"unsupported file mode {mode}: surgeon stages regular files and symlinks only")
    return text


def stage_diff(
    repo: RepoInfo,
    result: PatchResult,
    *,
    instruction: str,
    base: str = "head",
    model: str | None = None,
    cost: str | None = None,
    check: str | None = None,
) -> StagedChange:
    """Stage `result.changes` as one commit on a new branch surgeon/<slug>-<id>.

    base="head": the parent is HEAD; a touched file with uncommitted changes raises DirtyFiles.
    base="worktree": touched files with uncommitted changes are first recorded as a snapshot
    commit on top of HEAD, which becomes the parent. Untouched files never enter either commit.
    Raises Refused when the change cannot be staged exactly; nothing is left behind then.
    """
    if base not in ("head", "worktree"):
        raise UsageError(f"unknown base {base!r}: use 'head' or 'worktree'")
    if not result.ok:
        reasons = "; ".join(str(r) for r in result.refusals) or "the diff was refused"
        raise Refused(f"nothing staged: {reasons}")
    changes = tuple(result.changes)
    if not changes:
        raise Refused("the diff changes nothing; nothing staged")

    git = Git(repo.root)
    head = git.rev("HEAD^{commit}")
    if head is None:
        raise UsageError(f"{repo.root} has no commits yet: commit your files first, then stage on top of them.")
    paths = touched_paths(changes)
    dirty = git.dirty(paths)
    if dirty and base == "head":
        raise DirtyFiles(dirty)

    with tempfile.TemporaryDirectory(prefix="surgeon-stage-") as tmp_name:
        tmp = Path(tmp_name)
        identity = git.identity_env()
        conversions = git.conversions(paths)
        snapshot = _snapshot(git, head, dirty, tmp, identity, conversions) if dirty else None
        parent = snapshot or head

        index = tmp / "index"
        git.run("read-tree", parent, env={"GIT_INDEX_FILE": str(index)})
        check_index = tmp / "index.check"
        shutil.copyfile(index, check_index)

        base_entries = git.tree_entries(parent, paths)
        parent_label = "HEAD" if snapshot is None else "the snapshot"
        _check_against_base(git, changes, base_entries, conversions, parent_label)
        expected = _expected_entries(git, changes, base_entries, conversions, tmp)
        # A change git's clean step undoes (say, only line endings under core.autocrlf) is no change.
        unchanged = {
            path for path, entry in expected.items()
            if conversions[path].converts and entry is not None and entry == base_entries.get(path)
        }
        expected = {path: entry for path, entry in expected.items() if path not in unchanged}
        if not expected:
            raise Refused(
                "the diff changes nothing once git's clean filters (core.autocrlf, .gitattributes) "
                "are applied; nothing staged"
            )
        git.update_index(index, expected)
        tree = git.out("write-tree", env={"GIT_INDEX_FILE": str(index)})
        message = commit_message(instruction, model=model, cost=cost, check=check)
        commit = git.out("commit-tree", tree, "-p", parent, input=message.encode(), env=identity)
        short, ref = _create_branch(git, slugify(instruction), commit)
        try:
            worktree_view = _worktree_view(git, changes, base_entries, conversions, tmp)
            _verify(git, parent, commit, tree, expected, result.normalised, check_index,
                    worktree_view, conversions, base_entries)
        except BaseException:
            git.delete_branch(ref, commit)
            raise

    kept = [c for c in changes if not ({c.path, c.old_path or c.path} <= unchanged)]
    added = sum(c.lines_added for c in kept)
    removed = sum(c.lines_removed for c in kept)
    return StagedChange(
        id=short,
        branch=ref.removeprefix("refs/heads/"),
        commit=commit,
        base=parent,
        files=tuple(path for path in paths if path not in unchanged),
        lines_added=added,
        lines_removed=removed,
        head=head,
        snapshot=snapshot,
        instruction=instruction,
    )


def _store(
    git: Git,
    items: Sequence[tuple[str, str, bytes, str | None]],
    conversions: Mapping[str, Conversion],
    tmp: Path,
    *,
    write: bool = True,
) -> list[str]:
    """Blob ids for (path, mode, working-tree bytes, index blob) items, as `git add` stores them:
    unconverted files and symlinks byte for byte (in one git call), converted files cleaned."""
    raw = [
        number for number, (path, mode, _, _) in enumerate(items)
        if mode not in REGULAR_MODES or not conversions.get(path, Conversion()).converts
    ]
    oids: list[str] = [""] * len(items)
    if write:
        raw_oids = git.write_blobs([items[number][2] for number in raw], tmp)
    else:
        raw_oids = [git.blob_id(items[number][2]) for number in raw]
    for number, oid in zip(raw, raw_oids, strict=True):
        oids[number] = oid
    for number, (path, _mode, data, index_blob) in enumerate(items):
        if not oids[number]:
            oids[number] = git.clean_blob(path, data, conversions[path], index_blob=index_blob, write=write)
    return oids


def stored_blob_id(
    git: Git, path: str, mode: str, data: bytes, conversion: Conversion, index_entry: tuple[str, str] | None
) -> str:
    """The blob id `git add` would give the working-tree file `path` holding `data` (mode: its
    mode; index_entry: what the index holds at `path`). Nothing is written."""
    return _store(git, [(path, mode, data, _blob_of(index_entry))], {path: conversion}, Path(), write=False)[0]


def _snapshot(
    git: Git,
    head: str,
    paths: Sequence[str],
    tmp: Path,
    identity: Mapping[str, str],
    conversions: Mapping[str, Conversion],
) -> str:
    """A commit on top of HEAD holding the working-tree content of exactly `paths` (as `git add`
    would store it)."""
    filemode = git.run("config", "--bool", "core.fileMode", check=False).stdout.decode().strip() != "false"
    head_entries = git.tree_entries(head, paths)
    indexed = git.index_entries(paths)
    present: dict[str, tuple[str, bytes]] = {}
    for path in paths:
        full = git.root / path
        try:
            info = os.lstat(full)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            present[path] = ("120000", os.fsencode(os.readlink(full)))
        elif stat.S_ISREG(info.st_mode):
            executable = bool(info.st_mode & stat.S_IXUSR)
            if filemode:
                mode = "100755" if executable else "100644"
            else:
                mode = head_entries.get(path, ("100644", ""))[0]
                mode = mode if mode in REGULAR_MODES else "100644"
            present[path] = (mode, full.read_bytes())
        else:
            raise Refused(f"{path}: is not a file in the working tree; nothing staged")
    items = [(path, mode, data, _blob_of(indexed.get(path))) for path, (mode, data) in present.items()]
    oids = _store(git, items, conversions, tmp)
    entries: dict[str, tuple[str, str] | None] = {path: None for path in paths}
    for (path, (mode, _)), oid in zip(present.items(), oids, strict=True):
        entries[path] = (mode, oid)
    index = tmp / "snapshot.index"
    git.run("read-tree", head, env={"GIT_INDEX_FILE": str(index)})
    git.update_index(index, entries)
    tree = git.out("write-tree", env={"GIT_INDEX_FILE": str(index)})
    listed = "\n".join(f"- {path}" for path in paths)
    message = f"{SNAPSHOT_SUBJECT}\n\nUncommitted working-tree content of the files a surgeon change touches:\n{listed}\n"
    return git.out("commit-tree", tree, "-p", head, input=message.encode(), env=identity)


def _blob_of(entry: tuple[str, str] | None) -> str | None:
    """The blob of a regular-file entry (what git's "CR already in the index" rule reads)."""
    return entry[1] if entry is not None and entry[0] in REGULAR_MODES else None


def _check_against_base(
    git: Git,
    changes: Sequence[Any],
    base_entries: Mapping[str, tuple[str, str]],
    conversions: Mapping[str, Conversion],
    parent_label: str,
) -> None:
    """The diff was made against some working-tree content; cleaned as git would clean it, that
    content must be exactly what the base holds."""
    for change in changes:
        source = change.old_path or change.path
        if change.old_content is None:
            if change.path in base_entries:
                raise Refused(f"{change.path}: the diff creates this file but it already exists in {parent_label}; nothing staged")
            if change.new_content is None:
                raise Refused(f"{change.path}: the change neither creates nor keeps the file; nothing staged")
            continue
        entry = base_entries.get(source)
        if entry is None:
            raise Refused(f"{source}: the diff changes this file but it is not in {parent_label}; nothing staged")
        item = (source, entry[0], change.old_content, _blob_of(entry))
        if _store(git, [item], conversions, Path(), write=False)[0] != entry[1]:
            raise Refused(
                f"{source}: the content in {parent_label} differs from the file the diff was made against "
                "(it changed meanwhile); nothing staged"
            )
        if change.old_path and change.old_path != change.path and change.path in base_entries:
            raise Refused(f"{change.path}: the diff renames {change.old_path} onto an existing file; nothing staged")


def _expected_entries(
    git: Git,
    changes: Sequence[Any],
    base_entries: Mapping[str, tuple[str, str]],
    conversions: Mapping[str, Conversion],
    tmp: Path,
) -> dict[str, tuple[str, str] | None]:
    """path -> (mode, blob) for every path the commit writes, None for every path it removes."""
    entries: dict[str, tuple[str, str] | None] = {}
    for change in changes:
        if change.old_path and change.old_path != change.path:
            entries[change.old_path] = None
    modes: dict[str, str] = {}
    for change in changes:
        if change.new_content is None:
            entries[change.path] = None
            continue
        # Without an explicit new mode the file keeps the mode it has in the base.
        source = change.old_path or change.path
        modes[change.path] = _normal_mode(change.new_mode) or base_entries.get(source, ("100644", ""))[0]
    written = [c for c in changes if c.new_content is not None]
    items = [(c.path, modes[c.path], c.new_content, _blob_of(base_entries.get(c.path))) for c in written]
    for change, oid in zip(written, _store(git, items, conversions, tmp), strict=True):
        entries[change.path] = (modes[change.path], oid)
    return entries


def _worktree_view(
    git: Git,
    changes: Sequence[Any],
    base_entries: Mapping[str, tuple[str, str]],
    conversions: Mapping[str, Conversion],
    tmp: Path,
) -> dict[str, tuple[str, str] | None]:
    """For converted files the diff reads: the working-tree bytes it was made against, stored
    unconverted, so that the normalised diff (working-tree bytes) applies to them."""
    view = {}
    for change in changes:
        source = change.old_path or change.path
        entry = base_entries.get(source)
        if change.old_content is None or entry is None or entry[0] not in REGULAR_MODES:
            continue
        if conversions[source].converts:
            view[source] = (entry[0], change.old_content)
    oids = git.write_blobs([data for _, data in view.values()], tmp)
    return {path: (mode, oid) for (path, (mode, _)), oid in zip(view.items(), oids, strict=True)}


def _create_branch(git: Git, slug: str, commit: str, attempts: int = 20) -> tuple[str, str]:
    """Create refs/heads/surgeon/<slug>-<id> with an id no other surgeon branch uses.

    `update-ref REF NEW ""` refuses to overwrite an existing ref, so a name taken meanwhile
    means another id is tried; nothing is ever overwritten."""
    taken = {branch_id(ref) for ref in surgeon_refs(git)}
    for _ in range(attempts):
        short = new_id()
        if short in taken:
            continue
        ref = f"{REFS_PREFIX}{slug}-{short}"
        created = git.run("update-ref", "-m", f"surgeon: stage {short}", ref, commit, "", check=False)
        if created.returncode == 0:
            return short, ref
        if git.rev(ref) is None:
            raise GitFailed(f"could not create branch {ref.removeprefix('refs/heads/')}: {last_line(created.stderr)}")
        taken.add(short)
    raise Refused("could not find a free surgeon branch name; run `surgeon discard --all` to clean up")


def _verify(
    git: Git,
    parent: str,
    commit: str,
    tree: str,
    expected: Mapping[str, tuple[str, str] | None],
    normalised: str,
    check_index: Path,
    worktree_view: Mapping[str, tuple[str, str] | None],
    conversions: Mapping[str, Conversion],
    base_entries: Mapping[str, tuple[str, str]],
) -> None:
    def refuse(why: str) -> Refused:
        return Refused(f"staging check failed: {why}. The branch was deleted; nothing changed.")

    changed = set(git.changed_paths(parent, commit))
    if changed != set(expected):
        extra = sorted(changed - set(expected))
        missing = sorted(set(expected) - changed)
        raise refuse(f"the commit changes {extra or 'nothing else'} beyond the diff and misses {missing or 'nothing'}")
    actual = git.tree_entries(commit, expected)
    for path, entry in expected.items():
        if actual.get(path) != entry:
            raise refuse(f"{path} in the commit is {actual.get(path)} instead of {entry}")
    # The independent route: the normalised diff (working-tree bytes) applied by git to the base,
    # with converted files in their working-tree form, then those files cleaned as git would.
    env = {"GIT_INDEX_FILE": str(check_index)}
    if worktree_view:
        git.update_index(check_index, worktree_view)
    applied = git.run(
        "apply", "--cached", "--whitespace=nowarn", "-",
        input=normalised.encode("utf-8", "surrogateescape"), env=env, check=False,
    )
    if applied.returncode != 0:
        raise refuse(f"the normalised diff does not apply to the base with git apply ({last_line(applied.stderr)})")
    converted = [path for path, conversion in conversions.items() if conversion.converts]
    cleaned: dict[str, tuple[str, str] | None] = {}
    for path, (mode, oid) in git.index_entries(converted, check_index).items():
        if mode in REGULAR_MODES:
            data = git.run("cat-file", "blob", oid).stdout
            cleaned[path] = (mode, git.clean_blob(
                path, data, conversions[path], index_blob=_blob_of(base_entries.get(path)), write=True
            ))
    if cleaned:
        git.update_index(check_index, cleaned)
    other = git.out("write-tree", env=env)
    if other != tree:
        raise refuse("git apply of the normalised diff gives a different tree than the staged commit")


def run_gate(repo: RepoInfo, staged: StagedChange, command: str, timeout: float) -> GateResult:
    """Run `command` in a temporary worktree of the staged commit; see surgeon.gate.run_gate."""
    from surgeon.gate import run_gate as _run_gate

    return _run_gate(repo, staged, command, timeout)
