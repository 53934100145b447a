"""File names that are not UTF-8, or that hold newlines, tabs, quotes, leading dashes, spaces or
pathspec magic: locate, edit --dry-run and apply --dry-run give their normal result, never a
traceback. A name that is not UTF-8 cannot be shown to a model or printed as JSON text: locate
skips that file and names it (escaped) in one note on stderr."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.cli.support import assert_no_traceback, surgeon
from tests.helpers import GIT_ENV, git, make_repo

# A UTF-8 locale's strict stdout: the setting under which a stray surrogate used to crash output.
STRICT = {"PYTHONIOENCODING": "utf-8"}
NAMES = ["new\nline.py", "tab\there.py", 'quo"te.py', "sing'le.py", "-dash.py", "--double.py", "sp ace.py",
         "back\\slash.py", "sub dir/-x y.py", ":(exclude)magic.py", "*star.py", "[br].py"]
APP = "def upload_limit():\n    return 10\n"
APP_DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def upload_limit():\n-    return 10\n+    return 20\n"


@pytest.fixture
def latin1_repo(tmp_path):
    """app.py plus a committed file whose name is the Latin-1 bytes caf\\xe9.py."""
    repo = make_repo(tmp_path / "repo", {"app.py": APP})
    with open(os.path.join(os.fsencode(repo), b"caf\xe9.py"), "wb") as handle:
        handle.write(b"def upload_limit_cafe():\n    return 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a latin-1 name")
    return repo


def _skip_note(run) -> None:
    lines = [line for line in run.stderr.splitlines() if "not UTF-8" in line]
    assert lines == ["surgeon: skipped 1 file(s) whose name is not UTF-8 (caf\\xe9.py); rename them to have them "
                     "located and edited"], run.stderr


def test_locate_skips_a_non_utf8_name_with_a_note(latin1_repo):
    run = surgeon("locate", "raise the upload limit", "--json", cwd=latin1_repo, env=STRICT)
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    payload = json.loads(run.stdout)
    assert [r["path"] for r in payload["regions"]] == ["app.py"]
    assert payload["files_indexed"] == 1
    _skip_note(run)
    human = surgeon("locate", "raise the upload limit", cwd=latin1_repo, env=STRICT)
    assert_no_traceback(human)
    assert human.code == 0 and "1. app.py:1-2  upload_limit" in human.stdout and "caf" not in human.stdout
    _skip_note(human)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "human"])
def test_edit_dry_run_with_a_non_utf8_name(latin1_repo, tmp_path, as_json):
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([f"```diff\n{APP_DIFF}```"]))
    run = surgeon("edit", "raise the upload limit", "--dry-run", "--model", f"script:{replies}",
                  *(["--json"] if as_json else []), cwd=latin1_repo, env=STRICT)
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    if as_json:
        payload = json.loads(run.stdout)
        assert payload["status"] == "proposed"
        assert payload["shown_files"] == ["app.py"]
    else:
        assert "+    return 20" in run.stdout and "caf" not in run.stdout
    _skip_note(run)
    assert git(latin1_repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "human"])
def test_apply_dry_run_of_another_file_with_a_non_utf8_name_present(latin1_repo, as_json):
    with open(os.path.join(os.fsencode(latin1_repo), b"na\xefve.txt"), "wb") as handle:  # untracked too
        handle.write(b"hello\n")
    run = surgeon("apply", "-", "--dry-run", *(["--json"] if as_json else []), cwd=latin1_repo, input=APP_DIFF,
                  env=STRICT)
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    if as_json:
        assert [c["path"] for c in json.loads(run.stdout)["changes"]] == ["app.py"]
    else:
        assert "valid: app.py (+1 -1)" in run.stdout


@pytest.fixture
def odd_repo(tmp_path):
    files = {name: f"def upload_limit_{i}():\n    return {i}\n" for i, name in enumerate(NAMES)}
    repo = make_repo(tmp_path / "repo", files)
    (repo / "un tracked\n-n.py").write_text("def upload_limit_99():\n    return 99\n")
    return repo


def test_locate_finds_files_with_odd_names(odd_repo):
    for i, name in [*enumerate(NAMES), (99, "un tracked\n-n.py")]:
        run = surgeon("locate", f"change upload_limit_{i}", "--json", cwd=odd_repo, env=STRICT)
        assert_no_traceback(run)
        assert run.code == 0, run.stderr
        regions = json.loads(run.stdout)["regions"]
        assert regions and regions[0]["path"] == name, (name, regions)
        assert regions[0]["symbol"] == f"upload_limit_{i}"
        assert run.stderr == ""


def test_locate_prints_an_odd_name_on_one_line(odd_repo):
    run = surgeon("locate", "change upload_limit_0", cwd=odd_repo, env=STRICT)
    assert_no_traceback(run)
    assert run.code == 0
    assert run.stdout.splitlines()[0].startswith(" 1. new\\nline.py:1-2  upload_limit_0 (function)")


@pytest.mark.parametrize("index", range(len(NAMES)), ids=[repr(n) for n in NAMES])
def test_apply_dry_run_with_odd_names(odd_repo, index):
    name = NAMES[index]
    path = odd_repo / name
    path.write_text(path.read_text().replace(f"return {index}", f"return {index + 100}"))
    diff = subprocess.run(["git", "diff", "--", f":(literal){name}"], cwd=odd_repo, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}, check=True).stdout
    git(odd_repo, "checkout", "-q", "--", f":(literal){name}")
    assert diff.strip()
    run = surgeon("apply", "-", "--dry-run", "--json", cwd=odd_repo, input=diff, env=STRICT)
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    assert [c["path"] for c in json.loads(run.stdout)["changes"]] == [name]
    human = surgeon("apply", "-", "--dry-run", cwd=odd_repo, input=diff, env=STRICT)
    assert_no_traceback(human)
    assert human.code == 0 and "nothing was written (dry run)" in human.stdout
    assert git(odd_repo, "status", "--porcelain", "--untracked-files=no") == ""
