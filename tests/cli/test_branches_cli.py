"""`surgeon branches | show | accept | discard` through the real CLI."""

from __future__ import annotations

import json

import pytest

from surgeon.gate import run_gate
from surgeon.git import find_repo
from surgeon.stage import stage_diff
from tests.helpers import git, make_repo, repo_state, run_surgeon
from tests.stage.support import patch_result, surgeon_branches

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
    assert unknown.code == 2 and unknown.stderr.startswith("surgeon: no pending surgeon branch 'ffffff'")
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
    assert again.code == 2 and "no pending surgeon branch" in again.stderr


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
    assert missing.code == 2 and "no pending surgeon branch 'abcdef'" in missing.stderr


def test_commands_in_a_folder_that_is_not_a_repository(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    for args in (["branches"], ["show", "abc123"], ["accept", "abc123"], ["discard", "--all"]):
        result = run_surgeon(*args, "--repo", str(plain), cwd=tmp_path)
        assert result.code == 2, args
        assert "not inside a git repository" in result.stderr and "Traceback" not in result.stderr


TIMEOUT_10 = '''```diff
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
-TIMEOUT = 30
+TIMEOUT = 10
 RETRIES = 1
```'''


def pair_session(repo, fake_model, *args):
    """A `surgeon pair` session with one accepted turn, run through the CLI with piped input."""
    fake_model.script([TIMEOUT_10])
    run = run_surgeon("pair", "--model", "anthropic:fake", "--json", *args, cwd=repo, env=fake_model.env(),
                      input="/add app.py\nlower the timeout\na\n")
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def pair_sessions(repo, fake_model):
    """An empty leftover session branch (as sessions left before they cleaned up after themselves),
    two sessions with one accepted turn each, the latest with --no-apply, and a staged change."""
    leftover = "surgeon/pair-20250101-abc123"
    git(repo, "update-ref", f"refs/heads/{leftover}", "HEAD")
    first = pair_session(repo, fake_model)
    git(repo, "checkout", "-q", "--", "app.py")
    second = pair_session(repo, fake_model)
    latest = pair_session(repo, fake_model, "--no-apply")
    staged = stage(repo, {"README.md": "# demo\n\nMore.\n"}, "Expand the readme")
    return leftover, first, second, latest, staged


def test_branches_lists_pair_sessions_with_their_accepted_turns(repo, fake_model):
    leftover, first, second, latest, staged = pair_sessions(repo, fake_model)
    listed = run_surgeon("branches", "--json", cwd=repo)
    assert listed.code == 0, listed.stderr
    rows = {row["branch"]: row for row in json.loads(listed.stdout)["branches"]}
    assert set(rows) == {leftover, first["branch"], second["branch"], latest["branch"], staged.branch}
    for session in (first, second, latest):
        row = rows[session["branch"]]
        assert row["kind"] == "pair" and row["id"] == session["id"]
        assert row["session"]["turns_accepted"] == 1 and row["session"]["turns"] == 1
        assert row["session"]["running"] is False and row["files"] == ["app.py"]
        assert row["instruction"] == "lower the timeout" and row["model"] == "anthropic:fake"
    assert [rows[s["branch"]]["session"]["resume"] for s in (first, second, latest)] == [False, False, True]
    assert rows[latest["branch"]]["session"]["apply"] is False
    assert rows[leftover]["kind"] == "pair" and rows[leftover]["session"]["turns_accepted"] == 0
    assert rows[leftover]["session"]["turns"] is None and rows[leftover]["files"] == []
    assert rows[staged.branch]["kind"] == "review" and rows[staged.branch]["session"] is None
    assert rows[staged.branch]["instruction"] == "Expand the readme"
    table = run_surgeon("branches", cwd=repo)
    assert table.code == 0 and "Pair sessions" in table.stdout and staged.id in table.stdout
    assert all(s["branch"] in table.stdout for s in (first, second, latest)) and "--resume continues it" in table.stdout

    shown = run_surgeon("show", first["id"], cwd=repo)
    assert shown.code == 0, shown.stderr
    assert "1 accepted turn(s)" in shown.stdout and "+TIMEOUT = 10" in shown.stdout
    refused = run_surgeon("accept", latest["id"], cwd=repo)
    assert refused.code == 1 and f"git merge {latest['branch']}" in refused.stderr
    assert surgeon_branches(repo).count(latest["branch"]) == 1


def test_discard_removes_pair_sessions_and_all_keeps_the_one_resume_continues(repo, fake_model):
    leftover, first, second, latest, staged = pair_sessions(repo, fake_model)
    by_id = run_surgeon("discard", first["id"], cwd=repo)
    assert by_id.code == 0, by_id.stderr
    assert f"Discarded pair session {first['branch']} (1 accepted turn(s)" in by_id.stdout
    sessions = repo / ".git" / "surgeon" / "sessions"
    assert not (sessions / f"{first['id']}.json").exists() and (sessions / f"{second['id']}.json").exists()
    assert first["branch"] not in surgeon_branches(repo)

    everything = run_surgeon("discard", "--all", "--json", cwd=repo)
    assert everything.code == 0, everything.stderr
    result = json.loads(everything.stdout)
    assert sorted(row["branch"] for row in result["discarded"]) == sorted([staged.branch, second["branch"], leftover])
    assert [(k["branch"], k["reason"]) for k in result["kept"]] == [
        (latest["branch"], "it is the session `surgeon pair --resume` continues")]
    assert surgeon_branches(repo) == [latest["branch"]]
    text = run_surgeon("discard", "--all", cwd=repo)
    assert text.code == 0 and f"Kept pair session {latest['branch']}" in text.stdout
    assert f"`surgeon discard {latest['id']}` discards it" in text.stdout

    by_name = run_surgeon("discard", latest["branch"], cwd=repo)
    assert by_name.code == 0, by_name.stderr
    assert surgeon_branches(repo) == [] and list(sessions.glob("*.json")) == []
    nothing = run_surgeon("pair", "--resume", cwd=repo, env=fake_model.env(), input="")
    assert nothing.code == 2 and "no pair session to resume" in nothing.stderr
