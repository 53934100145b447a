"""Which tree-sitter grammar reads which file. Grammars come from the per-language wheels and are
loaded once, on first use."""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Parser

# language name -> (module, function returning the grammar pointer)
GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
    "java": ("tree_sitter_java", "language"),
    "c": ("tree_sitter_c", "language"),
    "cpp": ("tree_sitter_cpp", "language"),
    "bash": ("tree_sitter_bash", "language"),
    "yaml": ("tree_sitter_yaml", "language"),
    "json": ("tree_sitter_json", "language"),
    "toml": ("tree_sitter_toml", "language"),
}

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".sh": "bash", ".bash": "bash",
    ".yaml": "yaml", ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
}

# Config formats without a grammar here; read by surgeon's own block parsers.
CONFIG_KINDS: dict[str, str] = {
    ".conf": "nginx", ".nginx": "nginx",
    ".service": "systemd", ".socket": "systemd", ".timer": "systemd", ".mount": "systemd", ".target": "systemd",
    ".ini": "ini", ".cfg": "ini",
    ".env": "dotenv",
}
FILENAMES: dict[str, str] = {
    "Dockerfile": "dockerfile", "Containerfile": "dockerfile",
    "nginx.conf": "nginx", ".env": "dotenv", "setup.cfg": "ini", "tox.ini": "ini",
    "Makefile": "make",
}

# Languages where indentation carries meaning (the diff engine must not re-indent these).
INDENT_SENSITIVE = {"python", "yaml", "make"}

# How comments are written, by file suffix: (line-comment markers, (block opener, closer) pairs).
# Used to tell a comment line from code; a suffix missing here gets the common markers below.
_HASH = ("#",)
_C_STYLE = (("//",), (("/*", "*/"),))
COMMENTS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    **dict.fromkeys([
        ".py", ".pyi", ".pyx", ".sh", ".bash", ".zsh", ".fish", ".rb", ".pl", ".pm", ".r", ".yaml", ".yml",
        ".toml", ".conf", ".nginx", ".service", ".socket", ".timer", ".mount", ".target", ".env", ".mk",
        ".cmake", ".tf", ".nix", ".jl", ".ex", ".exs", ".cr", ".coffee", ".ps1", ".properties", ".gitignore",
        ".dockerignore", ".dockerfile", ".txt"], (_HASH, ())),
    **dict.fromkeys([
        ".go", ".rs", ".java", ".c", ".h",
        ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".cs", ".kt", ".kts", ".swift", ".scala", ".dart",
        ".groovy", ".gradle", ".proto", ".zig", ".sol", ".jsonc", ".json5", ".less", ".scss", ".m", ".mm"], _C_STYLE),
    **dict.fromkeys([".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"], (("//",), (("/*", "*/"), ("{/*", "*/}")))),
    ".php": (("//", "#"), (("/*", "*/"),)),
    ".css": ((), (("/*", "*/"),)),
    ".sql": (("--",), (("/*", "*/"),)),
    **dict.fromkeys([".lua", ".hs", ".elm", ".ada"], (("--",), ())),
    **dict.fromkeys([".lisp", ".clj", ".cljs", ".el", ".scm", ".asm", ".s"], ((";",), ())),
    **dict.fromkeys([".tex", ".erl", ".hrl"], (("%",), ())),
    **dict.fromkeys([".html", ".htm", ".xml", ".svg", ".xhtml", ".md", ".markdown"], ((), (("<!--", "-->"),))),
    ".vue": (("//",), (("<!--", "-->"), ("/*", "*/"))),
    ".rst": ((".. ",), ()),  # (directives, targets and substitutions are not: see elision.py)
    ".bat": (("rem ", "::"), ()), ".cmd": (("rem ", "::"), ()),
}
_COMMENT_NAMES = {"Dockerfile": _HASH, "Containerfile": _HASH, "Makefile": _HASH, "CMakeLists.txt": _HASH}
_COMMON = (("#", "//", "--", ";"), (("/*", "*/"), ("<!--", "-->")))


def comment_syntax(path: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(line-comment markers, block-comment delimiters) of `path`'s language; for a file type not
    in the table, the markers most languages use."""
    pure = PurePosixPath(path)
    if pure.name in _COMMENT_NAMES:
        return _COMMENT_NAMES[pure.name], ()
    if pure.name.startswith((".env", "Dockerfile")):
        return _HASH, ()
    if pure.suffix.lower() in (".ini", ".cfg"):
        return ("#", ";"), ()
    return COMMENTS.get(pure.suffix.lower(), _COMMON)


def language_for(path: str) -> str | None:
    """The language or config kind of `path`, or None when surgeon has no reader for it."""
    pure = PurePosixPath(path)
    name = pure.name
    if name in FILENAMES:
        return FILENAMES[name]
    if name.startswith("Dockerfile.") or name.endswith(".dockerfile"):
        return "dockerfile"
    if name.startswith(".env."):
        return "dotenv"
    suffix = pure.suffix.lower()
    return EXTENSIONS.get(suffix) or CONFIG_KINDS.get(suffix)


def has_grammar(language: str | None) -> bool:
    return language in GRAMMARS


@cache
def grammar(language: str) -> Language:
    """The tree_sitter.Language for `language` (a key of GRAMMARS)."""
    from tree_sitter import Language

    module, func = GRAMMARS[language]
    return Language(getattr(importlib.import_module(module), func)())


def parser(language: str) -> Parser:
    from tree_sitter import Parser

    return Parser(grammar(language))
