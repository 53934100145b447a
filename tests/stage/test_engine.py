"""Staging what the real diff engine returns: the cross-checks agree with its normalised diff."""

from __future__ import annotations

import difflib
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surgeon.git import find_repo
from surgeon.stage import stage_diff
from surgeon.validate import ApplyOptions, check_patch
from tests.helpers import git, make_repo, repo_state

FILES = {
    "svc/app.py": "import os\n\nTIMEOUT = 30\n\n\ndef run():\n    return os.getcwd()\n",
    "conf/site.conf": "server {\r\n    listen 80;\r\n}\r\n",
    "notes.txt": "last line without newline",
    "old/name.py": "A = 1\nB = 2\nC = 3\nD = 4\n",
}


def reader(repo):
    def read(path: str) -> bytes | None:
        target = repo / path
        return target.read_bytes() if target.is_file() else None

    return read


def blob(repo, spec) -> bytes:
    return subprocess.run(["git", "cat-file", "blob", spec], cwd=repo, capture_output=True, check=True).stdout


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        (
            "--- a/svc/app.py\n+++ b/svc/app.py\n@@ -3 +3 @@\n-TIMEOUT = 30\n+TIMEOUT = 10\n",
            {"svc/app.py": FILES["svc/app.py"].replace("30", "10").encode()},
        ),
        (
            "--- a/conf/site.conf\n+++ b/conf/site.conf\n@@ -1,3 +1,4 @@\n server {\n     listen 80;\n"
            "+    server_tokens off;\n }\n",
            {"conf/site.conf": b"server {\r\n    listen 80;\r\n    server_tokens off;\r\n}\r\n"},
        ),
        (
            "--- a/notes.txt\n+++ b/notes.txt\n@@ -1 +1 @@\n-last line without newline\n"
            "\\ No newline at end of file\n+last line, still without newline\n\\ No newline at end of file\n",
            {"notes.txt": b"last line, still without newline"},
        ),
        (
            "--- /dev/null\n+++ b/svc/new.py\n@@ -0,0 +1,2 @@\n+X = 1\n+Y = 2\n"
            "--- a/notes.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-last line without newline\n"
            "\\ No newline at end of file\n",
            {"svc/new.py": b"X = 1\nY = 2\n", "notes.txt": None},
        ),
        (
            "diff --git a/old/name.py b/new/name.py\nsimilarity index 80%\nrename from old/name.py\n"
            "rename to new/name.py\n--- a/old/name.py\n+++ b/new/name.py\n@@ -2,3 +2,3 @@\n B = 2\n-C = 3\n+C = 33\n D = 4\n",
            {"new/name.py": b"A = 1\nB = 2\nC = 33\nD = 4\n", "old/name.py": None},
        ),
    ],
    ids=["modify", "crlf", "no-newline", "create-delete", "rename"],
)
def test_engine_result_stages_exactly(tmp_path, diff, expected):
    repo = make_repo(tmp_path / "repo", FILES)
    result = check_patch(diff, reader(repo))
    assert result.ok, result.refusals
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), result, instruction="engine round trip")
    assert repo_state(repo) == before
    assert sorted(git(repo, "diff", "--name-only", "--no-renames", staged.base, staged.commit).split()) == sorted(expected)
    for path, content in expected.items():
        if content is None:
            assert git(repo, "ls-tree", staged.commit, "--", path) == ""
        else:
            assert blob(repo, f"{staged.commit}:{path}") == content


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    old=st.lists(st.sampled_from(["a", "b", "c", "def f():", "    return 1", "", "# x"]), min_size=1, max_size=12),
    new=st.lists(st.sampled_from(["a", "b", "C", "def f():", "    return 2", "", "# y"]), min_size=0, max_size=12),
)
def test_any_engine_edit_stages_to_exactly_the_new_bytes(tmp_path_factory, old, new):
    repo = tmp_path_factory.mktemp("prop") / "repo"
    old_text = "".join(line + "\n" for line in old)
    new_text = "".join(line + "\n" for line in new)
    make_repo(repo, {"f.py": old_text, "other.txt": "untouched\n"})
    diff = "".join(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True), "a/f.py", "b/f.py"))
    if not diff:
        return
    result = check_patch(diff, reader(repo), ApplyOptions(allow_rewrite=True, check_syntax=False))
    if not result.ok:  # the engine may refuse (e.g. minimality); staging is not asked then
        return
    before = repo_state(repo)
    staged = stage_diff(find_repo(repo), result, instruction="property")
    assert repo_state(repo) == before
    assert blob(repo, f"{staged.commit}:f.py") == result.changes[0].new_content
    assert git(repo, "diff", "--name-only", staged.base, staged.commit).split() == ["f.py"]
