"""`git format-patch` mail, one patch or several in one mbox:

    From 5d6f0e1... Mon Sep 17 00:00:00 2001
    From: A U Thor <author@example.org>
    Date: Tue, 1 Oct 2024 12:00:00 +0200
    Subject: [PATCH 1/2] Raise the proxy timeout

    Why, in prose.
    ---
     deploy/site.conf | 2 +-
     1 file changed, 1 insertion(+), 1 deletion(-)

    diff --git a/deploy/site.conf b/deploy/site.conf
    ...
    --
    2.43.0

The diffs are kept as git wrote them; the patches of an mbox are applied as one diff. A later
patch's line numbers count lines as the earlier patches left the file, so for a file an earlier
patch touched they are dropped and its hunks are placed by their content alone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header

from surgeon.diff.formats.unified import Conversion

_FROM_LINE = re.compile(r"^From [0-9a-f]{7,64} Mon Sep 17 00:00:00 2001$")
_VERSION = re.compile(r"^\d+(\.\d+)+")
_NUMBERS = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_PREFIXES = re.compile(r"^(?:\s*\[[^\]]*\])+\s*")


@dataclass(frozen=True)
class _Mail:
    subject: str
    diff: list[str]


def _bare(line: str) -> str:
    return line.rstrip("\r")


def is_mail(lines: list[str]) -> bool:
    if any(_FROM_LINE.match(_bare(line)) for line in lines):
        return True
    head = [_bare(line) for line in lines[:40]]
    first = next((line for line in head if line.strip()), "")
    return first.startswith("From: ") and any(line.startswith("Subject:") for line in head)


def _starts_diff(lines: list[str], k: int) -> bool:
    line = _bare(lines[k])
    return line.startswith("diff --git ") or (
        line.startswith("--- ") and k + 1 < len(lines) and _bare(lines[k + 1]).startswith("+++ "))


def _subject(headers: list[str]) -> str:
    value: list[str] = []
    for line in headers:
        if value and line[:1] in (" ", "\t"):
            value.append(line.strip())
        elif value:
            break
        elif line.lower().startswith("subject:"):
            value.append(line[len("subject:"):].strip())
    raw = " ".join(value)
    try:
        text = str(make_header(decode_header(raw)))
    except (HeaderParseError, LookupError, UnicodeDecodeError):
        text = raw
    return _PREFIXES.sub("", text).strip()


def _read_mail(lines: list[str]) -> _Mail:
    blank = next((k for k, line in enumerate(lines) if not _bare(line).strip()), len(lines))
    headers = [_bare(line) for line in lines[:blank]]
    body = lines[blank:]
    separator = next((k for k, line in enumerate(body) if _bare(line) == "---"), 0)
    start = next((k for k in range(separator, len(body)) if _starts_diff(body, k)), None)
    if start is None:
        return _Mail(_subject(headers), [])
    end = len(body)
    for k in range(start, len(body)):
        if _bare(body[k]) == "-- " and k + 1 < len(body) and _VERSION.match(_bare(body[k + 1])):
            end = k
            break
    diff = body[start:end]
    while diff and not _bare(diff[-1]).strip():
        diff.pop()
    return _Mail(_subject(headers), diff)


def _mails(lines: list[str]) -> list[_Mail]:
    starts = [k for k, line in enumerate(lines) if _FROM_LINE.match(_bare(line))]
    if not starts:
        first = next(k for k, line in enumerate(lines) if line.strip())
        starts = [first - 1]  # no "From <sha>" line: the headers open the text
    bounds = [*starts, len(lines)]
    return [_read_mail(lines[a + 1 : b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def _paths(diff: list[str]) -> set[str]:
    found = set()
    for line in diff:
        line = _bare(line)
        if line.startswith(("--- ", "+++ ")):
            path = line[4:].split("\t", 1)[0].strip()
            if path != "/dev/null":
                found.add(path[2:] if path.startswith(("a/", "b/")) else path)
    return found


def _unnumbered(diff: list[str], touched: set[str]) -> list[str]:
    """`diff` with the line numbers of the hunks of the files in `touched` dropped."""
    out: list[str] = []
    current: str | None = None
    for k, line in enumerate(diff):
        bare = _bare(line)
        if bare.startswith("+++ ") and k > 0 and _bare(diff[k - 1]).startswith("--- "):
            paths = _paths([diff[k - 1], line])
            current = next(iter(paths & touched), None)
        numbers = _NUMBERS.match(bare)
        if numbers and current is not None:
            line = "@@ @@" + line[numbers.end():]
        out.append(line)
    return out


def subjects(lines: list[str]) -> list[str]:
    return [mail.subject for mail in _mails(lines) if mail.subject]


def convert(lines: list[str]) -> Conversion | None:
    """The mails' diffs as one unified diff; None when no mail holds a diff."""
    mails = [mail for mail in _mails(lines) if mail.diff]
    if not mails:
        return None
    touched: set[str] = set()
    out: list[str] = []
    for mail in mails:
        out += _unnumbered(mail.diff, touched)
        touched |= _paths(mail.diff)
    if len(mails) == 1:
        note = "read a git format-patch mail as a unified diff"
    else:
        note = f"read {len(mails)} git format-patch mails as one unified diff"
    text = "\n".join(out) + "\n"
    return Conversion(text + ("\n" if out[-1] == "-- " else ""), note)  # see unified.diff_text
