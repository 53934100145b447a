"""`surgeon branches | show | accept | discard` through the real CLI."""

from __future__ import annotations

import json

import pytest

from surgeon.repo import find_repo
from surgeon.stage import run_gate, stage_diff
from tests.helpers import git, make_repo, repo_state, run_surgeon
from tests.unit.stage_support import patch_result, surgeon_branches

FILES = {"app.py": "TIMEOUT = 30\nRETRIES = 1\n", "README.md": "# demo\n"}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", FILES)


def stage(repo, edits, instruction):
    return stage_diff(find_repo(repo), patch_result(repo, edits), instruction=instruction, model="script:demo")


def test_branches_lists_pending_changes(repo):
    empty = run_surgeon("branches", "--json", cwd=repo)
    assert empty.code == 0 and json.loads(empty.stdout) == {"branches": []}
    text = run_surgeon("branches", cwd=repo)
    assert text.code == 0 and "No pending surgeon branches" in text.stdout

    first = stage(repo, {"app.py": "TIMEOUT = 10\nRETRIES = 1\n"}, "Lower the [timeout] to 10s")
    run_gate(find_repo(repo), first, "exit 4", 30)
    second = stage(repo, {"README.md": "# demo\n\nMore.\n"}, "Expand the readme")
    before = repo_state(repo)

    listed = run_surgeon("branches", "--json", "--repo", str(repo), cwd=repo.parent)
    assert listed.code == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)["branches"]}
    assert set(rows) == {first.id, second.id}
    row = rows[first.id]
    assert row["branch"] == first.branch and row["files"] == ["app.py"]
    assert (row["lines_added"], row["lines_removed"]) == (1, 1)
    assert row["instruction"] == "Lower the [timeout] to 10s" and row["model"] == "script:demo"
    assert row["check"]["passed"] is False and row["check"]["exit_code"] == 4
    assert rows[second.id]["check"] is None
    assert isinstance(row["age_seconds"], int) and row["created"].endswith("Z")

    table = run_surgeon("branches", cwd=repo)
    assert table.code == 0
    for expected in (first.id, second.id, "failed (exit 4)", "Lower the [timeout] to 10s", "+1 -1", "app.py"):
        assert expected in table.stdout
    assert repo_state(repo) == before


def test_show_prints_metadata_and_diff(repo):
    staged = stage(repo, {"app.py": "TIMEOUT = 10\nRETRIES = 1\n"}, "Lower the timeout")
    shown = run_surgeon("show", staged.id, cwd=repo)
    assert shown.code == 0, shown.stderr
    for expected in (staged.branch, staged.commit, "Lower the timeout", "script:demo", "-TIMEOUT = 30",
                     "+TIMEOUT = 10", "@@ -1,2 +1,2 @@"):
        assert expected in shown.stdout
    as_json = json.loads(run_surgeon("show", staged.branch, "--json", cwd=repo).stdout)
    assert as_json["branch"]["id"] == staged.id
    assert "-TIMEOUT = 30\n+TIMEOUT = 10\n" in as_json["diff"]

    unknown = run_surgeon("show", "ffffff", cwd=repo)
    assert unknown.code == 1 and unknown.stderr.startswith("surgeon: no pending surgeon branch 'ffffff'")
    assert "Traceback" not in unknown.stderr


def test_accept_through_the_cli(repo):
    staged = stage(repo, {"app.py": "TIMEOUT = 10\nRETRIES = 1\n"}, "Lower the timeout")
    (repo / "README.md").write_text("# my edit\n")
    accepted = run_surgeon("accept", staged.id, "--json", cwd=repo)
    assert accepted.code == 0, accepted.stderr
    data = json.loads(accepted.stdout)
    assert data["how"] == "fast-forward" and data["commit"] == staged.commit and data["files"] == ["app.py"]
    assert data["accepted"]["id"] == staged.id
    assert (repo / "app.py").read_text() == "TIMEOUT = 10\nRETRIES = 1\n"
    assert (repo / "README.md").read_text() == "# my edit\n"
    assert git(repo, "rev-parse", "HEAD").strip() == staged.commit
    assert surgeon_branches(repo) == []

    again = run_surgeon("accept", staged.id, cwd=repo)
    assert again.code == 1 and "no pending surgeon branch" in again.stderr


def test_accept_refusal_through_the_cli_changes_nothing(repo):
    staged = stage(repo, {"app.py": "TIMEOUT = 10\nRETRIES = 1\n"}, "Lower the timeout")
    (repo / "app.py").write_text("TIMEOUT = 99\nRETRIES = 1\n")
    before = repo_state(repo)
    refused = run_surgeon("accept", staged.id, cwd=repo)
    assert refused.code == 1
    assert "would overwrite" in refused.stderr and "app.py" in refused.stderr and "Nothing changed" in refused.stderr
    assert repo_state(repo) == before
    plain = run_surgeon("accept", staged.id, cwd=repo)  # the text form says the same
    assert plain.code == 1 and surgeon_branches(repo) == [staged.branch]


def test_discard_through_the_cli(repo):
    one = stage(repo, {"app.py": "A\n"}, "one")
    two = stage(repo, {"app.py": "B\n"}, "two")
    three = stage(repo, {"app.py": "C\n"}, "three")
    (repo / "README.md").write_text("# dirty\n")
    before = repo_state(repo)

    single = run_surgeon("discard", one.id, "--json", cwd=repo)
    assert single.code == 0, single.stderr
    assert [row["id"] for row in json.loads(single.stdout)["discarded"]] == [one.id]
    text = run_surgeon("discard", two.branch, cwd=repo)
    assert text.code == 0 and f"Discarded {two.branch}" in text.stdout
    everything = run_surgeon("discard", "--all", "--json", cwd=repo)
    assert [row["id"] for row in json.loads(everything.stdout)["discarded"]] == [three.id]
    assert surgeon_branches(repo) == [] and repo_state(repo) == before

    none = run_surgeon("discard", cwd=repo)
    assert none.code == 2 and "either an ID or --all" in none.stderr
    both = run_surgeon("discard", "x", "--all", cwd=repo)
    assert both.code == 2
    missing = run_surgeon("discard", "abcdef", cwd=repo)
    assert missing.code == 1 and "no pending surgeon branch 'abcdef'" in missing.stderr


def test_commands_in_a_folder_that_is_not_a_repository(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    for args in (["branches"], ["show", "abc123"], ["accept", "abc123"], ["discard", "--all"]):
        result = run_surgeon(*args, "--repo", str(plain), cwd=tmp_path)
        assert result.code == 2, args
        assert "not inside a git repository" in result.stderr and "Traceback" not in result.stderr
