"""Mechanical fixes: a finding's text edits become a minimal unified diff, and the diff engine must
apply it to the reviewed content and produce exactly the intended text, or the proposal is dropped.

Most edits come from the checks themselves (they know the columns: `server_tokens on` -> `off`, a
`timeout=10` after a call's last argument, `verify=False` removed). Secrets get a fix here: a literal
assigned to a name becomes a read from the environment variable of that name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from surgeon.review.findings import Finding, TextEdit
from surgeon.review.scope import SourceFile

if TYPE_CHECKING:
    from surgeon.diff import PatchResult


@dataclass(frozen=True)
class FixOutcome:
    findings: tuple[Finding, ...]  # the same findings, with `diff` set where a fix was validated
    notes: tuple[str, ...]  # proposals the diff engine refused, and why


# --- text edits ------------------------------------------------------------------------------------------

def _line_starts(text: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str | None:
    """`text` with the edits applied; None when they overlap or point outside the text."""
    starts = _line_starts(text)

    def offset(line: int, col: int) -> int | None:
        if line == len(starts) + 1 and col == 0 and text.endswith("\n"):
            return len(text)
        if not 1 <= line <= len(starts):
            return None
        line_end = starts[line] - 1 if line < len(starts) else len(text)
        return starts[line - 1] + col if 0 <= col <= line_end - starts[line - 1] else None

    spans = []
    for edit in edits:
        start, end = offset(edit.start_line, edit.start_col), offset(edit.end_line, edit.end_col)
        if start is None or end is None or end < start:
            return None
        spans.append((start, end, edit.text))
    spans.sort()
    for (_, previous_end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
        if start < previous_end:
            return None
    for start, end, replacement in reversed(spans):
        text = text[:start] + replacement + text[end:]
    return text


def unified_diff(path: str, old: str, new: str, context: int = 3) -> str:
    """A git-style unified diff (a/ b/ names, 3 lines of context) from `old` to `new`."""
    def split(text: str) -> list[str]:
        parts = [line + "\n" for line in text.split("\n")]
        parts[-1] = parts[-1][:-1]
        return [part for part in parts if part]

    out = []
    for line in difflib.unified_diff(split(old), split(new), f"a/{path}", f"b/{path}", n=context):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --- fixes the checks cannot make alone -------------------------------------------------------------------

_PY_TARGET = re.compile(
    r"(?:^\s*(?P<assign>[A-Za-z_]\w*)\s*(?::[^=]+)?=\s*"  # NAME = / NAME: str =
    r"|[(,]\s*(?P<kwarg>[A-Za-z_]\w*)\s*=\s*"  # f(name=
    r"|(?P<q>[\"'])(?P<key>[A-Za-z_][\w-]*)(?P=q)\s*:\s*)"  # "name":
    r"[rRbBuU]?$")
_JS_TARGET = re.compile(
    r"(?:^\s*(?:export\s+)?(?:const|let|var)\s+(?P<assign>[A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*"
    r"|(?P<key>[A-Za-z_$][\w$]*)\s*:\s*"
    r"|(?P<q>[\"'])(?P<qkey>[A-Za-z_][\w-]*)(?P=q)\s*:\s*)$")


def env_name(name: str) -> str:
    """API_KEY for apiKey, api_key, api-key or API_KEY."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").upper()


def _secret_edits(file: SourceFile, finding: Finding) -> tuple[TextEdit, ...]:
    """`NAME = "<secret>"` -> `NAME = os.environ["NAME"]` (Python) or `process.env.NAME` (JS/TS)."""
    if finding.span is None or file.language not in ("python", "javascript", "typescript", "tsx"):
        return ()
    line = file.line(finding.line)
    start, end = finding.span
    if start < 1 or end >= len(line) or line[start - 1] not in "\"'`" or line[end] != line[start - 1]:
        return ()  # the secret is not the whole string literal
    before = line[:start - 1]
    if file.language == "python":
        match = _PY_TARGET.search(before)
        if not match:
            return ()
        name = env_name(match.group("assign") or match.group("kwarg") or match.group("key"))
        prefix = re.search(r"[rRbBuU]?$", before)
        literal_start = prefix.start() if prefix else start - 1
        edits = [TextEdit.replace_on_line(finding.line, literal_start, end + 1, f'os.environ["{name}"]')]
        import_edit = _python_import_os(file)
        if import_edit is not None:
            edits.insert(0, import_edit)
        return tuple(edits)
    match = _JS_TARGET.search(before)
    if not match:
        return ()
    name = env_name(match.group("assign") or match.group("key") or match.group("qkey"))
    return (TextEdit.replace_on_line(finding.line, start - 1, end + 1, f"process.env.{name}"),)


def _python_import_os(file: SourceFile) -> TextEdit | None:
    """An `import os` line before the first import (after `from __future__`), or None if os is imported."""
    import ast

    from surgeon.review.checks.timeouts import python_tree

    tree = python_tree(file.text)
    if tree is None:
        raise _NotMechanical
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
                (a.name == "os" or a.name.startswith("os.")) and a.asname is None for a in node.names):
            if node.col_offset == 0:
                return None
    line = 1
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) \
                and node is tree.body[0]:
            line = (node.end_lineno or node.lineno) + 1
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            line = (node.end_lineno or node.lineno) + 1
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            line = node.lineno
        break
    else:
        line = len(file.lines) + 1
    if line == 1 and file.lines and file.lines[0].startswith("#!"):
        line = 2
    return TextEdit.insert(line, 0, "import os\n")


class _NotMechanical(Exception):
    pass


_BUILDERS: dict[str, Callable[[SourceFile, Finding], tuple[TextEdit, ...]]] = {
    "secret.": _secret_edits,
}


def edits_for(finding: Finding, file: SourceFile) -> tuple[TextEdit, ...]:
    if finding.edits:
        return finding.edits
    for prefix, builder in _BUILDERS.items():
        if finding.rule.startswith(prefix):
            try:
                return builder(file, finding)
            except _NotMechanical:
                return ()
    return ()


# --- validation through the diff engine -------------------------------------------------------------------

def _validate(diffs: Mapping[str, tuple[str, str]], files: Mapping[str, SourceFile]
              ) -> tuple[PatchResult | None, str]:
    """Run the diff engine on the combined diff; returns (PatchResult | None, refusal text)."""
    try:
        from surgeon.validate import ApplyOptions, check_patch
    except ImportError:
        return None, "the diff engine (surgeon.diff) is not available"
    text = "".join(diff for diff, _ in diffs.values())

    def read_file(path: str) -> bytes | None:
        file = files.get(path)
        return None if file is None else file.text.encode("utf-8")

    result = check_patch(text, read_file, ApplyOptions(allow_rewrite=True))
    if not result.ok:
        return None, "; ".join(str(refusal) for refusal in result.refusals) or "refused"
    produced = {change.path: change.new_content for change in result.changes}
    for path, (_, new_text) in diffs.items():
        if produced.get(path) != new_text.encode("utf-8"):
            return None, f"{path}: the diff engine produced different content than the fix intended"
    return result, ""


def _fixed_text(file: SourceFile, edits: Sequence[TextEdit]) -> str | None:
    if "\ufffd" in file.text:
        return None  # not valid UTF-8: the bytes could not be reproduced exactly
    new = apply_edits(file.text, edits)
    return None if new is None or new == file.text else new


def attach_diffs(findings: Sequence[Finding], files: Mapping[str, SourceFile]) -> FixOutcome:
    """Each finding whose fix is mechanical gets `diff`, validated on its own against its file."""
    out: list[Finding] = []
    notes: list[str] = []
    for finding in findings:
        file = files.get(finding.path)
        edits = edits_for(finding, file) if file is not None else ()
        new = _fixed_text(file, edits) if file is not None and edits else None
        if file is None or new is None:
            out.append(finding)
            continue
        diff = unified_diff(finding.path, file.text, new)
        result, why = _validate({finding.path: (diff, new)}, files)
        if result is None:
            notes.append(f"{finding.path}:{finding.line} {finding.rule}: proposed fix dropped: {why}")
            out.append(finding)
        else:
            out.append(finding.with_diff(diff))
    return FixOutcome(tuple(out), tuple(notes))


def combined_fix(findings: Sequence[Finding], files: Mapping[str, SourceFile]
                 ) -> tuple[PatchResult | None, list[str], list[Finding]]:
    """All validated fixes together, per file, as one PatchResult for a review branch.

    Returns (PatchResult | None, notes, fixed findings). Fixes that overlap an earlier one in the same
    file are left out (with a note) rather than merged by guesswork."""
    notes: list[str] = []
    used: list[Finding] = []
    diffs: dict[str, tuple[str, str]] = {}
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.diff is not None:
            by_path.setdefault(finding.path, []).append(finding)
    for path, group in sorted(by_path.items()):
        file = files[path]
        edits: list[TextEdit] = []
        for finding in group:
            own = edits_for(finding, file)
            if not own:
                continue  # a model's diff: --fix stages mechanical fixes only
            candidate = edits + [edit for edit in own if edit not in edits]
            if apply_edits(file.text, candidate) is None:
                notes.append(f"{path}:{finding.line} {finding.rule}: fix overlaps another fix; left out")
                continue
            edits = candidate
            used.append(finding)
        new = _fixed_text(file, edits)
        if new is not None:
            diffs[path] = (unified_diff(path, file.text, new), new)
    if not diffs:
        return None, notes, []
    result, why = _validate(diffs, files)
    if result is None:
        notes.append(f"combined fixes refused by the diff engine: {why}")
        return None, notes, []
    return result, notes, used


def onto_other_content(result: PatchResult, read_file: Callable[[str], bytes | None]) -> PatchResult | None:
    """The same fix applied to other content of its files: the working tree, when the review judged the
    staged content and the file has edits that are not staged. Tries 3, 1 and 0 lines of context (a
    neighbouring line may be the one edited since); without context, only lines found exactly once and
    never a bare insertion. Returns the new PatchResult, or None unless the diff engine places every hunk
    and removes and adds the same lines."""
    from surgeon.validate import ApplyOptions, check_patch

    def changed_lines(diff: str) -> list[str]:
        return [line for line in diff.splitlines() if line.startswith(("+", "-"))]

    def each_removed_line_once(diff: str) -> bool:
        lines: list[str] = []
        for line in diff.splitlines():
            if line.startswith("+++ b/"):
                lines = (read_file(line[6:]) or b"").decode("utf-8", "replace").split("\n")
            elif line.startswith("-") and not line.startswith("--- a/") and lines.count(line[1:]) != 1:
                return False
        return True

    def text(content: bytes | None) -> str:
        assert content is not None  # a fix edits files that exist, on both sides
        return content.decode("utf-8")

    for context in (3, 1, 0):
        diff = "".join(unified_diff(c.path, text(c.old_content), text(c.new_content), context)
                       for c in result.changes)
        if context == 0 and (re.search(r"^@@ -\d+,0 ", diff, re.MULTILINE) or not each_removed_line_once(diff)):
            return None
        moved = check_patch(diff, read_file, ApplyOptions(allow_rewrite=True))
        if moved.ok and changed_lines(moved.normalised) == changed_lines(result.normalised):
            return moved
    return None
