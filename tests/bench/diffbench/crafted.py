"""Changes made by the benchmark to real files (from the repositories at a base commit), for the
failure classes real patches rarely hold: lines starting with `---`/`+++` inside hunks (RST and
Markdown underlines, YAML document markers, SQL comments), context indentation in RST, a BOM with
line 1 edited, deletions at the end of a file with and without a final newline, and ambiguous hunks.
Each generator returns (Case, Made) or None; the Case's diff is git's own."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from tests.bench.diffbench.damage import Made, context_indentation_differs
from tests.bench.diffbench.model import Case, git_diff

BOM = "\ufeff".encode()


@dataclass(frozen=True)
class RealFile:
    repo: str
    path: str
    data: bytes


Crafted = Callable[[RealFile, random.Random], "tuple[Case, Made] | None"]


def _case(file: RealFile, new: bytes, old: bytes | None = None, source: str = "edited by the benchmark") -> Case:
    old = file.data if old is None else old
    return Case("swe-bench", source, file.repo, file.path, old, new, git_diff(file.path, old, new))


def _lines(file: RealFile) -> list[str] | None:
    try:
        text = file.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text or not text.endswith("\n") or text.startswith("\ufeff"):
        return None
    return text.split("\n")[:-1]


def _encode(lines: list[str], final_newline: bool = True) -> bytes:
    return ("\n".join(lines) + ("\n" if final_newline else "")).encode()


def _compiles(path: str, data: bytes) -> bool:
    if not path.endswith(".py"):
        return True
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# lines that start with --- or +++ inside a hunk


def _underlined(lines: list[str], char: str) -> list[int]:
    """Indexes of section titles underlined with `char` (RST, Markdown setext)."""
    return [i for i in range(1, len(lines))
            if re.fullmatch(re.escape(char) + "{3,}", lines[i]) and lines[i - 1].strip()
            and len(lines[i]) >= len(lines[i - 1].rstrip()) and not lines[i - 1].startswith((" ", char))]


def header_lines_in_hunks(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    lines = _lines(file)
    if lines is None:
        return None
    new = list(lines)
    options = []
    if file.path.endswith((".rst", ".md", ".txt")):
        titles = _underlined(lines, "-")
        if titles:
            options.append("retitle")
        if titles and file.path.endswith(".rst"):
            options.append("plus-section")
        if any(re.fullmatch(r"-{4,}", line) and i and not lines[i - 1].strip() for i, line in enumerate(lines)):
            options.append("transition")
    if file.path.endswith((".yml", ".yaml")) and "---" in lines:
        options.append("yaml")
    if file.path.endswith(".sql") and any(line.startswith("-- ") for line in lines):
        options.append("sql")
    if not options:
        return None
    how = rng.choice(options)
    if how == "retitle":
        i = rng.choice(_underlined(lines, "-"))
        title = lines[i - 1].rstrip() + " (revised)"
        new[i - 1:i + 1] = [title, "-" * len(title)]
    elif how == "plus-section":
        i = rng.choice(_underlined(lines, "-"))
        new[i - 1:i - 1] = ["Notes", "+++++", "", "These notes were added by the benchmark.", ""]
    elif how == "transition":
        spots = [i for i, line in enumerate(lines) if re.fullmatch(r"-{4,}", line) and i and not lines[i - 1].strip()]
        i = rng.choice(spots)
        del new[i:i + 2 if i + 1 < len(lines) and not lines[i + 1].strip() else i + 1]
    elif how == "yaml":
        i = lines.index("---")
        del new[i]
        if i < len(new) and new[i].strip() and not new[i].startswith(("#", " ", "-")):
            new[i] = "# edited by the benchmark\n" + new[i]
    else:
        spots = [i for i, line in enumerate(lines) if line.startswith("-- ")]
        i = rng.choice(spots)
        new[i] = rng.choice(["-- " + lines[i][3:] + " (revised)", "-- Revised by the benchmark."])
    new_data = _encode("\n".join(new).split("\n"))
    if new_data == file.data:
        return None
    case = _case(file, new_data)
    if not re.search(r"^(---|\+\+\+)(?! [ab/])", "\n".join(case.diff.split("\n")[3:]), re.M):
        return None  # the edit gave no such line after all
    return case, Made(case.diff, case.new)


# ---------------------------------------------------------------------------------------------
# indentation of context lines where it matters (RST)


def rst_context_indentation(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    lines = _lines(file)
    if lines is None or not file.path.endswith(".rst"):
        return None
    spots = [i for i in range(3, len(lines) - 3)
             if lines[i].startswith("   ") and lines[i].strip() and lines[i].strip()[0].isalpha()
             and all(lines[j].strip() for j in (i - 2, i + 2)) and lines[i - 2].startswith(" ")]
    if not spots:
        return None
    i = rng.choice(spots)
    new = list(lines)
    new[i] = lines[i].rstrip() + rng.choice([" (see below)", ", as documented", " -- revised"])
    case = _case(file, _encode(new))
    made = context_indentation_differs(case, rng)
    return (case, made) if made else None


# ---------------------------------------------------------------------------------------------
# a BOM, with line 1 edited


def bom_line_one(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    lines = _lines(file)
    if lines is None or not lines or not file.path.endswith((".py", ".rst")):
        return None
    comment = "# " if file.path.endswith(".py") else ".. "
    new = [comment + "Edited by the benchmark.", *lines]
    old_data, new_data = BOM + file.data, BOM + _encode(new)
    if not _compiles(file.path, new_data):
        return None
    case = _case(file, new_data, old_data)
    reply = case.diff if rng.random() < 0.5 else case.diff.replace("\ufeff", "")  # as git writes it, or as a model saw it
    return case, Made(reply, case.new)


# ---------------------------------------------------------------------------------------------
# deleting the last lines of a file


def _eof_deletion(file: RealFile, rng: random.Random) -> tuple[list[str], int] | None:
    lines = _lines(file)
    if lines is None or len(lines) < 8:
        return None
    for k in rng.sample([1, 2, 3], 3):
        kept = lines[:-k]
        if kept and kept[-1].strip() and _compiles(file.path, _encode(kept)):
            return lines, k
    return None


def eof_deletion_final_newline(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    found = _eof_deletion(file, rng)
    if not found:
        return None
    lines, k = found
    case = _case(file, _encode(lines[:-k]))
    return case, Made(case.diff, case.new)


def eof_deletion_no_final_newline(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    found = _eof_deletion(file, rng)
    if not found:
        return None
    lines, k = found
    keeps_newline = rng.random() < 0.5  # the kept last line ends the file with or without one
    case = _case(file, _encode(lines[:-k], keeps_newline), _encode(lines, False))
    return case, Made(case.diff, case.new)


def eof_deletion_marker_omitted(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    """The file has no final newline and the diff (as models write it) has no `\\ No newline`
    marker. It reads two ways: the kept last line ends in a newline (what the diff's lines say), or
    the file keeps having none (what the model most likely meant); both are right."""
    found = _eof_deletion(file, rng)
    if not found:
        return None
    lines, k = found
    case = _case(file, _encode(lines[:-k]), _encode(lines, False))
    reply = "\n".join(line for line in case.diff.split("\n") if not line.startswith("\\ "))
    return case, Made(reply, case.new, also=(_encode(lines[:-k], False),))


# ---------------------------------------------------------------------------------------------
# ambiguous hunks


def ambiguous_near_two(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    """A hunk whose only context (1 or 2 lines) occurs at two places at most 6 lines apart, with
    a line number within three lines of both: the README says that is refused."""
    lines = _lines(file)
    if lines is None:
        return None
    choices = []
    for size in (2, 1):
        seen: dict[tuple[str, ...], list[int]] = {}
        for i in range(len(lines) - size + 1):
            key = tuple(lines[i:i + size])
            if any(part.strip() for part in key):
                seen.setdefault(key, []).append(i)
        for starts in seen.values():
            for a, b in zip(starts, starts[1:], strict=False):
                if b - a <= 6:
                    choices.append((size, a, b))
    if not choices:
        return None
    size, a, b = rng.choice(choices)
    hint = rng.choice([h for h in range(b + 1 - 3, a + 1 + 4) if abs(h - (a + 1)) <= 3 and abs(h - (b + 1)) <= 3 and h >= 1])
    target = rng.choice([a, b])
    return _ambiguous(file, lines, size, target, hint)


def ambiguous_far(file: RealFile, rng: random.Random) -> tuple[Case, Made] | None:
    """Two context lines that occur in several places, with a line number far from all of them."""
    lines = _lines(file)
    if lines is None:
        return None
    seen: dict[tuple[str, str], list[int]] = {}
    for i in range(len(lines) - 1):
        if len(lines[i].strip()) > 3 and len(lines[i + 1].strip()) > 3:
            seen.setdefault((lines[i], lines[i + 1]), []).append(i)
    choices = []
    for starts in seen.values():
        if len(starts) >= 2:
            far = [h for h in range(1, len(lines)) if all(abs(h - (s + 1)) >= 10 for s in starts)]
            if far:
                choices.append((starts, far))
    if not choices:
        return None
    starts, far = rng.choice(choices)
    return _ambiguous(file, lines, 2, rng.choice(starts), rng.choice(far))


def _ambiguous(file: RealFile, lines: list[str], size: int, target: int, hint: int) -> tuple[Case, Made]:
    indent = re.match(r"\s*", lines[target + size - 1])[0]  # type: ignore[index]
    marker = "# " if not file.path.endswith((".rst", ".md")) else ".. "
    added = f"{indent}{marker}inserted by the benchmark"
    new = lines[:target + size] + [added] + lines[target + size:]
    case = _case(file, _encode(new))
    reply = (f"--- a/{file.path}\n+++ b/{file.path}\n@@ -{hint},{size} +{hint},{size + 1} @@\n"
             + "".join(f" {line}\n" for line in lines[target:target + size]) + f"+{added}\n")
    return case, Made(reply, None)
