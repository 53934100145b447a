"""The child that prepared an edit's context kept to serve the rest of it (surgeon/edit/helper.py,
surgeon/edit/aside.py): its calls, its end, its death, and an edit through the command line whose
own process loads neither the secret detectors nor the names guard, yet hides and refuses every
secret and judges every name as before, also when the child is gone."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from surgeon.edit.aside import Aside, ChildGone
from surgeon.edit.helper import FIND, Helper
from surgeon.errors import UsageError
from tests.helpers import GIT_ENV, git, gone, make_repo

TOKEN = "ghp_" + "8fK2mQ9xLp4vR7tZ1cW6nB3yH5jD0sA2eG4u"  # a GitHub-style token: every detector knows it
PRICING = 'TAX_RATE = 0.2\n\n\ndef total_price(net: float) -> float:\n    return round(net * (1 + TAX_RATE), 2)\n'


def pricing_diff(first: str, *added: str) -> str:
    lines = "".join(f"+{line}\n" for line in added)
    return (f"```diff\n--- a/pricing.py\n+++ b/pricing.py\n@@ -1,4 +1,{4 + len(added)} @@\n-TAX_RATE = 0.2\n"
            f"+{first}\n{lines} \n \n def total_price(net: float) -> float:\n```\n")


def echo(name: str, args: tuple) -> object:
    if name == "fail":
        raise UsageError(f"bad: {args[0]}")
    return {"pid": os.getpid(), "name": name, "args": args}


def test_a_serving_child_answers_calls_after_its_result_until_it_is_closed():
    child = Aside(lambda: os.getpid(), lambda _pid: echo)
    pid = child.result()
    assert pid != os.getpid()
    assert child.call("ping", 1, "two") == {"pid": pid, "name": "ping", "args": (1, "two")}
    with pytest.raises(UsageError, match="bad: x"):  # what the handler raised, with its type
        child.call("fail", "x")
    assert child.call("ping")["pid"] == pid  # still serving after a call that raised
    child.close()
    assert gone(pid)
    with pytest.raises(ChildGone):
        child.call("ping")


def test_a_serving_child_ends_with_what_it_started_when_this_side_closes_its_end(tmp_path):
    pids = tmp_path / "pids"

    def start(_value: object):
        sleeper = subprocess.Popen(["sleep", "60"])  # the names guard's interpreter, say
        pids.write_text(f"{os.getpid()} {sleeper.pid}")
        return echo

    child = Aside(lambda: None, start)
    child.result()
    child.call("ping")
    pid, sleeper = map(int, pids.read_text().split())
    assert child._ask is not None
    os.close(child._ask)  # as when this process ends: the child reads the end of its calls
    child._ask = None
    assert gone(pid) and gone(sleeper)
    child.close()


def test_a_stopped_child_is_seen_not_waited_on_for_ever():
    child = Aside(lambda: os.getpid(), lambda _pid: echo)
    pid = child.result()
    os.kill(pid, signal.SIGSTOP)
    with pytest.raises(ChildGone, match="stopped answering"):
        child.call("ping", "x" * 1_000_000)  # more than the pipe holds: the write would block too
    assert gone(pid)  # killed and reaped, stopped as it was


def test_sigterm_during_a_call_unwinds_like_ctrl_c_and_stops_the_child(tmp_path):
    def slow(name: str, args: tuple) -> object:
        time.sleep(60)
        return None

    child = Aside(lambda: os.getpid(), lambda _pid: slow)
    pid = child.result()
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    previous = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGTERM))
    try:
        with pytest.raises(KeyboardInterrupt):
            child.call("slow")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert gone(pid)


def test_a_child_killed_between_calls_is_gone_and_the_helper_finds_secrets_here(tmp_path):
    from surgeon.edit.helper import serving
    from surgeon.edit.prepare import Prepared
    from surgeon.locate.result import LocateResult
    from surgeon.model.redact import Redactor

    prepared = Prepared(LocateResult((), 0, 0, 0.0, {}), (), 0.0, Redactor())
    child = Aside(lambda: prepared, serving(tmp_path))
    child.result()
    helper = Helper(tmp_path)
    helper.attach(child)
    text = f"token = '{TOKEN}'"
    assert [s.value for s in helper.find([(text, None)])[0]] == [TOKEN]  # found in the child
    assert child._pid is not None
    os.kill(child._pid, signal.SIGKILL)
    assert [s.value for s in helper.find([(text, None)])[0]] == [TOKEN]  # found here
    assert not helper.serving
    with pytest.raises(ChildGone):
        child.call(FIND, [(text, None)])


def test_the_childs_finder_looks_at_each_text_once_and_at_some_ahead(monkeypatch):
    import surgeon.model.redact as redact
    from surgeon.edit.helper import Found

    looked: list[str] = []
    find_each = redact.find_each

    def counting(items):
        looked.extend(text for text, _path in items)
        return find_each(items)

    monkeypatch.setattr(redact, "find_each", counting)
    found = Found()
    secret, plain = f"token = '{TOKEN}'", "needed by lines 3-9: the class this lies in"
    found.ahead([plain, secret])
    assert found._ahead is not None
    found._ahead.join()  # (a call that comes sooner looks at what is not known yet itself)
    answers = found([(secret, None), ("x = 1", None), (secret, None), (plain, None)])
    assert [[s.value for s in a] for a in answers] == [[TOKEN], [], [TOKEN], []]
    assert looked == [plain, secret, "x = 1"]  # the ones looked at ahead were not looked at again
    assert [s.value for s in found([(secret, "app.py")])[0]] == [TOKEN] and looked[-1] == secret  # a text's path counts


# `surgeon edit` as its own process, as in test_edit_aside.py; at its end the process says which of
# the heavy parts it loaded itself. KILL_HELPER: the serving child is killed as soon as it answers.
EDIT = textwrap.dedent('''
    import json, os, sys
    from surgeon.cli.main import main

    if os.environ.get("HELPER"):  # "kill" or "stop" the serving child as soon as it has answered
        import signal
        import surgeon.edit.helper as helper

        attach = helper.Helper.attach

        def attached(self, child):
            os.kill(child._pid, signal.SIGKILL if os.environ["HELPER"] == "kill" else signal.SIGSTOP)
            attach(self, child)

        helper.Helper.attach = attached
    try:
        main(["edit", sys.argv[2], *sys.argv[3:]])
    finally:
        loaded = {name: name in sys.modules for name in ("anthropic", "detect_secrets", "surgeon.validate.names.guard",
                                                         "pathspec")}
        Path = __import__("pathlib").Path
        Path(sys.argv[1]).write_text(json.dumps(loaded))
''')


def run_edit(repo: Path, server_env: dict[str, str], instruction: str, report: Path, *args: str,
             **env: str) -> tuple[dict, dict, str]:
    """The --json answer (or, with --events, the last line), what the process loaded, and stderr."""
    done = edit_process(repo, server_env, instruction, report, *(args or ("--json",)), **env)
    return json.loads(done.stdout.strip().splitlines()[-1] if "--events" in args else done.stdout), \
        json.loads(report.read_text()), done.stderr


def edit_process(repo: Path, server_env: dict[str, str], instruction: str, report: Path, *args: str,
                 **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **GIT_ENV, **server_env, "NO_COLOR": "1", "PYTHONFAULTHANDLER": "1", **env}
    environ.pop("SURGEON_MODEL", None)
    return subprocess.run([sys.executable, "-c", EDIT, str(report), instruction, *args], cwd=repo, env=environ,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("helper", ["", "kill", "stop"], ids=["served", "child-killed", "child-stopped"])
def test_an_edit_hides_and_refuses_secrets_and_judges_names_whether_or_not_its_child_serves(
        tmp_path, fake_model, helper):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING, "notes.md": f"deploy token: {TOKEN}\n"})
    fake_model.script([
        pricing_diff("TAX_RATE = 0.25", f"GITHUB_TOKEN = '{TOKEN[::-1]}'"),  # a new secret: refused
        pricing_diff("TAX_RATE = 0.25", "import numpyy_not_installed"),  # an unknown module: refused
        pricing_diff("TAX_RATE = 0.25"),
    ])
    instruction = f"set TAX_RATE to 0.25 in pricing.py (the old token {TOKEN} stays out of it)"
    answer, loaded, err = run_edit(repo, fake_model.env(), instruction, tmp_path / "loaded.json", HELPER=helper)
    assert answer["status"] == "staged", err
    first, second = (a["errors"] for a in answer["attempts"][:2])
    assert any("adds a new secret" in e["reason"] for e in first), first
    assert any("numpyy_not_installed" in e["reason"] for e in second), second
    assert TOKEN not in fake_model.all_text()  # (the refused one is the model's own, in its own turn)
    output = json.dumps(answer)
    assert TOKEN not in output and TOKEN[::-1] not in output
    assert loaded["anthropic"]
    # served: the command's own process never loaded the detectors or the guard; else it did the work
    assert loaded["detect_secrets"] == bool(helper) and loaded["surgeon.validate.names.guard"] == bool(helper)
    assert git(repo, "status", "--porcelain") == ""


def test_the_serving_child_is_gone_when_the_edit_ends(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING})
    fake_model.script([pricing_diff("TAX_RATE = 0.25")])
    before = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    answer, loaded, err = run_edit(repo, fake_model.env(), "set TAX_RATE to 0.25", tmp_path / "loaded.json")
    assert answer["status"] == "staged", err
    # the reply was judged in the child: this process never loaded the never-sent rules either
    assert not loaded["pathspec"] and not loaded["detect_secrets"]
    deadline = time.monotonic() + 10
    while True:
        left = []
        for pid in {int(p) for p in os.listdir("/proc") if p.isdigit()} - before:
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
            if cwd == str(repo) and not gone(pid, within=0):
                left.append(pid)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert left == []


@pytest.mark.parametrize("in_file", [True, False], ids=["in-a-shown-file-too", "in-the-instruction-only"])
def test_neither_the_model_nor_an_event_sees_a_secret_the_instruction_names(tmp_path, fake_model, in_file):
    password = "Xk9#mQ2$vL8pR4nT"
    # notes.md holds the bare value, which no detector takes for a secret on its own: only what the
    # instruction (or config.py) said about it tells, before the context is rendered, that it is one.
    files = {"pricing.py": PRICING, "notes.md": f"TAX_RATE and pricing.py: rotation id {password}\n"}
    if in_file:
        files["config.py"] = f"DB_PASSWORD = '{password}'\nDEBUG = False\n"
    repo = make_repo(tmp_path / "r", files)
    fake_model.script([pricing_diff("TAX_RATE = 0.25")])
    instruction = f"set TAX_RATE to 0.25; config.py has DB_PASSWORD = '{password}', leave it"
    done = edit_process(repo, fake_model.env(), instruction, tmp_path / "loaded.json", "--events",
                        *(("--files", "config.py") if in_file else ()))
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[-1])["status"] == "staged", done.stderr
    assert any(json.loads(line).get("event") == "located" for line in lines)
    assert password not in fake_model.all_text()
    assert password not in done.stdout and password not in done.stderr


def test_a_secret_an_earlier_turn_named_is_hidden_in_the_context_where_a_file_holds_it_bare(tmp_path):
    from surgeon.config import load_config
    from surgeon.edit.prepare import prepare

    password = "Xk9#mQ2$vL8pR4nT"
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING, "notes.md": f"pricing rotation id {password}\n"})
    earlier = f"(an earlier turn of a pair session) the DB_PASSWORD = '{password}' stays as it is"
    alone = prepare(repo, load_config(repo), "pricing rotation", None, ())
    told = prepare(repo, load_config(repo), "pricing rotation", None, (), history=(earlier,))
    assert "notes.md" in alone.shown and password in alone.context_block  # bare, it is no secret
    assert "notes.md" in told.shown and password not in told.context_block


def test_a_plain_word_the_instruction_calls_a_password_stays_in_the_context_where_the_code_uses_it(tmp_path):
    from surgeon.config import load_config
    from surgeon.edit.prepare import prepare

    roles = 'ROLES = ("admin", "editor")\n\n\ndef can_delete(role: str) -> bool:\n    return role == "admin"\n'
    repo = make_repo(tmp_path / "r", {"roles.py": roles})
    instruction = 'let "auditor" delete too in can_delete in roles.py (the demo login is password="admin", leave it)'
    prepared = prepare(repo, load_config(repo), instruction, None, ())
    assert 'return role == "admin"' in prepared.context_block  # the model can write the line it must change
    assert "<<SECRET_" not in prepared.context_block


def test_the_conversation_s_secrets_take_no_number_a_shown_file_writes_as_text():
    from surgeon.model.redact import Redactor

    redactor = Redactor()
    block = redactor.redact('SAMPLE = "<<SECRET_1>>"  # a fixture of the redaction tests\n')  # no secret in it
    assert redactor.learn([f"rotate the token {TOKEN}"])
    assert '"<<SECRET_1>>"' in redactor.hide_known(block)
    assert "<<SECRET_1>>" not in redactor.placeholders  # still the file's own text, never a secret's stand-in
    assert redactor.restore('SAMPLE = "<<SECRET_1>>"') == 'SAMPLE = "<<SECRET_1>>"'


def test_an_output_that_includes_the_edit_s_redactor_shows_its_secrets_under_the_same_placeholders():
    from surgeon.model.redact import Redactor

    other = f"ghp_{'Q' * 8}7tZ1cW6nB3yH5jD0sA2eG4uXk"
    edit = Redactor()
    edit.redact(f"a = '{TOKEN}'\nb = '{other}'\n")
    output = Redactor()
    output.include(edit)
    assert output.redact(f"the reply used {other}") == edit.redact(f"the reply used {other}")
    assert output.placeholders == edit.placeholders


def test_an_ignored_hangup_stays_ignored_during_a_call():
    def slow(name: str, args: tuple) -> object:
        time.sleep(0.6)
        return "done"

    child = Aside(lambda: None, lambda _value: slow)
    child.result()
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    alarm = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGHUP))
    try:
        assert child.call("slow") == "done"
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, alarm)
        signal.signal(signal.SIGHUP, previous)
        child.close()


def test_children_reaped_by_the_system_are_no_error():
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # inherited from a launcher: no zombies, no wait
    try:
        child = Aside(lambda: os.getpid(), lambda _pid: echo)
        pid = child.result()
        assert child.call("ping")["pid"] == pid
        assert child.close() == 0
        assert Aside(lambda: 42).result() == 42
    finally:
        signal.signal(signal.SIGCHLD, previous)
