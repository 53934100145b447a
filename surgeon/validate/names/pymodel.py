"""What a Python module defines, read statically with `ast`: the names bound at module level (in
every branch of an if/try, by imports, assignments, definitions, `global` statements), its classes
with their members (class-level names, `self.x = ...` in methods, `__slots__`) and bases, and the
parameters of functions and methods whose signature no decorator can change. Whatever makes the
answer unknowable (a module `__getattr__`, `globals()` writes, a class `__getattr__`, an unknown
class decorator or metaclass) is recorded as a reason, so the checker skips instead of guessing."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Literal

FunctionKind = Literal["function", "method", "staticmethod", "classmethod", "property"]
# Decorators that leave a function's signature as written.
_PLAIN_DECORATORS = {"staticmethod", "classmethod", "abstractmethod", "override", "final"}
_PROPERTY_DECORATORS = {"property", "cached_property", "abstractproperty"}
# Class decorators that keep the class and its written members (they may add dunder methods).
_PLAIN_CLASS_DECORATORS = {"dataclass", "total_ordering", "final", "unique", "runtime_checkable", "dataclass_transform",
                           "s", "define", "frozen", "mutable", "attrs", "verify", "type_check_only"}


@dataclass(frozen=True)
class Params:
    positional: tuple[str, ...]  # positional-only and positional-or-keyword, in order
    required: int  # how many of them have no default
    posonly: int
    keyword_only: tuple[str, ...]
    required_keyword: frozenset[str]
    varargs: bool
    varkw: bool


@dataclass
class Function:
    name: str
    line: int
    kind: FunctionKind
    params: Params | None  # None: a decorator (or a second definition) may change the signature
    overload: bool = False  # a typing.overload stub: the last plain definition is the one that runs


@dataclass
class Import:
    module: str  # absolute dotted module name
    attribute: str | None  # `from module import attribute`; None for `import module`


@dataclass
class Klass:
    name: str
    qualname: str
    line: int
    bases: list[ast.expr]
    written: set[str] = field(default_factory=set)  # names its body binds
    methods: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, Klass] = field(default_factory=dict)
    reason: str | None = None  # why its attributes cannot be known
    generated_init: bool = False  # a dataclass-like decorator writes __init__
    has_new: bool = False
    abc: bool = False  # metaclass ABCMeta: `register` on the class
    # methods whose bodies are read for `self.x = ...` when a member is first asked for (most classes
    # of a large file never are)
    pending: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = field(default_factory=list, repr=False)

    def _scan(self) -> None:
        while self.pending:
            node, first = self.pending.pop()
            _scan_body(node, first, self)

    @property
    def members(self) -> set[str]:
        self._scan()
        return self.written

    @property
    def dynamic(self) -> str | None:
        self._scan()
        return self.reason

    @dynamic.setter
    def dynamic(self, reason: str | None) -> None:
        self.reason = reason


Binding = Import | Klass | Function | None  # None: some other value (an assignment ...)


@dataclass
class Module:
    name: str
    is_package: bool
    path: str
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)  # absolute names of star-imported modules
    branch_stars: set[str] = field(default_factory=set)  # those imported inside an if/try (os: from nt import *)
    dynamic: str | None = None
    all: tuple[str, ...] | None = None
    stub: bool = False
    locations: tuple[str, ...] = ()  # an installed package's folders, for its submodules
    globals: bool = True  # whether functions may hold `global` statements

    def bind(self, name: str, value: Binding) -> None:
        self.bindings.setdefault(name, []).append(value)


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def params_of(args: ast.arguments) -> Params:
    positional = tuple(a.arg for a in (*args.posonlyargs, *args.args))
    required_kw = frozenset(a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None)
    return Params(positional, len(positional) - len(args.defaults), len(args.posonlyargs),
                  tuple(a.arg for a in args.kwonlyargs), required_kw, args.vararg is not None, args.kwarg is not None)


def function_of(node: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> Function:
    names = [_decorator_name(d) for d in node.decorator_list]
    kind: FunctionKind = "method" if in_class else "function"
    plain = True
    for name, decorator in zip(names, node.decorator_list, strict=True):
        if name in ("staticmethod", "classmethod") and in_class:
            kind = name  # type: ignore[assignment]
        elif name in _PROPERTY_DECORATORS or (isinstance(decorator, ast.Attribute) and name in ("setter", "getter", "deleter")):
            kind = "property"
        if name not in _PLAIN_DECORATORS:
            plain = False
    return Function(node.name, node.lineno, kind, params_of(node.args) if plain else None, "overload" in names)


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """The absolute name of `from {'.' * level}{target} import ...` written in `module`."""
    if not level:
        return target
    parts = module.split(".") if module else []
    package = parts if is_package else parts[:-1]
    if level - 1 > len(package) or (level - 1 == len(package) and not target):
        return None
    base = package[:len(package) - level + 1]
    return ".".join([*base, *([target] if target else [])]) or None


def _targets(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple | ast.List):
        return [name for element in node.elts for name in _targets(element)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return []


class _Collector:
    """The names one block (a module or class body) binds, into `bind`; compound statements are
    entered, definitions' bodies are not."""

    def __init__(self, module: Module, owner: Klass | None) -> None:
        self.module = module
        self.owner = owner
        self.depth = 0  # how many if/try/with/for blocks in

    def bind(self, name: str, value: Binding) -> None:
        if self.owner is None:
            self.module.bind(name, value)
        else:
            self.owner.written.add(name)

    def block(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(node)
        elif isinstance(node, ast.ClassDef):
            self.klass(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.bind(alias.asname, Import(alias.name, None))
                else:
                    self.bind(alias.name.split(".")[0], Import(alias.name.split(".")[0], None))
        elif isinstance(node, ast.ImportFrom):
            source = resolve_relative(self.module.name, self.module.is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    if source and self.owner is None:
                        self.module.stars.append(source)
                        if self.depth:
                            self.module.branch_stars.add(source)
                    elif self.owner is None:
                        self.module.dynamic = "a star import that cannot be resolved"
                elif source:
                    self.bind(alias.asname or alias.name, Import(source, alias.name))
                else:
                    self.bind(alias.asname or alias.name, None)
        else:
            self.simple(node)

    def simple(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self.assign(target, node)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            self.assign(node.target, node)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.assign(node.target, node)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, node)
        elif isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                if handler.name:
                    self.bind(handler.name, None)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                for sub in ast.walk(case.pattern):
                    name = getattr(sub, "name", None) or getattr(sub, "rest", None)
                    if isinstance(name, str):
                        self.bind(name, None)
        elif isinstance(node, ast.Delete | ast.Global | ast.Nonlocal):
            pass
        for sub in ast.walk(node):  # walrus targets; dynamic writes to the namespace
            if isinstance(sub, ast.NamedExpr):
                self.bind(sub.target.id, None)
            elif self.owner is None and (_writes_namespace(sub, "globals()") or _writes_namespace(sub, "vars()")):
                self.module.dynamic = "it writes its namespace through globals()"
        self.depth += 1
        for child in ("body", "orelse", "finalbody"):
            block = getattr(node, child, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                self.block(block)
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                self.block(handler.body)
        if isinstance(node, ast.Match):
            for case in node.cases:
                self.block(case.body)
        self.depth -= 1

    def assign(self, target: ast.expr, node: ast.stmt) -> None:
        for name in _targets(target):
            self.bind(name, None)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and self.owner is None:
            # Cls.extra = ... after the class: a member of that class
            for binding in self.module.bindings.get(target.value.id, ()):
                if isinstance(binding, Klass):
                    binding.written.add(target.attr)
        if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "sys.modules" and self.owner is None \
                and ast.unparse(target.slice) == "__name__":
            self.module.dynamic = "it replaces itself in sys.modules"
        if (self.owner is not None and isinstance(target, ast.Name) and target.id == "__slots__"
                and isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None):
            for element in ast.walk(node.value):
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    self.owner.written.add(element.value)
        if (self.owner is None and isinstance(target, ast.Name) and target.id == "__all__"
                and isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None):
            names = [e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            self.module.all = (*(self.module.all or ()), *names)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        function = function_of(node, self.owner is not None)
        arguments = [*node.args.posonlyargs, *node.args.args]
        first = arguments[0].arg if self.owner is not None and arguments and function.kind != "staticmethod" else None
        if self.module.globals:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Global):
                    for name in sub.names:
                        self.module.bind(name, None)
        if self.owner is None:
            if node.name == "__getattr__":
                served = _served_names(node)
                if served is None:
                    self.module.dynamic = "it defines a module __getattr__"
                for name in served or ():
                    self.bind(name, None)
            self.bind(node.name, function)
            return
        owner = self.owner
        owner.written.add(node.name)
        if first is not None:
            owner.pending.append((node, first))
        if node.name in ("__getattr__", "__getattribute__"):
            owner.dynamic = f"it defines {node.name}"
        if node.name == "__new__":
            owner.has_new = True
        earlier = owner.methods.get(node.name)
        if earlier is not None and not earlier.overload and not function.overload:
            owner.methods[node.name] = Function(node.name, node.lineno, earlier.kind, None)  # defined twice
        elif earlier is None or earlier.overload:
            owner.methods[node.name] = function

    def klass(self, node: ast.ClassDef) -> None:
        qualname = f"{self.owner.qualname}.{node.name}" if self.owner else node.name
        klass = Klass(node.name, qualname, node.lineno, list(node.bases))
        for decorator in node.decorator_list:
            name = _decorator_name(decorator)
            if name not in _PLAIN_CLASS_DECORATORS:
                klass.dynamic = f"its decorator @{name or ast.unparse(decorator)} may add members"
                if self.owner is None and self.module.dynamic is None:
                    # it is handed the class, and so its module: @enum.global_enum (re.IGNORECASE)
                    # writes the members into the module's namespace
                    self.module.dynamic = f"the class decorator @{name or ast.unparse(decorator)} may add names to it"
            elif name in ("dataclass", "s", "define", "frozen", "mutable", "attrs"):
                klass.generated_init = True
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                if _decorator_name(keyword.value) == "ABCMeta":
                    klass.abc = True
                else:
                    klass.dynamic = f"its metaclass {ast.unparse(keyword.value)} may add members"
        _Collector(self.module, klass).block(node.body)
        for statement in node.body:
            if isinstance(statement, ast.ClassDef):
                nested = _nested(self.module, klass, statement)
                klass.classes[statement.name] = nested
        if self.owner is None:
            self.bind(node.name, klass)
        else:
            self.owner.written.add(node.name)


def _nested(module: Module, owner: Klass, node: ast.ClassDef) -> Klass:
    holder = Klass(owner.name, owner.qualname, owner.line, [])
    _Collector(module, holder).klass(node)
    return holder.classes.get(node.name) or Klass(node.name, f"{owner.qualname}.{node.name}", node.lineno, [],
                                                   reason="a nested class")


# Unpickling and copying put back attributes the object already had: not a source of new names.
_RESTORING = {"__setstate__", "__copy__", "__deepcopy__", "__reduce__", "__reduce_ex__", "__setattr__"}


def _writes_namespace(node: ast.AST, namespace: str) -> bool:
    """`namespace[k] = v`, `namespace.update(...)` (namespace: `globals()`, `self.__dict__` ...)."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
        return ast.unparse(node.value) == namespace
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("update", "setdefault", "__setitem__", "pop") and ast.unparse(node.func.value) == namespace
    return False


def _scan_body(node: ast.FunctionDef | ast.AsyncFunctionDef, first: str, owner: Klass) -> None:
    """What a method assigns to `first` (self, cls): members of the class; or why they cannot be known."""
    restoring = node.name in _RESTORING
    for sub in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(sub, ast.Assign):
            targets = list(sub.targets)
        elif isinstance(sub, ast.AnnAssign | ast.AugAssign):
            targets = [sub.target]
        elif isinstance(sub, ast.For | ast.AsyncFor | ast.comprehension):
            targets = [sub.target]
        elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
            targets = [sub.optional_vars]
        elif restoring:
            pass
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("setattr", "vars") \
                and sub.args and isinstance(sub.args[0], ast.Name) and sub.args[0].id == first:
            owner.dynamic = f"{sub.func.id}({first}, ...) sets attributes by name"
        elif _writes_namespace(sub, f"{first}.__dict__"):
            owner.dynamic = f"it writes {first}.__dict__"
        for target in targets:
            for element in ast.walk(target):
                if isinstance(element, ast.Attribute) and isinstance(element.value, ast.Name) and element.value.id == first:
                    owner.written.add(element.attr)


def read_module(source: str, name: str, *, is_package: bool, path: str) -> Module | None:
    """The Module for `source`, or None when it does not parse (newer syntax, not Python)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return module_of(tree, name, is_package=is_package, path=path, globals_="global" in source)


def _served_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str] | None:
    """The names a module `__getattr__(name)` answers when it compares `name` with literals and
    ends by raising (a deprecation shim), else None: it may answer anything."""
    arguments = [*node.args.posonlyargs, *node.args.args]
    if not arguments or not node.body or not isinstance(node.body[-1], ast.Raise):
        return None
    parameter = arguments[0].arg
    served: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Compare) and isinstance(sub.left, ast.Name) and sub.left.id == parameter:
            for comparator in sub.comparators:
                served += [c.value for c in ast.walk(comparator) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return served


def _injects_names(statement: ast.stmt) -> bool:
    """A module-level call handed the module's own name (enum's `_convert_('Flags', __name__, ...)`,
    which writes the members into the module), or a write through sys.modules[__name__]."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        return any(isinstance(a, ast.Name) and a.id == "__name__" for a in [*call.args, *(k.value for k in call.keywords)])
    return False


def module_of(tree: ast.Module, name: str, *, is_package: bool, path: str, globals_: bool = True) -> Module:
    """The Module of `tree`; `globals_` False when the source has no `global` statement (its
    functions' bodies need not be walked for one)."""
    module = Module(name, is_package, path, stub=path.endswith(".pyi"), globals=globals_)
    _Collector(module, None).block(tree.body)
    if any(_injects_names(statement) for statement in tree.body):
        module.dynamic = "a call given __name__ adds names to it (such as Enum._convert_)"
    return module
