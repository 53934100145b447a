"""A model's reply judged: its diff taken out, its secrets put back where their placeholders stood,
then placement by content, minimality and syntax (the engine), the files it may touch, the secrets
it would add and the names it uses. Pure but for reading the working tree, so that the child that
prepared the edit (surgeon/edit/helper.py), where the file reader, the secret detectors and the
names guard are warm, can do it; or this process, when that child has gone."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from surgeon.diff import PatchResult, Refusal
from surgeon.validate import ApplyOptions

if TYPE_CHECKING:
    from surgeon.model.redact import Finder
    from surgeon.validate.names.run import Judge, NamesReport

NO_DIFF = "the reply contains no unified diff"


@dataclass(frozen=True)
class Asked:
    """What the edit asked for, as judging a reply needs it."""

    instruction: str
    shown: tuple[str, ...]  # the files the model was shown (or read): the diff's scope
    options: ApplyOptions
    allow_any_file: bool = False


@dataclass(frozen=True)
class Judged:
    result: PatchResult | None  # None when the reply holds no diff that could be applied
    refusals: tuple[Refusal, ...]
    verdicts: dict[str, str]  # validator -> "ok" / "refused ..." (names: its verdict is the run's, see NamesRun)
    names: NamesReport | None = None  # when the names were judged: the diff applied


def judge(root: Path, reply: str, asked: Asked, restore: Callable[[str], str], finder: Finder,
          names: Judge) -> Judged:
    # What judges a reply is loaded where replies are judged (the serving child), not on import.
    from surgeon.diff import extract_diff
    from surgeon.validate.scope import check_scope, patch_sendable_files
    from surgeon.validate.secrets import check_changes, restore_placeholders

    diff_text = extract_diff(reply)
    if not diff_text.strip():
        reason = f"{NO_DIFF}; reply with one ```diff block holding --- a/ +++ b/ and @@ hunks"
        return Judged(None, (Refusal(None, None, None, reason),), {"match": "refused: no diff in the reply"})
    # Secrets come back only where their placeholders stood; the engine never reads a never-sent file.
    diff_text, misplaced = restore_placeholders(diff_text, restore)
    if misplaced:
        return Judged(None, tuple(misplaced), {"secrets": "refused: a placeholder where it did not stand"})
    # a model's diff may delete a file only when the instruction asks for that
    options = dataclasses.replace(asked.options, instruction=asked.instruction)
    result = patch_sendable_files(root, diff_text, options, asked.shown)
    # The engine checks placement by content, minimality and syntax in one pass.
    engine = "ok" if result.ok else f"refused ({len(result.refusals)})"
    verdicts = {"match": engine, "minimality": engine, "syntax": engine}
    refusals: list[Refusal] = list(result.refusals)
    if not result.ok:
        return Judged(result, tuple(refusals), verdicts)
    scope = check_scope(result.changes, asked.shown, asked.instruction, allow_any_file=asked.allow_any_file)
    secrets = check_changes(result.changes, diff_text, finder)
    verdicts["scope"] = "ok" if not scope else "refused"
    verdicts["secrets"] = "ok" if not secrets else "refused"
    refusals += scope + secrets
    # Names the diff uses must exist (imports, attributes, arity, packages).
    return Judged(result, tuple(refusals), verdicts, names.check(result.changes))

