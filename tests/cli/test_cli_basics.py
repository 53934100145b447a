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


END = '''
import atexit, sys, threading, time
from pathlib import Path
from surgeon.cli import run

mark = Path(sys.argv[1])
atexit.register(lambda: mark.write_text(mark.read_text() + "exit handler\\n"))

if sys.argv[2] == "thread":  # a thread the interpreter waits for: the process ends after it
    def late():
        time.sleep(0.3)
        mark.write_text(mark.read_text() + "thread\\n")
    threading.Thread(target=late).start()
sys.argv = ["surgeon", *sys.argv[3:]]
run()
'''


def test_the_console_script_ends_its_process_with_its_exit_code_its_output_and_its_exit_handlers(tmp_path):
    # run() skips the interpreter's teardown (freeing a model SDK's objects one by one), nothing else;
    # with a thread left for the interpreter to wait on, the interpreter ends the process
    import subprocess
    import sys

    def end(*args: str) -> tuple[subprocess.CompletedProcess[str], str]:
        mark = tmp_path / "mark"
        mark.write_text("")
        done = subprocess.run([sys.executable, "-c", END, str(mark), *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
        return done, mark.read_text()

    done, marks = end("", "--help")
    assert done.returncode == 0 and "Exit codes" in done.stdout and marks == "exit handler\n"
    done, marks = end("", "config", "--repo", str(tmp_path / "missing"))
    assert done.returncode == 2 and done.stderr.startswith("surgeon: ") and marks == "exit handler\n"
    done, marks = end("thread", "--version")
    assert done.returncode == 0 and __version__ in done.stdout and marks == "thread\nexit handler\n"
    # a reader that takes the first line and leaves: no traceback either way
    reader = subprocess.run(f"{sys.executable} -c '{END}' {tmp_path / 'mark'} '' --help | head -n 1", shell=True,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert reader.stdout.startswith("Usage") and "Traceback" not in reader.stderr
