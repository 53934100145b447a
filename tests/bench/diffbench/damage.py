"""Damage that models write into a correct diff, one kind per function. Each takes a Case (a real
change and the diff its author wrote) and a seeded random source, and returns the damaged reply with
what must come out (Made), or None when the kind cannot apply to this change or when the damage
would leave the hunk's place unknowable (see oracle.py)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from surgeon.diff.match import indentation_matters
from tests.bench.diffbench import oracle
from tests.bench.diffbench.model import Case, Hunk, join, split_diff, text_lines


@dataclass(frozen=True)
class Made:
    reply: str
    expected: bytes | None  # None: must be refused
    old: bytes | None = None  # the file to apply to, when not case.old
    also: tuple[bytes, ...] = ()  # other results that are as right (where the diff reads two ways)


Damage = Callable[[Case, random.Random], "Made | None"]


def _parts(case: Case) -> tuple[list[str], list[Hunk], list[str]]:
    header, hunks = split_diff(case.diff)
    return header, hunks, text_lines(case.old)


def _ok(case: Case, reply: str) -> Made:
    return Made(reply, case.new)


def _placeable(file_lines: list[str], hunks: list[Hunk], starts: list[int], hints: list[int | None],
               norm: oracle.Normalise = oracle.same) -> bool:
    return oracle.all_placeable(file_lines, hunks, starts, hints, norm)


_COMMENTS = {".py": "# {}", ".pyx": "# {}", ".pyi": "# {}", ".sh": "# {}", ".yml": "# {}", ".yaml": "# {}",
             ".toml": "# {}", ".cfg": "# {}", ".ini": "; {}", ".js": "// {}", ".ts": "// {}", ".c": "// {}",
             ".h": "// {}", ".css": "/* {} */", ".rst": ".. {}", ".md": "<!-- {} -->", ".html": "<!-- {} -->"}


def _comment(path: str, text: str) -> str | None:
    """`text` as a comment in the file's language; None where the benchmark does not know how."""
    for ending, form in _COMMENTS.items():
        if path.endswith(ending):
            return form.format(text)
    return None


# ---------------------------------------------------------------------------------------------
# recoverable: the intended file is known and the diff still says it


def as_written(case: Case, rng: random.Random) -> Made | None:
    return _ok(case, case.diff)


def wrong_line_numbers(case: Case, rng: random.Random) -> Made | None:
    header, hunks, lines = _parts(case)
    starts = oracle.true_starts(hunks)
    for hunk in hunks:
        shift = rng.choice([-1, 1]) * rng.randint(4, 60)
        hunk.old_start = max(1, hunk.old_start + shift)
        hunk.new_start = max(1, hunk.new_start + shift)
    if not _placeable(lines, hunks, starts, [h.old_start for h in hunks]):
        return None
    return _ok(case, join(header, hunks))


def miscounted_headers(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    out = list(header)
    for k, hunk in enumerate(hunks):
        old = sum(1 for line in hunk.lines if line[:1] in (" ", "-"))
        new = sum(1 for line in hunk.lines if line[:1] in (" ", "+"))
        d_old, d_new = rng.choice([-2, -1, 1, 2, 3]), rng.choice([-2, -1, 1, 2])
        ends_in_change = bool(hunk.lines) and hunk.lines[-1][:1] in ("+", "-")
        if k == len(hunks) - 1 and ends_in_change:
            # promising more lines than a last hunk holds, with no trailing context, is what a
            # truncated reply looks like: the issue counts that as truncation, so only undercount
            d_old, d_new = -abs(d_old), -abs(d_new)
        out.append(f"@@ -{hunk.old_start},{max(old + d_old, 0)} +{hunk.new_start},{max(new + d_new, 0)} @@")
        out.extend(hunk.lines)
    return _ok(case, "\n".join(out) + "\n")


def bare_headers(case: Case, rng: random.Random) -> Made | None:
    header, hunks, lines = _parts(case)
    if not _placeable(lines, hunks, oracle.true_starts(hunks), [None] * len(hunks)):
        return None
    return _ok(case, join(header, hunks, bare=rng.choice(["@@ @@", "@@ ... @@", "@@"])))


def missing_prefixes(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    header = [line for line in header if not line.startswith(("diff --git", "index "))]
    header = [re.sub(r"^(---|\+\+\+) [ab]/", r"\1 ", line) for line in header]
    return _ok(case, join(header, hunks))


def doubled_prefixes(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    header = [re.sub(r"^(---|\+\+\+) ([ab])/", r"\1 \2/\2/", line) for line in header]
    return _ok(case, join(header, hunks))


def _context_runs(hunk: Hunk) -> tuple[int, int]:
    """How many context lines open and close the hunk."""
    body = [line for line in hunk.lines if not line.startswith("\\")]
    lead = next((i for i, line in enumerate(body) if line[:1] != " "), len(body))
    trail = next((i for i, line in enumerate(reversed(body)) if line[:1] != " "), len(body))
    return lead, trail


def _trim(case: Case, keep_lead: int | None, keep_trail: int | None) -> Made | None:
    header, hunks, lines = _parts(case)
    starts = oracle.true_starts(hunks)
    changed = False
    for k, hunk in enumerate(hunks):
        if any(line.startswith("\\") for line in hunk.lines):
            return None  # the end-of-file marker belongs to the line before it
        lead, trail = _context_runs(hunk)
        cut_lead = max(lead - keep_lead, 0) if keep_lead is not None else 0
        cut_trail = max(trail - keep_trail, 0) if keep_trail is not None else 0
        if cut_lead + cut_trail == 0:
            continue
        if cut_lead + cut_trail >= len(hunk.lines):
            return None
        hunk.lines = hunk.lines[cut_lead: len(hunk.lines) - cut_trail]
        hunk.old_start += cut_lead
        hunk.new_start += cut_lead
        starts[k] += cut_lead
        changed = True
    if not changed or not _placeable(lines, hunks, starts, [h.old_start for h in hunks]):
        return None
    return _ok(case, join(header, hunks))


def one_line_of_context(case: Case, rng: random.Random) -> Made | None:
    return _trim(case, 1, 1)


def no_leading_context(case: Case, rng: random.Random) -> Made | None:
    return _trim(case, 0, None)


def no_trailing_context(case: Case, rng: random.Random) -> Made | None:
    return _trim(case, None, 0)


def extra_context(case: Case, rng: random.Random) -> Made | None:
    header, hunks, lines = _parts(case)
    more = rng.randint(2, 5)
    previous_end = 0
    for k, hunk in enumerate(hunks):
        if any(line.startswith("\\") for line in hunk.lines):
            return None
        start = hunk.old_start - 1
        end = start + sum(1 for line in hunk.lines if line[:1] in (" ", "-"))
        next_start = hunks[k + 1].old_start - 1 if k + 1 < len(hunks) else len(lines)
        before, after = max(previous_end, start - more), min(next_start, end + more)
        if before > start or after < end:
            return None
        hunk.lines = [" " + line for line in lines[before:start]] + hunk.lines + [" " + line for line in lines[end:after]]
        hunk.new_start -= start - before
        hunk.old_start = before + 1
        previous_end = after
    return _ok(case, join(header, hunks))


def trailing_whitespace_stripped(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    changed = False
    for hunk in hunks:
        added = {line[1:].rstrip("\r") for line in hunk.lines if line.startswith("+")}
        out = []
        for line in hunk.lines:
            if line[:1] in (" ", "-") and line[1:] != line[1:].rstrip():
                stripped = line[0] + line[1:].rstrip()
                if line[0] == "-" and stripped[1:] in added:
                    out.append(line)  # a whitespace-only change: stripping would erase it
                    continue
                out.append(stripped)
                changed = True
            else:
                out.append(line)
        hunk.lines = out
    return _ok(case, join(header, hunks)) if changed else None


def blank_context_without_space(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    if not any(line == " " for hunk in hunks for line in hunk.lines):
        return None
    for hunk in hunks:
        hunk.lines = ["" if line == " " else line for line in hunk.lines]
    return _ok(case, join(header, hunks))


def reversed_hunks(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    if len(hunks) < 2:
        return None
    return _ok(case, join(header, list(reversed(hunks))))


def crlf_reply(case: Case, rng: random.Random) -> Made | None:
    return _ok(case, case.diff.replace("\n", "\r\n"))


def _shift_all(hunks: list[Hunk], rng: random.Random) -> None:
    for hunk in hunks:
        body = [line[1:] for line in hunk.lines if line[:1] in (" ", "-", "+") and line[1:].strip()]
        if body and all(text.startswith("    ") for text in body) and rng.random() < 0.5:
            hunk.lines = [line[0] + line[5:] if line[:1] in (" ", "-", "+") and line[1:].strip() else line for line in hunk.lines]
        else:
            hunk.lines = [line[0] + "  " + line[1:] if line[:1] in (" ", "-", "+") and line[1:].strip() else line for line in hunk.lines]


def uniform_shift_free(case: Case, rng: random.Random) -> Made | None:
    if indentation_matters(case.path):
        return None
    header, hunks, _ = _parts(case)
    _shift_all(hunks, rng)
    return _ok(case, join(header, hunks))


def uniform_shift_meaningful(case: Case, rng: random.Random) -> Made | None:
    """The whole hunk shifted alike (context, removed and added lines): the issue's rule is to
    re-indent the added lines by the same shift."""
    if not indentation_matters(case.path):
        return None
    header, hunks, lines = _parts(case)
    if not _placeable(lines, hunks, oracle.true_starts(hunks), [h.old_start for h in hunks], oracle.stripped):
        return None
    _shift_all(hunks, rng)
    return _ok(case, join(header, hunks))


def context_indentation_differs(case: Case, rng: random.Random) -> Made | None:
    """Leading whitespace changed on context lines that are not next to a change; removed lines
    and the lines next to each change are exact."""
    header, hunks, lines = _parts(case)
    starts = oracle.true_starts(hunks)
    if not _placeable(lines, hunks, starts, [h.old_start for h in hunks], oracle.stripped):
        return None
    changed = False
    for hunk in hunks:
        kinds = [line[:1] for line in hunk.lines]
        for i, line in enumerate(hunk.lines):
            near_change = any(kinds[j] in ("+", "-") for j in (i - 1, i + 1) if 0 <= j < len(kinds))
            if kinds[i] != " " or near_change or not line[1:].strip():
                continue
            text = line[1:]
            indent = len(text) - len(text.lstrip(" "))
            if indent >= 2 and rng.random() < 0.5:
                hunk.lines[i] = " " + text[rng.choice([1, 2]):]
            else:
                hunk.lines[i] = " " + " " * rng.choice([1, 2, 4]) + text
            changed = True
    return _ok(case, join(header, hunks)) if changed else None


_LOOKALIKE_SWAPS: list[tuple[str, str, str]] = [
    ("no-break space", " ", "\u00a0"),
    ("typographic quote", "'", "\u2019"),
    ("typographic quote", '"', "\u201c"),
    ("typographic dash", "-", "\u2013"),
]


def lookalikes_in_context(case: Case, rng: random.Random) -> Made | None:
    header, hunks, lines = _parts(case)
    starts = oracle.true_starts(hunks)
    if not _placeable(lines, hunks, starts, [h.old_start for h in hunks], oracle.lookalike_insensitive):
        return None
    spots = [(k, i) for k, h in enumerate(hunks) for i, line in enumerate(h.lines)
             if line.startswith(" ") and line[1:].strip()]
    if not spots:
        return None
    for k, i in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        text = hunks[k].lines[i][1:]
        body_at = len(text) - len(text.lstrip())
        options = [(a, b) for _, a, b in _LOOKALIKE_SWAPS if a in text[body_at:]]
        if options and rng.random() < 0.75:
            a, b = rng.choice(options)
            at = [m.start() for m in re.finditer(re.escape(a), text) if m.start() >= body_at]
            p = rng.choice(at)
            text = text[:p] + b + text[p + 1:]
        else:
            p = rng.randint(body_at, len(text))
            text = text[:p] + rng.choice(["\u200b", "\u200d", "\u2060"]) + text[p:]
        hunks[k].lines[i] = " " + text
    return _ok(case, join(header, hunks))


_PROSE_BEFORE = [
    "Here is the fix:\n\n",
    "Sure! The change below does what you asked.\n\n",
    "I updated the function as requested:\n\n",
]
_PROSE_AFTER = [
    "\nThis keeps the behaviour for existing callers.\n",
    "\nLet me know if you want tests for this.\n",
]


def fenced_in_prose(case: Case, rng: random.Random) -> Made | None:
    fence = rng.choice(["```diff", "```patch", "```"])
    return _ok(case, rng.choice(_PROSE_BEFORE) + f"{fence}\n{case.diff}```\n" + rng.choice(_PROSE_AFTER))


_PROSE_TAILS = [
    "\nThis raises the limit and keeps the old default for callers that pass nothing.\n",
    "\nChanges:\n- Handle the empty case first.\n- Keep the old behaviour otherwise.\n",
    "\nSummary of the change:\n+ Raised the timeout to 15 seconds.\n+ Kept the retry count.\n",
    "+ Raised the timeout to 15 seconds.\n",
    "\n- Fixed the edge case reported in the issue.\n",
]


def prose_after_diff(case: Case, rng: random.Random) -> Made | None:
    return _ok(case, case.diff + rng.choice(_PROSE_TAILS))


# ---------------------------------------------------------------------------------------------
# unrecoverable: must be refused


# Placeholders for elided code, as models and peers' prompts write them.
ELISIONS = [
    "... rest unchanged ...", "... keep the rest as is ...", "... existing code ...",
    "rest of the code remains the same", "... (unchanged) ...", "...", "[...]",
    "(omitted for brevity)", "same as before", "remaining code unchanged", "etc.",
    "... rest of the function ...", "other methods unchanged", "... previous code ...",
    "unchanged", "…", "Rest of implementation stays the same", "(code continues as before)",
]


def _context_run(hunk: Hunk, rng: random.Random, length: tuple[int, int]) -> tuple[int, int] | None:
    runs = []
    start = None
    for i, line in enumerate([*hunk.lines, "+"]):
        if line.startswith(" ") and line[1:].strip():
            start = i if start is None else start
        else:
            if start is not None and i - start >= length[0]:
                runs.append((start, min(i, start + length[1])))
            start = None
    return rng.choice(runs) if runs else None


def elided_as_removal(case: Case, rng: random.Random) -> Made | None:
    """Lines the model meant to keep, written as removed, with a placeholder added in their stead."""
    header, hunks, _ = _parts(case)
    spots = [k for k, h in enumerate(hunks) if _context_run(h, random.Random(0), (2, 3))]
    if not spots:
        return None
    k = rng.choice(spots)
    start, end = _context_run(hunks[k], rng, (2, 3)) or (0, 0)
    indent = re.match(r"\s*", hunks[k].lines[start][1:])[0]  # type: ignore[index]
    comment = _comment(case.path, rng.choice(ELISIONS))
    if comment is None:
        return None
    placeholder = f"+{indent}{comment}"
    hunks[k].lines[start:end] = ["-" + line[1:] for line in hunks[k].lines[start:end]] + [placeholder]
    return Made(join(header, hunks), None)


def elided_in_context(case: Case, rng: random.Random) -> Made | None:
    """Context lines replaced by one placeholder line."""
    header, hunks, _ = _parts(case)
    spots = [k for k, h in enumerate(hunks) if _context_run(h, random.Random(0), (2, 99))]
    if not spots:
        return None
    k = rng.choice(spots)
    start, end = _context_run(hunks[k], rng, (2, 99)) or (0, 0)
    indent = re.match(r"\s*", hunks[k].lines[start][1:])[0]  # type: ignore[index]
    comment = _comment(case.path, rng.choice(ELISIONS))
    if comment is None:
        return None
    hunks[k].lines[start:end] = [f" {indent}{comment}"]
    return Made(join(header, hunks), None)


def _truncatable(case: Case) -> tuple[list[str], list[Hunk], int] | None:
    header, hunks, lines = _parts(case)
    last = hunks[-1] if hunks else None
    if last is None:
        return None
    end = last.old_start - 1 + sum(1 for line in last.lines if line[:1] in (" ", "-"))
    if end >= len(lines):
        return None  # the hunk reaches the end of the file: a cut there can be a whole hunk
    changed = [i for i, line in enumerate(last.lines) if line[:1] in ("+", "-")]
    return (header, hunks, changed[-1]) if changed else None


def truncated_mid_hunk(case: Case, rng: random.Random) -> Made | None:
    """The reply stopped inside the last hunk, after a changed line (or inside one)."""
    found = _truncatable(case)
    if not found:
        return None
    header, hunks, last_change = found
    last = hunks[-1]
    changed = [i for i, line in enumerate(last.lines[:last_change + 1])
               if line[:1] in ("+", "-") and i < len(last.lines) - 1]
    if not changed:
        return None
    cut = rng.choice(changed)
    old, new = (sum(1 for line in last.lines if line[:1] in kinds) for kinds in ((" ", "-"), (" ", "+")))
    text = join(header, hunks[:-1]) if len(hunks) > 1 else "\n".join(header) + "\n"
    text += f"@@ -{last.old_start},{old} +{last.new_start},{new} @@\n" + "\n".join(last.lines[:cut + 1])
    if rng.random() < 0.4 and len(last.lines[cut]) > 6:
        text = text[: len(text) - rng.randint(2, len(last.lines[cut]) - 2)]  # cut inside the line
    elif rng.random() < 0.5:
        text += "\n"
    return Made(text, None)


def truncated_in_fence(case: Case, rng: random.Random) -> Made | None:
    """A fence that never closes: the reply stopped before or inside its end."""
    if rng.random() < 0.5:
        body = case.diff
    else:
        made = truncated_mid_hunk(case, rng)
        if made is None:
            return None
        body = made.reply
    return Made(rng.choice(_PROSE_BEFORE) + "```diff\n" + body, None)


def context_not_in_file(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    spots = [(k, i) for k, h in enumerate(hunks) for i, line in enumerate(h.lines) if line.startswith(" ") and line[1:].strip()]
    if not spots:
        return None
    k, i = rng.choice(spots)
    indent = re.match(r"\s*", hunks[k].lines[i][1:])[0]  # type: ignore[index]
    hunks[k].lines[i] = f" {indent}configure_from_model_memory(timeout=30)"
    return Made(join(header, hunks), None)


def removed_line_differs(case: Case, rng: random.Random) -> Made | None:
    header, hunks, _ = _parts(case)
    spots = [(k, i) for k, h in enumerate(hunks) for i, line in enumerate(h.lines)
             if line.startswith("-") and re.search(r"[A-Za-z0-9]", line[1:])]
    if not spots:
        return None
    k, i = rng.choice(spots)
    text = hunks[k].lines[i][1:]
    at = re.search(r"[A-Za-z0-9]", text).start()  # type: ignore[union-attr]
    swapped = "x" if text[at] != "x" else "y"
    hunks[k].lines[i] = "-" + text[:at] + swapped + text[at + 1:]
    return Made(join(header, hunks), None)


def dev_null_both_sides(case: Case, rng: random.Random) -> Made | None:
    _, hunks, _ = _parts(case)
    added = [line for h in hunks for line in h.lines if line.startswith("+")] or ["+x = 1"]
    head = rng.choice(["", f"diff --git a/{case.path} b/{case.path}\n"])
    return Made(f"{head}--- /dev/null\n+++ /dev/null\n@@ -0,0 +1,{len(added)} @@\n" + "\n".join(added) + "\n", None)
