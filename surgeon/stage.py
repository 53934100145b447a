"""Review branches: a validated diff becomes one commit on `surgeon/<slug>-<id>`.

The commit is built with git plumbing through a temporary index (GIT_INDEX_FILE), so the working
tree, the real index, HEAD and the current branch are never touched. After writing it, the commit
is checked three ways; if any disagrees the branch is deleted and the change refused:

  (a) `git diff-tree base commit` lists exactly the paths the change touches (both sides of renames);
  (b) every written blob and mode in the commit's tree is the one expected from the change's bytes;
  (c) applying `result.normalised` with `git apply --cached` to a fresh index of the base gives the
      same tree (an independent route from the diff text to the tree).

Content is stored byte for byte (`hash-object --no-filters`): what the diff engine produced is what
the commit holds. A repository whose clean filters change bytes (core.autocrlf, eol=crlf) is refused
with a message saying so rather than staged with different bytes.

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

    def delete_branch(self, ref: str, commit: str) -> None:
        self.run("update-ref", "-d", ref, commit, check=False)
        self.run("notes", f"--ref={NOTES_REF}", "remove", "--ignore-missing", commit, check=False)


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
        snapshot = _snapshot(git, head, dirty, tmp, identity) if dirty else None
        parent = snapshot or head

        index = tmp / "index"
        git.run("read-tree", parent, env={"GIT_INDEX_FILE": str(index)})
        check_index = tmp / "index.check"
        shutil.copyfile(index, check_index)

        base_entries = git.tree_entries(parent, paths)
        _check_against_base(git, changes, base_entries, parent_label="HEAD" if snapshot is None else "the snapshot")
        expected = _expected_entries(git, changes, base_entries, tmp)
        git.update_index(index, expected)
        tree = git.out("write-tree", env={"GIT_INDEX_FILE": str(index)})
        message = commit_message(instruction, model=model, cost=cost, check=check)
        commit = git.out("commit-tree", tree, "-p", parent, input=message.encode(), env=identity)
        short, ref = _create_branch(git, slugify(instruction), commit)
        try:
            _verify(git, parent, commit, tree, expected, result.normalised, check_index)
        except BaseException:
            git.delete_branch(ref, commit)
            raise

    added = sum(c.lines_added for c in changes)
    removed = sum(c.lines_removed for c in changes)
    return StagedChange(
        id=short,
        branch=ref.removeprefix("refs/heads/"),
        commit=commit,
        base=parent,
        files=tuple(paths),
        lines_added=added,
        lines_removed=removed,
        head=head,
        snapshot=snapshot,
        instruction=instruction,
    )


def _snapshot(git: Git, head: str, paths: Sequence[str], tmp: Path, identity: Mapping[str, str]) -> str:
    """A commit on top of HEAD holding the working-tree content of exactly `paths`."""
    filemode = git.run("config", "--bool", "core.fileMode", check=False).stdout.decode().strip() != "false"
    head_entries = git.tree_entries(head, paths)
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
    oids = git.write_blobs([data for _, data in present.values()], tmp)
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


def _check_against_base(
    git: Git, changes: Sequence[Any], base_entries: Mapping[str, tuple[str, str]], parent_label: str
) -> None:
    """The diff was made against some file content; the base must hold exactly that content."""
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
        if git.blob_id(change.old_content) != entry[1]:
            raise Refused(
                f"{source}: the content in {parent_label} differs from the file the diff was made against "
                "(it changed meanwhile, or a git filter such as core.autocrlf rewrites it); nothing staged"
            )
        if change.old_path and change.old_path != change.path and change.path in base_entries:
            raise Refused(f"{change.path}: the diff renames {change.old_path} onto an existing file; nothing staged")


def _expected_entries(
    git: Git, changes: Sequence[Any], base_entries: Mapping[str, tuple[str, str]], tmp: Path
) -> dict[str, tuple[str, str] | None]:
    """path -> (mode, blob) for every path the commit writes, None for every path it removes."""
    written = [c for c in changes if c.new_content is not None]
    oids = dict(zip((c.path for c in written), git.write_blobs([c.new_content for c in written], tmp), strict=True))
    entries: dict[str, tuple[str, str] | None] = {}
    for change in changes:
        if change.old_path and change.old_path != change.path:
            entries[change.old_path] = None
    for change in changes:
        if change.new_content is None:
            entries[change.path] = None
            continue
        # Without an explicit new mode the file keeps the mode it has in the base.
        source = change.old_path or change.path
        mode = _normal_mode(change.new_mode) or base_entries.get(source, ("100644", ""))[0]
        entries[change.path] = (mode, oids[change.path])
    return entries


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
    applied = git.run(
        "apply", "--cached", "--whitespace=nowarn", "-",
        input=normalised.encode("utf-8", "surrogateescape"),
        env={"GIT_INDEX_FILE": str(check_index)}, check=False,
    )
    if applied.returncode != 0:
        raise refuse(f"the normalised diff does not apply to the base with git apply ({last_line(applied.stderr)})")
    other = git.out("write-tree", env={"GIT_INDEX_FILE": str(check_index)})
    if other != tree:
        raise refuse("git apply of the normalised diff gives a different tree than the staged commit")


def run_gate(repo: RepoInfo, staged: StagedChange, command: str, timeout: float) -> GateResult:
    """Run `command` in a temporary worktree of the staged commit; see surgeon.gate.run_gate."""
    from surgeon.gate import run_gate as _run_gate

    return _run_gate(repo, staged, command, timeout)
