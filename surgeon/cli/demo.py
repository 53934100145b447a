"""`surgeon demo`: the story surgeon comes from, end to end, on a copy of examples/analytics-stack."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import click

from surgeon.errors import EnvironmentFailure
from surgeon.git.runner import Git

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"  # inside the package: installs carry it
EXAMPLE = EXAMPLES / "analytics-stack"
SCRIPTED = EXAMPLES / "demo"
INSTRUCTION = ("Add a /collect endpoint with strict method and size limits, "
               "and allow origin https://s.ado.im in CORS and the CSP")


def _git(repo: Path, *args: str) -> str:
    """git in the demo's repository; a failure there is GitFailed (exit 3), the machine's problem."""
    return Git(repo).run(*args).stdout.decode("utf-8", "replace")


def make_demo_repo(dest: Path) -> Path:
    """A fresh git repository holding a copy of the example stack, with one commit."""
    if not EXAMPLE.is_dir():
        raise EnvironmentFailure(f"{EXAMPLE} is missing: this surgeon install is incomplete; reinstall it")
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".venv"))
    _git(dest, "init", "-q", "-b", "main")
    if not Git(dest).run("config", "user.email", check=False).stdout.strip():
        _git(dest, "config", "user.email", "demo@surgeon.invalid")
        _git(dest, "config", "user.name", "surgeon demo")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "analytics stack: client, FastAPI ingest, nginx, systemd")
    return dest


def demo_check() -> tuple[str, str]:
    """The gate and how to describe it: the example's pytest suite when pytest, fastapi and httpx are
    installed beside surgeon (a source checkout's venv), else a byte-compile of the Python files, which
    needs nothing (a pipx install has no test tools)."""
    import importlib.util

    python = shlex.quote(sys.executable)
    if all(importlib.util.find_spec(name) is not None for name in ("pytest", "fastapi", "httpx")):
        return f"{python} -m pytest -q -p no:cacheprovider", "pytest -q"
    return (f"{python} -m compileall -q ingest tests",
            "python -m compileall (pytest, fastapi or httpx is not installed beside surgeon; "
            "install them for the example's own tests)")


@click.command()
@click.option("--live", is_flag=True, help="Ask the configured real model instead of the scripted replies.")
@click.option("--model", help="With --live: the model to use (provider:name).")
@click.option("--keep", is_flag=True, help="Keep the temporary repository and print where it is.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the edit's result (as `surgeon edit --json`) plus the demo's "
                   "repository, whether the replies were scripted, and whether the tree was left untouched.")
def demo(live: bool, model: str | None, keep: bool, as_json: bool) -> None:
    """Run the story surgeon comes from on a temporary copy of the example analytics stack.

    \b
    "Add a /collect endpoint with strict method and size limits, and allow origin
     https://s.ado.im in CORS and the CSP" -> locate, model, diff engine, validators,
    one refused diff corrected on retry, a review branch, and the gate `pytest -q` on it.
    Without --live the model's replies are scripted (and labelled so).
    """
    from surgeon import terminal
    from surgeon.cli.edit import EditView
    from surgeon.cli.render import outcome_json
    from surgeon.config import load_config
    from surgeon.edit import EditLoop, EditRequest
    from surgeon.git import find_repo

    console = terminal.console(soft_wrap=True, quiet=as_json or terminal.quiet())
    workdir = Path(tempfile.mkdtemp(prefix="surgeon-demo-"))
    try:
        repo_path = make_demo_repo(workdir / "analytics-stack")
        if live:
            spec = model
        else:
            replies = [(SCRIPTED / name).read_text(encoding="utf-8") for name in ("attempt1.txt", "attempt2.txt")]
            script = workdir / "scripted-replies.json"
            script.write_text(json.dumps(replies, indent=2), encoding="utf-8")
            spec = f"script:{script}"
        check, check_label = demo_check()
        console.rule("[bold]surgeon demo")
        console.print(f"repository: a fresh copy of the example analytics stack in {repo_path}")
        console.print(f"instruction: [bold]{INSTRUCTION}[/]")
        console.print("model: " + ((model or "the configured model") if live
                                   else "[yellow]scripted replies[/] (examples/demo/attempt*.txt; not a model)"))
        console.print(f"gate: {check_label}")
        console.print()
        repo = find_repo(repo_path)
        before = _git(repo_path, "status", "--porcelain"), _git(repo_path, "rev-parse", "HEAD")
        request = EditRequest(instruction=INSTRUCTION, model=spec, check=check)
        if as_json:
            outcome = EditLoop(repo, load_config(repo.root)).run(request)
        else:
            view = EditView(attempt_diffs=True, final_diff=False)
            view.log = view.out = console  # the demo is one story on stdout
            outcome = EditLoop(repo, load_config(repo.root), on_event=view.event, on_progress=view.progress).run(
                request)
            view.summary(outcome)
        after = _git(repo_path, "status", "--porcelain"), _git(repo_path, "rev-parse", "HEAD")
        if as_json:
            click.echo(json.dumps({**outcome_json(outcome), "demo": {
                "repository": str(repo_path) if keep else None, "scripted": not live,
                "gate": check_label, "untouched": before == after}}, indent=2))
        console.print()
        untouched = "[green]untouched[/]" if before == after else "[red]CHANGED[/]"
        console.print(f"working tree, index and current branch: {untouched}")
        if outcome.staged and keep:
            console.print(f"the change waits on [bold]{outcome.staged.branch}[/] in {repo_path}: "
                          f"cd there and run surgeon show {outcome.staged.id} / accept / discard")
        elif outcome.staged:
            console.print(f"the change waited on [bold]{outcome.staged.branch}[/]; the temporary repository is "
                          "removed now (run `surgeon demo --keep` to explore it)")
        if outcome.status != "staged" or outcome.staged is None:
            sys.exit(1)
        if terminal.quiet() and not as_json:
            click.echo(f"surgeon demo: staged {outcome.staged.branch}, gate {check_label.split(' (')[0]} passed")
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
