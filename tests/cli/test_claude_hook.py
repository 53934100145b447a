"""`surgeon hook claude-code`: the PreToolUse hook in .claude/settings.json, and the command it installs,
run as Claude Code runs it (through the shell, the hook JSON on stdin) on real repositories."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.support import assert_no_traceback, assert_one_line_error
from tests.helpers import GIT_ENV, Run, make_repo, run_surgeon

APP = 'import os\n\n\ndef greet(name):\n    return "Hello, " + name\n'
CONFIG = '{\n  "port": 8080,\n  "debug": false\n}\n'
LONG = "".join(f"VALUE_{n} = {n}\n" for n in range(20))
SECRET = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcQ9aK3mZx"
OTHER_SETTINGS = {
    "permissions": {"allow": ["Bash(pytest:*)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "echo bash-guard"}]}],
        "PostToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "prettier --write"}]}],
    },
    "model": "opus",
}


@pytest.fixture
def project(tmp_path):
    root = make_repo(tmp_path / "project", {
        "app.py": APP, "config.json": CONFIG, "values.py": LONG, ".env": "DB_PASSWORD=hunter2\n",
        ".surgeonignore": "internal/\n", "internal/notes.txt": "private\n", "legacy.py": "def broken(:\n",
    })
    installed = run_surgeon("hook", "claude-code", "install", cwd=root)
    assert installed.code == 0, installed.stderr
    return root


def settings(root: Path) -> dict:
    return json.loads((root / ".claude" / "settings.json").read_text())


def hook_command(root: Path) -> str:
    [group] = [g for g in settings(root)["hooks"]["PreToolUse"] if "surgeon" in json.dumps(g)]
    assert group["matcher"] == "Edit|MultiEdit|Write"
    [entry] = group["hooks"]
    assert entry["type"] == "command"
    return entry["command"]


def claude(root: Path, tool: str, tool_input: dict, *, raw: bytes | None = None, env: dict | None = None) -> Run:
    """What Claude Code does before a file tool runs: the hook's command through the shell, in the
    project, with the PreToolUse JSON on stdin."""
    payload = {"session_id": "3f1c", "transcript_path": str(root / "transcript.jsonl"), "cwd": str(root),
               "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": tool,
               "tool_input": tool_input, "tool_use_id": "toolu_01ABC"}
    done = subprocess.run(hook_command(root), shell=True, cwd=root, capture_output=True,
                          input=raw if raw is not None else json.dumps(payload).encode(),
                          env={**os.environ, **GIT_ENV, "CLAUDE_PROJECT_DIR": str(root), **(env or {})}, timeout=60)
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


def edit(root: Path, path: str, old: str, new: str, **extra: object) -> dict:
    return {"file_path": str(root / path), "old_string": old, "new_string": new, "replace_all": False, **extra}


def assert_allowed(run: Run) -> None:
    assert (run.code, run.stdout, run.stderr) == (0, "", ""), run


def assert_blocked(run: Run, *words: str) -> str:
    assert_no_traceback(run)
    assert run.code == 2, run
    decision = json.loads(run.stdout)["hookSpecificOutput"]
    assert decision["hookEventName"] == "PreToolUse" and decision["permissionDecision"] == "deny"
    assert decision["permissionDecisionReason"] == run.stderr.strip()
    for word in words:
        assert word in run.stderr, run.stderr
    return run.stderr


# --- install and uninstall ---------------------------------------------------------------------------------

def test_install_keeps_everything_else_and_is_idempotent(tmp_path):
    root = make_repo(tmp_path / "p", {"app.py": APP})
    (root / ".claude").mkdir()
    path = root / ".claude" / "settings.json"
    path.write_text(json.dumps(OTHER_SETTINGS, indent=4))
    first = run_surgeon("hook", "claude-code", "install", "--json", cwd=root)
    assert first.code == 0, first.stderr
    assert json.loads(first.stdout)["action"] == "installed"
    data = settings(root)
    assert {k: v for k, v in data.items() if k != "hooks"} == {k: v for k, v in OTHER_SETTINGS.items() if k != "hooks"}
    assert data["hooks"]["PostToolUse"] == OTHER_SETTINGS["hooks"]["PostToolUse"]
    assert data["hooks"]["PreToolUse"][0] == OTHER_SETTINGS["hooks"]["PreToolUse"][0]
    assert "hook claude-code check" in hook_command(root)
    text = path.read_text()
    again = run_surgeon("hook", "claude-code", "install", cwd=root)
    assert again.code == 0 and "already installed" in again.stdout
    assert path.read_text() == text and len(data["hooks"]["PreToolUse"]) == 2
    removed = run_surgeon("hook", "claude-code", "uninstall", cwd=root)
    assert removed.code == 0 and "removed" in removed.stdout
    assert settings(root) == OTHER_SETTINGS
    absent = run_surgeon("hook", "claude-code", "uninstall", "--json", cwd=root)
    assert json.loads(absent.stdout)["action"] == "absent"


def test_a_stale_command_is_replaced_not_added(tmp_path):
    root = make_repo(tmp_path / "p", {"app.py": APP})
    stale = {"hooks": {"PreToolUse": [{"matcher": "Edit|MultiEdit|Write", "hooks": [
        {"type": "command", "command": "/gone/bin/surgeon hook claude-code check"}]}]}}
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text(json.dumps(stale))
    run = run_surgeon("hook", "claude-code", "install", cwd=root)
    assert run.code == 0 and "updated" in run.stdout
    assert "/gone/" not in json.dumps(settings(root)) and "hook claude-code check" in hook_command(root)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"hooks": []}', '{"hooks": {"PreToolUse": {}}}'])
@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_a_malformed_settings_file_is_a_one_line_error_and_left_alone(tmp_path, text, action):
    root = make_repo(tmp_path / "p", {"app.py": APP})
    (root / ".claude").mkdir()
    path = root / ".claude" / "settings.json"
    path.write_text(text)
    run = run_surgeon("hook", "claude-code", action, cwd=root)
    message = assert_one_line_error(run, 2, as_json=False)
    assert "settings.json" in message and "nothing was changed" in message
    assert path.read_text() == text


def test_the_git_pre_commit_hook_is_a_separate_thing(project):
    run = run_surgeon("hook", "install", cwd=project)
    assert run.code == 0 and "pre-commit hook installed" in run.stdout
    assert (project / ".git" / "hooks" / "pre-commit").is_file()
    assert "hook claude-code check" in hook_command(project)


# --- what the hook lets through ------------------------------------------------------------------------------

def test_an_ordinary_edit_passes_silently(project):
    assert_allowed(claude(project, "Edit", edit(project, "app.py", '"Hello, "', '"Hi, "')))
    assert_allowed(claude(project, "Write", {"file_path": str(project / "values.py"),
                                             "content": LONG.replace("VALUE_3 = 3", "VALUE_3 = 33")}))
    assert_allowed(claude(project, "Write", {"file_path": str(project / "new_module.py"), "content": "X = 1\n"}))
    assert_allowed(claude(project, "Read", {"file_path": str(project / ".env")}))  # not a file tool: not judged


def test_an_edit_that_cannot_apply_is_left_to_the_tool(project):
    # not in the file, or in it twice without replace_all: Edit fails by itself and writes nothing
    assert_allowed(claude(project, "Edit", edit(project, "app.py", "nowhere", f'KEY = "{SECRET}"')))
    assert_allowed(claude(project, "Edit", edit(project, "values.py", " = ", " == ")))


# --- what it blocks -------------------------------------------------------------------------------------------

def test_a_new_secret_is_blocked_and_never_echoed(project):
    run = claude(project, "Edit", edit(project, "app.py", "import os\n", f'import os\nSTRIPE = "{SECRET}"\n'))
    assert_blocked(run, "app.py", "line 2", "new secret")
    assert SECRET not in run.stdout + run.stderr
    run = claude(project, "Write", {"file_path": str(project / "deploy.py"), "content": f'TOKEN = "{SECRET}"\n'})
    assert_blocked(run, "deploy.py", "new secret")


def test_a_secret_already_in_the_file_is_not_new(project):
    (project / "keys.py").write_text(f'STRIPE = "{SECRET}"\nRETRIES = 3\n')
    moved = edit(project, "keys.py", "RETRIES = 3\n", f'RETRIES = 3\nBACKUP = "{SECRET}"\n')
    assert_allowed(claude(project, "Edit", moved))


def test_a_change_that_breaks_the_syntax_is_blocked(project):
    assert_blocked(claude(project, "Edit", edit(project, "app.py", "def greet(name):", "def greet(name:")),
                   "app.py", "Python syntax")
    assert_blocked(claude(project, "Edit", edit(project, "config.json", '"debug": false', '"debug": false,')),
                   "config.json", "JSON syntax")
    # a file that did not parse before is not this edit's fault
    assert_allowed(claude(project, "Edit", edit(project, "legacy.py", "def broken(:", "def broken(x:")))


def test_multiedit_is_judged_on_the_file_all_its_edits_leave(project):
    fine = {"file_path": str(project / "app.py"), "edits": [
        {"old_string": "def greet(name):", "new_string": "def greet(name, punctuation):"},
        {"old_string": '" + name', "new_string": '" + name + punctuation'}]}
    assert_allowed(claude(project, "MultiEdit", fine))
    broken = {"file_path": str(project / "app.py"), "edits": [
        {"old_string": "def greet(name):", "new_string": "def greet(name):\n    if name:"},
        {"old_string": "    return", "new_string": "    return", "replace_all": True}]}
    assert_blocked(claude(project, "MultiEdit", broken), "Python syntax")


@pytest.mark.parametrize("path", [".env", ".surgeonignore", "internal/notes.txt", "server.pem", ".git/config",
                                  ".GIT/hooks/pre-commit", "sub/.git/HEAD"])
def test_never_sent_files_and_git_are_blocked(project, path):
    run = claude(project, "Write", {"file_path": str(project / path), "content": "anything\n"})
    assert_blocked(run, path)
    assert "hunter2" not in run.stderr


def test_a_link_is_judged_by_what_it_reaches(project, tmp_path):
    (project / "settings.txt").symlink_to(".env")
    assert_blocked(claude(project, "Edit", edit(project, "settings.txt", "hunter2", "hunter3")), ".env")
    outside = tmp_path / "elsewhere.py"
    outside.write_text("X = 1\n")
    (project / "linked.py").symlink_to(outside)
    assert_blocked(claude(project, "Edit", edit(project, "linked.py", "X = 1", "X = 2")), "linked.py (a link to",
                   "out of the project")
    assert_allowed(claude(project, "Edit", {**edit(project, "", "X = 1", "X = 2"), "file_path": str(outside)}))
    assert_blocked(claude(project, "Edit", {**edit(project, "", "X = 1", "X = ("), "file_path": str(outside)}),
                   "syntax")


def test_replacing_most_of_a_file_is_blocked(project):
    rewrite = "".join(f"SETTING_{n} = {n * 2}\n" for n in range(20))
    assert_blocked(claude(project, "Write", {"file_path": str(project / "values.py"), "content": rewrite}),
                   "values.py", "whole-file rewrite", "20 of its 20 lines")
    (project / ".surgeon.toml").write_text("rewrite_share = 1.0\n")
    assert_allowed(claude(project, "Write", {"file_path": str(project / "values.py"), "content": rewrite}))


def test_surgeon_skip_turns_it_off(project):
    assert_allowed(claude(project, "Write", {"file_path": str(project / ".env"), "content": "x\n"},
                          env={"SURGEON_SKIP": "1"}))


# --- odd input -----------------------------------------------------------------------------------------------

def test_paths_outside_the_project_and_files_that_are_not_text(project, tmp_path):
    outside = tmp_path / "scratch.txt"
    assert_allowed(claude(project, "Write", {"file_path": str(outside), "content": "notes\n"}))
    assert_blocked(claude(project, "Write", {"file_path": str(outside), "content": f"key {SECRET}\n"}), "new secret")
    (project / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    assert_allowed(claude(project, "Edit", edit(project, "latin1.txt", "lait", "miel")))
    assert_blocked(claude(project, "Edit", edit(project, "latin1.txt", "lait", SECRET)), "new secret")
    assert_allowed(claude(project, "Edit", edit(project, "missing/deep/file.py", "a", "b")))


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[]", b'{"tool_name": "Edit"}',
                                 b'{"tool_name": "Write", "tool_input": {"file_path": 3}}',
                                 b'{"tool_name": "MultiEdit", "tool_input": {"file_path": "a.py", "edits": "x"}}'])
def test_input_claude_code_would_not_send_is_let_through_with_a_note(project, raw):
    run = claude(project, "Edit", {}, raw=raw)
    assert_no_traceback(run)
    assert run.code == 0, run
    [note] = run.stderr.splitlines()
    assert note.startswith("surgeon: ") and "not checked" in note
    assert json.loads(run.stdout) == {"systemMessage": note}
