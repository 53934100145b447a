"""`surgeon bench` through the installed console script, on real repositories with history built here.

Two "models" of different quality answer from their own scripts (scripted replies, or the fake
model server: one server per model), and the ranking, the scores and the suggested routing must
follow from what they answered."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.support import SURGEON, assert_no_traceback, assert_one_line_error, surgeon
from tests.fakes.server import FakeModelServer
from tests.helpers import GIT_ENV, git, make_repo, repo_state

PRICING = '''"""Prices and discounts."""

MAX_DISCOUNT = 10


def discounted(price, percent):
    """The price after a discount, capped at MAX_DISCOUNT percent."""
    percent = min(percent, MAX_DISCOUNT)
    return round(price * (100 - percent) / 100, 2)


def with_tax(price, rate=0.2):
    return round(price * (1 + rate), 2)
'''

TESTS = '''from app.pricing import discounted


def test_discount():
    assert discounted(100, 5) == 95
'''

SETTINGS = '''[server]
host = "127.0.0.1"
timeout = 10
workers = 2
'''

README = '''# shop

A small shop.

## Pricing

Discounts are capped.
'''


def commit(repo: Path, message: str, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def shop(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose history holds three good tasks (code with its test, config, docs) and
    commits bench must skip (a version bump, a vague subject, formatting only, a merge)."""
    repo = make_repo(tmp_path / "shop", {"app/__init__.py": "", "app/pricing.py": PRICING,
                                         "tests/test_pricing.py": TESTS, "settings.toml": SETTINGS,
                                         "README.md": README, "pyproject.toml": '[project]\nname = "shop"\n'})
    shas = {}
    shas["code"] = commit(repo, "Raise the discount cap from 10 to 15 percent", {
        "app/pricing.py": PRICING.replace("MAX_DISCOUNT = 10", "MAX_DISCOUNT = 15"),
        "tests/test_pricing.py": TESTS + "\n\ndef test_cap():\n    assert discounted(100, 50) == 85\n"})
    commit(repo, "wip", {"README.md": README + "\nMore.\n"})
    commit(repo, "Bump version to 1.2.3", {"pyproject.toml": '[project]\nname = "shop"\nversion = "1.2.3"\n'})
    shas["config"] = commit(repo, "Give the server more time: a request timeout of 30 seconds", {
        "settings.toml": SETTINGS.replace("timeout = 10", "timeout = 30")})
    commit(repo, "Tidy the pricing module layout", {"app/pricing.py": (repo / "app/pricing.py").read_text()
                                                    .replace("def with_tax(price, rate=0.2):",
                                                             "def with_tax(price,  rate=0.2):")})
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, "tmp", {"settings.toml": (repo / "settings.toml").read_text()
                                                           .replace("workers = 2", "workers = 4")})
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge the side branch into main", "side")
    shas["docs"] = commit(repo, "Document the discount cap of 15 percent in the README", {
        "README.md": (repo / "README.md").read_text().replace("Discounts are capped.",
                                                              "Discounts are capped at 15 percent.")})
    return repo, shas


def reply(repo: Path, sha: str, *, paths: tuple[str, ...] = ()) -> str:
    """The commit's own change as a model would send it (only `paths` when given)."""
    diff = git(repo, "diff", f"{sha}^", sha, "--", *paths)
    return f"Here is the change.\n\n```diff\n{diff}```\n"


def edited(repo: Path, sha: str, path: str, *replacements: tuple[str, str]) -> str:
    """A diff of `path` at the task's parent with `replacements` made, as a model would send it."""
    text = git(repo, "show", f"{sha}^:{path}")
    changed = text
    for old, new in replacements:
        changed = changed.replace(old, new)
    assert changed != text
    scratch = repo.parent / "scratch"
    scratch.mkdir(exist_ok=True)
    (scratch / "a").write_text(text)
    (scratch / "b").write_text(changed)
    diff = git(scratch, "diff", "--no-index", "a", "b", check=False)
    diff = re.sub(r"^diff --git .*\n(index .*\n)?", "", diff, flags=re.MULTILINE)
    diff = re.sub(r"^--- .*$", f"--- a/{path}", diff, flags=re.MULTILINE)
    diff = re.sub(r"^\+\+\+ .*$", f"+++ b/{path}", diff, flags=re.MULTILINE)
    return f"```diff\n{diff}```\n"


NO_DIFF = "I would rather not change this file."


def good_and_poor(repo: Path, shas: dict[str, str]) -> tuple[list[str], list[str]]:
    """Replies in task order (newest first: docs, config, code). good: the commits' own changes
    (the code task without its test). poor: docs refused (no diff, twice), config changed the wrong
    way, code right but with an extra change (equivalent: the commit's own test passes on it)."""
    good = [reply(repo, shas["docs"]), reply(repo, shas["config"]), reply(repo, shas["code"], paths=("app",))]
    poor = [NO_DIFF, NO_DIFF,
            edited(repo, shas["config"], "settings.toml", ("timeout = 10", "timeout = 3")),
            edited(repo, shas["code"], "app/pricing.py", ("MAX_DISCOUNT = 10", "MAX_DISCOUNT = 15"),
                   ("def with_tax(price, rate=0.2):", "def with_tax(price, rate=0.25):"))]
    return good, poor


def scripts(tmp_path: Path, repo: Path, shas: dict[str, str]) -> tuple[str, str]:
    good, poor = good_and_poor(repo, shas)
    good_file, poor_file = tmp_path / "good.json", tmp_path / "poor.json"
    good_file.write_text(json.dumps(good))
    poor_file.write_text(json.dumps(poor))
    return f"script:{good_file}", f"script:{poor_file}"


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree ")]


def test_bench_ranks_two_scripted_models_and_suggests_routing(tmp_path):
    repo, shas = shop(tmp_path)
    before = repo_state(repo)
    branches = git(repo, "for-each-ref", "--format=%(refname)")
    good, poor = scripts(tmp_path, repo, shas)

    # the commit's own tests run in the project's environment: here the one running these tests
    run = surgeon("bench", "--models", f"{poor},{good}", "--tasks", "5", "--json", cwd=repo,
                  env={"VIRTUAL_ENV": sys.prefix})
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)

    assert [t["commit"] for t in report["tasks"]] == [shas["docs"], shas["config"], shas["code"]]
    assert [(t["kind"], t["language"]) for t in report["tasks"]] == [("docs", "md"), ("config", "toml"),
                                                                    ("code", "python")]
    code_task = report["tasks"][2]
    assert code_task["files"] == ["app/pricing.py"] and code_task["test_files"] == ["tests/test_pricing.py"]
    assert code_task["instruction"] == "Raise the discount cap from 10 to 15 percent"

    verdicts = {(r["model"], r["task"]): r["verdict"] for r in report["runs"]}
    assert [verdicts[(good, shas[k])] for k in ("docs", "config", "code")] == ["exact"] * 3
    assert [verdicts[(poor, shas[k])] for k in ("docs", "config", "code")] == ["refused", "other", "equivalent"]
    extra = next(r for r in report["runs"] if r["model"] == poor and r["task"] == shas["code"])
    assert extra["collateral_lines"] == 2 and extra["check"]["passed"] is True
    assert "pytest" in extra["check"]["command"]
    refused = next(r for r in report["runs"] if r["model"] == poor and r["task"] == shas["docs"])
    assert refused["attempts"] == 2 and refused["collateral_lines"] is None and refused["cost_text"] == "$0.0000"

    assert [m["model"] for m in report["models"]] == [good, poor]
    best, second = report["models"]
    assert (best["rank"], best["exact"], best["solved"], best["collateral_lines"]) == (1, 3, 3, 0)
    assert (second["exact"], second["equivalent"], second["other"], second["refused"]) == (0, 1, 1, 1)
    assert {(row["model"], row["kind"]): row["solved"] for row in report["by_kind"]}[(poor, "code")] == 1
    assert report["routing"]["models"] == {"edit": good, "retry": good, "pair": good}
    assert f'edit = "{good}"' in report["routing"]["toml"]
    assert report["previous"] is None
    saved = Path(report["file"])
    assert saved.parent == repo / ".git" / "surgeon" / "bench" and json.loads(saved.read_text())["id"] == report["id"]

    # the user's tree, index, HEAD and branches as they were; no worktree or review branch left behind
    assert repo_state(repo) == before
    assert git(repo, "for-each-ref", "--format=%(refname)") == branches
    assert len(worktrees(repo)) == 1


def test_bench_tables_routing_and_comparison_with_the_previous_run(tmp_path):
    repo, shas = shop(tmp_path)
    good, poor = scripts(tmp_path, repo, shas)
    first = surgeon("bench", "--models", good, "--models", poor, cwd=repo)
    assert first.code == 0, first.stderr
    assert "models, best first" in first.stdout and "by kind" in first.stdout and "by language" in first.stdout
    assert "[models]" in first.stdout and f'edit = "{good}"' in first.stdout
    assert "no earlier bench run" in first.stdout
    assert re.search(r"script:\S+good\.json \(scripted replies\)|" + re.escape(good), first.stderr)

    # a second run of the same scripts (each script file starts over in a new process) compares
    again = surgeon("bench", "--models", f"{good},{poor}", "--json", cwd=repo)
    report = json.loads(again.stdout)
    previous = report["previous"]
    assert previous is not None and previous["changed"] == []
    assert {row["model"]: row["solved"] for row in previous["models"]}[good] == {"before": 3, "now": 3}
    third = surgeon("bench", "--models", good, cwd=repo)
    assert "compared with the run of" in third.stdout and "solved 3 -> 3" in third.stdout


def test_bench_with_one_fake_model_server_per_model(tmp_path, fake_model):
    """Two models over the real wire protocols: Anthropic answered well, OpenAI badly."""
    repo, shas = shop(tmp_path)
    good, poor = good_and_poor(repo, shas)
    fake_model.script(good)
    with FakeModelServer() as other:
        other.script(poor)
        env = {**fake_model.env(), "OPENAI_BASE_URL": other.openai_url, "SURGEON_OPENAI_BASE_URL": other.openai_url}
        run = surgeon("bench", "--models", "openai:gpt-6-luna,anthropic:claude-sonnet-5-5", "--json",
                      cwd=repo, env=env)
        assert run.code == 0, run.stderr
        report = json.loads(run.stdout)
        assert other.remaining == 0
    assert fake_model.remaining == 0
    assert [m["model"] for m in report["models"]] == ["anthropic:claude-sonnet-5-5", "openai:gpt-6-luna"]
    assert report["routing"]["models"]["edit"] == "anthropic:claude-sonnet-5-5"
    best = report["models"][0]
    assert best["tokens"] > 0 and best["cost"] is not None and best["cost"] > 0
    assert "test-key" not in run.stdout


def test_bench_respects_max_cost_before_every_call(tmp_path, fake_model):
    repo, shas = shop(tmp_path)
    good, _poor = good_and_poor(repo, shas)
    fake_model.script(good)
    run = surgeon("bench", "--models", "anthropic:claude-sonnet-5-5", "--max-cost", "0.000001", "--json",
                  cwd=repo, env=fake_model.env())
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert fake_model.requests == []
    assert {r["verdict"] for r in report["runs"]} == {"refused"}
    assert all("max_cost" in r["failure"] for r in report["runs"])
    assert report["routing"]["models"] == {} and report["spent"] == 0


def test_bench_check_command_decides_equivalence(tmp_path):
    repo, shas = shop(tmp_path)
    _good, poor = scripts(tmp_path, repo, shas)
    run = surgeon("bench", "--models", poor, "--check", "grep -q 'MAX_DISCOUNT = 15' app/pricing.py", "--json",
                  cwd=repo)
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    verdicts = [r["verdict"] for r in report["runs"]]
    assert verdicts == ["refused", "equivalent", "equivalent"]
    assert all(r["check"]["command"].startswith("grep -q") for r in report["runs"][1:])

    run = surgeon("bench", "--models", poor, "--check", "false", "--json", cwd=repo)  # judges nothing
    report = json.loads(run.stdout)
    assert [r["verdict"] for r in report["runs"]] == ["refused", "other", "other"]
    assert all("fails on the commit itself" in r["check_note"] for r in report["runs"][1:])


def test_since_and_paths_choose_the_tasks(tmp_path):
    repo, shas = shop(tmp_path)
    good, _poor = scripts(tmp_path, repo, shas)
    run = surgeon("bench", "--models", good, "--paths", "*.md", "--json", cwd=repo)
    report = json.loads(run.stdout)
    assert [t["commit"] for t in report["tasks"]] == [shas["docs"]]
    run = surgeon("bench", "--models", good, "--since", shas["docs"], "--json", cwd=repo)
    assert run.code == 1
    assert "no commit after" in run.stderr


@pytest.mark.parametrize("args, words", [
    (("--since", "no-such-rev"), "--since no-such-rev: no such commit"),
    (("--models", "gpt-4o"), "did you mean openai:gpt-4o"),
    (("--models", "script:missing.json"), "no such file"),
    (("--max-cost", "-1"), "max_cost must be at least 0"),
])
def test_bad_input_is_one_line(tmp_path, args, words):
    repo, _shas = shop(tmp_path)
    run = surgeon("bench", *args, "--json", cwd=repo)
    message = assert_one_line_error(run, 2, as_json=True)
    assert words in message


def test_no_model_configured_is_a_usage_error(tmp_path):
    repo, _shas = shop(tmp_path)
    run = surgeon("bench", cwd=repo)
    assert_one_line_error(run, 2, as_json=False)
    assert "no model configured" in run.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_bench_leaves_no_worktree_or_branch(tmp_path, signum):
    """Stopped while the check runs on a staged result: the review branch and the worktree go."""
    repo, shas = shop(tmp_path)
    before = repo_state(repo)
    refs = git(repo, "for-each-ref", "--format=%(refname)")
    _good, poor = scripts(tmp_path, repo, shas)
    marker = tmp_path / "check-started"
    process = subprocess.Popen([str(SURGEON), "bench", "--models", poor, "--check", f"touch {marker}; sleep 60"],
                               cwd=repo, env={**os.environ, **GIT_ENV, "NO_COLOR": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            if marker.exists():
                break
            time.sleep(0.05)
        assert marker.exists(), process.stderr.read() if process.poll() is not None else "check never started"
        assert "refs/heads/surgeon/" in git(repo, "for-each-ref", "--format=%(refname)")  # staged, being checked
        process.send_signal(signum)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert b"Traceback" not in err
    assert git(repo, "for-each-ref", "--format=%(refname)") == refs
    assert len(worktrees(repo)) == 1
    assert repo_state(repo) == before
