"""Names and messages of review branches (pure): the surgeon/<slug>-<id> branch name, its short id,
and the commit message grammar (summary line, instruction, Surgeon-* trailers)."""

from __future__ import annotations

import re
import secrets
import unicodedata

BRANCH_PREFIX = "surgeon/"
REFS_PREFIX = "refs/heads/" + BRANCH_PREFIX
PAIR_REFS_PREFIX = REFS_PREFIX + "pair-"
# refs/surgeon/staged/<slug>-<id> points at the commit surgeon made and verified for the branch
# surgeon/<slug>-<id>; made together with the branch, after the staging check passed. It is how
# surgeon knows a branch is its own and unchanged: a hand-made surgeon/... branch has no mark, and
# a branch someone committed on no longer points at it.
MARKS_PREFIX = "refs/surgeon/staged/"
SNAPSHOT_SUBJECT = "surgeon: working-tree snapshot"
SLUG_MAX = 40
SUMMARY_MAX = 72


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


def mark_ref(ref: str) -> str:
    """The staging mark of a review branch ref (refs/heads/surgeon/x -> refs/surgeon/staged/x)."""
    return MARKS_PREFIX + ref.removeprefix(REFS_PREFIX)
