"""What every command promises, through the console script: exit codes that mean one thing, one
line (and one JSON object) instead of a traceback, settings checked before work, colour rules."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pexpect
import pytest

from tests.helpers import GIT_ENV, SURGEON, git, make_repo, run_surgeon

PRICING = 'TAX_RATE = 0.2\n\n\ndef total(net):\n    return net * (1 + TAX_RATE)\n'
TAX_DIFF = """--- a/pricing.py
+++ b/pricing.py
@@ -1,3 +1,3 @@
-TAX_RATE = 0.2
+TAX_RATE = 0.25
 
 
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop", {"pricing.py": PRICING})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_error_object(stdout: str) -> dict:
    payload = json.loads(stdout)  # exactly one JSON document, nothing else on stdout
    assert payload["status"] == "error" and len(payload["errors"]) == 1, payload
    return payload


def test_an_unreachable_model_is_an_environment_failure_exit_3(shop):
    env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{_closed_port()}",
           "SURGEON_MODEL_RETRIES": "0"}
    human = run_surgeon("edit", "set TAX_RATE to 0.25", cwd=shop, env=env)
    assert human.code == 3, human.stderr
    assert "Traceback" not in human.stderr
    assert human.stderr.splitlines()[-1].startswith("surgeon: anthropic:") and "could not reach" in human.stderr
    machine = run_surgeon("edit", "set TAX_RATE to 0.25", "--json", cwd=shop, env=env)
    assert machine.code == 3
    assert "could not reach" in _one_error_object(machine.stdout)["errors"][0]["reason"]


def test_a_refused_diff_is_exit_1_and_a_usage_error_exit_2(shop, fake_model):
    fake_model.script(["no diff at all"])
    refused = run_surgeon("edit", "set TAX_RATE to 0.25", "--json", cwd=shop,
                          env={**fake_model.env(), "SURGEON_MAX_ATTEMPTS": "1"})
    assert refused.code == 1 and json.loads(refused.stdout)["status"] == "refused"
    unknown = run_surgeon("accept", "abcdef", "--json", cwd=shop)
    assert unknown.code == 2 and "no pending surgeon branch" in _one_error_object(unknown.stdout)["errors"][0]["reason"]


@pytest.mark.parametrize("where, setting, value, words", [
    ("file", "max_attempts", "-1", "max_attempts must be at least 1 and at most 10, got -1"),
    ("env", "check_timeout", "nan", "check_timeout must be more than 0 and at most 86400, got nan"),
    ("env", "model_timeout", "inf", "model_timeout must be more than 0"),
    ("file", "rewrite_share", "1.5", "rewrite_share must be more than 0 and at most 1"),
    ("file", "budget", '"lots"', "budget must be a whole number"),
    ("env", "review.fail_on", "critical", "review.fail_on must be one of low, medium, high"),
])
def test_settings_out_of_range_are_refused_with_a_reason(shop, fake_model, where, setting, value, words):
    env = dict(fake_model.env())
    if where == "file":
        (shop / ".surgeon.toml").write_text(f"{setting} = {value}\n")
    else:
        env["SURGEON_FAIL_ON" if setting == "review.fail_on" else f"SURGEON_{setting.upper()}"] = value
    for args in (("config",), ("edit", "set TAX_RATE to 0.25"), ("edit", "set TAX_RATE to 0.25", "--json")):
        result = run_surgeon(*args, cwd=shop, env=env)
        assert result.code == 2, (args, result.stderr)
        assert words in result.stderr and "Traceback" not in result.stderr
    assert fake_model.requests == []  # refused before any model call
    assert words in _one_error_object(result.stdout)["errors"][0]["reason"]


def test_an_unexpected_exception_is_one_line_exit_3_and_json(monkeypatch, capsys, tmp_path):
    """The last line of defence in main(): what broke, how to report it, never a traceback."""
    from surgeon import cli, terminal
    from surgeon.cli import config as config_command

    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    monkeypatch.chdir(repo)

    def broken(*args, **kwargs):
        raise KeyError("AKIA4HK2LMPQ7ZTXW3RB")  # even the detail of an accident is masked

    monkeypatch.setattr(config_command.config, "callback", broken)
    for argv, wants_json in ((["config"], False), (["config", "--json"], True)):
        with pytest.raises(SystemExit) as stopped:
            cli.main(argv)
        assert stopped.value.code == 3
        captured = capsys.readouterr()
        [line] = captured.err.splitlines()
        assert line.startswith("surgeon: internal error (KeyError") and "please report it" in line
        assert "AKIA4HK2LMPQ7ZTXW3RB" not in captured.err + captured.out
        assert "Traceback" not in captured.err
        if wants_json:
            _one_error_object(captured.out)
    with pytest.raises(SystemExit):
        cli.main(["config", "--verbose"])
    assert "Traceback" in capsys.readouterr().err  # --verbose shows where, for the report
    terminal.set_level("normal")


def test_an_ascii_only_terminal_gets_escapes_not_a_crash(shop, fake_model):
    fake_model.script([TAX_DIFF])
    env = {**fake_model.env(), "PYTHONIOENCODING": "ascii"}
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--dry-run", "--verbose", cwd=shop, env=env)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr and "+TAX_RATE = 0.25" in result.stdout
    assert "\\u2026" in result.stderr or "..." in result.stderr  # the ellipsis of "asking …", escaped
    table = run_surgeon("config", cwd=shop, env=env)
    assert table.code == 0 and "Traceback" not in table.stderr and "max_attempts" in table.stdout


def _on_a_terminal(repo, env: dict[str, str], *args: str) -> str:
    child = pexpect.spawn(str(SURGEON), list(args), cwd=str(repo), env=env, encoding="utf-8",
                          dimensions=(40, 200), timeout=60)
    output = child.read()
    child.close()
    return output


@pytest.mark.parametrize("extra, coloured", [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_colour_follows_no_color_and_term_dumb_on_a_real_terminal(shop, fake_model, extra, coloured):
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "ANTHROPIC_API_KEY")}
    env = {**base, **GIT_ENV, "TERM": "xterm-256color", **extra}
    fake_model.script([TAX_DIFF])
    edited = _on_a_terminal(shop, {**env, **fake_model.env()}, "edit", "set TAX_RATE to 0.25", "--dry-run")
    (shop / "settings.py").write_text('DEBUG = True\nAPI = "http://10.1.2.3:8080/v1"\n')
    reviewed = _on_a_terminal(shop, env, "review", "settings.py")
    for output in (edited, reviewed):
        assert bool(ANSI.search(output)) is coloured, output
    assert "+TAX_RATE = 0.25" in ANSI.sub("", edited) and "settings.py" in ANSI.sub("", reviewed)


def test_demo_runs_from_the_console_script_with_json(tmp_path):
    human = run_surgeon("demo", cwd=tmp_path, timeout=300)
    assert human.code == 0, human.stdout + human.stderr
    assert "scripted replies" in human.stdout and "gate passed" in human.stdout
    assert "working tree, index and current branch: untouched" in human.stdout
    machine = run_surgeon("demo", "--json", cwd=tmp_path, timeout=300)
    assert machine.code == 0, machine.stderr
    payload = json.loads(machine.stdout)
    assert payload["status"] == "staged" and payload["branch"].startswith("surgeon/")
    assert payload["demo"]["scripted"] is True and payload["demo"]["untouched"] is True
    assert [a["status"] for a in payload["attempts"]] == ["refused", "staged"]
    quiet = run_surgeon("demo", "--quiet", cwd=tmp_path, timeout=300)
    assert quiet.code == 0 and quiet.stdout.startswith("surgeon demo: staged surgeon/") and quiet.stderr == ""


def test_a_cold_index_of_many_files_says_so_on_stderr(tmp_path):
    files = {f"pkg/m{i}.py": f"def handler_{i}(event):\n    return event + {i}\n" for i in range(400)}
    repo = make_repo(tmp_path / "big", files)
    cold = run_surgeon("locate", "handler_7 returns", "--json", cwd=repo)
    assert cold.code == 0, cold.stderr
    assert "surgeon: indexing 400 files" in cold.stderr and "surgeon: indexed 400 files in" in cold.stderr
    assert json.loads(cold.stdout)["regions"][0]["path"] == "pkg/m7.py"  # stdout stays one JSON object
    warm = run_surgeon("locate", "handler_7 returns", "--json", cwd=repo)
    assert warm.code == 0 and "indexing" not in warm.stderr  # nothing to say when the cache answers
    (repo / ".git" / "surgeon").rename(repo / "old-cache")
    quiet = run_surgeon("locate", "handler_7 returns", "--quiet", cwd=repo)
    assert quiet.code == 0 and quiet.stderr == ""


def test_a_reader_that_leaves_early_is_exit_141_not_refused(shop):
    for args in (("config",), ("branches", "--json"), ("usage",)):
        result = subprocess.run(f"{shlex.quote(str(SURGEON))} {' '.join(args)} | head -c 0; exit ${{PIPESTATUS[0]}}",
                                shell=True, executable="/bin/bash", cwd=shop, capture_output=True, text=True)
        assert result.returncode == 141, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_stdout_that_cannot_be_written_is_one_line_exit_3(shop):
    with open("/dev/full", "w") as full:
        result = subprocess.run([str(SURGEON), "config", "--json"], cwd=shop, stdout=full, stderr=subprocess.PIPE,
                                text=True)
    assert result.returncode == 3
    assert result.stderr.splitlines() == ["surgeon: no space left on the device"]


def test_an_interrupt_with_json_still_prints_one_error_object(shop, tmp_path):
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([TAX_DIFF]))

    def gates() -> set[str]:
        return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("surgeon-gate-")}
    before = gates()  # another test's gate folder may not be gone yet: wait for this edit's own
    child = subprocess.Popen([str(SURGEON), "edit", "set TAX_RATE to 0.25", "--model", f"script:{script}",
                              "--check", "sleep 60", "--json"], cwd=shop, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, **GIT_ENV})
    deadline = time.monotonic() + 60
    while not gates() - before:
        assert time.monotonic() < deadline and child.poll() is None, "the gate never started"
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130 and "Traceback" not in err
    assert "interrupted" in _one_error_object(out)["errors"][0]["reason"]
    assert git(shop, "branch", "--list", "surgeon/*") == ""  # nothing staged but unchecked is left


def test_edit_refuses_a_zero_budget_before_the_model(shop, fake_model):
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--budget", "0", cwd=shop, env=fake_model.env())
    assert result.code == 2 and fake_model.requests == []


def test_files_takes_a_path_with_spaces_whole(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"tax rules.py": PRICING})
    fake_model.script([TAX_DIFF.replace("pricing.py", "tax rules.py")])
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--files", "tax rules.py", "--dry-run", cwd=repo,
                         env=fake_model.env())
    assert result.code == 0, result.stderr
    assert "+TAX_RATE = 0.25" in result.stdout


def test_term_dumb_gets_no_line_rewriting_on_a_terminal(shop, fake_model):
    env = {**{k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}, **GIT_ENV, **fake_model.env(),
           "TERM": "dumb"}
    fake_model.script([TAX_DIFF])
    output = _on_a_terminal(shop, env, "edit", "set TAX_RATE to 0.25", "--dry-run")
    assert "\x1b[2K" not in output and "+TAX_RATE = 0.25" in output
