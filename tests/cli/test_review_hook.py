"""The pre-commit hook: install/uninstall (chaining, core.hooksPath) and real `git commit`s."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import GIT_ENV, ROOT, git, make_repo, run_surgeon

AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"


def commit(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A real `git commit`, with the hook's environment as a user would have it."""
    full = {**{k: v for k, v in os.environ.items() if k != "SURGEON_SKIP"}, **GIT_ENV, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(["git", "commit", "-m", "change", *args], cwd=repo, capture_output=True, text=True,
                          env=full)


def installed(repo: Path) -> Path:
    result = run_surgeon("hook", "install", "--json", cwd=repo)
    assert result.code == 0, result.stderr
    return Path(json.loads(result.stdout)["hook"])


def plant_key(repo: Path) -> None:
    (repo / "app").mkdir(exist_ok=True)
    (repo / "app" / "settings.py").write_text(f'import os\n\nAWS_ACCESS_KEY_ID = "{AWS_ID}"\n')
    git(repo, "add", "-A")


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_install_writes_an_executable_hook_naming_this_interpreter(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    hook = installed(repo)
    assert hook == (repo / ".git" / "hooks" / "pre-commit").resolve()
    assert os.access(hook, os.X_OK)
    text = hook.read_text()
    assert sys.executable in text and "review --staged" in text and "command -v surgeon" in text
    again = run_surgeon("hook", "install", "--json", cwd=repo)
    assert json.loads(again.stdout)["action"] == "updated"
    assert not (hook.parent / "pre-commit.surgeon-chained").exists()


def test_a_planted_key_blocks_the_commit_until_skipped(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    installed(repo)
    plant_key(repo)
    before = head(repo)
    blocked = commit(repo)
    assert blocked.returncode == 1
    assert "secret.aws" in blocked.stdout + blocked.stderr and head(repo) == before
    skipped = commit(repo, env={"SURGEON_SKIP": "1"})
    assert skipped.returncode == 0, skipped.stderr
    assert "SURGEON_SKIP" in skipped.stderr and head(repo) != before


def test_no_verify_bypasses_the_hook(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    installed(repo)
    plant_key(repo)
    assert commit(repo, "--no-verify").returncode == 0


def test_the_baseline_lets_the_commit_through(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    installed(repo)
    plant_key(repo)
    assert commit(repo).returncode == 1
    assert run_surgeon("review", "--write-baseline", cwd=repo).code == 0
    git(repo, "add", ".surgeon-baseline.json")
    passed = commit(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert ".surgeon-baseline.json" in git(repo, "show", "--name-only", "--format=", "HEAD")


def test_fix_then_accept_lets_the_commit_through(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    installed(repo)
    plant_key(repo)
    assert commit(repo).returncode == 1
    fixed = run_surgeon("review", "--fix", cwd=repo)
    assert fixed.code == 1  # the staged content still holds the key until the fix is taken
    branch = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/").split()[0]
    assert (repo / "app/settings.py").read_text().count(AWS_ID) == 1  # the working tree was not written
    accepted = run_surgeon("accept", branch, cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert 'os.environ["AWS_ACCESS_KEY_ID"]' in (repo / "app/settings.py").read_text()
    git(repo, "add", "app/settings.py")
    passed = commit(repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert AWS_ID not in git(repo, "show", "HEAD:app/settings.py")


def test_an_existing_hook_is_chained_and_restored(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    hooks = repo / ".git" / "hooks"
    original = "#!/bin/sh\necho previous-hook-ran >&2\n[ -e \"$(git rev-parse --show-toplevel)/BLOCK\" ] && exit 3\nexit 0\n"
    (hooks / "pre-commit").write_text(original)
    (hooks / "pre-commit").chmod(0o755)
    installed(repo)
    assert (hooks / "pre-commit.surgeon-chained").read_text() == original
    (repo / "notes.txt").write_text("hello\n")
    git(repo, "add", "-A")
    first = commit(repo)
    assert first.returncode == 0 and "previous-hook-ran" in first.stderr
    (repo / "BLOCK").write_text("x\n")
    git(repo, "add", "-A")
    blocked = commit(repo)
    assert blocked.returncode == 1 and "previous-hook-ran" in blocked.stderr
    direct = subprocess.run([str(hooks / "pre-commit")], cwd=repo, capture_output=True, text=True,
                            env={**os.environ, **GIT_ENV})
    assert direct.returncode == 3  # the chained hook's own exit code comes through
    result = run_surgeon("hook", "uninstall", cwd=repo)
    assert result.code == 0 and "previous hook is back" in result.stdout
    assert (hooks / "pre-commit").read_text() == original
    assert not (hooks / "pre-commit.surgeon-chained").exists()
    assert run_surgeon("hook", "uninstall", cwd=repo).code == 2  # not ours: left alone


def test_core_hooks_path_is_respected(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    git(repo, "config", "core.hooksPath", ".githooks")
    hook = installed(repo)
    assert hook == (repo / ".githooks" / "pre-commit").resolve()
    plant_key(repo)
    assert commit(repo).returncode == 1
    assert run_surgeon("hook", "uninstall", cwd=repo).code == 0
    assert not hook.exists()
    assert commit(repo).returncode == 0


def test_hook_falls_back_to_surgeon_on_path(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    from surgeon.review import hook as hooks

    hooks.install(repo, python=str(tmp_path / "gone" / "python"))
    plant_key(repo)
    bin_dir = Path(sys.executable).parent  # holds the `surgeon` console script
    with_path = commit(repo, env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    assert with_path.returncode == 1 and "secret.aws" in with_path.stdout + with_path.stderr
    without = commit(repo, env={"PATH": "/usr/bin:/bin"})
    assert without.returncode == 1 and "cannot find surgeon" in without.stderr


def test_first_commit_of_a_new_repository(tmp_path):
    repo = make_repo(tmp_path / "r", {}, commit=False)
    installed(repo)
    (repo / "a.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    assert commit(repo).returncode == 0


def test_pre_commit_framework_manifest():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    for expected in ("- id: surgeon-review", "entry: surgeon review --pre-commit", "language: python",
                     "pass_filenames: true", "require_serial: true", "stages: [pre-commit]",
                     "minimum_pre_commit_version: 3.2.0"):
        assert expected in text


def test_commit_all_uses_gits_temporary_index(tmp_path):
    """`git commit -a` and `git commit PATH` stage into a temporary index (GIT_INDEX_FILE): the hook
    must judge that index, not the repository's own."""
    repo = make_repo(tmp_path / "r", {"app/settings.py": "import os\n", "notes.txt": "a\n"})
    installed(repo)
    (repo / "app/settings.py").write_text(f'import os\nKEY = "{AWS_ID}"\n')  # modified, not added
    blocked = commit(repo, "-a")
    assert blocked.returncode == 1 and "secret.aws" in blocked.stderr
    (repo / "notes.txt").write_text("b\n")
    assert commit(repo, "notes.txt").returncode == 0  # only notes.txt goes into this commit
