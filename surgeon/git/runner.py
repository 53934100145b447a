"""The one way surgeon runs git: `Git(root).run(...)`, and the plumbing helpers that repository
discovery, staging, accepting, pair sessions, the gate and the review share.

Every git process surgeon starts goes through `Git.run`: bytes in, bytes out, an environment on top
of the caller's, and one error for a failure nobody anticipated, GitFailed (exit 3) with git's own
last line; git missing from PATH is GitMissing (a GitFailed). A caller that anticipates a failure
(a probe, a ref that may be absent) passes check=False and reads the return code itself."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surgeon.errors import GitFailed, GitMissing, Refused
from surgeon.git.conversions import CONVERSION_ATTRIBUTES, Conversion, conversion_for, parse_autocrlf
from surgeon.git.objects import blob_id

NOTES_REF = "refs/notes/surgeon"  # where the gate records its result on a staged commit
FALLBACK_NAME = "surgeon"
FALLBACK_EMAIL = "surgeon@localhost"


@dataclass(frozen=True)
class Worktree:
    """One entry of `git worktree list --porcelain`."""

    path: str
    head: str | None = None  # the commit checked out (None: a bare entry)
    branch: str | None = None  # refs/heads/... checked out there (None: detached or bare)
    bare: bool = False
    detached: bool = False


class Git:
    """Runs git in one repository (or folder: `root` is the working directory of every call).
    Read-only calls never take optional locks on the real index."""

    def __init__(self, root: Path, *, own_index: bool = False, config: Sequence[str] = ()) -> None:
        """own_index: ignore a GIT_INDEX_FILE set by the caller's environment (a hook's), for
        commands that must use their own index, such as `git worktree add`.
        config: `name=value` settings given to every call with `git -c`."""
        self.root = Path(root)
        self._env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
        if own_index:
            self._env.pop("GIT_INDEX_FILE", None)
        self._options = [part for setting in config for part in ("-c", setting)]
        self._object_format: str | None = None
        # hold_commit_settings(): what committing asks git, asked once and kept
        self._identity: dict[str, str] | None = None
        self._autocrlf: tuple[str | None] | None = None

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        shielded: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `git ARGS` in root; env is laid over the caller's environment. Raises GitFailed
        when git exits non-zero and `check`, GitMissing when there is no git on PATH.
        shielded: git runs in its own session, so a Ctrl-C at the terminal (sent to the whole
        foreground process group) cannot stop it half way; for steps that must run whole."""
        try:
            result = subprocess.run(
                ["git", *self._options, *args],
                cwd=self.root,
                input=input,
                capture_output=True,
                env={**self._env, **(env or {})},
                start_new_session=shielded,
            )
        except FileNotFoundError as exc:
            if exc.filename == "git":
                raise GitMissing() from None
            raise
        if check and result.returncode != 0:
            raise GitFailed(f"git {subcommand(args)} failed: {last_line(result.stderr)}")
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
        return blob_id(data, self.object_format)

    def read_objects(self, specs: Sequence[str]) -> dict[str, bytes | None]:
        """Blob contents for object names (an id, ":path" for the index, "HEAD:path"), all read by
        one `git cat-file --batch`; None for a name that is missing or not a blob."""
        if not specs:
            return {}
        if any("\n" in spec for spec in specs):
            raise ValueError("an object name for cat-file --batch cannot hold a newline")
        request = "".join(spec + "\n" for spec in specs).encode("utf-8", "surrogateescape")
        out = self.run("cat-file", "--batch", input=request).stdout
        contents: dict[str, bytes | None] = {}
        pos = 0
        for spec in specs:
            end = out.index(b"\n", pos)
            header = out[pos:end]
            pos = end + 1
            if header.endswith((b" missing", b" ambiguous")):
                contents[spec] = None
                continue
            _oid, kind, size = header.split(b" ")
            contents[spec] = out[pos:pos + int(size)] if kind == b"blob" else None
            pos += int(size) + 1
        return contents

    def worktrees(self) -> list[Worktree]:
        """Every worktree of the repository (`git worktree list --porcelain`); none when git
        cannot list them."""
        listed = self.run("worktree", "list", "--porcelain", check=False)
        if listed.returncode != 0:
            return []
        entries: list[Worktree] = []
        for record in listed.stdout.decode("utf-8", "surrogateescape").split("\n\n"):
            fields: dict[str, str] = {}
            for line in record.splitlines():
                key, _, value = line.partition(" ")
                fields[key] = value
            if "worktree" in fields:
                entries.append(Worktree(
                    path=fields["worktree"], head=fields.get("HEAD"), branch=fields.get("branch"),
                    bare="bare" in fields, detached="detached" in fields,
                ))
        return entries

    def checked_out(self) -> set[str]:
        """refs/heads/... checked out in any worktree of the repository."""
        return {worktree.branch for worktree in self.worktrees() if worktree.branch}

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

    def hold_commit_settings(self) -> None:
        """Ask now what committing asks git (the identity, core.autocrlf, the object format) and keep
        the answers for this object's later calls: the settings as an edit found them when it
        began, asked while the model works instead of after its reply."""
        _ = self.object_format
        self._identity = self.identity_env()
        self._autocrlf = (self._autocrlf_setting(),)

    def identity_env(self) -> dict[str, str]:
        """The user's identity when git has one; otherwise "surgeon <surgeon@localhost>"."""
        if self._identity is not None:
            return dict(self._identity)
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

    def _autocrlf_setting(self) -> str | None:
        autocrlf = self.run("config", "--get", "core.autocrlf", check=False).stdout.decode("utf-8", "replace")
        return autocrlf.rstrip("\n") if autocrlf else None

    def conversions(self, paths: Iterable[str]) -> dict[str, Conversion]:
        """path -> how git converts it on `git add` (attributes as the working tree has them)."""
        wanted = sorted(set(paths))
        if not wanted:
            return {}
        autocrlf_mode = parse_autocrlf(self._autocrlf[0] if self._autocrlf is not None else self._autocrlf_setting())
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
            import tempfile

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


def subcommand(args: Sequence[str]) -> str:
    """The git command among `args` (what comes after options such as `-c name=value`)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-c", "-C"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else "(none)"


def last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "unknown error"


