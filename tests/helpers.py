"""Shared test helpers: real git repositories in temporary folders and the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "analytics-stack"

# The console script beside the interpreter running the tests: what `pip install` puts on PATH.
SURGEON = Path(sys.executable).parent / "surgeon"
if not SURGEON.is_file():
    raise RuntimeError(f"{SURGEON} is missing: install surgeon into this environment (pip install -e '.[dev]')")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, input=input, env={**os.environ, **GIT_ENV}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def make_repo(path: Path, files: dict[str, str | bytes] | None = None, *, commit: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    for rel, content in (files or {}).items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    if commit and files:
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial")
    return path


def copy_example(dest: Path) -> Path:
    """The example analytics stack copied into a fresh git repository with one commit."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".venv"))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "analytics stack")
    return dest


@dataclass(frozen=True)
class RepoState:
    status: str
    index_tree: str
    head: str
    branch: str


def repo_state(repo: Path) -> RepoState:
    """What invariant 2 protects: working tree status, index, HEAD and the current branch."""
    return RepoState(
        status=git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        index_tree=git(repo, "write-tree").strip(),
        head=git(repo, "rev-parse", "HEAD").strip(),
        branch=git(repo, "symbolic-ref", "-q", "HEAD", check=False).strip(),
    )


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def run_surgeon(*args: str, cwd: Path, input: str | bytes | None = None, env: dict[str, str] | None = None,
                timeout: float = 120) -> Run:
    """Run the installed console script exactly as a user would (`surgeon ...`), with no model keys
    in the environment. Output that is not UTF-8 is decoded with replacement characters."""
    full_env = {**os.environ, **GIT_ENV, "NO_COLOR": "1", "COLUMNS": "200"}
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL",
                "SURGEON_MODEL", "SURGEON_OPENAI_BASE_URL"):
        full_env.pop(key, None)
    full_env.update(env or {})
    data = input.encode() if isinstance(input, str) else input
    result = subprocess.run(
        [str(SURGEON), *args], cwd=cwd, capture_output=True, input=data, env=full_env, timeout=timeout,
    )
    return Run(result.returncode, _text(result.stdout), _text(result.stderr))


def _text(data: bytes) -> str:
    """As text=True would read it (universal newlines), but never failing on bytes that are not UTF-8."""
    return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")


def gone(pid: int, within: float = 10.0) -> bool:
    """Whether the process `pid` has ended (or is a zombie) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(0); ask ps whether it is defunct.
        state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
        if not state or state.startswith("Z"):
            return True
        time.sleep(0.05)
    return False
