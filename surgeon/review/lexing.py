"""A light lexical view of a file: each line with its comments blanked out, the string literals it
holds, and its comments. Enough for line-oriented checks to tell code from prose without a grammar;
Python goes through the standard tokenizer, everything else through one small scanner."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from functools import cached_property

HASH_COMMENTS = frozenset({"python", "bash", "yaml", "toml", "nginx", "systemd", "ini", "dotenv", "dockerfile",
                           "make"})
SLASH_COMMENTS = frozenset({"javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "json"})
SEMICOLON_COMMENTS = frozenset({"ini", "systemd"})  # ";" starts a comment at the start of a line


@dataclass(frozen=True)
class StringLiteral:
    line: int  # 1-based line where the literal starts
    col: int  # 0-based column of its opening quote
    value: str  # the text between the quotes, escapes left as written
    is_doc: bool = False  # a Python docstring or bare string statement


@dataclass(frozen=True)
class Lexed:
    code: tuple[str, ...]  # each line with comment text replaced by spaces (columns kept)
    strings: tuple[StringLiteral, ...]
    comments: dict[int, str]  # line -> comment text on that line (joined when several)

    def code_line(self, number: int) -> str:
        return self.code[number - 1] if 1 <= number <= len(self.code) else ""

    def strings_on(self, number: int) -> list[StringLiteral]:
        return self._by_line.get(number, [])

    @cached_property
    def _by_line(self) -> dict[int, list[StringLiteral]]:
        by_line: dict[int, list[StringLiteral]] = {}
        for literal in self.strings:
            by_line.setdefault(literal.line, []).append(literal)
        return by_line


def lex(lines: tuple[str, ...], language: str | None) -> Lexed:
    if language == "python":
        try:
            return _lex_python(lines)
        except (tokenize.TokenError, IndentationError, SyntaxError):
            pass  # a fragment or broken file: the generic scanner still does a fair job
    return _lex_generic(lines, language)


def _blank(line: str, start: int, end: int) -> str:
    return line[:start] + " " * (end - start) + line[end:]


def _lex_python(lines: tuple[str, ...]) -> Lexed:
    code = list(lines)
    strings: list[StringLiteral] = []
    comments: dict[int, str] = {}
    text = "\n".join(lines) + "\n"
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    statement_start = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    fstring_start = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+ splits f-strings into parts
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    previous: tokenize.TokenInfo | None = None  # the last token that is not a comment or blank line
    fstring: list[tokenize.TokenInfo] = []
    for index, token in enumerate(tokens):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            comments[row] = (comments.get(row, "") + " " + token.string).strip()
            code[row - 1] = _blank(code[row - 1], col, col + len(token.string))
            continue
        if token.type == tokenize.NL:
            continue
        if fstring_start is not None and (token.type == fstring_start or fstring):
            fstring.append(token)
            if token.type == fstring_end:
                start = fstring[0]
                body = "".join(t.string for t in fstring[1:-1])
                strings.append(StringLiteral(start.start[0], start.start[1], body))
                fstring = []
        elif token.type == tokenize.STRING:
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            is_doc = (previous is None or previous.type in statement_start) and (
                following is None or following.type in (tokenize.NEWLINE, tokenize.ENDMARKER))
            strings.append(StringLiteral(token.start[0], token.start[1], _python_string_body(token.string), is_doc))
        previous = token
    return Lexed(tuple(code), tuple(strings), comments)


def _python_string_body(token: str) -> str:
    body = token.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote):-len(quote)]
    return body


def _lex_generic(lines: tuple[str, ...], language: str | None) -> Lexed:
    hash_comments = language in HASH_COMMENTS
    slash_comments = language in SLASH_COMMENTS
    backtick = language in ("javascript", "typescript", "tsx", "go", "bash")
    code: list[str] = []
    strings: list[StringLiteral] = []
    comments: dict[int, str] = {}
    in_block = False  # inside /* ... */
    open_string: tuple[str, int, int, list[str]] | None = None  # quote, line, col, parts (multi-line `...`)
    for number, line in enumerate(lines, start=1):
        out = line
        i = 0
        n = len(line)
        if open_string is not None:
            quote, start_line, start_col, parts = open_string
            end = _string_end(line, 0, quote)
            if end is None:
                parts.append(line)
                code.append(out)
                continue
            parts.append(line[:end])
            strings.append(StringLiteral(start_line, start_col, "\n".join(parts)))
            open_string = None
            i = end + 1
        if language in SEMICOLON_COMMENTS and line.lstrip().startswith(";"):
            comments[number] = line.strip()
            code.append(" " * n)
            continue
        while i < n:
            opens_block = not in_block and slash_comments and line.startswith("/*", i)
            if in_block or opens_block:  # a /* ... */ comment, begun here or on an earlier line
                close = line.find("*/", i + 2 if opens_block else i)
                stop = n if close < 0 else close + 2
                comments[number] = (comments.get(number, "") + " " + line[i:stop]).strip()
                out = _blank(out, i, stop)
                in_block = close < 0
                if in_block:
                    break
                i = stop
                continue
            char = line[i]
            if slash_comments and line.startswith("//", i):
                comments[number] = (comments.get(number, "") + " " + line[i:]).strip()
                out = _blank(out, i, n)
                break
            if hash_comments and char == "#" and (i == 0 or line[i - 1] in " \t"):
                comments[number] = (comments.get(number, "") + " " + line[i:]).strip()
                out = _blank(out, i, n)
                break
            if char == '"' or (char == "`" and backtick) or (char == "'" and (i == 0 or not line[i - 1].isalnum())):
                end = _string_end(line, i + 1, char)
                if end is None:
                    if char == "`":
                        open_string = (char, number, i, [line[i + 1:]])
                    else:  # unterminated on this line: treat the rest as the string
                        strings.append(StringLiteral(number, i, line[i + 1:]))
                    i = n
                    break
                strings.append(StringLiteral(number, i, line[i + 1:end]))
                i = end + 1
                continue
            i += 1
        code.append(out)
    if open_string is not None:
        quote, start_line, start_col, parts = open_string
        strings.append(StringLiteral(start_line, start_col, "\n".join(parts)))
    return Lexed(tuple(code), tuple(strings), comments)


def _string_end(line: str, start: int, quote: str) -> int | None:
    """Index of the closing quote at or after `start`, honouring backslash escapes."""
    i = start
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            return i
        i += 1
    return None
