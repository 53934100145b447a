"""The scopes of a Python file as the names checker reads them: what each function binds (and,
for a name bound once, what: `self`, an import, `x = Cls(...)`, an annotation), and what the old
file already used, so that only what the diff makes new is judged."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from surgeon.validate.names.pymodel import Klass


def call_shape(node: ast.Call) -> tuple[int, tuple[str, ...]] | None:
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None
    return len(node.args), tuple(sorted(k.arg for k in node.keywords if k.arg))


def callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


class OldUses:
    """What the old file already used, asked lazily (the checker keys): its imports and call shapes
    from its tree, dotted attribute texts from its text. A use it had is not the diff's doing."""

    def __init__(self, text: str | None, absolute: Callable[[ast.ImportFrom], str | None],
                 tree: ast.Module | None = None) -> None:
        self.text = text or ""
        self.absolute = absolute
        self._tree = tree  # the text parsed already, when it was
        self._keys: set[tuple[object, ...]] | None = None

    def _tree_keys(self) -> set[tuple[object, ...]]:
        if self._keys is None:
            keys: set[tuple[object, ...]] = set()
            tree, self._tree = self._tree, None
            if tree is None:
                try:
                    tree = ast.parse(self.text)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    tree = ast.Module(body=[], type_ignores=[])
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    keys.update(("import", alias.name, None) for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    source = self.absolute(node)
                    keys.add(("import", source, None))
                    keys.update(("import", source, alias.name) for alias in node.names)
                elif isinstance(node, ast.Call):
                    keys.add(("call", callee(node), call_shape(node)))
            self._keys = keys
        return self._keys

    def __contains__(self, key: tuple[object, ...]) -> bool:
        if not self.text:
            return False
        if key[0] == "attr":
            text = str(key[1])
            if re.fullmatch(r"[\w.]+", text):
                pattern = r"(?<![\w.])" + r"\s*\.\s*".join(map(re.escape, text.split("."))) + r"(?!\w)"
                return re.search(pattern, self.text) is not None
            return text in self.text
        if key[0] == "call" and str(key[1]) not in self.text:
            return False
        return key in self._tree_keys()


@dataclass(frozen=True)
class Bound:
    kind: str  # self, cls (what: the Klass), import (what: the statement), value, annotation (what: an expression)
    what: object
    alias: ast.alias | None = None


class Scope:
    """The names one function binds, and what we know of those bound once."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, klass: Klass | None) -> None:
        self.bindings: dict[str, list[Bound | None]] = {}
        args = node.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a)]
        decorators = {getattr(d, "id", getattr(d, "attr", "")) for d in getattr(node, "decorator_list", ())}
        for index, arg in enumerate(every):
            if index == 0 and klass is not None and "staticmethod" not in decorators and arg in (*args.posonlyargs, *args.args):
                self.bindings[arg.arg] = [Bound("cls" if "classmethod" in decorators else "self", klass)]
            else:
                self.bindings[arg.arg] = [Bound("annotation", arg.annotation)]
        body = node.body if isinstance(node.body, list) else [node.body]
        stack: list[ast.AST] = list(body)
        while stack:
            sub = stack.pop()
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.bindings.setdefault(sub.name, []).append(None)
                continue
            if isinstance(sub, ast.Lambda):
                continue
            if isinstance(sub, ast.Global | ast.Nonlocal):
                for name in sub.names:
                    self.bindings.setdefault(name, []).append(None)
            elif isinstance(sub, ast.Import | ast.ImportFrom):
                for alias in sub.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    self.bindings.setdefault(bound, []).append(Bound("import", sub, alias))
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
                self.bindings.setdefault(sub.id, []).append(None)
            elif isinstance(sub, ast.arg):
                self.bindings.setdefault(sub.arg, []).append(None)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                self.bindings.setdefault(sub.name, []).append(None)
            elif isinstance(sub, ast.MatchAs | ast.MatchStar) and sub.name:
                self.bindings.setdefault(sub.name, []).append(None)
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
                self.bindings.setdefault(sub.targets[0].id, []).append(Bound("value", sub.value))
                stack.append(sub.value)
                continue
            if isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name):
                self.bindings.setdefault(sub.target.id, []).append(Bound("annotation", sub.annotation))
                if sub.value is not None:
                    stack.append(sub.value)
                continue
            stack.extend(ast.iter_child_nodes(sub))
