"""surgeon apply stages on a review branch by default; the working tree is never touched."""

import json

from tests.helpers import git, make_repo, repo_state, run_surgeon

APP = "def greet(name):\n    return 'hello ' + name\n\n\nTIMEOUT = 30\n"
PATCH = """Sure! Here is the change:

```diff
--- a/app.py
+++ b/app.py
@@ -3,3 +3,3 @@


-TIMEOUT = 30
+TIMEOUT = 10
```
"""


def test_apply_stages_by_default(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": APP})
    (tmp_path / "fix.patch").write_text(PATCH)
    (repo / "notes.txt").write_text("untracked work\n")
    before = repo_state(repo)
    result = run_surgeon("apply", str(tmp_path / "fix.patch"), "--json", cwd=repo)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "applied" and out["files"] == ["app.py"]
    assert out["lines_added"] == 1 and out["lines_removed"] == 1
    assert out["branch"].startswith("surgeon/apply-fix-patch-")
    assert repo_state(repo) == before
    assert git(repo, "show", f"{out['branch']}:app.py") == APP.replace("30", "10")
    assert git(repo, "diff", "--name-only", f"HEAD..{out['branch']}").split() == ["app.py"]
    assert "notes.txt" not in git(repo, "ls-tree", "-r", "--name-only", out["branch"])

    accepted = run_surgeon("accept", out["id"], cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert (repo / "app.py").read_text() == APP.replace("30", "10")
    assert (repo / "notes.txt").read_text() == "untracked work\n"


def test_apply_from_stdin_with_message(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": APP})
    result = run_surgeon("apply", "-", "-m", "shorter timeout", "--json", cwd=repo, input=PATCH)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["branch"].startswith("surgeon/shorter-timeout-")
    assert "shorter timeout" in git(repo, "log", "-1", "--format=%B", out["branch"])


def test_apply_refuses_a_dirty_touched_file_and_points_at_base_worktree(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": APP})
    (repo / "app.py").write_text(APP + "# wip\n")
    before = repo_state(repo)
    result = run_surgeon("apply", "-", cwd=repo, input=PATCH)
    assert result.code == 1
    assert "app.py" in result.stderr and "--base worktree" in result.stderr
    assert repo_state(repo) == before

    staged = run_surgeon("apply", "-", "--base", "worktree", "--json", cwd=repo, input=PATCH)
    assert staged.code == 0, staged.stderr
    out = json.loads(staged.stdout)
    assert git(repo, "show", f"{out['branch']}:app.py") == APP.replace("30", "10") + "# wip\n"
    # the surgeon commit holds only the diff; its parent is the snapshot of the user's work
    assert git(repo, "diff", f"{out['branch']}~1..{out['branch']}", "--stat").count("|") == 1
    assert git(repo, "log", "-1", "--format=%s", f"{out['branch']}~1").strip() == "surgeon: working-tree snapshot"
    assert repo_state(repo) == before


def test_apply_refused_stages_nothing(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": APP})
    before = repo_state(repo)
    result = run_surgeon("apply", "-", "--json", cwd=repo, input=PATCH.replace("TIMEOUT = 30", "TIMEOUT = 31"))
    assert result.code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "refused" and out["errors"][0]["path"] == "app.py"
    assert git(repo, "branch", "--list", "surgeon/*") == ""
    assert repo_state(repo) == before


def test_apply_outside_a_repository(tmp_path):
    (tmp_path / "fix.patch").write_text(PATCH)
    result = run_surgeon("apply", "fix.patch", cwd=tmp_path)
    assert result.code == 2
    assert "not inside a git repository" in result.stderr


def test_apply_refuses_placeholders_and_new_secrets(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": APP})
    before = repo_state(repo)
    placeholder = PATCH.replace("+TIMEOUT = 10", '+TIMEOUT = "<<SECRET_1>>"')
    token = PATCH.replace("+TIMEOUT = 10", '+TIMEOUT = 10\n+TOKEN = "ghp_zyxwvutsrqponmlkjihgfedcba0987654321ZZ"')
    for patch in (placeholder, token):
        for mode in ((), ("--in-place",)):
            result = run_surgeon("apply", "-", "--json", *mode, cwd=repo, input=patch)
            assert result.code == 1, result.stdout
            [error] = json.loads(result.stdout)["errors"]
            assert error["path"] == "app.py"
            assert "secret" in error["reason"].lower() or "placeholder" in error["reason"].lower()
    assert (repo / "app.py").read_text() == APP
    assert git(repo, "branch", "--list", "surgeon/*") == ""
    assert repo_state(repo) == before


def test_json_errors_are_one_object_on_stdout(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": APP})
    (repo / "app.py").write_text(APP + "# wip\n")
    result = run_surgeon("apply", "-", "--json", cwd=repo, input=PATCH)
    assert result.code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "refused" and out["files"] == ["app.py"]
    assert "--base worktree" in out["errors"][0]["reason"]
    unknown = run_surgeon("show", "nosuchid", "--json", cwd=repo)
    assert unknown.code == 2 and json.loads(unknown.stdout)["status"] == "error"  # a usage error, not a refusal
    usage = run_surgeon("edit", "--json", cwd=repo)
    assert usage.code == 2 and json.loads(usage.stdout)["status"] == "error"
