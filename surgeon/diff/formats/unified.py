"""Writing what a pasted format says as a unified diff, and the one header line that carries what
the text of a unified diff cannot: the conversion's name, its refusals, and the files deleted
whole (a Codex `*** Delete File:` lists no lines; they are filled in by `complete`, where the
files' contents are at hand)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from surgeon.diff.paths import unsafe_path
from surgeon.diff.types import Refusal

HEADER = "surgeon-conversion: "
ReadFile = Callable[[str], "bytes | None"]


@dataclass(frozen=True)
class Hunk:
    """One hunk: (kind, text) lines, kind one of " ", "-", "+"; `hint` a 1-based old-side line
    number to break ties with, or None; `anchor` text shown after the @@ header."""

    lines: tuple[tuple[str, str], ...]
    hint: int | None = None
    anchor: str = ""


@dataclass
class Section:
    """One file of the diff: modify (old == new), create (old None), delete (new None), rename."""

    old: str | None
    new: str | None
    hunks: list[Hunk] = field(default_factory=list)


@dataclass(frozen=True)
class Conversion:
    """A pasted format read as a unified diff."""

    diff: str  # the unified diff, without the header line
    note: str  # the repair that names the conversion
    refusals: tuple[Refusal, ...] = ()  # why the text cannot be applied as it is (nothing else is)
    deletions: tuple[str, ...] = ()  # paths deleted whole, their lines still to be listed

    def text(self) -> str:
        """The header line, then the diff (none when something was refused: nothing of a text
        that is refused in part is applied)."""
        header: dict[str, object] = {"note": self.note}
        if self.refusals:
            header["refusals"] = [[r.path, r.hunk, r.line, r.reason] for r in self.refusals]
        if self.deletions:
            header["deletions"] = list(self.deletions)
        line = HEADER + json.dumps(header, ensure_ascii=False) + "\n"
        return line if self.refusals else line + self.diff


def quote(path: str) -> str:
    """A header path as git writes it: C-quoted when it holds a quote, a backslash, a control
    character or a space at either end."""
    if not any(ch in path for ch in '"\\') and all(ch >= " " and ch != "\x7f" for ch in path) \
            and path == path.strip():
        return path
    out = []
    escapes = {"\n": "\\n", "\t": "\\t", '"': '\\"', "\\": "\\\\", "\r": "\\r"}
    for ch in path:
        if ch in escapes:
            out.append(escapes[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _hunk_text(hunk: Hunk, creates: bool) -> list[str]:
    old = sum(1 for kind, _ in hunk.lines if kind != "+")
    new = sum(1 for kind, _ in hunk.lines if kind != "-")
    if creates:
        header = f"@@ -0,0 +1,{new} @@"
    elif hunk.hint is None:
        header = "@@ @@"
    else:  # an empty side starts at the line before, as git writes it
        header = f"@@ -{hunk.hint},{old} +{hunk.hint if new else hunk.hint - 1},{new} @@"
    if hunk.anchor:
        header += " " + hunk.anchor
    return [header, *(kind + text for kind, text in hunk.lines)]


def section_text(section: Section) -> list[str]:
    old, new = section.old, section.new
    a = quote(f"a/{old}") if old is not None else None
    b = quote(f"b/{new}") if new is not None else None
    lines = [f"diff --git {a or quote(f'a/{new}')} {b or quote(f'b/{old}')}"]
    if old is None:
        lines += ["new file mode 100644", "--- /dev/null", f"+++ {b}"]
    elif new is None:
        lines += ["deleted file mode 100644", f"--- {a}", "+++ /dev/null"]
    else:
        if old != new:
            lines += [f"rename from {quote(old)}", f"rename to {quote(new)}"]
        lines += [f"--- {a}", f"+++ {b}"]
    for hunk in section.hunks:
        lines += _hunk_text(hunk, creates=old is None)
    return lines


def diff_text(sections: Sequence[Section]) -> str:
    lines = [line for section in sections for line in section_text(section)]
    if not lines:
        return ""
    # "-- " as the very last line reads as a `git format-patch` signature; a blank line after it
    # keeps it a removed line ("- ")
    return "\n".join(lines) + ("\n\n" if lines[-1] == "-- " else "\n")


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    diff: str
    repairs: tuple[str, ...]
    refusals: tuple[Refusal, ...]


def _deletion_lines(data: bytes) -> tuple[list[str], bool] | None:
    """The lines of a file to delete, and whether it ends in a newline; None when it is not
    UTF-8 text (the engine says why it cannot read it) or is empty (nothing to list)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    final_newline = lines[-1] == ""
    if final_newline:
        lines.pop()
    return (lines, final_newline) if lines else None


def complete(diff_text: str, read_file: ReadFile) -> Completion:
    """A converted diff (`Conversion.text`) made whole with the files' contents: the lines of the
    files it deletes whole filled in; its note as a repair; its refusals. Any other diff comes
    back as it is."""
    if not diff_text.startswith(HEADER):
        return Completion(diff_text, (), ())
    first, _, rest = diff_text.partition("\n")
    try:
        header = json.loads(first[len(HEADER):])
    except ValueError:
        return Completion(rest, (), (Refusal(None, None, 1, "the surgeon-conversion line is not valid JSON"),))
    if not isinstance(header, dict):
        header = {}
    note = header.get("note")
    repairs = (note,) if isinstance(note, str) else ()
    listed = header.get("refusals")
    refusals = tuple(Refusal(*item) for item in (listed if isinstance(listed, list) else ()) if _refusal_shaped(item))
    if refusals:
        return Completion(rest, repairs, refusals)
    deletions = header.get("deletions")
    for path in deletions if isinstance(deletions, list) else ():
        if not isinstance(path, str) or unsafe_path(path):
            continue  # the engine refuses an unsafe path with its reason, before reading anything
        data = read_file(path)
        if data is None:
            refusals += (Refusal(path, None, None, (
                "the patch deletes this file (*** Delete File), but it does not exist; use the path of an "
                "existing file relative to the repository root")),)
            continue
        found = _deletion_lines(data)
        if found is None:
            continue
        lines, final_newline = found
        bare = "\n".join(section_text(Section(path, None))) + "\n"
        whole = Hunk(tuple(("-", line) for line in lines), hint=1)
        filled = "\n".join(section_text(Section(path, None, [whole]))) + "\n"
        if not final_newline:
            filled += "\\ No newline at end of file\n"
        rest = rest.replace(bare, filled, 1)
    if rest.endswith("\n-- \n"):
        rest += "\n"  # see diff_text
    return Completion(rest, repairs, refusals)


def _refusal_shaped(item: object) -> bool:
    return (isinstance(item, list) and len(item) == 4 and isinstance(item[3], str)
            and (item[0] is None or isinstance(item[0], str))
            and all(x is None or isinstance(x, int) for x in item[1:3]))
