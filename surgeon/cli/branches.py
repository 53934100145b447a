"""`surgeon branches`, `show`, `accept`, `discard`: the review branches surgeon stages changes on."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from surgeon.errors import UsageError
from surgeon.git import RepoInfo, find_repo

if TYPE_CHECKING:
    from rich.console import Console

    from surgeon.gate import GateResult
    from surgeon.pair.listing import Kept
    from surgeon.stage.branches import AcceptResult, BranchInfo, PairState

repo_option = click.option(
    "--repo", "repo_dir", type=click.Path(file_okay=False), help="Repository (default: current folder)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")


def _console() -> Console:
    from surgeon import terminal

    console: Console = terminal.console()
    return console


def _echo_json(payload: object) -> None:
    click.echo(json.dumps(payload, indent=2))


def settle(repo: RepoInfo) -> None:
    """Before a command reads or changes branches: finish or roll back an accept that was killed
    part-way (and say which), and remove temporary folders killed stagings left."""
    from surgeon.stage.accept import recover
    from surgeon.stage.commit import sweep_stale_folders

    sweep_stale_folders()
    message = recover(repo)
    if message:
        click.echo(f"surgeon: {message}.", err=True)


@click.command()
@repo_option
@json_option
def branches(repo_dir: str | None, as_json: bool) -> None:
    """List pending surgeon branches: changes staged for review, not yet accepted or discarded,
    and `surgeon pair` session branches (kind "pair" in --json, with their accepted turns)."""
    infos, sessions = pending(find_repo(repo_dir))
    now = time.time()
    if as_json:
        _echo_json(branches_json(infos, sessions, now))
        return
    if not infos and not sessions:
        click.echo("No pending surgeon branches.")
        return
    if infos:
        _review_table(infos, now)
        click.echo("\nsurgeon show ID | surgeon accept ID | surgeon discard ID")
    if sessions:
        if infos:
            click.echo()
        _session_table(sessions, now)
        click.echo("\nsurgeon pair --resume continues the latest session | surgeon show ID | surgeon discard ID")


def _review_table(infos: Sequence[BranchInfo], now: float) -> None:
    from rich.table import Table
    from rich.text import Text

    from surgeon.stage.branches import STATE_WORDS, age

    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in ("id", "branch", "age", "files", "+/-", "check", "state", "instruction"):
        short = column in ("id", "age", "+/-", "check")
        table.add_column(column, no_wrap=short, overflow="fold", ratio=2 if column == "instruction" else None)
    for info in infos:
        table.add_row(
            Text(info.id, style="bold"),
            Text(info.branch),
            Text(age(now - info.created)),
            Text(", ".join(info.files)),
            Text.assemble((f"+{info.lines_added}", "green"), " ", (f"-{info.lines_removed}", "red")),
            Text(info.check_label, style=_check_style(info.gate)),
            Text(STATE_WORDS.get(info.state or "", ""), style="" if info.state == "verified" else "yellow"),
            Text(info.instruction),
        )
    _console().print(table)
    if any(info.state != "verified" for info in infos):
        click.echo("\nOnly verified branches are discarded by surgeon; `surgeon show ID` says why the others are kept.")


def _session_state(pair: PairState) -> str:
    if pair.running_pid is not None:
        return f"running (process {pair.running_pid})"
    return "--resume continues it" if pair.resume else ""


def _session_table(sessions: Sequence[BranchInfo], now: float) -> None:
    from rich.table import Table
    from rich.text import Text

    from surgeon.stage.branches import age

    click.echo("Pair sessions (surgeon pair):")
    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in ("id", "branch", "age", "accepted turns", "files", "+/-", "state"):
        table.add_column(column, no_wrap=column != "files", overflow="fold")
    for info in sessions:
        assert info.pair is not None  # a session branch always carries its pair state
        table.add_row(
            Text(info.id, style="bold"),
            Text(info.branch),
            Text(age(now - info.created)),
            Text(str(info.pair.turns_accepted)),
            Text(", ".join(info.files)),
            Text.assemble((f"+{info.lines_added}", "green"), " ", (f"-{info.lines_removed}", "red")),
            Text(_session_state(info.pair)),
        )
    _console().print(table)


def _check_style(gate: GateResult | None) -> str:
    if gate is None:
        return "dim"
    return "green" if gate.passed else "red"


@click.command()
@click.argument("ident", metavar="ID")
@repo_option
@json_option
def show(ident: str, repo_dir: str | None, as_json: bool) -> None:
    """Show a staged change: its metadata and its diff. ID is the short id or the branch name."""
    from surgeon.stage.branches import STATE_WORDS, age, kept_reason

    info, diff = find_with_diff(find_repo(repo_dir), ident)
    if as_json:
        _echo_json(show_json(info, diff))
        return
    from rich.text import Text

    console = _console()
    console.print(Text.assemble((info.branch, "bold"), f"  (id {info.id})"))
    rows = [
        ("commit", info.commit),
        ("base", f"{info.base} (snapshot of your working tree on {info.head})" if info.snapshot else info.base),
        ("started" if info.pair else "staged", f"{age(time.time() - info.created)} ago"),
        ("files", f"{', '.join(info.files)}  (+{info.lines_added} -{info.lines_removed})"),
    ]
    if info.pair is not None:
        state = _session_state(info.pair)
        rows.insert(0, ("session", f"surgeon pair, {info.pair.turns_accepted} accepted turn(s)"
                                   + (f", {state}" if state else "")))
    rows += [(key, value) for key, value in (("model", info.model), ("cost", info.cost)) if value]
    if info.gate is not None:
        rows.append(("check", f"{info.gate.command}: {info.gate.label} in {info.gate.seconds:.1f}s"))
    elif info.check_command:
        rows.append(("check", f"{info.check_command}: not run"))
    rows.append(("instruction", info.instruction))
    if info.state is not None:
        reason = kept_reason(info)
        rows.append(("state", STATE_WORDS[info.state] + (f": {reason}" if reason else "")))
    for key, value in rows:
        console.print(Text.assemble((f"{key:<12}", "dim"), value))
    if info.gate is not None and not info.gate.passed and info.gate.output_tail:
        console.print(Text("check output (tail):", style="dim"))
        console.print(Text(info.gate.output_tail))
    console.print()
    from surgeon.cli.render import diff_text

    console.print(diff_text(diff), soft_wrap=True, end="")


@click.command()
@click.argument("ident", metavar="ID")
@repo_option
@json_option
def accept(ident: str, repo_dir: str | None, as_json: bool) -> None:
    """Bring a staged change into the current branch and working tree, then delete its branch.

    Never loses uncommitted work: if a file the change touches has uncommitted changes, nothing
    happens and the files are listed. If HEAD moved since staging, the change is re-applied with a
    3-way merge, or refused when it conflicts. A change staged with --base worktree is written to
    the working tree and left uncommitted. Commits you added on the branch come in with it (or,
    when HEAD moved, it is refused). Interrupted, the next surgeon command finishes or rolls it back.
    """
    result = accept_one(find_repo(repo_dir), ident)
    if as_json:
        _echo_json(result.to_json())
        return
    branch = result.branch.branch
    messages = {
        "fast-forward": f"Accepted {branch}: HEAD is now {str(result.commit)[:12]}.",
        "replayed": f"Accepted {branch}: HEAD had moved, so the change was re-applied as {str(result.commit)[:12]}.",
        "working-tree": f"Accepted {branch} into your working tree (uncommitted, on top of your own changes).",
        "already-merged": f"{branch} was already in HEAD; nothing to do.",
    }
    click.echo(messages[result.how])
    if result.branch.foreign and result.how == "fast-forward":
        click.echo(f"It brought in {len(result.branch.foreign)} commit(s) on the branch that surgeon did not make: "
                   + ", ".join(result.branch.foreign))
    if result.files:
        click.echo("Updated: " + ", ".join(result.files))
    click.echo(f"Deleted branch {branch}.")


@click.command()
@click.argument("ident", metavar="ID", required=False)
@click.option("--all", "everything", is_flag=True,
              help="Discard every pending surgeon branch and pair session, except the session "
                   "`surgeon pair --resume` continues and sessions running now.")
@repo_option
@json_option
def discard(ident: str | None, everything: bool, repo_dir: str | None, as_json: bool) -> None:
    """Delete a staged change (its branch and its check note), or a `surgeon pair` session (its
    branch and session file; refused while it runs). Your files are not touched.

    Only a branch that still holds just the commit surgeon staged and verified is deleted: one you
    committed on, or made by hand under surgeon/, is refused (and kept by --all) with how to
    delete it yourself."""
    if everything == (ident is not None):
        raise UsageError("give either an ID or --all (see `surgeon branches`)")
    removed, kept, left = discard_some(find_repo(repo_dir), ident)
    if as_json:
        _echo_json(discard_json(removed, kept, left))
        return
    for info, reason in left:
        click.echo(f"Kept {info.branch}: {reason}.")
    if not removed and not kept and not left:
        click.echo("No pending surgeon branches.")
    for info in removed:
        if info.pair is not None:
            click.echo(f"Discarded pair session {info.branch} ({info.pair.turns_accepted} accepted turn(s), "
                       f"{info.commit[:12]}).")
        else:
            click.echo(f"Discarded {info.branch} ({info.commit[:12]}).")
    for k in kept:
        running = k.branch.pair is not None and k.branch.pair.running_pid is not None
        hint = "" if running else f" `surgeon discard {k.branch.id}` discards it."
        click.echo(f"Kept pair session {k.branch.branch}: {k.reason}.{hint}")


# ---------------------------------------------------------------------------------------------
# what the commands do and the objects their --json prints, also for `surgeon mcp`


def pending(repo: RepoInfo) -> tuple[list[BranchInfo], list[BranchInfo]]:
    """The pending review branches and pair session branches."""
    from surgeon.pair.listing import list_sessions
    from surgeon.stage.branches import list_branches

    settle(repo)
    return list(list_branches(repo)), list(list_sessions(repo))


def branches_json(infos: Sequence[BranchInfo], sessions: Sequence[BranchInfo], now: float) -> dict[str, Any]:
    return {"branches": [info.to_json(now) for info in (*infos, *sessions)]}


def find_with_diff(repo: RepoInfo, ident: str) -> tuple[BranchInfo, str]:
    """The branch `ident` names (short id or branch name) and its diff."""
    from surgeon.pair.listing import find_any
    from surgeon.stage.branches import branch_diff

    settle(repo)
    info = find_any(repo, ident)
    return info, branch_diff(repo, info)


def show_json(info: BranchInfo, diff: str) -> dict[str, Any]:
    return {"branch": info.to_json(), "diff": diff}


def accept_one(repo: RepoInfo, ident: str) -> AcceptResult:
    """Bring the change `ident` names into the current branch and working tree (its to_json() is what
    `accept --json` prints)."""
    from surgeon.pair.listing import accept as accept_change

    settle(repo)
    result = accept_change(repo, ident)
    if result.held_interrupt:
        click.echo("surgeon: Ctrl-C (or SIGTERM) came while the accept was being written; it was finished first.",
                   err=True)
    return result


Discarded = tuple[list["BranchInfo"], list["Kept"], list[tuple["BranchInfo", str]]]


def discard_some(repo: RepoInfo, ident: str | None) -> Discarded:
    """Discard the branch `ident` names, or (None) every pending one: what was removed, the sessions
    kept, and the branches left alone (not surgeon's, or committed on) with why."""
    from surgeon.errors import Refused
    from surgeon.pair.listing import discard as discard_one
    from surgeon.pair.listing import discard_everything, find_any, list_sessions
    from surgeon.stage.branches import kept_reason, list_branches

    settle(repo)
    left: list[tuple[BranchInfo, str]] = []
    if ident is None:
        left = [(info, reason) for info in list_branches(repo) if (reason := kept_reason(info)) is not None]
        left += [(info, reason) for info in list_sessions(repo) if (reason := _committed_on(repo, info))]
        removed, kept = discard_everything(repo)
        return list(removed), list(kept), left
    target = find_any(repo, ident)
    reason = _committed_on(repo, target) if target.kind == "pair" else None
    if reason:
        raise Refused(f"cannot discard {target.branch}: {reason}. Nothing changed.")
    return [discard_one(repo, ident)], [], left


def discard_json(removed: Sequence[BranchInfo], kept: Sequence[Kept],
                 left: Sequence[tuple[BranchInfo, str]]) -> dict[str, Any]:
    return {"discarded": [info.to_json() for info in removed],
            "kept": [*(k.to_json() for k in kept),
                     *({"id": info.id, "branch": info.branch, "reason": reason} for info, reason in left)]}


def _committed_on(repo: RepoInfo, info: BranchInfo) -> str | None:
    """Why a `surgeon pair` session branch is kept: it holds commits pair did not make."""
    from surgeon.pair.branch import foreign_commits

    foreign = foreign_commits(repo.root, info.branch, info.commit)
    if not foreign:
        return None
    return (f"it holds {len(foreign)} commit(s) `surgeon pair` did not make ({', '.join(repr(c) for c in foreign[:3])}); "
            f"`git merge {info.branch}` brings them in, `git branch -D {info.branch}` deletes it and them")
