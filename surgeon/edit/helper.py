"""The child that prepared an edit's context, kept to serve the rest of it (surgeon/edit/aside.py).
It has the secret detectors loaded and it warms the names guard on the files it showed, so the
edit's own process, busy importing the model SDK, never loads either: every secret it looks for
(its prompts, the diff's new lines, its output) and every diff's names are found and judged there.
When there is no such child, or it has gone, the same work is done here: slower, never skipped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surgeon.edit.aside import Aside, ChildGone, Handler

if TYPE_CHECKING:
    from surgeon.diff.types import FileChange
    from surgeon.edit.prepare import Prepared
    from surgeon.secrets import FoundSecret
    from surgeon.validate.names import Judge, NamesGuard, NamesReport

FIND, NAMES = "find", "names"


def python_files(paths: Sequence[str]) -> list[str]:
    return [p for p in paths if p.endswith((".py", ".pyi"))]


def serving(root: Path) -> Callable[[Prepared], Handler]:
    """For the child, once it has prepared the context: what answers the edit's calls."""

    def start(prepared: Prepared) -> Handler:
        from surgeon.model.redact import find_each
        from surgeon.validate.names import NamesGuard

        guard = NamesGuard(root)
        warming = threading.Thread(target=warm_quietly, args=(guard, python_files(prepared.shown)), daemon=True)
        warming.start()

        def handle(name: str, args: tuple[Any, ...]) -> object:
            if name == FIND:
                return find_each(args[0])
            if name == NAMES:
                warming.join()
                return guard.check(args[0])
            raise ValueError(f"no such call: {name}")

        return handle

    return start


def warm_quietly(guard: Judge, paths: Sequence[str]) -> None:
    try:
        guard.warm(paths)
    except Exception:  # noqa: BLE001 - only a head start: the check asks again for what failed
        pass


class Helper:
    """This process's side: the serving child while it answers, this process after."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._child: Aside[Prepared] | None = None
        self._here: NamesGuard | None = None

    def attach(self, child: Aside[Prepared]) -> None:
        """The child that prepared this edit, once it has answered: it serves from now on."""
        self.close()
        self._child = child

    @property
    def serving(self) -> bool:
        return self._child is not None

    def _call(self, name: str, *args: Any) -> Any:
        if self._child is not None:
            try:
                return self._child.call(name, *args)
            except ChildGone:
                self._child = None
        raise ChildGone("no child serves this edit")

    def find(self, items: Sequence[tuple[str, str | None]]) -> list[list[FoundSecret]]:
        """The secrets of each text (a Finder, for the Redactor and the secrets validator)."""
        try:
            found: list[list[FoundSecret]] = self._call(FIND, list(items))
            return found
        except ChildGone:
            from surgeon.model.redact import find_each

            return find_each(items)

    def warm(self, paths: Sequence[str]) -> None:
        """Nothing to do while the child serves: it warms its guard on the files it showed (the
        loop's thread for it ends at once)."""
        if self._child is None:
            self._guard().warm(paths)

    def check(self, changes: Sequence[FileChange]) -> NamesReport:
        """The names of a diff judged (a names Judge)."""
        try:
            report: NamesReport = self._call(NAMES, tuple(changes))
            return report
        except ChildGone:
            return self._guard().check(changes)

    def _guard(self) -> NamesGuard:
        if self._here is None:
            from surgeon.validate.names import NamesGuard

            self._here = NamesGuard(self.root)
        return self._here

    def close(self) -> None:
        if self._child is not None:
            child, self._child = self._child, None
            child.close()
