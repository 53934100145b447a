"""Names: a dependency a commit adds must be one the project can have. A new line in
requirements*.txt, a new entry in pyproject.toml's dependency lists or a new key in package.json's
dependency objects that no lock file, no other declaration and no installed environment knows is
reported: a package name a model made up is a supply-chain attack waiting for someone to publish it.
With no lock file and no environment to ask, nothing is reported. The same guard refuses such a
diff in `surgeon edit` (surgeon/validate/names/)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from surgeon.errors import SurgeonError
from surgeon.git import find_repo
from surgeon.review.findings import Finding, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings
from surgeon.validate.names import NamesGuard
from surgeon.validate.names.deps import dependencies, is_manifest
from surgeon.validate.names.report import Tally

RULES: dict[str, str] = {
    "names.dependency": "a new dependency that no lock file, declaration or installed environment knows",
}


@cache
def _guard(root: Path) -> NamesGuard:
    """One guard (one question to the project's environment) per repository and review."""
    return NamesGuard(root)


def _root(settings: ReviewSettings, path: str) -> Path | None:
    """The repository under review: the settings' when they carry it, else the one around the current
    folder when the file is there (never another repository's lock files)."""
    root = getattr(settings, "root", None)
    if isinstance(root, Path):
        return root
    try:
        found = find_repo(None, need_commit=False).root
    except SurgeonError:  # not in a repository (or no git): nothing to compare against
        return None
    return found if (found / path).is_file() else None


def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    # Only lines a change adds are new dependencies: a whole file under review (--all) holds the
    # project's existing ones, which a fresh checkout without its environment cannot resolve.
    if not is_manifest(file.path) or file.judged is None:
        return []
    found = [d for d in dependencies(file.path, file.text) if file.judges(d.line)]
    root = _root(settings, file.path) if found else None
    if root is None:
        return []
    guard = _guard(root)
    problems = guard.dependencies(found, file.path, Tally())
    return [Finding(file.path, problem.line, "names.dependency", "high", problem.reason,
                    fingerprint=fingerprint("names.dependency", file.path, file.line(problem.line).strip()))
            for problem in problems]
