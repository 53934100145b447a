import json

from surgeon import __version__
from tests.helpers import git, make_repo, run_surgeon


def test_help_lists_commands(tmp_path):
    result = run_surgeon("--help", cwd=tmp_path)
    assert result.code == 0
    assert "config" in result.stdout
    assert "not implemented" not in result.stdout.lower()


def test_version(tmp_path):
    result = run_surgeon("--version", cwd=tmp_path)
    assert result.code == 0
    assert __version__ in result.stdout


def test_outside_a_repository_is_a_one_line_error(tmp_path):
    result = run_surgeon("config", cwd=tmp_path)
    assert result.code == 2
    assert "not inside a git repository" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bare_repository(tmp_path):
    bare = tmp_path / "bare.git"
    bare.mkdir()
    git(bare, "init", "-q", "--bare")
    result = run_surgeon("config", cwd=bare)
    assert result.code == 2
    assert "bare repository" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_repo_folder(tmp_path):
    result = run_surgeon("config", "--repo", str(tmp_path / "nope"), cwd=tmp_path)
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_config_sources_in_order(tmp_path):
    repo = make_repo(tmp_path / "r", {
        "pyproject.toml": '[tool.surgeon]\nbudget = 3000\nmax_attempts = 5\n[tool.surgeon.models]\nedit = "openai:gpt-4o"\n',
    })
    result = run_surgeon("config", "--json", cwd=repo, env={"SURGEON_MAX_ATTEMPTS": "7"})
    assert result.code == 0, result.stderr
    settings = json.loads(result.stdout)["settings"]
    assert settings["budget"] == {"value": 3000, "source": "pyproject.toml [tool.surgeon]"}
    assert settings["max_attempts"] == {"value": 7, "source": "env SURGEON_MAX_ATTEMPTS"}
    assert settings["models.edit"]["value"] == "openai:gpt-4o"
    assert settings["check"]["source"] == "default"


def test_dedicated_file_wins_over_pyproject(tmp_path):
    repo = make_repo(tmp_path / "r", {
        ".surgeon.toml": 'check = "pytest -q"\n',
        "pyproject.toml": '[tool.surgeon]\ncheck = "make test"\n',
    })
    result = run_surgeon("config", "--json", cwd=repo)
    settings = json.loads(result.stdout)["settings"]
    assert settings["check"] == {"value": "pytest -q", "source": ".surgeon.toml"}


def test_invalid_config_value_is_a_usage_error(tmp_path):
    repo = make_repo(tmp_path / "r", {".surgeon.toml": 'budget = "lots"\n'})
    result = run_surgeon("config", cwd=repo)
    assert result.code == 2
    assert "budget must be a whole number" in result.stderr


def test_config_works_before_first_commit(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.txt": "x\n"}, commit=False)
    result = run_surgeon("config", "--json", cwd=repo)
    assert result.code == 0, result.stderr


def test_the_command_lines_process_collects_rarely_and_skips_the_last_collections_a_caller_of_main_does_not(monkeypatch, capsys):
    # a model SDK leaves hundreds of thousands of objects alive: walking them at exit cost 0.6 s
    import gc
    import importlib

    import pytest

    cli_main = importlib.import_module("surgeon.cli.main")  # the package's `main` is the function

    frozen: list[bool] = []
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(gc, "set_threshold", lambda *values: thresholds.append(values))
    monkeypatch.setattr("sys.argv", ["surgeon", "--version"])
    with pytest.raises(SystemExit) as ended:
        cli_main.main()
    assert ended.value.code == 0 and __version__ in capsys.readouterr().out
    assert frozen == [True] and thresholds == [cli_main.COMMAND_GC_THRESHOLDS]
    assert cli_main.COMMAND_GC_THRESHOLDS[0] > gc.get_threshold()[0]
    with pytest.raises(SystemExit):
        cli_main.main(["--version"])
    assert frozen == [True] and len(thresholds) == 1
