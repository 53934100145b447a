"""The names review check: a dependency a commit adds must be known to a lock file, another
declaration or the installed environment (a made-up package name is a supply-chain risk)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from surgeon.review.checks import names
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings
from tests.helpers import git, make_repo, run_surgeon

LOCK = '[[package]]\nname = "requests"\nversion = "2.32.0"\n\n[[package]]\nname = "flask"\nversion = "3.0.0"\n'


@pytest.fixture
def app(tmp_path):
    repo = make_repo(tmp_path / "app", {"requirements.txt": "requests\n", "poetry.lock": LOCK,
                                        "package.json": '{\n  "dependencies": {}\n}\n', "node_modules/.keep": ""})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    return repo


def test_a_made_up_requirement_on_an_added_line_is_reported(app, monkeypatch):
    monkeypatch.chdir(app)
    file = SourceFile("requirements.txt", "requests\nflask>=3\nreqeusts-oauth2\n", frozenset({2, 3}))
    findings = names.check(file, ReviewSettings())
    assert [(f.line, f.rule, f.severity) for f in findings] == [(3, "names.dependency", "high")]
    assert findings[0].message.startswith("the new dependency `reqeusts-oauth2` is in neither")


def test_lines_the_commit_does_not_add_are_not_judged(app, monkeypatch):
    monkeypatch.chdir(app)
    file = SourceFile("requirements.txt", "madeup-one\nrequests\n", frozenset({2}))
    assert names.check(file, ReviewSettings()) == []


def test_package_json_dependencies_are_judged_against_node_modules(app, monkeypatch):
    (app / "node_modules" / "react").mkdir()
    monkeypatch.chdir(app)
    text = '{\n  "dependencies": {\n    "react": "^18",\n    "reactt-router-dom-v7": "^1"\n  }\n}\n'
    findings = names.check(SourceFile("package.json", text, frozenset({3, 4})), ReviewSettings())
    assert [f.line for f in findings] == [4]


def test_a_file_of_another_repository_is_not_judged_against_this_one(app, monkeypatch, tmp_path):
    monkeypatch.chdir(app)
    file = SourceFile("other/requirements.txt", "made-up-package\n", None)
    assert names.check(file, ReviewSettings()) == []


def test_surgeon_review_reports_a_made_up_dependency(app):
    (app / "requirements.txt").write_text("requests\nrequests-toolbeltz\n")
    git(app, "add", "requirements.txt")
    result = run_surgeon("review", "--json", cwd=app)
    assert result.code == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["path"], f["line"], f["rule"]) for f in findings] == [("requirements.txt", 2, "names.dependency")]
