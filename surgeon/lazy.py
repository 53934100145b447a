"""Package exports imported on first use (PEP 562), so that a command which needs one small part of
a package (the edit hook needs the secret detector, not the providers or the diff engine) does not
pay for importing the rest of it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: name -> "module" or "module:attribute"."""

    def __getattr__(name: str) -> Any:
        try:
            module, _, attribute = where[name].partition(":")
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
