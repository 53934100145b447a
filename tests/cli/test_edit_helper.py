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


# `surgeon edit` as its own process, as in test_edit_aside.py; at its end the process says which of
# the heavy parts it loaded itself. KILL_HELPER: the serving child is killed as soon as it answers.
EDIT = textwrap.dedent('''
    import json, os, sys
    from surgeon.cli.main import main

    if os.environ.get("KILL_HELPER"):
        import signal
        import surgeon.edit.helper as helper

        attach = helper.Helper.attach

        def killed(self, child):
            os.kill(child._pid, signal.SIGKILL)
            os.waitpid(child._pid, 0)
            child._pid = None
            attach(self, child)

        helper.Helper.attach = killed
    try:
        main(["edit", sys.argv[2], "--json"])
    finally:
        loaded = {name: name in sys.modules for name in ("anthropic", "detect_secrets", "surgeon.validate.names.guard")}
        Path = __import__("pathlib").Path
        Path(sys.argv[1]).write_text(json.dumps(loaded))
''')


def run_edit(repo: Path, server_env: dict[str, str], instruction: str, report: Path, **env: str
             ) -> tuple[dict, dict, str]:
    environ = {**os.environ, **GIT_ENV, **server_env, "NO_COLOR": "1", "PYTHONFAULTHANDLER": "1", **env}
    environ.pop("SURGEON_MODEL", None)
    done = subprocess.run([sys.executable, "-c", EDIT, str(report), instruction], cwd=repo, env=environ,
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout), json.loads(report.read_text()), done.stderr


@pytest.mark.parametrize("kill_helper", [False, True], ids=["served", "child-killed"])
def test_an_edit_hides_and_refuses_secrets_and_judges_names_whether_or_not_its_child_serves(
        tmp_path, fake_model, kill_helper):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING, "notes.md": f"deploy token: {TOKEN}\n"})
    fake_model.script([
        pricing_diff("TAX_RATE = 0.25", f"GITHUB_TOKEN = '{TOKEN[::-1]}'"),  # a new secret: refused
        pricing_diff("TAX_RATE = 0.25", "import numpyy_not_installed"),  # an unknown module: refused
        pricing_diff("TAX_RATE = 0.25"),
    ])
    instruction = f"set TAX_RATE to 0.25 in pricing.py (the old token {TOKEN} stays out of it)"
    answer, loaded, err = run_edit(repo, fake_model.env(), instruction, tmp_path / "loaded.json",
                                   **({"KILL_HELPER": "1"} if kill_helper else {}))
    assert answer["status"] == "staged", err
    first, second = (a["errors"] for a in answer["attempts"][:2])
    assert any("adds a new secret" in e["reason"] for e in first), first
    assert any("numpyy_not_installed" in e["reason"] for e in second), second
    assert TOKEN not in fake_model.all_text()  # (the refused one is the model's own, in its own turn)
    output = json.dumps(answer)
    assert TOKEN not in output and TOKEN[::-1] not in output
    assert loaded["anthropic"]
    # served: the command's own process never loaded the detectors or the guard; killed: it did the work
    assert loaded["detect_secrets"] == kill_helper and loaded["surgeon.validate.names.guard"] == kill_helper
    assert git(repo, "status", "--porcelain") == ""


def test_the_serving_child_is_gone_when_the_edit_ends(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING})
    fake_model.script([pricing_diff("TAX_RATE = 0.25")])
    before = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    answer, _loaded, err = run_edit(repo, fake_model.env(), "set TAX_RATE to 0.25", tmp_path / "loaded.json")
    assert answer["status"] == "staged", err
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
