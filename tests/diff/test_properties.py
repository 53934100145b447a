"""Property: a correct diff, perturbed the ways models perturb diffs, is either applied to give
exactly the intended file or refused. Never anything else."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from surgeon.diff.churn import drop_churn
from surgeon.diff.elision import find_elision
from surgeon.validate import ApplyOptions, check_patch
from tests.diffkit import Hunk, counts, split_diff

# a fixed budget in CI; raise it locally to hunt for counterexamples
SCALE = float(os.environ.get("SURGEON_PROPERTY_SCALE", "1"))
OPTIONS = ApplyOptions(check_syntax=False, allow_rewrite=True)
POOL = ["", "x = 1", "return x", "}", "pass", "if (a) {", "end", "y = compute(x)", "# note", "value"]
INDENTS = ["", "", "  ", "    ", "\t", "        "]


@st.composite
def source_lines(draw, size):
    lines = []
    for _ in range(size):
        if draw(st.integers(0, 2)) == 0:
            text = f"unique_{draw(st.integers(0, 10**6))}()"
        else:
            text = draw(st.sampled_from(POOL))
        if text:
            text = draw(st.sampled_from(INDENTS)) + text
            if draw(st.integers(0, 9)) == 0:
                text += draw(st.sampled_from([" ", "  ", "\t"]))
        lines.append(text)
    return lines


@dataclass(frozen=True)
class Case:
    path: str
    old: bytes
    new: bytes


def text_of(raw: str) -> str:
    return raw.removesuffix("\n").removesuffix("\r")


def text_opcodes(old_texts: list[str], new_texts: list[str]) -> list[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(None, old_texts, new_texts, autojunk=False).get_opcodes()


def intended_endings(old_texts, old_endings, new_texts, fallback: str, final_newline: bool) -> list[str]:
    """The rule, written from its statement: a kept line keeps its ending; an added line paired
    (by position in its change block) with a removed line keeps that line's ending; any other
    added line takes the ending of the line above (below, at the start of the file); the file's
    dominant ending where that gives none; the last line's ending follows the final newline."""
    crlf, lf = old_endings.count("\r\n"), old_endings.count("\n")
    dominant = fallback if crlf == lf == 0 else ("\r\n" if crlf > lf else "\n")
    new: list[str | None] = [None] * len(new_texts)
    for tag, a1, a2, b1, b2 in text_opcodes(old_texts, new_texts):
        for k in range(min(a2 - a1, b2 - b1)):
            if tag == "equal" or old_endings[a1 + k]:
                new[b1 + k] = old_endings[a1 + k]
    for j, found in enumerate(new):
        if found is None:
            below = next((e for e in new[j:] if e is not None), None)
            new[j] = (new[j - 1] if j else below) or dominant
    endings = [e or dominant for e in new]
    if endings and not final_newline:
        endings[-1] = ""
    return endings


@st.composite
def cases(draw, path=None):
    path = path or draw(st.sampled_from(["mod.py", "web/app.js", "notes.txt"]))
    lines = draw(source_lines(draw(st.integers(1, 40))))
    style = draw(st.sampled_from(["\n", "\n", "\r\n", "mixed", "mixed"]))
    final_newline = draw(st.integers(0, 4)) > 0
    new_lines = list(lines)
    # edits from the bottom up so earlier indices stay valid
    spots = sorted(draw(st.lists(st.integers(0, len(lines)), min_size=1, max_size=4, unique=True)), reverse=True)
    for spot in spots:
        remove = draw(st.integers(0, min(3, len(lines) - spot)))
        insert = draw(source_lines(draw(st.integers(0, 3))))
        new_lines[spot : spot + remove] = insert
    if not final_newline:
        # a blank last line without a newline is no line at all: the bytes would end in a
        # newline after all, and the edit would change the final newline (kept on purpose)
        lines, new_lines = ([*items[:-1], "end"] if items and items[-1] == "" else items for items in (lines, new_lines))
    if style == "mixed":
        old_endings = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
    else:
        old_endings = [style] * len(lines)
    if not final_newline:
        old_endings[-1] = ""
    new_endings = intended_endings(lines, old_endings, new_lines, "\r\n" if style == "\r\n" else "\n", final_newline)
    old = "".join(t + e for t, e in zip(lines, old_endings, strict=True)).encode()
    new = "".join(t + e for t, e in zip(new_lines, new_endings, strict=True)).encode()
    assume(old != new)
    event(f"endings: {style!r}")
    return Case(path, old, new)


class _Aligned(difflib.SequenceMatcher):
    """difflib's hunk grouping over a given alignment."""

    def __init__(self, opcodes):
        super().__init__(None, [], [], autojunk=False)
        self.given = opcodes

    def get_opcodes(self):
        return self.given


def unified_diff(case: Case, context: int = 3) -> str:
    """A correct git-style diff written here with difflib (quicker than running git each time),
    aligning the lines by their texts as `intended_endings` does; a kept line whose bytes change
    all the same (the old last line gaining a newline, or losing it) shows as removed and added."""
    old = case.old.decode().splitlines(keepends=True)
    new = case.new.decode().splitlines(keepends=True)
    opcodes: list[tuple[str, int, int, int, int]] = []
    for tag, a1, a2, b1, b2 in text_opcodes([text_of(r) for r in old], [text_of(r) for r in new]):
        pieces = [(tag, a1, a2, b1, b2)] if tag != "equal" else [
            ("equal" if old[a1 + k] == new[b1 + k] else "replace", a1 + k, a1 + k + 1, b1 + k, b1 + k + 1)
            for k in range(a2 - a1)]
        for piece in pieces:
            if opcodes and piece[0] == opcodes[-1][0] == "equal":
                opcodes[-1] = ("equal", opcodes[-1][1], piece[2], opcodes[-1][3], piece[4])
            else:
                opcodes.append(piece)
    out = [f"diff --git a/{case.path} b/{case.path}\n", f"--- a/{case.path}\n", f"+++ b/{case.path}\n"]

    def emit(prefix: str, raw: str) -> None:
        out.append(prefix + raw if raw.endswith("\n") else f"{prefix}{raw}\n\\ No newline at end of file\n")

    for group in _Aligned(opcodes).get_grouped_opcodes(context):
        o1, o2, n1, n2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        old_start = o1 + 1 if o2 > o1 else o1
        new_start = n1 + 1 if n2 > n1 else n1
        out.append(f"@@ -{old_start},{o2 - o1} +{new_start},{n2 - n1} @@\n")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                for raw in old[a1:a2]:
                    emit(" ", raw)
                continue
            for raw in old[a1:a2]:
                emit("-", raw)
            for raw in new[b1:b2]:
                emit("+", raw)
    return "".join(out)


def git_diff(case: Case, context: int = 3) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        for side, data in (("x", case.old), ("y", case.new)):
            target = Path(tmp, side, case.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        result = subprocess.run(
            ["git", "-c", "core.quotepath=off", "diff", "--no-index", "--no-prefix", f"-U{context}",
             "--no-color", f"x/{case.path}", f"y/{case.path}"],
            cwd=tmp, capture_output=True, env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": tmp},
        )
    text = result.stdout.decode()
    text = text.replace(f"x/{case.path}", f"a/{case.path}").replace(f"y/{case.path}", f"b/{case.path}")
    return text


def git_apply_files(files: dict[str, bytes], diff: str) -> dict[str, bytes | None]:
    """Plain `git apply` of `diff` to `files`; the paths' contents afterwards (None: gone)."""
    with tempfile.TemporaryDirectory() as tmp:
        for path, data in files.items():
            Path(tmp, path).parent.mkdir(parents=True, exist_ok=True)
            Path(tmp, path).write_bytes(data)
        Path(tmp, "change.patch").write_bytes(diff.encode())
        result = subprocess.run(["git", "apply", "change.patch"], cwd=tmp, capture_output=True,
                                env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": tmp})
        assert result.returncode == 0, result.stderr.decode() + diff
        return {path: Path(tmp, path).read_bytes() if Path(tmp, path).exists() else None
                for path in [*files, *re.findall(r"^\+\+\+ b/(.*)$", diff, re.M)]}


def git_apply(case: Case, diff: str) -> bytes | None:
    return git_apply_files({case.path: case.old}, diff)[case.path]


def old_side_keys(hunk: Hunk, loose: bool) -> list[str]:
    return [(line[1:].strip() if loose else line[1:].rstrip()) for line in hunk.lines if line[:1] in (" ", "-")]


def places(file_lines: list[str], keys: list[str]) -> list[int]:
    size = len(keys)
    loose_file = [line.strip() for line in file_lines]
    return [s for s in range(len(file_lines) - size + 1) if loose_file[s : s + size] == keys] if size else []


def file_texts(data: bytes) -> list[str]:
    text = data.decode()
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


PERTURBATIONS = [
    "numbers", "bare", "counts", "no_git_header", "no_prefix", "double_prefix", "crlf_diff",
    "strip_trailing", "lost_blank_space", "fewer_context", "reorder", "drift", "marker",
]

SAFE = {"numbers", "bare", "counts", "no_git_header", "no_prefix", "double_prefix", "crlf_diff",
        "strip_trailing", "reorder", "marker"}


@st.composite
def perturbed(draw):
    case = draw(cases())
    diff = unified_diff(case)
    header, hunks = split_diff(diff)
    chosen = draw(st.sets(st.sampled_from(PERTURBATIONS), max_size=5))
    file_lines = file_texts(case.old)
    indentation_free = case.path.endswith(".js")
    # whether the engine must succeed: every hunk matches one place and nothing chosen can make
    # a hunk ambiguous or lose information
    must_apply = chosen <= (SAFE | ({"drift"} if indentation_free else set()))

    if "fewer_context" in chosen:
        for hunk in hunks:
            keep = draw(st.integers(0, 2))
            lead = 0
            while lead < len(hunk.lines) and hunk.lines[lead].startswith(" "):
                lead += 1
            cut = max(0, lead - keep)
            hunk.lines = hunk.lines[cut:]
            hunk.old_start += cut
            hunk.new_start += cut
            markers = []
            while hunk.lines and hunk.lines[-1].startswith("\\"):
                markers.insert(0, hunk.lines.pop())
            tail = 0
            while tail < len(hunk.lines) and hunk.lines[len(hunk.lines) - 1 - tail].startswith(" "):
                tail += 1
            cut = max(0, tail - keep)
            if cut:  # the markers described the last context line, which goes
                hunk.lines = hunk.lines[: len(hunk.lines) - cut]
            else:
                hunk.lines.extend(markers)
    if "strip_trailing" in chosen:
        for hunk in hunks:
            added = {line[1:].rstrip("\r") for line in hunk.lines if line.startswith("+")}
            stripped = [line.rstrip() if line[:1] in (" ", "-") else line for line in hunk.lines]
            # stripping must not turn a removed line into a copy of an added one: that destroys
            # the information that only whitespace changed
            if not any(s.startswith("-") and s[1:] in added and s != o for s, o in zip(stripped, hunk.lines, strict=True)):
                hunk.lines = [s if s[:1] != " " or len(s) > 0 else " " for s in stripped]
                hunk.lines = [" " if o.startswith(" ") and s == "" else s for s, o in zip(hunk.lines, stripped, strict=True)]
    if "drift" in chosen:
        for hunk in hunks:
            if any(line[1:].strip() for line in hunk.lines if line[:1] in (" ", "-")):
                hunk.lines = [
                    line[0] + "  " + line[1:] if line[:1] in (" ", "-", "+") and line[1:].strip() else line
                    for line in hunk.lines
                ]
    if "lost_blank_space" in chosen:
        for hunk in hunks:
            hunk.lines = ["" if line == " " else line for line in hunk.lines]
    if "marker" in chosen:
        # the generated edits keep the final newline as it was, so correct diffs carry markers on
        # both sides or none: dropping them all is safe, and so is one more in a place where it
        # cannot mean anything (not right after the last old-side or new-side line)
        for hunk in hunks:
            if draw(st.booleans()):
                hunk.lines = [line for line in hunk.lines if not line.startswith("\\")]
            content = [k for k, line in enumerate(hunk.lines) if not line.startswith("\\")]
            last_old = max((k for k in content if hunk.lines[k][:1] != "+"), default=-1)
            last_new = max((k for k in content if hunk.lines[k][:1] != "-"), default=-1)
            spots = [k for k in content if k not in (last_old, last_new)]
            if spots:
                hunk.lines.insert(draw(st.sampled_from(spots)) + 1, "\\ No newline at end of file")
    # line numbers only matter for hunks whose content matches several places; a wrong number
    # there is lost information, not something to repair
    unambiguous = [len(places(file_lines, old_side_keys(h, loose=True))) == 1 for h in hunks]
    must_apply = must_apply and all(unambiguous) and not elision_shaped(case)
    if "numbers" in chosen:
        for hunk, alone in zip(hunks, unambiguous, strict=True):
            if alone:
                shift = draw(st.integers(-30, 30))
                hunk.old_start = max(1, hunk.old_start + shift)
                hunk.new_start = max(1, hunk.new_start + shift)
    if "reorder" in chosen:
        hunks = list(reversed(hunks))

    out = []
    for line in header:
        if "no_git_header" in chosen and (line.startswith("diff --git") or line.startswith("index ")):
            continue
        if line.startswith("--- a/") or line.startswith("+++ b/"):
            if "no_prefix" in chosen:
                line = line[:4] + line[6:]
            elif "double_prefix" in chosen:
                line = line[:4] + line[4:6] + line[4:]
        out.append(line)
    for hunk in hunks:
        old, new = counts(hunk.lines)
        if "bare" in chosen:
            out.append("@@ @@")
        elif "counts" in chosen:
            out.append(f"@@ -{hunk.old_start},{old + 2} +{hunk.new_start},{max(0, new - 1)} @@")
        else:
            out.append(f"@@ -{hunk.old_start},{old} +{hunk.new_start},{new} @@")
        out.extend(hunk.lines)
    text = "\n".join(out) + "\n"
    if "crlf_diff" in chosen:
        text = text.replace("\n", "\r\n")
    for name in sorted(chosen):
        event(name)
    return case, text, chosen, must_apply


def elision_shaped(case: Case) -> bool:
    """Whether the edit itself has the shape of elided code (a one-line comment in place of
    removed code): the engine refuses that, by design (tests/diff/test_elision.py)."""
    present = {line.strip() for line in file_texts(case.old)}
    _, hunks = split_diff(unified_diff(case))
    bodies = [drop_churn([(line[0], line[1:].rstrip("\r")) for line in h.lines if line[:1] in (" ", "-", "+")])[0]
              for h in hunks]
    return any(find_elision(body, case.path, lambda text: text.strip() in present) for body in bodies)


def _apply(case: Case, diff: str):
    return check_patch(diff, lambda path: case.old if path == case.path else None, OPTIONS)


@settings(max_examples=int(250 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(perturbed())
def test_perturbed_diff_gives_the_intended_file_or_a_refusal(example):
    case, diff, chosen, must_apply = example
    result = _apply(case, diff)
    if not result.ok:
        assert not must_apply, (diff, [str(r) for r in result.refusals])
        event("refused")
        return
    event("applied")
    assert len(result.changes) == 1, result
    assert result.changes[0].new_content == case.new, (diff, result.changes[0].new_content, case.new)


@settings(max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_correct_diff_with_unambiguous_hunks_is_applied(case):
    diff = unified_diff(case)
    _, hunks = split_diff(diff)
    file_lines = file_texts(case.old)
    result = _apply(case, diff)
    if all(len(places(file_lines, old_side_keys(h, loose=True))) == 1 for h in hunks) and not elision_shaped(case):
        assert result.ok, [str(r) for r in result.refusals]
    if result.ok:
        assert result.changes[0].new_content == case.new


@settings(max_examples=int(40 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_git_apply_of_the_normalised_diff_gives_the_same_bytes(case):
    """A diff in (difflib's, or git's own), surgeon's normalised diff out; git apply of that to
    the original must give exactly the bytes the engine computed. git aligns lines by their bytes,
    not their texts, so in a mixed-ending file its diff may pair lines differently: then the
    texts must be the intended ones and each line's ending follows git's pairing."""
    mixed = b"\r\n" in case.old and re.search(rb"(?<!\r)\n", case.old) is not None
    for diff, exact in ((unified_diff(case), True), (git_diff(case), not mixed)):
        result = _apply(case, diff)
        if result.ok:
            new = result.changes[0].new_content
            assert git_apply(case, result.normalised) == new
            assert new == case.new if exact else file_texts(new) == file_texts(case.new)


def whole_file_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    """The diff that creates (old None) or deletes (new None) a file."""
    raw = (old if new is None else new).decode().splitlines(keepends=True)
    sign, files, span = ("+", f"new file mode 100644\n--- /dev/null\n+++ b/{path}", f"-0,0 +1,{len(raw)}") if old is None else (
        "-", f"deleted file mode 100644\n--- a/{path}\n+++ /dev/null", f"-1,{len(raw)} +0,0")
    body = "".join(sign + r if r.endswith("\n") else f"{sign}{r}\n\\ No newline at end of file\n" for r in raw)
    return f"diff --git a/{path} b/{path}\n{files}\n@@ {span} @@\n{body}"


@settings(max_examples=int(30 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cases(), min_size=1, max_size=2, unique_by=lambda c: c.path), cases(path="old/gone.txt"),
       source_lines(3), st.sampled_from(["\n", "\r\n"]))
def test_a_multi_file_diff_edits_creates_and_deletes_as_intended(edited, gone, created_lines, ending):
    created = "".join(line + ending for line in created_lines).encode()
    diff = "".join([*map(unified_diff, edited), whole_file_diff("new/made.py", None, created),
                    whole_file_diff(gone.path, gone.old, None)])
    files = {case.path: case.old for case in [*edited, gone]}
    result = check_patch(diff, files.get, OPTIONS)
    unambiguous = all(len(places(file_texts(c.old), old_side_keys(h, loose=True))) == 1
                      for c in edited for h in split_diff(unified_diff(c))[1]) and not any(map(elision_shaped, edited))
    assert result.ok or not unambiguous, [str(r) for r in result.refusals]
    event("applied" if result.ok else "refused")
    if result.ok:
        intended = {**{c.path: c.new for c in edited}, "new/made.py": created, gone.path: None}
        assert {c.path: c.new_content for c in result.changes} == intended
        assert git_apply_files(files, result.normalised) == intended


UNRECOVERABLE = ["elide_context", "elide_added", "foreign_context"]


@settings(max_examples=int(80 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(UNRECOVERABLE), st.data())
def test_unrecoverable_damage_is_refused(case, damage, data):
    diff = unified_diff(case)
    header, hunks = split_diff(diff)
    hunk = data.draw(st.sampled_from(hunks))
    kinds = {"elide_context": (" ", "-"), "elide_added": ("+",), "foreign_context": (" ", "-")}[damage]
    spots = [k for k, line in enumerate(hunk.lines) if line[:1] in kinds]
    assume(spots)
    at = data.draw(st.sampled_from(spots))
    marker = "//" if case.path.endswith(".js") else "#"
    placeholder = {"elide_context": f" {marker} ... existing code ...", "elide_added": f"+{marker} ... rest unchanged ...",
                   "foreign_context": " this_line_is_not_in_the_file()"}[damage]
    hunk.lines[at] = placeholder if damage != "foreign_context" or hunk.lines[at][0] == " " else "-" + placeholder[1:]
    out = list(header)
    for h in hunks:
        old, new = counts(h.lines)
        out.append(f"@@ -{h.old_start},{old} +{h.new_start},{new} @@")
        out.extend(h.lines)
    result = _apply(case, "\n".join(out) + "\n")
    assert not result.ok


def test_a_misplaced_marker_does_not_take_the_cr_off_a_crlf_line():
    # found by the property above: the ignored marker after the first added line made the file look LF
    diff = ("diff --git a/mod.py b/mod.py\n--- a/mod.py\n+++ b/mod.py\n@@ -1,1 +1,2 @@\n-unique_0()\n"
            "\\ No newline at end of file\n+unique_0()\r\n\\ No newline at end of file\n+unique_0()\n"
            "\\ No newline at end of file\n")
    result = _apply(Case("mod.py", b"unique_0()", b"unique_0()\r\nunique_0()"), diff)
    assert result.ok and result.changes[0].new_content == b"unique_0()\r\nunique_0()"
