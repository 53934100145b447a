"""The other formats people paste, rendered from a real change: SEARCH/REPLACE blocks (aider,
Cline, Roo's `:start_line:` hint), Codex's `*** Begin Patch`, and `git format-patch` mail (made by
git itself)."""

from __future__ import annotations

import os
import random
import re
import subprocess
import tempfile
from pathlib import Path

from tests.bench.diffbench import oracle
from tests.bench.diffbench.damage import Made
from tests.bench.diffbench.model import Case, Hunk, split_diff, text_lines

_FENCES = {".py": "python", ".rst": "rst", ".js": "javascript", ".c": "c", ".md": "markdown"}


def _blocks(case: Case, with_hint: bool) -> list[tuple[Hunk, list[str], list[str]]] | None:
    """Each hunk's old and new side, when a SEARCH block of it finds one place."""
    _, hunks = split_diff(case.diff)
    lines = text_lines(case.old)
    out = []
    for hunk, start in zip(hunks, oracle.true_starts(hunks), strict=True):
        if any(line.startswith("\\") for line in hunk.lines):
            return None  # a change of the final newline cannot be written as SEARCH/REPLACE
        search = oracle.needed(hunk)
        replace = [line[1:] for line in hunk.lines if line[:1] in (" ", "+")]
        if not oracle.placeable(lines, search, start, hunk.old_start if with_hint else None):
            return None
        out.append((hunk, search, replace))
    return out or None


def _fence(path: str) -> str:
    return _FENCES.get(os.path.splitext(path)[1], "")


def search_replace_aider(case: Case, rng: random.Random) -> Made | None:
    blocks = _blocks(case, with_hint=False)
    if not blocks:
        return None
    parts = ["Here are the changes:\n"]
    for _, search, replace in blocks:
        parts.append(f"{case.path}\n```{_fence(case.path)}\n<<<<<<< SEARCH\n" + "".join(s + "\n" for s in search)
                     + "=======\n" + "".join(r + "\n" for r in replace) + ">>>>>>> REPLACE\n```\n")
    return Made("\n".join(parts), case.new)


def search_replace_cline(case: Case, rng: random.Random) -> Made | None:
    blocks = _blocks(case, with_hint=False)
    if not blocks:
        return None
    body = "".join("------- SEARCH\n" + "".join(s + "\n" for s in search) + "=======\n"
                   + "".join(r + "\n" for r in replace) + "+++++++ REPLACE\n" for _, search, replace in blocks)
    return Made(f"<replace_in_file>\n<path>{case.path}</path>\n<diff>\n{body}</diff>\n</replace_in_file>\n", case.new)


def search_replace_roo(case: Case, rng: random.Random) -> Made | None:
    blocks = _blocks(case, with_hint=True)
    if not blocks:
        return None
    body = "".join(f"<<<<<<< SEARCH\n:start_line:{hunk.old_start}\n-------\n" + "".join(s + "\n" for s in search)
                   + "=======\n" + "".join(r + "\n" for r in replace) + ">>>>>>> REPLACE\n\n"
                   for hunk, search, replace in blocks)
    return Made(f"<apply_diff>\n<path>{case.path}</path>\n<diff>\n{body}</diff>\n</apply_diff>\n", case.new)


def codex_patch(case: Case, rng: random.Random) -> Made | None:
    if _blocks(case, with_hint=False) is None:
        return None
    _, hunks = split_diff(case.diff)
    sections = re.findall(r"^@@ [^@]*@@ ?(.*)$", case.diff, re.M)
    n_old = len(text_lines(case.old))
    out = ["*** Begin Patch", f"*** Update File: {case.path}"]
    for hunk, section in zip(hunks, sections, strict=True):
        out.append(f"@@ {section}".rstrip())
        out.extend(hunk.lines)
        if hunk.old_start - 1 + len(oracle.needed(hunk)) >= n_old:
            out.append("*** End of File")
    out.append("*** End Patch")
    return Made("\n".join(out) + "\n", case.new)


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "A Contributor", "GIT_AUTHOR_EMAIL": "contributor@example.org",
    "GIT_COMMITTER_NAME": "A Contributor", "GIT_COMMITTER_EMAIL": "contributor@example.org",
    "GIT_AUTHOR_DATE": "2024-05-01T12:00:00+00:00", "GIT_COMMITTER_DATE": "2024-05-01T12:00:00+00:00",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def format_patch_mail(case: Case, rng: random.Random) -> Made | None:
    """What `git format-patch -1 --stdout` writes for this change (subject, body, diffstat, the
    `-- ` signature)."""
    env = {**os.environ, **_GIT_ENV}
    with tempfile.TemporaryDirectory() as tmp:
        def git(*args: str) -> str:
            return subprocess.run(["git", *args], cwd=tmp, env=env, capture_output=True, check=True).stdout.decode()

        target = Path(tmp, case.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        git("init", "-q")
        target.write_bytes(case.old)
        git("add", "-A")
        git("commit", "-q", "-m", "base")
        target.write_bytes(case.new)
        git("commit", "-q", "-a", "-m", f"Fix {case.label}\n\nThe change as its author wrote it, sent as mail.")
        return Made(git("format-patch", "-1", "--stdout"), case.new)
