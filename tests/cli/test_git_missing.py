"""git missing from PATH: one line on stderr, exit 3, and one JSON error object with --json."""

from __future__ import annotations

import os
import sys

import pytest

from tests.cli.support import assert_one_line_error, surgeon
from tests.helpers import make_repo

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-LIMIT = 10\n+LIMIT = 20\n"


@pytest.fixture
def no_git_path(tmp_path):
    """A PATH holding only python3, so `git` cannot be found."""
    folder = tmp_path / "bin"
    folder.mkdir()
    os.symlink(os.path.realpath(sys.executable), folder / "python3")
    return str(folder)


@pytest.mark.parametrize("as_json", [False, True], ids=["human", "json"])
@pytest.mark.parametrize("args", [["locate", "x"], ["review"], ["apply", "-", "--dry-run"]], ids=lambda a: a[0])
def test_git_missing_is_one_line_and_exit_3(tmp_path, no_git_path, args, as_json):
    repo = make_repo(tmp_path / "repo", {"app.py": "LIMIT = 10\n"})
    run = surgeon(*args, *(["--json"] if as_json else []), cwd=repo, input=DIFF, env={"PATH": no_git_path})
    message = assert_one_line_error(run, 3, as_json=as_json)
    assert "git" in message and "PATH" in message
    assert "not a git repository" not in message and "not inside a git repository" not in message
