"""`surgeon apply` on the formats people paste besides unified diffs: SEARCH/REPLACE blocks, a
Codex patch, `git format-patch` mail made by real git. Real repositories in temporary folders."""

from __future__ import annotations

import json
import textwrap

from tests.helpers import git, make_repo, repo_state, run_surgeon

APP = textwrap.dedent('''\
    import os


    def total(values):
        result = 0
        for value in values:
            result += value
        return result
    ''')
NEW_APP = APP.replace("result += value", "result += int(value)")

BLOCKS = '''Here is the change.

app.py
```python
<<<<<<< SEARCH
    for value in values:
        result += value
=======
    for value in values:
        result += int(value)
>>>>>>> REPLACE
```
'''

CODEX = textwrap.dedent('''\
    *** Begin Patch
    *** Update File: app.py
    *** Move to: lib/app.py
    @@ def total(values):
         for value in values:
    -        result += value
    +        result += int(value)
    *** Add File: README.md
    +# app
    *** End Patch
    ''')


def repo_with_app(tmp_path, **files):
    return make_repo(tmp_path / "repo", {"app.py": APP, **files})


def test_search_replace_blocks_are_staged(tmp_path):
    repo = repo_with_app(tmp_path)
    (tmp_path / "blocks.txt").write_text(BLOCKS)
    before = repo_state(repo)
    result = run_surgeon("apply", str(tmp_path / "blocks.txt"), "--json", cwd=repo)
    assert result.code == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "applied" and payload["files"] == ["app.py"]
    assert payload["diff"].startswith("diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -4,5 +4,5 @@\n")
    assert git(repo, "show", f"{payload['branch']}:app.py") == NEW_APP
    assert repo_state(repo) == before


def test_codex_patch_dry_run_json(tmp_path):
    repo = repo_with_app(tmp_path)
    before = repo_state(repo)
    result = run_surgeon("apply", "-", "--dry-run", "--json", cwd=repo, input=f"```\n{CODEX}```\n")
    assert result.code == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "valid"
    assert {c["path"]: c["status"] for c in payload["changes"]} == {"lib/app.py": "renamed", "README.md": "added"}
    assert "rename from app.py\nrename to lib/app.py\n" in payload["diff"]
    assert "+        result += int(value)\n" in payload["diff"]
    assert "new file mode 100644\n--- /dev/null\n+++ b/README.md\n@@ -0,0 +1 @@\n+# app\n" in payload["diff"]
    assert repo_state(repo) == before


def test_codex_deletion_is_staged(tmp_path):
    repo = repo_with_app(tmp_path, **{"old.txt": "one\ntwo\n"})
    patch = "*** Begin Patch\n*** Delete File: old.txt\n*** End Patch\n"
    result = run_surgeon("apply", "-", "--json", cwd=repo, input=patch)
    assert result.code == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert payload["changes"][0]["status"] == "deleted"
    assert "read a Codex patch (*** Begin Patch) of 1 file as a unified diff" in payload["repairs"]
    assert git(repo, "ls-tree", "--name-only", payload["branch"]).split() == ["app.py"]


def test_format_patch_mbox_from_git_is_one_change(tmp_path):
    source = repo_with_app(tmp_path, **{"notes.txt": "alpha\nbeta\n"})
    (source / "app.py").write_text(NEW_APP)
    git(source, "commit", "-q", "-am", "Convert values to int")
    (source / "app.py").write_text(NEW_APP.replace("int(value)", "int(value, 10)"))
    (source / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    git(source, "commit", "-q", "-am", "Base ten, and a note")
    mbox = git(source, "format-patch", "--stdout", "HEAD~2")
    assert mbox.startswith("From ") and "Subject: [PATCH 1/2] Convert values to int" in mbox

    target = make_repo(tmp_path / "target", {"app.py": APP, "notes.txt": "alpha\nbeta\n"})
    (tmp_path / "series.mbox").write_text(mbox)
    result = run_surgeon("apply", str(tmp_path / "series.mbox"), "--json", cwd=target)
    assert result.code == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout)
    assert sorted(payload["files"]) == ["app.py", "notes.txt"]
    for path in ("app.py", "notes.txt"):
        assert git(target, "show", f"{payload['branch']}:{path}") == git(source, "show", f"HEAD:{path}")
    subject = git(target, "log", "-1", "--format=%s", payload["branch"])
    assert "Convert values to int" in subject and "Base ten, and a note" in subject  # the mails' subjects


def test_truncated_blocks_are_refused_and_nothing_is_staged(tmp_path):
    repo = repo_with_app(tmp_path)
    cut = BLOCKS.split(">>>>>>> REPLACE")[0]
    before = repo_state(repo)
    result = run_surgeon("apply", "-", "--json", cwd=repo, input=cut)
    assert result.code == 1
    payload = json.loads(result.stdout)
    assert payload["status"] == "refused"
    assert git(repo, "branch", "--list", "surgeon/*") == ""
    assert repo_state(repo) == before


def test_ambiguous_block_is_refused_with_the_places(tmp_path):
    repo = make_repo(tmp_path / "repo", {"twice.py": "x = 1\nprint(x)\n\ny = 2\nprint(x)\n"})
    block = "twice.py\n<<<<<<< SEARCH\nprint(x)\n=======\nprint(y)\n>>>>>>> REPLACE\n"
    result = run_surgeon("apply", "-", "--dry-run", cwd=repo, input=block)
    assert result.code == 1
    assert "twice.py: hunk 1" in result.stdout and "match 2 places (lines 2, 5)" in result.stdout
