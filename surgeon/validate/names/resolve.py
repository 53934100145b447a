"""Following a dotted name to what it is, statically: a module (in the repository, or in the
project's environment), a class, a function, some other value, or nothing at all. Repository
modules are read from the working tree with the diff's new contents laid over it; installed ones
from the source file the environment names. An answer is Missing only when every way the name
could exist was ruled out; anything that cannot be followed is Unknown, with the reason."""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from surgeon.validate.names.environment import PythonEnvironment, Spec, folder_listing
from surgeon.validate.names.pymodel import Binding, Function, Import, Klass, Module, read_module

MAX_DEPTH = 16
_OBJECT_NAMES = frozenset(dir(object)) | frozenset(dir(type))


@dataclass(frozen=True, eq=False)
class ModuleValue:
    module: Module


@dataclass(frozen=True, eq=False)
class ClassValue:
    module: Module
    klass: Klass


@dataclass(frozen=True, eq=False)
class BuiltinClass:
    type_: type


@dataclass(frozen=True, eq=False)
class FunctionValue:
    module: Module
    function: Function
    owner: ClassValue | None = None


@dataclass(frozen=True)
class Opaque:
    """It exists; what it holds is not followed."""


@dataclass(frozen=True)
class Unknown:
    reason: str


@dataclass(frozen=True)
class Missing:
    owner: str  # what was looked in: `requests.Session`, `os.path`
    names: tuple[str, ...] = ()  # what it does have, for suggestions
    module: bool = False  # a module that does not exist (not an attribute)


@dataclass(frozen=True, eq=False)
class Several:
    """A name bound to more than one module or class (try: import a / except: import b as a)."""

    values: tuple[Value, ...]


Value = ModuleValue | ClassValue | BuiltinClass | FunctionValue | Opaque | Unknown | Missing | Several
FOUND = (ModuleValue, ClassValue, BuiltinClass, FunctionValue, Opaque, Several)


def public(names: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(n for n in set(names) if not n.startswith("_")))


@dataclass
class Resolver:
    root: Path
    environment: PythonEnvironment
    overlay: Mapping[str, str | None] = field(default_factory=dict)  # repo path -> new text (None: deleted)
    declared: frozenset[str] = frozenset()  # import names of declared dependencies (see deps.py)
    hidden: Callable[[str], bool] = lambda _path: False  # never-sent files: nothing of them is quoted
    _modules: dict[tuple[str, str], Module | None] = field(default_factory=dict)
    _listings: dict[str, frozenset[str]] = field(default_factory=dict)

    # -- files -----------------------------------------------------------------------------------
    def text(self, relative: str) -> str | None:
        if relative in self.overlay:
            return self.overlay[relative]
        try:
            return (self.root / relative).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def is_file(self, relative: str) -> bool:
        if relative in self.overlay:
            return self.overlay[relative] is not None
        return (self.root / relative).is_file()

    def _is_dir(self, relative: str) -> bool:
        prefix = relative.rstrip("/") + "/"
        return (self.root / relative).is_dir() or any(p.startswith(prefix) and t is not None
                                                       for p, t in self.overlay.items())

    def _listing(self, folder: str) -> frozenset[str]:
        return folder_listing(self._listings, folder)

    def _parsed(self, key: tuple[str, str], text: str | None, name: str, package: bool) -> Module | None:
        cache_key = (key[0], key[1] + str(hash(text)))
        if cache_key not in self._modules:
            self._modules[cache_key] = None if text is None else read_module(text, name, is_package=package, path=key[1])
        return self._modules[cache_key]

    # -- where a file's imports are looked for ---------------------------------------------------------
    def file_module(self, relative: str) -> tuple[str, bool, str]:
        """(module name, is a package, its import root) of the repository file `relative`."""
        parts = relative.split("/")
        folder = parts[:-1]
        names = [parts[-1].rsplit(".", 1)[0]]
        while folder and self.is_file("/".join([*folder, "__init__.py"])):
            names.insert(0, folder.pop())
        package = names[-1] == "__init__"
        if package:
            names.pop()
        return ".".join(names), package, "/".join(folder)

    def _repo_lookup(self, name: str, base: str) -> tuple[str, bool] | str | None:
        """(path, is package) of module `name` under import root `base`; "namespace" for a folder."""
        stem = "/".join(p for p in [base, name.replace(".", "/")] if p)
        for candidate, package in ((f"{stem}/__init__.py", True), (f"{stem}.py", False), (f"{stem}/__init__.pyi", True),
                                   (f"{stem}.pyi", False)):
            if self.is_file(candidate):
                return candidate, package
        return "namespace" if self._is_dir(stem) else None

    def module(self, name: str, importer: str | None = None) -> Module | Unknown | Missing:
        """The module `name` as seen from the repository file `importer` (None: from installed code)."""
        roots: list[str] = []
        last: list[str] = []
        if importer is not None:
            roots.append(self.file_module(importer)[2])
            folder = importer.split("/")[:-1]
            while folder:
                last.append("/".join(folder))
                folder.pop()
        roots += ["", "src"]
        namespace = False
        for base in dict.fromkeys(roots):
            found = self._repo_lookup(name, base)
            if isinstance(found, tuple):
                return self._repo_module(found[0], name, found[1])
            namespace = namespace or found == "namespace"
        installed = self._installed(name)
        if not isinstance(installed, Missing):
            return installed
        for base in last:
            found = self._repo_lookup(name, base)
            if isinstance(found, tuple):
                return self._repo_module(found[0], name, found[1])
            namespace = namespace or found == "namespace"
        if namespace:
            return Unknown(f"`{name}` is a namespace package")
        if name.split(".")[0].lower().replace("-", "_") in self.declared:
            return Unknown(f"`{name.split('.')[0]}` is a declared dependency that is not installed")
        return installed

    def _repo_module(self, path: str, name: str, package: bool) -> Module | Unknown:
        if self.hidden(path):
            return Unknown(f"`{name}` is a file that is never sent to a model")
        module = self._parsed(("repo", path), self.text(path), name, package)
        return module if module is not None else Unknown(f"{path} does not parse")

    def _installed(self, name: str) -> Module | Unknown | Missing:
        env = self.environment
        parent, _, child = name.rpartition(".")
        spec: Spec | None
        if parent:
            above = self._installed(parent)
            if not isinstance(above, Module):
                return above if isinstance(above, Unknown) else Missing(parent, module=True)
            spec = self._child_spec(above, child)
            if spec is None:  # os.path: a module the parent binds, not a file of its own
                bound = self.in_module(above, child) if above.bindings.get(child) else None
                if isinstance(bound, Several) and isinstance(bound.values[0], ModuleValue):
                    bound = bound.values[0]
                return bound.module if isinstance(bound, ModuleValue) else Missing(name, module=True)
        else:
            spec = env.spec(name)
            if not env.available:
                return Unknown(env.problem or "no Python environment")
            if spec is None:
                return Missing(name, module=True)
        if spec.origin and spec.origin.endswith((".py", ".pyi")):
            try:
                text = Path(spec.origin).read_text(encoding="utf-8", errors="replace")
            except OSError:
                return Unknown(f"{spec.origin} cannot be read")
            module = self._parsed(("env", spec.origin), text, name, spec.package)
            if module is None:
                return Unknown(f"{spec.origin} does not parse here")
            module.locations = spec.locations
            return module
        if spec.names is not None:
            module = Module(name, spec.package, f"<{name}>")
            for member in spec.names:
                module.bind(member, None)
            return module
        if spec.package and spec.origin is None:
            return Unknown(f"`{name}` is a namespace package")
        return Unknown(f"`{name}` is compiled: its names cannot be read")

    def _child_spec(self, parent: Module, child: str) -> Spec | None:
        for folder in parent.locations:
            names = self._listing(folder)
            if f"{child}.py" in names or f"{child}.pyi" in names:
                base = os.path.join(folder, child)
                return Spec(base + (".py" if f"{child}.py" in names else ".pyi"), False)
            if child in names and os.path.isdir(os.path.join(folder, child)):
                init = os.path.join(folder, child, "__init__.py")
                location = (os.path.join(folder, child),)
                return Spec(init if os.path.isfile(init) else None, True, location)
            if any(n.startswith(f"{child}.") and n.endswith((".so", ".pyd")) for n in names):
                return Spec(None, False)
        return None

    def _submodule(self, module: Module, name: str) -> Module | Unknown | None:
        if not module.is_package:
            return None
        full = f"{module.name}.{name}"
        found: Module | Unknown | Missing | None
        if module.path.startswith("<") or os.path.isabs(module.path):
            found = self._installed(full)
        else:
            folder = module.path.rsplit("/", 1)[0]
            hit = self._repo_lookup(name, folder)
            found = self._repo_module(hit[0], full, hit[1]) if isinstance(hit, tuple) else (
                Unknown(f"`{full}` is a namespace package") if hit else None)
        return found if isinstance(found, Module | Unknown) else None

    # -- names --------------------------------------------------------------------------------------
    def in_module(self, module: Module, name: str, depth: int = 0, only_public: bool = False) -> Value:
        if depth > MAX_DEPTH:
            return Unknown("the chain of re-exports is too long")
        bindings = module.bindings.get(name)
        if bindings and not (only_public and module.all is not None and name not in module.all):
            if len(bindings) > 1 and all(isinstance(b, Function) for b in bindings):
                runs: list[Binding] = [b for b in bindings if isinstance(b, Function) and not b.overload]
                bindings = runs if len(runs) == 1 else bindings  # @overload stubs, then the definition
            values = [self.binding(module, b, depth + 1) for b in bindings]
            if len(values) == 1:
                return values[0]
            if all(isinstance(v, ModuleValue | ClassValue) for v in values):
                return Several(tuple(values))
            return Opaque()
        submodule = self._submodule(module, name)
        if submodule is not None:
            return ModuleValue(submodule) if isinstance(submodule, Module) else submodule
        unknown: str | None = None
        for star in module.stars:
            source = self.module(star)
            if isinstance(source, Missing) and star in module.branch_stars:
                # a branch that does not run here (os: from nt import *), but may where the code
                # runs: what it would bring (os.startfile on Windows) cannot be known here
                unknown = unknown or f"`{module.name}` star-imports `{star}` on another platform"
                continue
            if not isinstance(source, Module):
                unknown = f"`{module.name}` star-imports `{star}`, which cannot be read"
                continue
            if name.startswith("_") and (source.all is None or name not in source.all):
                continue
            found = self.in_module(source, name, depth + 1, only_public=True)
            if isinstance(found, Unknown):
                unknown = found.reason
            elif not isinstance(found, Missing):
                return found
        if unknown or module.dynamic:
            return Unknown(unknown or f"`{module.name}`: {module.dynamic}")
        if name.startswith("__") and name.endswith("__"):
            return Opaque()  # __file__, __name__, __version__ set by the import system or tools
        return Missing(module.name, public(self.module_names(module)))

    def module_names(self, module: Module, depth: int = 0) -> set[str]:
        names = set(module.bindings)
        for star in module.stars if depth < 3 else ():
            source = self.module(star)
            if isinstance(source, Module):
                names |= {n for n in self.module_names(source, depth + 1) if not n.startswith("_")}
        return names

    def binding(self, module: Module, binding: Binding, depth: int) -> Value:
        if isinstance(binding, Klass):
            return ClassValue(module, binding)
        if isinstance(binding, Function):
            return FunctionValue(module, binding)
        if isinstance(binding, Import):
            target = self.module(binding.module)
            if binding.attribute is None:
                return ModuleValue(target) if isinstance(target, Module) else Opaque()
            if not isinstance(target, Module):
                return Opaque()  # exists for that module's author; not followed
            found = self.in_module(target, binding.attribute, depth)
            return Opaque() if isinstance(found, Missing | Unknown) else found
        return Opaque()

    def expression(self, module: Module, node: object, depth: int = 0) -> Value:
        """The value of a base-class expression (a name, a dotted name, X[...]) in `module`."""
        import ast

        if isinstance(node, ast.Subscript):
            return self.expression(module, node.value, depth)
        if isinstance(node, ast.Name):
            if node.id in module.bindings or module.stars:
                return self.in_module(module, node.id, depth)
            value = getattr(builtins, node.id, None)
            return BuiltinClass(value) if isinstance(value, type) else Unknown(f"`{node.id}` is not defined")
        if isinstance(node, ast.Attribute):
            return self.member(self.expression(module, node.value, depth), node.attr, instance=False, depth=depth)
        return Unknown("a computed base class")

    def member(self, value: Value, name: str, *, instance: bool, depth: int = 0) -> Value:
        """`value.name`: for a class, as an attribute of the class (`instance` False) or of an instance."""
        if isinstance(value, ModuleValue):
            return self.in_module(value.module, name, depth)
        if isinstance(value, ClassValue):
            return self.class_member(value, name, instance, depth)
        if isinstance(value, BuiltinClass):
            return Opaque() if hasattr(value.type_, name) else Missing(value.type_.__name__, public(dir(value.type_)))
        if isinstance(value, Several):
            results = [self.member(v, name, instance=instance, depth=depth) for v in value.values]
            found = [r for r in results if not isinstance(r, Missing | Unknown)]
            if found:
                return found[0] if len(found) == 1 else Opaque()
            unknown = [r for r in results if isinstance(r, Unknown)]
            return unknown[0] if unknown else results[0]
        return value if isinstance(value, Unknown | Missing) else Unknown("not followed")

    def class_member(self, value: ClassValue, name: str, instance: bool, depth: int = 0) -> Value:
        if (name.startswith("__") and name.endswith("__")) or name in _OBJECT_NAMES:
            return Opaque()
        unknown: str | None = None
        names: set[str] = set()
        queue, seen = [value], set[int]()
        while queue:
            current = queue.pop(0)
            klass = current.klass
            if id(klass) in seen or len(seen) > 64:
                continue
            seen.add(id(klass))
            if name in klass.methods:
                return FunctionValue(current.module, klass.methods[name], current)
            if name in klass.classes:
                return ClassValue(current.module, klass.classes[name])
            if name in klass.members or (klass.abc and name == "register"):
                return Opaque()
            names |= klass.members
            if klass.dynamic:
                unknown = unknown or f"`{klass.qualname}`: {klass.dynamic}"
            for base in klass.bases:
                base_value = self.expression(current.module, base, depth + 1)
                if isinstance(base_value, ClassValue):
                    queue.append(base_value)
                elif isinstance(base_value, BuiltinClass):
                    if hasattr(base_value.type_, name):
                        return Opaque()
                    names |= set(dir(base_value.type_))
                elif isinstance(base_value, Several):
                    unknown = unknown or f"`{klass.qualname}` has a base bound in several ways"
                else:
                    reason = base_value.reason if isinstance(base_value, Unknown) else "it cannot be followed"
                    unknown = unknown or f"a base of `{klass.qualname}` ({reason})"
        if unknown:
            return Unknown(unknown)
        owner = f"{value.module.name}.{value.klass.qualname}" if value.module.name else value.klass.qualname
        return Missing(owner, public(names))
