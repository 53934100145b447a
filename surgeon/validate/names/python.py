"""The names a change to a Python file uses on the lines it adds: imports that must resolve, names
taken from modules, attributes of modules, classes and their instances (`self`, `x = Cls()`, a
parameter annotated with a class), and the arity of calls to repository functions. A use that
the old file already had (the same import, the same dotted text, the same call shape) is not the
diff's doing and is not judged."""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial

from surgeon.validate.names.pymodel import Klass, Module, Params, module_of, resolve_relative
from surgeon.validate.names.report import Problem, Tally, listing
from surgeon.validate.names.resolve import (
    FOUND,
    ClassValue,
    FunctionValue,
    Missing,
    ModuleValue,
    Opaque,
    Resolver,
    Several,
    Unknown,
    Value,
)
from surgeon.validate.names.scopes import OldUses, Scope, call_shape, callee

_OPTIONAL = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
_GUARDED = "an optional import (inside try/except ImportError)"
_TYPING = "an import for type checkers only (under if TYPE_CHECKING)"
_VERSION = "an import for another Python version (under if sys.version_info ...)"


@dataclass(frozen=True, eq=False)
class Instance:
    klass: ClassValue


class FileChecker:
    """Judges one changed Python file."""

    def __init__(self, resolver: Resolver, path: str, tree: ast.Module, added: Collection[int],
                 old: OldUses, tally: Tally, elsewhere: Callable[[str], bool], *, globals_: bool = True) -> None:
        self.resolver = resolver
        self.path = path
        self.added = added
        self.lines = sorted(added)
        self.old = old
        self.tally = tally
        self.elsewhere = elsewhere  # whether a name occurs anywhere in the repository
        name, package, _ = resolver.file_module(path)
        self.module: Module = module_of(tree, name, is_package=package, path=path, globals_=globals_)
        self.tree = tree
        self.problems: list[Problem] = []
        self.stored: set[tuple[str, str]] = set()  # x.attr = ... anywhere in the file
        self.optional: dict[int, str] = {}  # id of an import that may fail -> why it may
        self.instances: dict[str, ast.expr] = {}  # module-level x = Cls(...)
        self.seen: set[tuple[object, ...]] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del) and isinstance(node.value, ast.Name):
                self.stored.add((node.value.id, node.attr))
            if isinstance(node, ast.Try | ast.TryStar) and any(self._catches_import(h) for h in node.handlers):
                self.optional.update((id(sub), _GUARDED) for stmt in node.body for sub in ast.walk(stmt))
            if isinstance(node, ast.If) and ast.unparse(node.test).split(".")[-1] == "TYPE_CHECKING":
                self.optional.update((id(sub), _TYPING) for stmt in node.body for sub in ast.walk(stmt))
            elif isinstance(node, ast.If) and "sys.version_info" in ast.unparse(node.test):
                self.optional.update((id(sub), _VERSION) for stmt in [*node.body, *node.orelse] for sub in ast.walk(stmt))
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                if len(self.module.bindings.get(statement.targets[0].id, ())) == 1:
                    self.instances[statement.targets[0].id] = statement.value

    @staticmethod
    def _catches_import(handler: ast.ExceptHandler) -> bool:
        if handler.type is None:
            return True
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        return any((getattr(n, "id", None) or getattr(n, "attr", None)) in _OPTIONAL for n in names)

    # -- judging ------------------------------------------------------------------------------------
    def _new(self, key: tuple[object, ...], line: int) -> bool:
        if line not in self.added or key in self.old or key in self.seen:
            return False
        self.seen.add(key)
        return True

    def _verdict(self, value: Value, line: int, reason: Callable[[Missing], str]) -> bool:
        """Count the judgement; report a Missing. Whether the value can be followed further."""
        if isinstance(value, Missing):
            self.tally.unknown += 1
            self.problems.append(Problem(line, reason(value)))
            return False
        if isinstance(value, Unknown):
            self.tally.skip(value.reason)
            return False
        self.tally.checked += 1
        return True

    def run(self) -> list[Problem]:
        self._visit(self.tree, [], None)
        return self.problems

    def _touches(self, node: ast.AST) -> bool:
        """Whether `node` spans an added line (only those are judged, so the rest is not visited)."""
        first = getattr(node, "lineno", None)
        if first is None:
            return True
        first = min([first, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        index = bisect.bisect_left(self.lines, first)
        return index < len(self.lines) and self.lines[index] <= (getattr(node, "end_lineno", None) or first)

    def _visit(self, node: ast.AST, scopes: list[Scope], klass: Klass | None) -> None:
        for child in ast.iter_child_nodes(node):
            if not self._touches(child):
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                for part in (*getattr(child, "decorator_list", ()), *child.args.defaults,
                             *(d for d in child.args.kw_defaults if d is not None)):
                    self._visit_expression(part, scopes, None)
                self._visit(child, [*scopes, Scope(child, klass)], None)
                continue
            if isinstance(child, ast.ClassDef):
                inner = self.module.bindings.get(child.name, [None])[-1] if not scopes and klass is None else None
                if klass is not None and child.name in klass.classes:
                    inner = klass.classes[child.name]
                for part in (*child.decorator_list, *child.bases, *child.keywords):
                    self._visit_expression(part, scopes, None)
                for statement in child.body:
                    self._visit_statement(statement, scopes, inner if isinstance(inner, Klass) else None)
                continue
            self._visit_statement(child, scopes, klass)

    def _visit_statement(self, node: ast.AST, scopes: list[Scope], klass: Klass | None) -> None:
        self._visit_expression(node, scopes, klass)

    def _visit_expression(self, node: ast.AST, scopes: list[Scope], klass: Klass | None) -> None:
        if not self._touches(node):
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            wrapper = ast.Module(body=[node], type_ignores=[]) if not isinstance(node, ast.Lambda) else ast.Expr(node)
            self._visit(wrapper, scopes, klass)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            self._import(node)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            self._chain(node, scopes, klass)
        if isinstance(node, ast.Call):
            self._call(node, scopes, klass)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                self._visit(ast.Module(body=[child], type_ignores=[]) if not isinstance(child, ast.Lambda)
                            else ast.Expr(child), scopes, klass)
            else:
                self._visit_expression(child, scopes, klass)

    # -- names ----------------------------------------------------------------------------------------
    def _absolute(self, node: ast.ImportFrom) -> str | None:
        return resolve_relative(self.module.name, self.module.is_package, node.level, node.module)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        optional = self.optional.get(id(node))
        if isinstance(node, ast.Import):
            for alias in node.names:
                line = getattr(alias, "lineno", node.lineno)
                if not self._new(("import", alias.name, None), line):
                    continue
                found = self.resolver.module(alias.name, self.path)
                if isinstance(found, Missing) and optional:
                    self.tally.skip(optional)
                    continue
                self._verdict(found if isinstance(found, Missing | Unknown) else Opaque(), line,
                              partial(self._no_module, f"import {alias.name}", alias.name))
            return
        source = self._absolute(node)
        text = f"from {'.' * node.level}{node.module or ''} import"
        if source is None:
            if self._new(("import", None, None), node.lineno):
                self.tally.skip("a relative import outside a package")
            return
        module: Module | Unknown | Missing = self.resolver.module(source, self.path)
        if self._new(("import", source, None), node.lineno):
            if isinstance(module, Missing) and optional:
                self.tally.skip(optional)
                return
            self._verdict(module if isinstance(module, Missing | Unknown) else Opaque(), node.lineno,
                          partial(self._no_module, f"{text} ...", source))
        if not isinstance(module, Module):
            return
        for alias in node.names:
            line = getattr(alias, "lineno", node.lineno)
            if alias.name == "*" or not self._new(("import", source, alias.name), line):
                if alias.name == "*" and line in self.added:
                    self.tally.skip("a star import")
                continue
            name = self.resolver.in_module(module, alias.name)
            if isinstance(name, Missing) and optional:
                self.tally.skip(optional)
                continue
            self._verdict(name, line, partial(self._no_name, text, source, alias.name))

    @staticmethod
    def _no_name(text: str, source: str, name: str, missing: Missing) -> str:
        return (f"`{text} {name}`: module `{source}` has no `{name}`; it has {listing(name, missing.names)}. "
                "Import a name that exists, or define it in the same diff")

    def _no_module(self, statement: str, name: str, missing: Missing) -> str:
        env = self.resolver.environment.interpreter
        parent = name.rpartition(".")[0]
        hint = ""
        if parent:
            above = self.resolver.module(parent, self.path)
            if isinstance(above, Module):
                hint = f" `{parent}` has {listing(name.rpartition('.')[2], self.resolver.module_names(above))}."
        return (f"`{statement}`: there is no module `{missing.owner}` in the repository or in the project's Python "
                f"environment ({env}).{hint} Use a module that exists; a new third-party package must be added to "
                "the project's dependencies and installed first")

    def _name(self, name: str, scopes: list[Scope], klass: Klass | None) -> Value | Instance | None:
        for scope in reversed(scopes):
            bound = scope.bindings.get(name)
            if bound is None:
                continue
            outer = scopes[:scopes.index(scope)]
            if len(bound) > 1:  # x = Cls(...) twice: still a Cls
                types = [self._typed(b.what if isinstance(b.what, ast.expr) else None, outer, klass, b.kind)
                         if b is not None and b.kind in ("value", "annotation") else None for b in bound]
                first = types[0]
                same = first is not None and all(t is not None and t.klass.klass is first.klass.klass for t in types)
                return first if same else None
            only = bound[0]
            if only is None:
                return None
            if isinstance(only.what, Klass):
                target = ClassValue(self.module, only.what)
                return Instance(target) if only.kind == "self" else target
            if isinstance(only.what, ast.Import | ast.ImportFrom) and only.alias is not None:
                return self._local_import(only.what, only.alias)
            expression = only.what if isinstance(only.what, ast.expr) else None
            return self._typed(expression, outer, klass, only.kind)
        if klass is not None and name in klass.members:
            return None
        if name not in self.module.bindings:
            return None
        if name in self.instances:
            return self._typed(self.instances[name], [], None, "value")
        value = self.resolver.in_module(self.module, name)
        return value if isinstance(value, FOUND) else None

    def _local_import(self, node: ast.Import | ast.ImportFrom, alias: ast.alias) -> Value | None:
        if isinstance(node, ast.Import):
            found = self.resolver.module(alias.name if alias.asname else alias.name.split(".")[0], self.path)
            return ModuleValue(found) if isinstance(found, Module) else None
        source = self._absolute(node)
        module = self.resolver.module(source, self.path) if source else None
        if not isinstance(module, Module):
            return None
        value = self.resolver.in_module(module, alias.name)
        return value if isinstance(value, FOUND) else None

    def _typed(self, expr: ast.expr | None, scopes: list[Scope], klass: Klass | None, kind: str) -> Instance | None:
        """An instance of a class: `x = Cls(...)` (kind "value") or an annotation `x: Cls`."""
        if expr is None:
            return None
        if kind == "value":
            if not isinstance(expr, ast.Call):
                return None
            expr = expr.func
        elif isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                expr = ast.parse(expr.value, mode="eval").body
            except SyntaxError:
                return None
        if not isinstance(expr, ast.Name | ast.Attribute):
            return None
        value = self._expr(expr, scopes, klass)
        if isinstance(value, ClassValue) and not value.klass.has_new:
            return Instance(value)
        return None

    def _expr(self, expr: ast.expr, scopes: list[Scope], klass: Klass | None) -> Value | Instance | None:
        if isinstance(expr, ast.Name):
            return self._name(expr.id, scopes, klass)
        if isinstance(expr, ast.Attribute):
            base = self._expr(expr.value, scopes, klass)
            if base is None:
                return None
            value = self._member(base, expr.attr)
            return value if isinstance(value, FOUND) else None
        return None

    def _member(self, base: Value | Instance, attribute: str) -> Value:
        if isinstance(base, Instance):
            return self.resolver.class_member(base.klass, attribute, instance=True)
        if isinstance(base, ModuleValue | ClassValue | Several):
            return self.resolver.member(base, attribute, instance=False)
        return Opaque()

    def _chain(self, node: ast.Attribute, scopes: list[Scope], klass: Klass | None) -> None:
        parts: list[ast.Attribute] = []
        current: ast.expr = node
        while isinstance(current, ast.Attribute):
            parts.insert(0, current)
            current = current.value
        base: Value | Instance | None
        if isinstance(current, ast.Name):
            base, root = self._name(current.id, scopes, klass), current.id
        elif isinstance(current, ast.Call):  # Cls(...).attr: an instance of the class
            base, root = self._typed(current, scopes, klass, "value"), ""
        else:
            return
        for step in parts:
            if base is None or isinstance(base, FunctionValue | Opaque):
                return
            text = ast.unparse(step)
            line = step.end_lineno or step.lineno
            value = self._member(base, step.attr)
            judged = self._new(("attr", text), line) and (root, step.attr) not in self.stored
            if not judged:
                if not isinstance(value, FOUND):
                    return
                base = value
                continue
            if isinstance(value, Missing) and isinstance(base, Instance) and root in ("self", "cls") \
                    and self.elsewhere(step.attr):
                self.tally.skip("defined elsewhere in the repository (a subclass or caller may set it)")
                return
            if not self._verdict(value, line, partial(self._no_attribute, text, ast.unparse(step.value), base, step.attr)):
                return
            base = value

    @classmethod
    def _no_attribute(cls, text: str, owner: str, base: Value | Instance, attribute: str, missing: Missing) -> str:
        return (f"`{text}` does not exist: {cls._describe(owner, base, missing)} has no attribute `{attribute}`; it has "
                f"{listing(attribute, missing.names)}. Use one of those, or define `{attribute}` in the same diff")

    @staticmethod
    def _describe(text: str, base: Value | Instance, missing: Missing) -> str:
        if isinstance(base, Instance):
            return f"`{text}` (a `{missing.owner}`)"
        if isinstance(base, ModuleValue):
            return f"module `{text}`" if text == missing.owner else f"module `{text}` (`{missing.owner}`)"
        return f"`{text}` (`{missing.owner}`)" if text != missing.owner.rpartition(".")[2] else f"`{missing.owner}`"

    # -- calls ----------------------------------------------------------------------------------------
    def _call(self, node: ast.Call, scopes: list[Scope], klass: Klass | None) -> None:
        shape = call_shape(node)
        line = node.func.end_lineno or node.lineno
        if shape is None or line not in self.added:
            return
        key = ("call", callee(node), shape)
        if key in self.old or key in self.seen:
            return
        drop = 0
        if isinstance(node.func, ast.Name):
            target = self._name(node.func.id, scopes, klass)
            via_instance = False
        elif isinstance(node.func, ast.Attribute):
            base = self._expr(node.func.value, scopes, klass)
            if base is None:
                return
            target = self._member(base, node.func.attr)
            via_instance = isinstance(base, Instance)
        else:
            return
        if isinstance(target, ClassValue):
            init = self._init(target)
            if init is None:
                return
            target, drop = init, 1
        elif isinstance(target, FunctionValue) and target.owner is not None:
            kind = target.function.kind
            if kind == "property":
                return
            drop = 1 if kind == "classmethod" or (kind == "method" and via_instance) else 0
        if not isinstance(target, FunctionValue) or target.function.params is None or target.module.path.startswith("<") \
                or target.module.path.startswith("/"):
            return
        self.seen.add(key)
        problem = arity_problem(target.function.params, drop, *shape)
        self.tally.checked += 1
        if problem:
            self.tally.unknown += 1
            where = f"{target.owner.klass.qualname}." if target.owner else ""
            self.problems.append(Problem(line, f"`{ast.unparse(node)[:120]}`: `{where}{target.function.name}()` "
                                               f"(line {target.function.line} of {target.module.path}) {problem}"))

    def _init(self, value: ClassValue) -> FunctionValue | None:
        """The __init__ a call of the class runs, when that is certain."""
        queue = [value]
        while queue:
            current = queue.pop(0)
            klass = current.klass
            if klass.dynamic or klass.has_new or klass.generated_init:
                return None
            if "__init__" in klass.methods:
                return FunctionValue(current.module, klass.methods["__init__"], current)
            if len(klass.bases) > 1:
                return None
            for base in klass.bases:
                found = self.resolver.expression(current.module, base)
                if not isinstance(found, ClassValue) or found.module.path.startswith(("<", "/")):
                    return None
                queue.append(found)
        return None


def arity_problem(params: Params, drop: int, given: int, keywords: tuple[str, ...]) -> str | None:
    """What is wrong with calling a function of `params` with `given` positional arguments and these
    keywords, after `drop` bound ones (self, cls), or None."""
    positional = params.positional[drop:]
    required = max(0, params.required - drop)
    posonly = max(0, params.posonly - drop)
    if given > len(positional) and not params.varargs:
        return (f"takes {len(positional)} positional argument{'s' if len(positional) != 1 else ''} "
                f"({', '.join(positional) or 'none'}) but the call gives {given}")
    for keyword in keywords:
        if keyword in positional[:posonly]:
            return f"takes `{keyword}` by position only"
        if keyword in positional[:given]:
            return f"gets `{keyword}` twice, by position and by keyword"
        if keyword not in positional and keyword not in params.keyword_only and not params.varkw:
            names = [*positional[posonly:], *params.keyword_only]
            return f"has no parameter `{keyword}`; its parameters are {listing(keyword, names)}"
    missing = [n for n in positional[given:required] if n not in keywords]
    missing += sorted(params.required_keyword - set(keywords))
    if missing:
        return f"needs {', '.join(f'`{m}`' for m in missing)}, which the call does not give"
    return None



__all__ = ["FileChecker", "arity_problem"]
