"""A diff from the engine with the validators that judge every diff on top: the syntax guard
(a file that parsed must still parse) and minimality (no whole-file rewrites, at most
max_changed_lines). Scope and secrets depend on the caller's context and are run by it."""

from __future__ import annotations

from pathlib import Path

from surgeon.diff import PatchResult, Refusal, apply_patch
from surgeon.diff.apply import ReadFile, decode
from surgeon.git.files import WorkingTreeProblem, working_tree_reader
from surgeon.validate.minimality import check_minimality
from surgeon.validate.options import ApplyOptions
from surgeon.validate.syntax import check_syntax

DEFAULT_OPTIONS = ApplyOptions()


def check_result(result: PatchResult, options: ApplyOptions = DEFAULT_OPTIONS) -> PatchResult:
    """`result` when the syntax guard and the minimality rules accept it, else refused with their
    reasons (syntax first, file by file, then minimality)."""
    if not result.ok:
        return result
    refusals: list[Refusal] = []
    if options.check_syntax:
        for change in result.changes:
            if change.new_content is None:
                continue
            old_text = None if change.old_content is None else decode(change.path, change.old_content)
            new_text = decode(change.path, change.new_content)
            if isinstance(old_text, Refusal) or isinstance(new_text, Refusal):
                continue  # the engine reads only UTF-8 text, so this cannot happen for its own output
            problem = check_syntax(change.path, old_text, new_text, list(change.added_lines), change.hunk_spans)
            if problem:
                refusals.append(problem)
    refusals.extend(check_minimality(
        result.changes, allow_rewrite=options.allow_rewrite, rewrite_share=options.rewrite_share,
        max_changed_lines=options.max_changed_lines, instruction=options.instruction))
    if refusals:
        return PatchResult(False, (), tuple(refusals), result.repairs, "", 0, 0)
    return result


def check_patch(diff_text: str, read_file: ReadFile, options: ApplyOptions = DEFAULT_OPTIONS) -> PatchResult:
    """The diff engine, then the syntax and minimality validators: what apply, edit, pair and review
    all mean by "the diff fits"."""
    return check_result(apply_patch(diff_text, read_file), options)


def patch_working_tree(root: Path, diff_text: str, options: ApplyOptions) -> PatchResult:
    """check_patch on the working tree's files (nothing is written)."""
    try:
        return check_patch(diff_text, working_tree_reader(root), options)
    except WorkingTreeProblem as problem:
        return PatchResult(False, (), (Refusal(problem.path, None, None, problem.reason),), (), "", 0, 0)
