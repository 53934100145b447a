"""The child that prepared an edit's context, kept to serve the rest of it (surgeon/edit/aside.py).
It has the secret detectors and the never-sent rules loaded and it warms the names guard on the
files it showed, so the edit's own process, busy importing the model SDK, never loads them: every
secret it looks for (its prompts, its output) is found there and every reply is judged there
(surgeon/edit/judge.py). When there is no such child, or it has gone, the same work is done here:
slower, never skipped."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surgeon.edit.aside import Aside, ChildGone, Handler

if TYPE_CHECKING:
    from surgeon.diff.types import FileChange
    from surgeon.edit.judge import Asked, Judged
    from surgeon.edit.prepare import Prepared
    from surgeon.model.redact import Redactor
    from surgeon.secrets import FoundSecret
    from surgeon.validate.names import Judge, NamesGuard, NamesReport

FIND, NAMES, JUDGE = "find", "names", "judge"


def python_files(paths: Sequence[str]) -> list[str]:
    return [p for p in paths if p.endswith((".py", ".pyi"))]


def serving(root: Path) -> Callable[[Prepared], Handler]:
    """For the child, once it has prepared the context: what answers the edit's calls."""

    def start(prepared: Prepared) -> Handler:
        from surgeon.edit.judge import judge
        from surgeon.validate.names import NamesGuard

        guard = NamesGuard(root)
        warming = threading.Thread(target=warm_quietly, args=(guard, python_files(prepared.shown)), daemon=True)
        warming.start()
        warmed = _Warmed(guard, warming)
        found = Found()
        # The output names the located regions: their texts are looked at while the model works.
        found.ahead([text for region in prepared.located.regions for text in (region.path, region.symbol or "", *region.why)])

        def handle(name: str, args: tuple[Any, ...]) -> object:
            if name == FIND:
                return found(args[0])
            if name == NAMES:
                return warmed.check(args[0])
            if name == JUDGE:
                reply, asked, redactor = args
                judged = judge(root, reply, asked, redactor.restore, found, warmed)
                if judged.result is not None and judged.result.ok:  # the output shows the diff, while it is staged
                    found.ahead([judged.result.normalised])
                return judged
            raise ValueError(f"no such call: {name}")

        return handle

    return start


class Found:
    """The child's finder: each text's secrets found once (find_secrets is a pure function of a text
    and its path), some of them ahead, while this side has other work, for the output to find known."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str | None], list[FoundSecret]] = {}
        self._ahead: threading.Thread | None = None

    def __call__(self, items: Sequence[tuple[str, str | None]]) -> list[list[FoundSecret]]:
        self._fill(items)  # what is not known yet is looked at now, not waited for
        return [self._known[item] for item in items]

    def ahead(self, texts: Sequence[str]) -> None:
        if self._ahead is not None:
            self._ahead.join()
        self._ahead = threading.Thread(target=self._fill, args=([(text, None) for text in texts],), daemon=True)
        self._ahead.start()

    def _fill(self, items: Sequence[tuple[str, str | None]]) -> None:
        from surgeon.model.redact import find_each

        missing = [item for item in dict.fromkeys(items) if item not in self._known]
        self._known.update(zip(missing, find_each(missing), strict=True))


class _Warmed:
    """The child's names guard, once it has asked ahead about the shown files."""

    def __init__(self, guard: NamesGuard, warming: threading.Thread) -> None:
        self.guard, self.warming = guard, warming

    def warm(self, paths: Sequence[str]) -> None:
        self.guard.warm(paths)

    def check(self, changes: Sequence[FileChange]) -> NamesReport:
        self.guard.hurry()
        self.warming.join()
        return self.guard.check(changes)


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

    def hurry(self) -> None:
        """A reply is to be judged: warming here stops after what it is doing."""
        if self._here is not None:
            self._here.hurry()

    def judge(self, reply: str, asked: Asked, redactor: Redactor) -> Judged:
        """The reply judged (surgeon/edit/judge.py), its placeholders restored by `redactor`."""
        try:
            judged: Judged = self._call(JUDGE, reply, asked, redactor)
            return judged
        except ChildGone:
            from surgeon.edit.judge import judge

            return judge(self.root, reply, asked, redactor.restore, self.find, self._guard())

    def _guard(self) -> NamesGuard:
        if self._here is None:
            from surgeon.validate.names import NamesGuard

            self._here = NamesGuard(self.root)
        return self._here

    def close(self) -> None:
        if self._child is not None:
            child, self._child = self._child, None
            child.close()
        if self._here is not None:
            self._here.close()
