"""The names guard: a diff may not use names that do not exist. It judges only the lines a diff
adds, and only uses the old file did not already have (what was unresolved before the change is not
its fault):

- Python (python.py): imports resolve in the repository or the project's own environment
  (environment.py, asked in a subprocess); imported names exist in their module; attributes of
  modules, classes and their instances exist; calls to repository functions fit their parameters.
- JavaScript/TypeScript (javascript.py): relative imports resolve to files, packages to
  node_modules or package.json, named imports to a module's exports.
- Dependencies (deps.py): a new requirement names a package that a lock file, another
  declaration or the environment knows.

What cannot be known (a module __getattr__, a star import that cannot be read, no environment,
compiled modules, dynamic attributes) is skipped and counted, never guessed. One NamesGuard serves a
whole edit run: the environment's answers and parsed modules are kept across attempts."""

from typing import TYPE_CHECKING

from surgeon.lazy import exports

if TYPE_CHECKING:
    from surgeon.validate.names.guard import NamesGuard
    from surgeon.validate.names.run import Judge, NamesReport, NamesRun

__all__ = ["Judge", "NamesGuard", "NamesReport", "NamesRun"]

__getattr__ = exports(__name__, {
    "NamesGuard": "surgeon.validate.names.guard",
    "Judge": "surgeon.validate.names.run",
    "NamesReport": "surgeon.validate.names.run",
    "NamesRun": "surgeon.validate.names.run",
})
