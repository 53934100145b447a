"""JavaScript and TypeScript imports on the lines a change adds: a relative import must resolve to a
file (the extensions and index files bundlers and Node try), a package import to node_modules or
the package.json dependencies, and a named import from a repository module to one of its exports
(ES exports, or CommonJS `module.exports = {...}` / `exports.x =`). Path aliases, star re-exports
and computed exports are skipped, never guessed."""

from __future__ import annotations

import difflib
import json
import posixpath
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from surgeon.languages import parser
from surgeon.validate.names.deps import NPM_SECTIONS, npm_known
from surgeon.validate.names.report import Problem, Tally, listing

if TYPE_CHECKING:
    from tree_sitter import Node

SCRIPT_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")
TRIED = (*SCRIPT_EXTENSIONS, ".d.ts", ".json", ".node", ".vue", ".svelte")
_TS_FOR_JS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
NODE_BUILTINS = frozenset("""assert async_hooks buffer child_process cluster console constants crypto dgram
diagnostics_channel dns domain events fs http http2 https inspector module net os path perf_hooks process punycode
querystring readline repl stream string_decoder sys timers tls trace_events tty url util v8 vm wasi worker_threads
zlib test sqlite sea""".split())
_DECLARATIONS = ("function_declaration", "generator_function_declaration", "class_declaration",
                 "abstract_class_declaration", "interface_declaration", "type_alias_declaration", "enum_declaration",
                 "module", "internal_module", "function_signature", "ambient_declaration")


def language_of(path: str) -> str | None:
    lowered = path.lower()
    if lowered.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    if lowered.endswith(".tsx"):
        return "tsx"
    if lowered.endswith((".js", ".jsx", ".mjs", ".cjs")):
        return "javascript"
    return None


@dataclass
class JsImport:
    source: str
    line: int
    names: list[tuple[str, int]] = field(default_factory=list)  # imported names (default included)


@dataclass
class Exports:
    names: set[str] = field(default_factory=set)
    open: str | None = None  # why other names may exist (export *, module.exports = something)
    esm: bool = False


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _string(node: Node | None) -> str | None:
    if node is None or node.type not in ("string", "template_string"):
        return None
    if node.type == "template_string" and any(c.type == "template_substitution" for c in node.children):
        return None
    return _text(node)[1:-1]


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def imports(tree_root: Node) -> list[JsImport]:
    found: list[JsImport] = []
    for node in _walk(tree_root):
        if node.type in ("import_statement", "export_statement"):
            source_node = node.child_by_field_name("source")
            source = _string(source_node)
            if source is None or source_node is None:
                continue
            item = JsImport(source, source_node.start_point[0] + 1)
            for sub in _walk(node):
                if sub.type in ("import_specifier", "export_specifier"):
                    name = sub.child_by_field_name("name")
                    if name is not None:
                        item.names.append((_text(name), name.start_point[0] + 1))
                elif sub.type == "import_clause":
                    for child in sub.children:
                        if child.type == "identifier":
                            item.names.append(("default", child.start_point[0] + 1))
            found.append(item)
        elif node.type == "call_expression":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            if function is None or arguments is None or _text(function) not in ("require", "import"):
                continue
            values = [c for c in arguments.children if c.is_named]
            source = _string(values[0]) if len(values) == 1 else None
            if source is None:
                continue
            item = JsImport(source, values[0].start_point[0] + 1)
            parent = node.parent
            if parent is not None and parent.type == "variable_declarator":
                pattern = parent.child_by_field_name("name")
                for sub in pattern.children if pattern is not None and pattern.type == "object_pattern" else ():
                    key = sub if sub.type == "shorthand_property_identifier_pattern" else sub.child_by_field_name("key")
                    if key is not None and sub.type in ("shorthand_property_identifier_pattern", "pair_pattern"):
                        item.names.append((_text(key), key.start_point[0] + 1))
            found.append(item)
    return found


def _declared_names(node: Node) -> list[str]:
    if node.type in ("lexical_declaration", "variable_declaration"):
        names = []
        for declarator in node.children:
            if declarator.type == "variable_declarator":
                target = declarator.child_by_field_name("name")
                if target is not None:
                    names += [_text(n) for n in _walk(target) if n.type in ("identifier",
                              "shorthand_property_identifier_pattern")] if target.type != "identifier" else [_text(target)]
        return names
    name = node.child_by_field_name("name")
    return [_text(name)] if name is not None else []


def exports(tree_root: Node) -> Exports:
    result = Exports()
    for node in _walk(tree_root):
        if node.type == "export_statement":
            result.esm = True
            children = [c.type for c in node.children]
            if "default" in children:
                result.names.add("default")
            if "*" in children:
                namespace = [c for c in node.children if c.type == "namespace_export"]
                if namespace:
                    result.names.add(_text(namespace[0]).split()[-1])
                else:
                    result.open = "it re-exports everything of another module (export *)"
            if "=" in children:
                result.open = "it uses `export =`"
            for child in node.children:
                if child.type == "export_clause":
                    for spec in child.children:
                        if spec.type == "export_specifier":
                            alias = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                            if alias is not None:
                                result.names.add(_text(alias))
                elif child.type in (*_DECLARATIONS, "lexical_declaration", "variable_declaration") and "default" not in children:
                    result.names.update(_declared_names(child))
        elif node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            target = _text(left) if left is not None else ""
            if target in ("module.exports", "exports"):
                result.names.add("default")
                if right is not None and right.type == "object":
                    for prop in right.children:
                        key = prop if prop.type == "shorthand_property_identifier" else prop.child_by_field_name("key")
                        if prop.type == "spread_element":
                            result.open = "module.exports spreads another object"
                        elif key is not None:
                            result.names.add(_text(key).strip("'\""))
                else:
                    result.open = "module.exports is not an object literal"
            elif target.startswith(("module.exports.", "exports.")):
                result.names.add("default")
                result.names.add(target.rsplit(".", 1)[1])
        elif node.type == "call_expression" and _text(node).startswith(("Object.defineProperty(exports",
                                                                          "Object.assign(module.exports",
                                                                          "Object.assign(exports")):
            result.open = "it defines exports with Object.defineProperty / Object.assign"
    return result


class JsChecker:
    """Judges the JavaScript/TypeScript files of one change."""

    def __init__(self, root: Path, exists: Callable[[str], bool], text: Callable[[str], str | None], tally: Tally,
                 hidden: Callable[[str], bool] = lambda _path: False) -> None:
        self.root = root
        self.hidden = hidden  # never-sent files: their names and exports are never quoted
        self.exists = exists
        self.text = text
        self.tally = tally
        self._packages: dict[str, tuple[set[str] | None, bool]] = {}
        self._exports: dict[str, Exports | None] = {}

    def check(self, path: str, new_text: str, old_text: str | None, added: Collection[int]) -> list[Problem]:
        language = language_of(path)
        if language is None:
            return []
        tree = parser(language).parse(new_text.encode("utf-8"))
        old_keys: set[tuple[str, ...]] = set()
        if old_text is not None:
            for item in imports(parser(language).parse(old_text.encode("utf-8")).root_node):
                old_keys.add((item.source,))
                old_keys.update((item.source, name) for name, _ in item.names)
        problems: list[Problem] = []
        for item in imports(tree.root_node):
            fresh_names = [(n, line) for n, line in item.names if line in added and (item.source, n) not in old_keys]
            fresh_source = item.line in added and (item.source,) not in old_keys
            if not fresh_source and not fresh_names:
                continue
            if item.source.startswith("."):
                target = self._relative(path, item.source, problems, item.line if fresh_source else None)
                if target is not None and fresh_names:
                    self._names(item, target, fresh_names, problems)
            elif fresh_source:
                self._package(path, item.source, item.line, problems)
        return problems

    def _relative(self, path: str, source: str, problems: list[Problem], line: int | None) -> str | None:
        if any(mark in source for mark in ("?", "!", "*", "${")):
            if line is not None:
                self.tally.skip("an import with a loader or query")
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(path), source))
        if base.startswith("../") or base == "..":
            if line is not None:
                self.tally.skip("an import outside the repository")
            return None
        stem, extension = posixpath.splitext(base)
        candidates = [base, *(base + e for e in TRIED), *(f"{base}/index{e}" for e in TRIED)]
        candidates += [stem + e for e in _TS_FOR_JS.get(extension, ())]
        for candidate in candidates:
            if self.exists(candidate):
                if line is not None:
                    self.tally.checked += 1
                return candidate
        manifest = self.text(f"{base}/package.json")
        if manifest is not None:
            if line is not None:
                self.tally.checked += 1
            return None
        if line is None:
            return None
        folder = self.root / posixpath.dirname(base)
        try:
            siblings = sorted({posixpath.splitext(p.name)[0] if p.is_file() else p.name for p in folder.iterdir()
                               if not self.hidden(p.relative_to(self.root).as_posix())})
        except OSError:
            siblings = []
        near = difflib.get_close_matches(posixpath.basename(stem if extension in TRIED else base), siblings, n=4, cutoff=0.5)
        hint = f" Near names in {posixpath.dirname(base) or '.'}/: {', '.join(f'`{n}`' for n in near)}." if near else ""
        self.tally.unknown += 1
        problems.append(Problem(line, (
            f"`{source}` does not resolve to a file: {base} with none of {', '.join(TRIED[:5])}, …, nor "
            f"{base}/index.js (or .ts) exists.{hint} Import a file that exists, or create it in the same diff")))
        return None

    def _names(self, item: JsImport, target: str, names: list[tuple[str, int]], problems: list[Problem]) -> None:
        if language_of(target) is None or self.hidden(target):
            return
        if target not in self._exports:
            text = self.text(target)
            language = language_of(target)
            self._exports[target] = exports(parser(language).parse(text.encode("utf-8")).root_node) \
                if text is not None and language else None
        found = self._exports[target]
        for name, line in names:
            if found is None:
                self.tally.skip("the imported file cannot be read")
            elif name in found.names:
                self.tally.checked += 1
            elif found.open or (name == "default" and not found.esm):
                self.tally.skip(found.open or "a default import of a module without ES exports")
            else:
                self.tally.unknown += 1
                shown = "`default`" if name == "default" else f"`{name}`"
                problems.append(Problem(line, (
                    f"`{item.source}` ({target}) exports no {shown}; it exports "
                    f"{listing(name, found.names - {'default'}) if found.names - {'default'} else 'nothing by name'}. "
                    "Import a name it exports, or add the export in the same diff")))

    def _known(self, path: str) -> tuple[set[str] | None, bool]:
        """(package names known from package.json files, locks and node_modules; whether path aliases
        may be configured) for the folder of `path`."""
        folder = posixpath.dirname(path)
        if folder in self._packages:
            return self._packages[folder]
        names: set[str] | None = None
        aliases = False
        current = self.root / folder
        while True:
            text = self.text((current / "package.json").relative_to(self.root).as_posix())
            if text is not None:
                names = names if names is not None else set()
                try:
                    data = json.loads(text)
                except ValueError:
                    data = {}
                if isinstance(data, dict):
                    names |= {k for s in NPM_SECTIONS if isinstance(data.get(s), dict) for k in data[s]}
                    names |= {str(data["name"])} if isinstance(data.get("name"), str) else set()
                    aliases = aliases or "imports" in data or "workspaces" in data
            for config in ("tsconfig.json", "jsconfig.json"):
                raw = self.text((current / config).relative_to(self.root).as_posix())
                aliases = aliases or (raw is not None and ('"paths"' in raw or '"baseUrl"' in raw))
            if current == self.root:
                break
            current = current.parent
        installed = npm_known(self.root, self.root / folder)
        if installed is not None:
            names = (names or set()) | installed
        self._packages[folder] = (names, aliases)
        return names, aliases

    def _package(self, path: str, source: str, line: int, problems: list[Problem]) -> None:
        if source.startswith(("node:", "bun:", "deno:", "/", "http:", "https:", "data:", "virtual:", "#", "~", "@/")) \
                or "${" in source or "!" in source:
            self.tally.skip("a built-in, absolute or aliased import") if not source.startswith("node:") else None
            self.tally.checked += source.startswith("node:")
            return
        parts = source.split("/")
        name = "/".join(parts[:2]) if source.startswith("@") else parts[0]
        if name in NODE_BUILTINS:
            self.tally.checked += 1
            return
        known, aliases = self._known(path)
        if known is None:
            self.tally.skip("no package.json, lock file or node_modules to check a package against")
        elif name in known:
            self.tally.checked += 1
        elif aliases:
            self.tally.skip("the project configures import aliases (tsconfig paths, package imports, workspaces)")
        else:
            self.tally.unknown += 1
            problems.append(Problem(line, (
                f"`{source}`: the package `{name}` is not installed (no node_modules/{name}) and no package.json "
                "here depends on it. Use a package the project has, or add it to package.json and install it first")))
