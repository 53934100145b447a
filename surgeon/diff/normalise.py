"""The normalised diff: what surgeon stages and shows. Git's format exactly (a/ b/ paths,
`diff --git` headers, mode lines, renames, exact line numbers, three lines of context, `\\ No
newline at end of file`), written from the file's real bytes so that `git apply` of it to the
original gives the same bytes as the engine's result."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

CONTEXT = 3


@dataclass(frozen=True)
class Op:
    """One step of an alignment of old lines to new lines: both (kept), old only, new only."""

    old: int | None
    new: int | None


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """(texts, endings): each line without its ending, and the ending ("\\n", "\\r\\n", or "" for a
    last line without one). Only "\\n" ends a line; other separators are ordinary characters."""
    parts = text.split("\n")
    last = parts.pop()
    texts, endings = [], []
    for part in parts:
        if part.endswith("\r"):
            texts.append(part[:-1])
            endings.append("\r\n")
        else:
            texts.append(part)
            endings.append("\n")
    if last:
        texts.append(last)
        endings.append("")
    return texts, endings


def quote_path(path: str) -> str:
    """Git's C-style quoting for paths with quotes, backslashes, control or non-ASCII characters."""
    if all(32 <= ord(ch) < 127 and ch not in '"\\' for ch in path):
        return path
    out = []
    for byte in path.encode("utf-8", "surrogateescape"):
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def unquote_path(raw: str) -> str:
    """A path from a diff header: timestamp dropped, C-style quotes ("a/t\\303\\251st") decoded."""
    raw = raw.split("\t", 1)[0].strip()
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        out = bytearray()
        body = raw[1:-1]
        i = 0
        escapes = {"n": 10, "t": 9, '"': 34, "\\": 92, "a": 7, "b": 8, "f": 12, "r": 13, "v": 11}
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                    out.append(int(body[i + 1 : i + 4], 8))
                    i += 4
                    continue
                out.append(escapes.get(nxt, ord(nxt)))
                i += 2
                continue
            out.extend(ch.encode("utf-8", "surrogateescape"))
            i += 1
        return out.decode("utf-8", errors="surrogateescape")  # a name that is not UTF-8 keeps its bytes
    return raw


def _side(prefix: str, path: str) -> str:
    return quote_path(prefix + path)


def _file_line(marker: str, prefix: str, path: str | None) -> str:
    if path is None:
        return f"{marker} /dev/null\n"
    # like git: a tab ends a name that contains a space, so readers do not take it for a timestamp
    tail = "\t" if " " in path and not quote_path(path).startswith('"') else ""
    return f"{marker} {_side(prefix, path)}{tail}\n"


def fits(ops: Sequence[Op], old_count: int, new_count: int) -> bool:
    """Whether `ops` aligns exactly `old_count` old lines with `new_count` new ones: each line once,
    in order."""
    olds = [op.old for op in ops if op.old is not None]
    news = [op.new for op in ops if op.new is not None]
    return olds == list(range(old_count)) and news == list(range(new_count))


def aligned(old_raw: Sequence[str], new_raw: Sequence[str]) -> list[Op]:
    """An alignment of the lines by their bytes (difflib's)."""
    ops: list[Op] = []
    matcher = difflib.SequenceMatcher(None, list(old_raw), list(new_raw), autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            ops.extend(Op(a, b) for a, b in zip(range(a1, a2), range(b1, b2), strict=True))
        else:
            ops.extend(Op(a, None) for a in range(a1, a2))
            ops.extend(Op(None, b) for b in range(b1, b2))
    return ops


def minimal_ops(old_raw: Sequence[str], new_raw: Sequence[str], ops: Sequence[Op]) -> list[Op]:
    """`ops` with every kept line that changed bytes split into a removal and an addition, and
    identical lines inside each changed run turned back into kept lines (no churn). An alignment
    that does not fit the lines (a blank last line left without its newline is no line at all)
    is replaced by one computed from the bytes, so the diff always describes the real contents."""
    if not fits(ops, len(old_raw), len(new_raw)):
        ops = aligned(old_raw, new_raw)
    flat: list[Op] = []
    for op in ops:
        if op.old is not None and op.new is not None and old_raw[op.old] != new_raw[op.new]:
            flat.append(Op(op.old, None))
            flat.append(Op(None, op.new))
        else:
            flat.append(op)
    out: list[Op] = []
    k = 0
    while k < len(flat):
        if flat[k].old is not None and flat[k].new is not None:
            out.append(flat[k])
            k += 1
            continue
        end = k
        while end < len(flat) and (flat[end].old is None or flat[end].new is None):
            end += 1
        removed = [op.old for op in flat[k:end] if op.old is not None]
        added = [op.new for op in flat[k:end] if op.new is not None]
        matcher = difflib.SequenceMatcher(
            None, [old_raw[i] for i in removed], [new_raw[j] for j in added], autojunk=False
        )
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            if tag == "equal":
                out.extend(Op(removed[a], added[b]) for a, b in zip(range(a1, a2), range(b1, b2), strict=True))
            else:
                out.extend(Op(removed[a], None) for a in range(a1, a2))
                out.extend(Op(None, added[b]) for b in range(b1, b2))
        k = end
    return out


def _count(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start},{count}"


def _line(prefix: str, raw: str) -> str:
    if raw.endswith("\n"):
        return prefix + raw
    return f"{prefix}{raw}\n\\ No newline at end of file\n"


def render_hunks(old_raw: Sequence[str], new_raw: Sequence[str], ops: Sequence[Op]) -> tuple[str, int, int]:
    """Hunks with CONTEXT lines of context for the alignment `ops` (already minimal); returns
    (text, lines added, lines removed)."""
    changed = [k for k, op in enumerate(ops) if op.old is None or op.new is None]
    added = sum(1 for op in ops if op.old is None)
    removed = sum(1 for op in ops if op.new is None)
    if not changed:
        return "", 0, 0
    groups: list[list[int]] = [[changed[0], changed[0]]]
    for k in changed[1:]:
        if k - groups[-1][1] - 1 <= 2 * CONTEXT:
            groups[-1][1] = k
        else:
            groups.append([k, k])
    # old/new line counts before each op, to number hunks that start with an insertion
    old_before, new_before = [], []
    old_seen = new_seen = 0
    for op in ops:
        old_before.append(old_seen)
        new_before.append(new_seen)
        old_seen += op.old is not None
        new_seen += op.new is not None
    out: list[str] = []
    for first, last in groups:
        low = max(0, first - CONTEXT)
        high = min(len(ops), last + CONTEXT + 1)
        part = ops[low:high]
        old_count = sum(1 for op in part if op.old is not None)
        new_count = sum(1 for op in part if op.new is not None)
        old_start = old_before[low] + (1 if old_count else 0)
        new_start = new_before[low] + (1 if new_count else 0)
        out.append(f"@@ -{_count(old_start, old_count)} +{_count(new_start, new_count)} @@\n")
        for op in part:
            if op.old is not None and op.new is not None:
                out.append(_line(" ", new_raw[op.new]))
            elif op.old is not None:
                out.append(_line("-", old_raw[op.old]))
            else:
                assert op.new is not None  # an op keeps, removes or adds a line: this one adds
                out.append(_line("+", new_raw[op.new]))
    return "".join(out), added, removed


def raw_lines(content: str) -> list[str]:
    texts, endings = split_lines(content)
    return [t + e for t, e in zip(texts, endings, strict=True)]


def file_diff(
    *,
    old_path: str | None,
    new_path: str | None,
    old_content: str | None,
    new_content: str | None,
    ops: Sequence[Op] | None,
    old_mode: str | None = None,
    new_mode: str | None = None,
) -> tuple[str, int, int]:
    """The normalised diff of one file; returns (text, lines added, lines removed).

    old_path/new_path are None for a created/deleted file; `ops` aligns the old content's lines to
    the new content's (None: everything removed and/or added)."""
    old_raw = raw_lines(old_content) if old_content is not None else []
    new_raw = raw_lines(new_content) if new_content is not None else []
    if ops is None:
        ops = [Op(i, None) for i in range(len(old_raw))] + [Op(None, j) for j in range(len(new_raw))]
    ops = minimal_ops(old_raw, new_raw, ops)
    hunks, added, removed = render_hunks(old_raw, new_raw, ops)
    a = old_path if old_path is not None else new_path
    b = new_path if new_path is not None else old_path
    assert a is not None and b is not None
    header = [f"diff --git {_side('a/', a)} {_side('b/', b)}\n"]
    if old_content is None:
        header.append(f"new file mode {new_mode or '100644'}\n")
    elif new_content is None:
        header.append(f"deleted file mode {old_mode or '100644'}\n")
    else:
        if old_mode and new_mode and old_mode != new_mode:
            header.append(f"old mode {old_mode}\nnew mode {new_mode}\n")
        if a != b:
            header.append(f"rename from {quote_path(a)}\nrename to {quote_path(b)}\n")
    if not hunks and a == b and not (old_content is None or new_content is None) and len(header) == 1:
        return "", 0, 0  # nothing changes
    body = ""
    if hunks:
        body = _file_line("---", "a/", old_path) + _file_line("+++", "b/", new_path) + hunks
    return "".join(header) + body, added, removed
