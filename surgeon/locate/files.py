"""Which files of a repository locate reads, and the git blob id of each one's current content.

Files come from `git ls-files -co --exclude-standard` (tracked plus untracked, .gitignore
respected). Tracked files that are unmodified take their blob id from the index for free; files
with uncommitted edits and untracked files are hashed here (sha1 or sha256, as the repository's
object format says), once per (size, mtime, inode), so the working tree is what gets indexed. Vendored and generated files are recognised by path here;
binary, generated-by-header and huge files are recognised when read (and cached by blob id).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from surgeon.errors import RepoError
from surgeon.git import Git, last_line
from surgeon.git.objects import blob_id
from surgeon.languages import language_for

VENDORED_DIRS = frozenset({
    "node_modules", "vendor", "vendors", "third_party", "third-party", "thirdparty", "bower_components",
    ".venv", "venv", "site-packages", "jspm_packages", "Pods", "Carthage", ".yarn", "__pycache__",
})
GENERATED_SUFFIXES = (
    ".min.js", ".min.css", ".map", "_pb2.py", "_pb2_grpc.py", "_pb2.pyi", ".pb.go", ".pb.cc", ".pb.h",
    ".po", ".pot", ".snap", ".designer.cs", ".g.dart", ".freezed.dart",
)
GENERATED_NAMES = frozenset({
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock", "Pipfile.lock", "go.sum",
    "composer.lock", "Gemfile.lock", "uv.lock", "bun.lockb", "npm-shrinkwrap.json", "flake.lock",
})
BINARY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".bmp", ".tif", ".tiff", ".pdf", ".zip", ".gz", ".tgz",
    ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".jar", ".war", ".whl", ".egg", ".so", ".dylib", ".dll", ".exe",
    ".bin", ".o", ".a", ".lib", ".pyc", ".pyo", ".class", ".mo", ".woff", ".woff2", ".ttf", ".otf", ".eot",
    ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".mov", ".avi", ".webm", ".psd", ".sqlite", ".db", ".parquet",
    ".npy", ".npz", ".pkl", ".pickle", ".pt", ".onnx", ".wasm", ".ipa", ".apk", ".dmg", ".iso",
})


class RepoFile(NamedTuple):  # a tuple: a large tree lists thousands on every query, and a tuple is made fastest
    path: str  # repo-relative, posix
    blob: str  # git blob id of the working-tree content ("" when too large to hash: see `huge`)
    language: str | None
    huge: bool = False


@dataclass(frozen=True)
class Listing:
    files: tuple[RepoFile, ...]
    skipped: dict[str, int] = field(default_factory=dict)  # by path: vendored / generated / binary / huge
    skipped_paths: tuple[str, ...] = ()
    untracked: tuple[str, ...] = ()  # listed files that git does not track
    unnamed: tuple[str, ...] = ()  # files left out because their names are not UTF-8 (undecodable bytes kept as surrogates)


# A script or stylesheet whose name carries a release number is a copied library
# (jquery-1.11.0.js, bootstrap.3.4.1.css), not the project's own code.
VERSIONED_BUNDLE = re.compile(r"[-_.]v?\d+\.\d+(?:\.\d+)*(?:[-.](?:min|slim|bundle|dev|prod))*\.(?:js|css|mjs)$")


def skip_reason_for_path(path: str) -> str | None:
    """vendored / generated / binary when the path alone says so, else None."""
    directories, _, name = path.rpartition("/")
    if directories and _vendored_directory(directories):
        return "vendored"
    lower = name.lower()
    if lower.endswith(_BUNDLE_SUFFIXES) and VERSIONED_BUNDLE.search(lower):
        return "vendored"
    if name in GENERATED_NAMES or lower.endswith(GENERATED_SUFFIXES):
        return "generated"
    dot = lower.rfind(".")
    if dot > 0 and lower[dot:] in BINARY_SUFFIXES:
        return "binary"
    return None


_BUNDLE_SUFFIXES = (".js", ".css", ".mjs")


@lru_cache(maxsize=4096)  # a repository has far fewer folders than files
def _vendored_directory(directories: str) -> bool:
    return not VENDORED_DIRS.isdisjoint(directories.split("/"))


@lru_cache(maxsize=4096)
def _language_of_name(name: str) -> str | None:
    return language_for(name)


def language_of(path: str) -> str | None:
    """language_for(path), memoised by file name (only the name decides it)."""
    return _language_of_name(path.rpartition("/")[2])


_ID_LENGTHS = {"sha1": 40, "sha256": 64}


def _git_many(root: Path, *commands: tuple[str, ...]) -> list[str]:
    """Run several git commands at once (one thread each, all through Git.run); their outputs, in
    order. A command that fails (not a repository, an unreadable index) is a RepoError."""
    git = Git(root, config=("core.quotepath=off",))
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = list(pool.map(lambda args: git.run(*args, check=False), commands))
    outputs = []
    for args, result in zip(commands, results, strict=True):
        if result.returncode != 0:
            raise RepoError(f"git {args[0]} failed in {root}: {last_line(result.stderr)}")
        outputs.append(result.stdout.decode("utf-8", "surrogateescape"))
    return outputs


def _fields(out: str) -> list[str]:
    return [part for part in out.split("\0") if part]


StatLookup = Callable[[str, int, int, int], str | None]
StatStore = Callable[[str, int, int, int, str], None]


def list_files(root: Path, *, max_bytes: int, stat_lookup: StatLookup | None = None,
               stat_store: StatStore | None = None) -> Listing:
    """The files locate reads, each with the blob id of its working-tree content.

    Edited and untracked files are stat'ed, so a huge one is never read or hashed.
    `stat_lookup(path, size, mtime_ns, inode)` returns a blob id remembered for that exact stat,
    and `stat_store(...)` remembers one, so an edited file is hashed once, not on every query.
    """
    # -m lists a file deleted from the working tree too; its lstat below fails and it is left out.
    staged, changed = _git_many(root, ("ls-files", "-s", "-z"), ("ls-files", "-z", "-m", "-o", "--exclude-standard"))
    index_blobs: dict[str, str] = {}
    for entry in _fields(staged):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) >= 3 and parts[0] not in ("160000", "120000"):  # skip submodules and symlinks
            index_blobs[path] = parts[1]
    # The index's own ids tell the object format; only an empty index needs to ask git.
    some_id = next(iter(index_blobs.values()), None)
    object_format = ({40: "sha1", 64: "sha256"}.get(len(some_id)) if some_id else None) \
        or Git(root).object_format
    id_length = _ID_LENGTHS.get(object_format)
    dirty = set(_fields(changed))

    skipped: dict[str, int] = {"binary": 0, "vendored": 0, "generated": 0, "huge": 0}
    skipped_paths: list[str] = []
    files: list[RepoFile] = []
    unnamed: list[str] = []
    for path in sorted(set(index_blobs) | dirty):
        if not _utf8_name(path):
            unnamed.append(path)
            continue
        reason = skip_reason_for_path(path)
        if reason:
            skipped[reason] += 1
            skipped_paths.append(path)
            continue
        language = language_of(path)
        if path in index_blobs and path not in dirty:
            # Unchanged since it was staged: the index has its blob id; a huge one is recognised
            # (and remembered by blob id) when it is first indexed.
            files.append(RepoFile(path, index_blobs[path], language))
            continue
        absolute = root / path
        try:
            st = os.lstat(absolute)
        except OSError:
            continue  # deleted in the working tree
        if not stat.S_ISREG(st.st_mode):
            continue
        if st.st_size > max_bytes:
            files.append(RepoFile(path, "", language, huge=True))
            continue
        blob = stat_lookup(path, st.st_size, st.st_mtime_ns, st.st_ino) if stat_lookup else None
        if blob is not None and len(blob) != id_length:
            blob = None  # remembered by a surgeon that hashed every file with sha1
        if blob is None:
            try:
                blob = blob_id(absolute.read_bytes(), object_format)
            except OSError:
                continue
            if stat_store:
                stat_store(path, st.st_size, st.st_mtime_ns, st.st_ino, blob)
        files.append(RepoFile(path, blob, language))
    untracked = tuple(f.path for f in files if f.path not in index_blobs and not f.huge)
    return Listing(tuple(files), skipped, tuple(skipped_paths), untracked, tuple(unnamed))


def _utf8_name(path: str) -> bool:
    """False for a name git listed with bytes that are not UTF-8: a model, JSON output and the
    diff engine all need text, so such a file is skipped (and named in a note) rather than mangled."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_path(path: str) -> str:
    """A repository path as one printable line: undecodable bytes and control characters escaped."""
    raw = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in raw)
