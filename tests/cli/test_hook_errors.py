"""`surgeon hook install|uninstall` when core.hooksPath (or .git/hooks) is not a usable folder: one
line naming the setting and how to fix it, exit 2, one JSON error object with --json; nothing of
the user's is moved or lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.support import assert_no_traceback, assert_one_line_error, surgeon, unwritable
from tests.helpers import git, make_repo

MODES = pytest.mark.parametrize("as_json", [False, True], ids=["human", "json"])


def hook(repo: Path, action: str, as_json: bool, **kwargs):
    return surgeon("hook", action, *(["--json"] if as_json else []), cwd=repo, **kwargs)


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo", {"README.md": "shop\n"})


@MODES
@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_hooks_path_naming_a_file(repo, tmp_path, action, as_json):
    target = tmp_path / "hooks-file"
    target.write_text("not a folder\n")
    git(repo, "config", "core.hooksPath", str(target))
    message = assert_one_line_error(hook(repo, action, as_json), 2, as_json=as_json)
    assert message.startswith(f"core.hooksPath is {target}, a file, not a folder; ")
    assert "`git config --unset core.hooksPath`" in message and f"`surgeon hook {action}` again" in message
    assert target.read_text() == "not a folder\n"


@MODES
def test_hooks_path_that_cannot_be_created(repo, tmp_path, as_json):
    blocker = tmp_path / "a-file"
    blocker.write_text("x\n")
    git(repo, "config", "core.hooksPath", str(blocker / "hooks"))
    message = assert_one_line_error(hook(repo, "install", as_json), 2, as_json=as_json)
    assert message.startswith(f"core.hooksPath is {blocker / 'hooks'}, a folder that does not exist and cannot be "
                              "created (not a directory); ")
    assert "`git config --unset core.hooksPath`" in message
    run = hook(repo, "uninstall", as_json)  # nothing can be installed there: nothing to remove
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    if as_json:
        assert json.loads(run.stdout)["action"] == "absent"
    else:
        assert "nothing to remove" in run.stdout


def test_a_missing_hooks_path_inside_the_repository_is_created(repo):
    git(repo, "config", "core.hooksPath", "tools/hooks")
    run = hook(repo, "install", False)
    assert run.code == 0, run.stderr
    assert (repo / "tools" / "hooks" / "pre-commit").is_file()


def test_a_global_hooks_path_names_the_global_fix(repo, tmp_path):
    target = tmp_path / "global-hooks"
    target.write_text("x\n")
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\thooksPath = {target}\n")
    message = assert_one_line_error(hook(repo, "install", True, env={"GIT_CONFIG_GLOBAL": str(config)}), 2,
                                    as_json=True)
    assert "`git config --global --unset core.hooksPath`" in message


@MODES
def test_default_hooks_folder_that_is_a_file(repo, as_json):
    hooks = repo / ".git" / "hooks"
    if hooks.is_dir():
        for name in hooks.iterdir():
            name.unlink()
        hooks.rmdir()
    hooks.write_text("x\n")
    for action in ("install", "uninstall"):
        message = assert_one_line_error(hook(repo, action, as_json), 2, as_json=as_json)
        assert message.startswith(f"the hooks folder {hooks} is a file, not a folder; ")
        assert "core.hooksPath" not in message


@MODES
def test_hooks_path_that_cannot_be_written(repo, tmp_path, as_json):
    folder = tmp_path / "shared-hooks"
    folder.mkdir()
    (folder / "pre-commit").write_text("#!/bin/sh\nexit 0\n")  # the team's own hook: must stay as it is
    git(repo, "config", "core.hooksPath", str(folder))
    with unwritable(folder):
        message = assert_one_line_error(hook(repo, "install", as_json), 2, as_json=as_json)
    assert message.startswith(f"cannot write the pre-commit hook in {folder}, the folder core.hooksPath names (")
    assert "`git config --unset core.hooksPath`" in message
    assert (folder / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"
    assert sorted(p.name for p in folder.iterdir()) == ["pre-commit"]


@MODES
def test_uninstall_from_a_hooks_path_that_became_unwritable(repo, tmp_path, as_json):
    folder = tmp_path / "shared-hooks"
    folder.mkdir()
    git(repo, "config", "core.hooksPath", str(folder))
    assert hook(repo, "install", False).code == 0
    with unwritable(folder):
        message = assert_one_line_error(hook(repo, "uninstall", as_json), 2, as_json=as_json)
    assert message.startswith(f"cannot change the pre-commit hook in {folder}, the folder core.hooksPath names (")
    assert "`surgeon hook uninstall` again" in message
    assert (folder / "pre-commit").is_file()
