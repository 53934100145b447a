"""The PyPI corpus: every text file that changed between two released versions of six packages
(sdists fetched once with pip into tests/bench/.cache/diff-sdists, git-ignored); the diff is git's
own with three lines of context."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

from tests.bench.diffbench.model import Case, git_diff

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / "tests" / "bench" / ".cache" / "diff-sdists"
PAIRS = [
    ("attrs", "22.2.0", "23.1.0"),
    ("click", "8.1.3", "8.1.7"),
    ("requests", "2.28.2", "2.31.0"),
    ("six", "1.15.0", "1.16.0"),
    ("itsdangerous", "2.0.1", "2.1.2"),
    ("coverage", "7.2.7", "7.3.0"),  # also C and JavaScript, where indentation carries no meaning
]


def fetch(name: str, version: str) -> Path:
    """The unpacked sdist of name==version (downloaded once)."""
    src = CACHE / "src" / f"{name}-{version}"
    if src.exists():
        return src
    CACHE.mkdir(parents=True, exist_ok=True)
    archives = list(CACHE.glob(f"{name}-{version}.tar.gz"))
    if not archives:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
             f"{name}=={version}", "-d", str(CACHE)],
            check=True,
        )
        archives = list(CACHE.glob(f"{name}-{version}.tar.gz"))
    unpack = CACHE / "src" / f".{name}-{version}"
    with tarfile.open(archives[0]) as archive:
        archive.extractall(unpack, filter="data")
    (inner,) = list(unpack.iterdir())
    inner.rename(src)
    unpack.rmdir()
    return src


def _text(data: bytes) -> bytes | None:
    if b"\0" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def corpus(limit: int | None = None) -> list[Case]:
    cases = []
    for name, old_version, new_version in PAIRS:
        old_root, new_root = fetch(name, old_version), fetch(name, new_version)
        for old_file in sorted(p for p in old_root.rglob("*") if p.is_file()):
            rel = old_file.relative_to(old_root).as_posix()
            new_file = new_root / rel
            if rel == "PKG-INFO" or not new_file.is_file():
                continue
            old, new = _text(old_file.read_bytes()), _text(new_file.read_bytes())
            if old is not None and new is not None and old != new:
                path = f"{name}/{rel}"
                cases.append(Case("pypi", f"{name} {old_version}->{new_version}", name, path, old, new,
                                  git_diff(path, old, new)))
    return cases[:limit]
