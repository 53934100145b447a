"""`surgeon review`: the pre-commit check for secrets, hard-coded origins, oversized timeouts and risky
config, with proposed minimal diffs. Imports only what the default path needs: no model SDK, no
tree-sitter unless a fix is validated, no rich."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from surgeon import terminal
from surgeon.errors import UsageError

if TYPE_CHECKING:
    from surgeon.git import RepoInfo
    from surgeon.review.findings import Finding, Severity
    from surgeon.review.scope import Scope, SourceFile

SKIP_VALUES = ("1", "true", "yes", "on")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--staged", is_flag=True, help="Judge the lines the next commit adds (the default).")
@click.option("--range", "commit_range", metavar="A..B", help="Judge the lines B adds over A, as in B.")
@click.option("--all", "all_files", is_flag=True, help="Judge every line of every tracked file.")
@click.option("--pre-commit", "pre_commit", is_flag=True,
              help="Run as the hook of the pre-commit framework: judge the FILEs it passes (see above).")
@click.option("--llm", is_flag=True, help="Also ask the review model (the staged diff, secrets redacted).")
@click.option("--model", "model_override", metavar="PROVIDER:NAME", help="Review model for --llm.")
@click.option("--fix", is_flag=True,
              help="Stage the mechanical fixes as one commit on a review branch (working tree untouched).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.option("--sarif", is_flag=True, help="Print SARIF 2.1.0 for code-scanning dashboards.")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high"]),
              help="Lowest severity that makes the exit code 1 (default: review.fail_on, else high).")
@click.option("--write-baseline", is_flag=True,
              help="Accept the current findings into .surgeon-baseline.json (then `git add` it). With --json "
                   'it prints {"status": "ok", "accepted": N, "baseline": ".surgeon-baseline.json", "total": M}: '
                   "N findings accepted now, M entries in the file.")
@click.option("--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder).")
@click.pass_context
def review(ctx: click.Context, paths: tuple[str, ...], staged: bool, commit_range: str | None, all_files: bool,
           pre_commit: bool, llm: bool, model_override: str | None, fix: bool, as_json: bool, sarif: bool,
           fail_on: str | None, write_baseline: bool, repo_dir: str | None) -> None:
    """Check changes for secrets, hard-coded origins, oversized timeouts and risky config.

    By default only the lines the next commit adds are judged (what `surgeon hook install` runs),
    so old code never blocks a new commit. Each finding names the file, line, rule and severity, with a
    minimal diff where the fix is mechanical. The exit code is 1 only when a finding is at or above
    --fail-on. Accept a finding with a `surgeon: allow <rule>` comment on its line, or for good with
    --write-baseline. SURGEON_SKIP=1 skips the review.

    --pre-commit FILE... is the hook of the pre-commit framework (id surgeon-review). In a normal
    commit pre-commit passes the staged files, and only the lines the commit adds are judged. A passed
    file with no staged change (what `pre-commit run --all-files` or `--files` passes) is judged whole,
    in its index content. With PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF set (`pre-commit run
    --from-ref A --to-ref B`, pre-push), the lines the range adds in the passed files are judged, as
    `--range A...B` restricted to them. With no FILE: the staged changes, or the whole range.
    """
    if os.environ.get("SURGEON_SKIP", "").strip().lower() in SKIP_VALUES:
        click.echo("surgeon review: skipped (SURGEON_SKIP is set)", err=True)
        return
    started = time.perf_counter()
    modes = sum((staged, commit_range is not None, all_files, pre_commit, bool(paths) and not pre_commit))
    if modes > 1:
        raise UsageError("choose one of --staged, --range A..B, --all, --pre-commit [FILE...] or PATH...")
    if as_json and sarif:
        raise UsageError("choose one of --json and --sarif")
    from_ref, to_ref = (os.environ.get(f"PRE_COMMIT_{end}_REF") or None for end in ("FROM", "TO"))
    if fix and (commit_range is not None or (pre_commit and (from_ref or to_ref))):
        raise UsageError("--fix stages fixes for staged or working-tree content; it cannot fix a --range "
                         "(nor the PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF range of --pre-commit)")

    from surgeon.config import load_config
    from surgeon.git import find_repo
    from surgeon.review import baseline, engine, scope
    from surgeon.review.run import run_review
    from surgeon.review.settings import ReviewSettings

    repo = find_repo(repo_dir, need_commit=False)
    config = load_config(repo.root)
    settings = ReviewSettings.from_config(config, fail_on)
    if commit_range is not None:
        chosen = scope.commit_range(repo.root, commit_range)
    elif all_files:
        chosen = scope.all_files(repo.root)
    elif pre_commit:
        chosen = scope.pre_commit(repo.root, paths, Path.cwd(), from_ref, to_ref)
    else:
        chosen = staged_or_named(repo.root, paths, Path.cwd())

    run = run_review(repo, config, chosen, settings, llm=llm, model_override=model_override)
    findings = run.findings

    if write_baseline:
        count = baseline.write(repo.root, findings, run.accepted)
        if as_json:
            click.echo(json.dumps({"status": "ok", "accepted": len(findings), "baseline": baseline.BASELINE_NAME,
                                   "total": count}, indent=2))
        else:
            click.echo(f"surgeon review: {len(findings)} finding(s) accepted; {baseline.BASELINE_NAME} now holds "
                       f"{count}. Add it to the commit: git add {baseline.BASELINE_NAME}", err=True)
        return

    seconds = time.perf_counter() - started
    from surgeon.review.findings import at_or_above, printable

    blocking = [f for f in findings if at_or_above(f.severity, settings.fail_on)]
    if as_json:
        click.echo(json.dumps(review_json(findings, chosen, seconds), indent=2))
    elif sarif:
        from surgeon.review.sarif import to_sarif

        click.echo(json.dumps(to_sarif(findings, engine.all_rules(), seconds=seconds,
                                       files_checked=len(chosen.files)), indent=2))
    else:
        _print_human(findings, chosen, settings.fail_on, blocking, seconds, run.suppressed)
    for note in run.notes:
        terminal.note(f"surgeon review: note: {printable(note)}")
    if fix:  # after the report, so a refusal to stage never hides the findings
        click.echo(_stage_fixes(repo, findings, run.files, judged_index=chosen.content_ref == ""), err=True)
    if blocking:
        ctx.exit(1)


def staged_or_named(root: Path, paths: Sequence[str], cwd: Path) -> Scope:
    """What is judged without --range, --all or --pre-commit: the named PATHs (relative to `cwd`), else
    the staged changes."""
    from surgeon.review import scope

    return scope.named_paths(root, paths, cwd) if paths else scope.staged(root)


def review_json(findings: Sequence[Finding], chosen: Scope, seconds: float) -> dict[str, Any]:
    """The object `surgeon review --json` prints (also for `surgeon mcp`)."""
    return {"findings": [f.as_json() for f in findings], "files_checked": len(chosen.files),
            "seconds": round(seconds, 3)}


def _stage_fixes(repo: RepoInfo, findings: Sequence[Finding], files: Mapping[str, SourceFile], *,
                 judged_index: bool) -> str:
    from surgeon.review import fixes, stage_fixes

    result, fix_notes, used = fixes.combined_fix(findings, files)
    for note in fix_notes:
        terminal.note(f"surgeon review: note: {note}")
    if result is None:
        return "surgeon review: --fix: no mechanical fix to stage"
    if judged_index:
        result, moved = stage_fixes.onto_partly_staged_files(repo.root, result)
        if moved:
            click.echo(moved, err=True)
    staged = stage_fixes.stage_fixes(repo, result, used)
    return (f"surgeon review: staged {len(used)} fix(es) on {staged.branch} "
            f"(+{staged.lines_added} -{staged.lines_removed}); see it with `surgeon show {staged.id}`, "
            f"take it with `surgeon accept {staged.id}`")


_SEVERITY_STYLES: dict[Severity, tuple[str, bool]] = {"high": ("red", True), "medium": ("yellow", False),
                                                      "low": ("cyan", False)}


def _print_human(findings: Sequence[Finding], chosen: Scope, fail_on: Severity, blocking: Sequence[Finding],
                 seconds: float, suppressed: Mapping[str, int]) -> None:
    from surgeon.cli.render import styled_diff_lines
    from surgeon.review.findings import printable

    color = terminal.color_allowed()
    current = None
    for finding in findings:
        if finding.path != current:
            if current is not None:
                click.echo("", color=color)
            click.echo(click.style(printable(finding.path), bold=True), color=color)
            current = finding.path
        fg, bold = _SEVERITY_STYLES[finding.severity]
        severity = click.style(f"{finding.severity:<6}", fg=fg, bold=bold or None)
        click.echo(f"  {finding.line:>5}  {severity}  {finding.rule:<24} {printable(finding.message)}", color=color)
        if finding.diff:
            for line in styled_diff_lines(printable(finding.diff)):
                click.echo("         " + line, color=color)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("high", "medium", "low")}
    described = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    extra = "".join(f", {n} accepted by {how}" for how, n in suppressed.items())
    skipped = "".join(f", {n} skipped ({why})" for why, n in chosen.skipped.items())
    summary = (f"surgeon review: {len(findings)} finding(s)" + (f" ({described})" if described else "")
               + f" in {len(chosen.files)} file(s) of {printable(chosen.description)}{extra}{skipped}, {seconds:.2f} s")
    if findings:
        click.echo("", color=color)
    if findings or not terminal.quiet():  # --quiet: a clean review prints nothing
        click.echo(summary, color=color)
    if blocking:
        click.echo(f"surgeon review: {len(blocking)} at or above {fail_on}: blocking. Fix them, accept one with a "
                   "`surgeon: allow <rule>` comment or `surgeon review --write-baseline`, or skip once with "
                   "SURGEON_SKIP=1 (or git commit --no-verify).", color=color)
