"""`surgeon demo`: the story surgeon comes from, end to end, on a copy of examples/analytics-stack."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from surgeon.errors import UsageError

SOURCE_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = SOURCE_ROOT / "examples" / "analytics-stack"
SCRIPTED = SOURCE_ROOT / "examples" / "demo"
INSTRUCTION = ("Add a /collect endpoint with strict method and size limits, "
               "and allow origin https://s.ado.im in CORS and the CSP")


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode != 0:
        raise UsageError(f"git {' '.join(args)} failed in the demo repository: {result.stderr.strip()}")
    return result.stdout


def make_demo_repo(dest: Path) -> Path:
    """A fresh git repository holding a copy of the example stack, with one commit."""
    if not EXAMPLE.is_dir():
        raise UsageError(f"{EXAMPLE} is missing: run the demo from a surgeon source checkout")
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".venv"))
    _git(dest, "init", "-q", "-b", "main")
    if not subprocess.run(["git", "config", "user.email"], cwd=dest, capture_output=True).stdout.strip():
        _git(dest, "config", "user.email", "demo@surgeon.invalid")
        _git(dest, "config", "user.name", "surgeon demo")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "analytics stack: client, FastAPI ingest, nginx, systemd")
    return dest


@click.command()
@click.option("--live", is_flag=True, help="Ask the configured real model instead of the scripted replies.")
@click.option("--model", help="With --live: the model to use (provider:name).")
@click.option("--keep", is_flag=True, help="Keep the temporary repository and print where it is.")
def demo(live: bool, model: str | None, keep: bool) -> None:
    """Run the story surgeon comes from on a temporary copy of examples/analytics-stack.

    \b
    "Add a /collect endpoint with strict method and size limits, and allow origin
     https://s.ado.im in CORS and the CSP" -> locate, model, diff engine, validators,
    one refused diff corrected on retry, a review branch, and the gate `pytest -q` on it.
    Without --live the model's replies are scripted (and labelled so).
    """
    from rich.console import Console

    from surgeon.agent import EditLoop, EditRequest
    from surgeon.commands.edit import EditView
    from surgeon.config import load_config
    from surgeon.repo import find_repo

    console = Console(highlight=False, soft_wrap=True)
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
        console.rule("[bold]surgeon demo")
        console.print(f"repository: a fresh copy of examples/analytics-stack in {repo_path}")
        console.print(f"instruction: [bold]{INSTRUCTION}[/]")
        console.print("model: " + ("the configured model" if live and not model else spec if live
                                   else "[yellow]scripted replies[/] (examples/demo/attempt*.txt; not a model)"))
        console.print()
        repo = find_repo(repo_path)
        before = _git(repo_path, "status", "--porcelain"), _git(repo_path, "rev-parse", "HEAD")
        check = f"{shlex.quote(sys.executable)} -m pytest -q -p no:cacheprovider"
        view = EditView()
        outcome = EditLoop(repo, load_config(repo.root), on_event=view.event, on_progress=view.progress).run(
            EditRequest(instruction=INSTRUCTION, model=spec, check=check)
        )
        view.summary(outcome)
        after = _git(repo_path, "status", "--porcelain"), _git(repo_path, "rev-parse", "HEAD")
        console.print()
        untouched = "[green]untouched[/]" if before == after else "[red]CHANGED[/]"
        console.print(f"working tree, index and current branch: {untouched}")
        if outcome.staged and keep:
            console.print(f"the change waits on [bold]{outcome.staged.branch}[/] in {repo_path}: "
                          f"cd there and run surgeon show {outcome.staged.id} / accept / discard")
        elif outcome.staged:
            console.print(f"the change waited on [bold]{outcome.staged.branch}[/]; the temporary repository is "
                          "removed now (run `surgeon demo --keep` to explore it)")
        if outcome.status != "staged":
            sys.exit(1)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
