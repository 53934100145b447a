"""`surgeon review --pre-commit` under the real pre-commit framework (`pre-commit run`, an installed
hook and `git commit`), its own scope rules through the CLI, and file names that are not UTF-8."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import GIT_ENV, ROOT, git, make_repo, run_surgeon

AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"
OTHER_ID = "AKIA" + "Q7NE4XRZ2KM5TB3W"
BIN = Path(sys.executable).parent  # the venv's bin: `surgeon` and `pre-commit` console scripts
NON_UTF8 = os.fsdecode(b"caf\xe9.py")  # the name as Python holds it (surrogate escape for the byte e9)


def manifest_hook() -> dict:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return hook


def readme_local_config() -> str:
    """The `repo: local` snippet of the README, which the framework tests run as they are written."""
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (local,) = [block for block in blocks if "repo: local" in block and "surgeon-review" in block]
    return local


def framework_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PRE_COMMIT", "GIT_", "SURGEON_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(GIT_ENV)
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "HOME": str(home),
                "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"})
    return env


def run(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def pre_commit(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(repo, env, str(BIN / "pre-commit"), *args, "--color", "never")


@pytest.fixture
def framework_repo(tmp_path):
    """A repository with a key committed long ago in app/old.py and the README's local hook config."""
    repo = make_repo(tmp_path / "r", {
        ".pre-commit-config.yaml": readme_local_config(),
        "app/old.py": f'KEY = "{AWS_ID}"\nx = 1\n',
        "app/clean.py": "y = 1\n",
    })
    return repo, framework_env(tmp_path)


def test_the_readme_snippet_uses_the_manifest_entry():
    hook = manifest_hook()
    (local,) = yaml.safe_load(readme_local_config())["repos"][0]["hooks"]
    assert local["entry"] == hook["entry"] == "surgeon review --pre-commit"
    assert local["id"] == hook["id"] == "surgeon-review"
    assert local["require_serial"] is hook["require_serial"] is True
    assert local["stages"] == hook["stages"] == ["pre-commit"]
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    assert hook["minimum_pre_commit_version"] == "3.2.0"


def test_the_manifest_is_valid_for_pre_commit(tmp_path):
    result = run(ROOT, framework_env(tmp_path), str(BIN / "pre-commit"), "validate-manifest",
                 str(ROOT / ".pre-commit-hooks.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_files_fails_on_a_key_committed_long_ago(framework_repo):
    repo, env = framework_repo
    nothing_staged = pre_commit(repo, env, "run")
    assert nothing_staged.returncode == 0, nothing_staged.stdout
    result = pre_commit(repo, env, "run", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/old.py" in result.stdout and "secret.aws" in result.stdout
    assert "app/clean.py" not in result.stdout.replace("surgeon review", "")  # only files with findings
    assert pre_commit(repo, env, "run", "--files", "app/clean.py").returncode == 0
    named = pre_commit(repo, env, "run", "--files", "app/old.py")
    assert named.returncode == 1 and "app/old.py" in named.stdout


def test_a_staged_edit_beside_an_old_key_is_judged_on_its_added_lines_even_with_all_files(framework_repo):
    repo, env = framework_repo
    (repo / "app/clean.py").write_text("y = 2\n")
    git(repo, "add", "app/clean.py")
    assert pre_commit(repo, env, "run").returncode == 0  # the commit adds only y = 2
    assert pre_commit(repo, env, "run", "--all-files").returncode == 1  # app/old.py has no staged change


def test_from_ref_to_ref_judges_the_lines_the_range_adds(framework_repo):
    repo, env = framework_repo
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app/old.py").write_text(f'KEY = "{AWS_ID}"\nx = 2\n')  # touches only the other line
    (repo / "app/new.py").write_text(f'OTHER = "{OTHER_ID}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "new key")
    second = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app/clean.py").write_text("y = 3\n")
    git(repo, "commit", "-qam", "clean")
    third = git(repo, "rev-parse", "HEAD").strip()

    result = pre_commit(repo, env, "run", "--from-ref", first, "--to-ref", second)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/new.py" in result.stdout and "secret.aws" in result.stdout
    assert "app/old.py" not in result.stdout  # passed (changed in the range), but its key is old
    clean = pre_commit(repo, env, "run", "--from-ref", second, "--to-ref", third)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert pre_commit(repo, env, "run", "--from-ref", first, "--to-ref", third).returncode == 1


def test_an_installed_hook_blocks_a_new_key_and_lets_clean_commits_through(framework_repo):
    repo, env = framework_repo
    installed = pre_commit(repo, env, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    head = git(repo, "rev-parse", "HEAD").strip()

    (repo / "app/new.py").write_text(f'OTHER = "{OTHER_ID}"\n')
    git(repo, "add", "app/new.py")
    blocked = run(repo, env, "git", "commit", "-m", "add a key")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "app/new.py" in blocked.stdout + blocked.stderr and "secret.aws" in blocked.stdout + blocked.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == head

    git(repo, "rm", "-q", "--cached", "app/new.py")
    (repo / "app/new.py").unlink()
    (repo / "app/old.py").write_text(f'KEY = "{AWS_ID}"\nx = 2\n')  # old key, other line edited
    git(repo, "add", "app/old.py")
    passed = run(repo, env, "git", "commit", "-m", "touch other lines")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(repo, "rev-parse", "HEAD").strip() != head


# --- the scope rules of --pre-commit, through the CLI ------------------------------------------------------

def test_pre_commit_mode_staged_whole_and_untracked_files(tmp_path):
    repo = make_repo(tmp_path / "r", {"old.py": f'KEY = "{AWS_ID}"\nx = 1\n', "b.py": f'K = "{AWS_ID}"\n'})
    (repo / "old.py").write_text(f'KEY = "{AWS_ID}"\nx = 2\n')
    git(repo, "add", "old.py")
    (repo / "b.py").write_text("unstaged = 1\n")  # the index still holds the key: the index is judged
    (repo / "loose.py").write_text(f'L = "{OTHER_ID}"\n')  # untracked: judged in the working tree

    staged_only = run_surgeon("review", "--pre-commit", "old.py", "--json", cwd=repo)
    assert staged_only.code == 0 and json.loads(staged_only.stdout)["findings"] == []
    mixed = run_surgeon("review", "--pre-commit", "old.py", "b.py", "loose.py", "--json", cwd=repo)
    assert mixed.code == 1, mixed.stderr
    payload = json.loads(mixed.stdout)
    assert [(f["path"], f["line"]) for f in payload["findings"]] == [("b.py", 1), ("loose.py", 1)]
    assert payload["files_checked"] == 3
    human = run_surgeon("review", "--pre-commit", "old.py", "b.py", cwd=repo)
    assert "of the files pre-commit passed (1 with staged changes: added lines; 1 without: whole file)" \
        in human.stdout
    assert run_surgeon("review", "--pre-commit", cwd=repo).code == 0  # no FILE: the staged changes


def test_pre_commit_mode_with_refs_restricts_the_range_to_the_passed_files(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "a.py").write_text(f'x = 1\nKEY = "{AWS_ID}"\n')
    (repo / "b.py").write_text(f'K = "{OTHER_ID}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "keys")
    refs = {"PRE_COMMIT_FROM_REF": first, "PRE_COMMIT_TO_REF": "HEAD"}
    only_b = run_surgeon("review", "--pre-commit", "b.py", "--json", cwd=repo, env=refs)
    assert only_b.code == 1
    assert [(f["path"], f["line"]) for f in json.loads(only_b.stdout)["findings"]] == [("b.py", 1)]
    everything = run_surgeon("review", "--pre-commit", "--json", cwd=repo, env=refs)
    assert [f["path"] for f in json.loads(everything.stdout)["findings"]] == ["a.py", "b.py"]
    reverse = {"PRE_COMMIT_FROM_REF": "HEAD", "PRE_COMMIT_TO_REF": first}
    assert run_surgeon("review", "--pre-commit", "a.py", cwd=repo, env=reverse).code == 0
    half = run_surgeon("review", "--pre-commit", "a.py", cwd=repo, env={"PRE_COMMIT_FROM_REF": first})
    assert half.code == 2 and "PRE_COMMIT_TO_REF" in half.stderr
    missing = run_surgeon("review", "--pre-commit", "a.py", cwd=repo,
                          env={**refs, "PRE_COMMIT_FROM_REF": "nope"})
    assert missing.code == 2 and "PRE_COMMIT_FROM_REF='nope'" in missing.stderr
    fix = run_surgeon("review", "--pre-commit", "--fix", "a.py", cwd=repo, env=refs)
    assert fix.code == 2 and "Traceback" not in fix.stderr


@pytest.mark.parametrize("args", [("--pre-commit", "--staged"), ("--pre-commit", "--all"),
                                  ("--pre-commit", "--range", "HEAD..HEAD"), ("--pre-commit", "../x.py")])
def test_pre_commit_mode_usage_errors(tmp_path, args):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    result = run_surgeon("review", *args, cwd=repo)
    assert result.code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


# --- names that are not UTF-8 ---------------------------------------------------------------------------------

def non_utf8_repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    (repo / NON_UTF8).write_text(f'KEY = "{AWS_ID}"\n')
    git(repo, "add", "-A")
    return repo


def assert_names_the_file(result) -> None:
    assert result.code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "caf\\xe9.py" in result.stdout or '"caf\\\\xe9.py"' in result.stdout  # human output, or JSON


def test_a_staged_name_that_is_not_utf8_is_judged_never_a_traceback(tmp_path):
    repo = non_utf8_repo(tmp_path)
    human = run_surgeon("review", cwd=repo)
    assert_names_the_file(human)
    assert "secret.aws" in human.stdout and "caf\\xe9.py: no fix proposed" in human.stderr
    as_json = run_surgeon("review", "--json", cwd=repo)
    assert_names_the_file(as_json)
    (finding,) = json.loads(as_json.stdout)["findings"]
    assert (finding["path"], finding["rule"], finding["line"]) == ("caf\\xe9.py", "secret.aws", 1)
    sarif = run_surgeon("review", "--sarif", cwd=repo)
    (result,) = json.loads(sarif.stdout)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%E9.py"
    assert_names_the_file(run_surgeon("review", "--pre-commit", NON_UTF8, cwd=repo))
    assert_names_the_file(run_surgeon("review", NON_UTF8, cwd=repo))
    fix = run_surgeon("review", "--fix", cwd=repo)
    assert fix.code == 1 and "Traceback" not in fix.stderr and "no mechanical fix to stage" in fix.stderr


def test_a_committed_name_that_is_not_utf8_all_range_and_baseline(tmp_path):
    repo = non_utf8_repo(tmp_path)
    git(repo, "commit", "-qm", "key")
    assert_names_the_file(run_surgeon("review", "--all", cwd=repo))
    ranged = run_surgeon("review", "--range", "HEAD~1..HEAD", "--json", cwd=repo)
    assert_names_the_file(ranged)
    assert json.loads(ranged.stdout)["findings"][0]["path"] == "caf\\xe9.py"
    written = run_surgeon("review", "--all", "--write-baseline", "--json", cwd=repo)
    assert written.code == 0 and json.loads(written.stdout)["accepted"] == 1
    stored = json.loads((repo / ".surgeon-baseline.json").read_text(encoding="utf-8"))
    assert [entry["path"] for entry in stored["findings"]] == ["caf\\xe9.py"]
    after = run_surgeon("review", "--all", cwd=repo)
    assert after.code == 0 and "1 accepted by baseline" in after.stdout


def test_the_git_hook_blocks_a_non_utf8_name_with_findings_not_a_traceback(tmp_path):
    repo = non_utf8_repo(tmp_path)
    assert run_surgeon("hook", "install", cwd=repo).code == 0
    env = {**os.environ, **GIT_ENV, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    blocked = subprocess.run(["git", "commit", "-m", "key"], cwd=repo, env=env, capture_output=True, text=True)
    assert blocked.returncode == 1
    assert "caf\\xe9.py" in blocked.stdout + blocked.stderr and "Traceback" not in blocked.stderr
