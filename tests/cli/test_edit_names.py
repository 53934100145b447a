"""`surgeon edit` and the names guard, end to end: the installed console script, real git
repositories with a real venv as the project's environment, the fake model server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import git, make_repo, repo_state, run_surgeon

CLIENT = '''"""A small HTTP client."""


class Client:
    def __init__(self, base):
        self.base = base

    def get(self, path):
        return f"{self.base}/{path}"

    def post(self, path, body):
        return f"{self.base}/{path}:{body}"
'''

PRICES = '''from shop.client import Client


def fetch_prices():
    client = Client("https://prices.example")
    return client.get("list")
'''


def fenced(diff: str) -> str:
    return f"Here is the change.\n\n```diff\n{diff}```\n"


def prices_diff(*added: str) -> str:
    return fenced("--- a/shop/prices.py\n+++ b/shop/prices.py\n@@ -3,4 +3," + str(4 + len(added)) + " @@\n\n"
                  " def fetch_prices():\n" + "".join(f"+{line}\n" for line in added) +
                  '     client = Client("https://prices.example")\n     return client.get("list")\n')


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path / "shop", {"shop/__init__.py": "", "shop/client.py": CLIENT, "shop/prices.py": PRICES,
                                         ".gitignore": ".venv/\n"})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    site = next((repo / ".venv" / "lib").glob("python*/site-packages"))
    (site / "tinycache").mkdir()
    (site / "tinycache" / "__init__.py").write_text("def remember(key, value):\n    return value\n")
    return repo


def edit(repo: Path, fake_model, *args: str):
    return run_surgeon("edit", "make fetch_prices log its base url", "--files", "shop/prices.py", *args,
                       cwd=repo, env=fake_model.env())


def test_an_invented_method_is_refused_and_fixed_on_retry(shop, fake_model):
    before = repo_state(shop)
    invented = '    Client("https://prices.example").get_json("health")'
    real = '    Client("https://prices.example").get("health")'
    fake_model.script([prices_diff(invented), prices_diff(real)])
    result = edit(shop, fake_model, "--json")
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["attempts"]] == ["refused", "staged"]
    error = out["attempts"][0]["errors"][0]
    assert (error["path"], error["hunk"], error["line"]) == ("shop/prices.py", 1, 5)
    assert error["reason"].startswith("`Client('https://prices.example').get_json` does not exist: "
                                      "`Client('https://prices.example')` (a `shop.client.Client`) has no attribute")
    retry = fake_model.requests[1].text()
    assert "get_json" in retry and "`get`" in retry and "`post`" in retry
    assert out["names"]["unknown"] == 1 and out["names"]["checked"] >= 1 and out["names"]["diffs"] == 2
    assert out["names"]["warnings"] == [] and out["names"]["allowed"] is False
    assert "get(\"health\")" in git(shop, "show", f"{out['branch']}:shop/prices.py")
    assert repo_state(shop) == before


def test_an_invented_method_on_a_local_instance_is_refused(shop, fake_model):
    fake_model.script([prices_diff('    client = Client("x")', '    client.get_json("h")'),
                       prices_diff('    client = Client("x")', '    client.get("h")')])
    out = json.loads(edit(shop, fake_model, "--json").stdout)
    assert [a["status"] for a in out["attempts"]] == ["refused", "staged"]
    assert out["attempts"][0]["errors"][0]["reason"].startswith(
        "`client.get_json` does not exist: `client` (a `shop.client.Client`) has no attribute `get_json`; it has `get`")


def test_a_correct_new_import_of_an_installed_package_passes(shop, fake_model):
    fake_model.script([prices_diff("    import tinycache", '    tinycache.remember("base", "x")')])
    result = edit(shop, fake_model, "--json", "--dry-run")
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["attempts"]] == ["valid"]
    assert out["names"]["unknown"] == 0 and out["names"]["checked"] >= 2


def test_a_package_that_is_not_installed_is_refused(shop, fake_model):
    fake_model.script([prices_diff("    import tinycachex"), prices_diff("    import tinycache")])
    out = json.loads(edit(shop, fake_model, "--json", "--dry-run").stdout)
    assert [a["status"] for a in out["attempts"]] == ["refused", "valid"]
    reason = out["attempts"][0]["errors"][0]["reason"]
    assert reason.startswith("`import tinycachex`: there is no module `tinycachex`")
    assert str(shop / ".venv" / "bin" / "python") in reason


def test_allow_unknown_names_warns_instead(shop, fake_model):
    fake_model.script([prices_diff('    Client("x").get_json("h")')])
    result = edit(shop, fake_model, "--json", "--allow-unknown-names")
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["attempts"]] == ["staged"]
    names = out["names"]
    assert names["allowed"] is True and names["unknown"] == 1
    assert [(w["path"], w["line"]) for w in names["warnings"]] == [("shop/prices.py", 5)]
    assert "get_json" in names["warnings"][0]["reason"]


def test_allow_unknown_names_shows_the_warning(shop, fake_model):
    fake_model.script([prices_diff('    Client("x").get_json("h")')])
    result = edit(shop, fake_model, "--allow-unknown-names", "--dry-run")
    assert result.code == 0, result.stderr
    assert "warning (--allow-unknown-names): shop/prices.py: hunk 1" in result.stderr
    assert "get_json" in result.stderr and "Traceback" not in result.stderr


def test_the_setting_allows_unknown_names_too(shop, fake_model):
    fake_model.script([prices_diff('    Client("x").get_json("h")')])
    result = run_surgeon("edit", "make fetch_prices log its base url", "--files", "shop/prices.py", "--json",
                         "--dry-run", cwd=shop, env={**fake_model.env(), "SURGEON_ALLOW_UNKNOWN_NAMES": "1"})
    out = json.loads(result.stdout)
    assert out["status"] == "proposed" and len(out["names"]["warnings"]) == 1


def test_the_edit_asks_ahead_about_the_shown_python_files_before_it_judges_the_diff(tmp_path, monkeypatch):
    from surgeon.config import load_config
    from surgeon.edit import EditLoop, EditRequest
    from surgeon.git import find_repo
    from surgeon.validate.names import NamesGuard

    repo = make_repo(tmp_path / "repo", {"app.py": "import json\n\n\ndef total(x):\n    return json.dumps(x)\n",
                                          "notes.md": "# total\n"})
    diff = ("--- a/app.py\n+++ b/app.py\n@@ -3,3 +3,3 @@\n \n def total(x):\n"
            "-    return json.dumps(x)\n+    return json.dumps(x, sort_keys=True)\n")
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([f"```diff\n{diff}```"]))
    order: list[str] = []
    real_warm, real_check = NamesGuard.warm, NamesGuard.check
    monkeypatch.setattr(NamesGuard, "warm", lambda self, paths: (order.append(f"warm {sorted(paths)}"),
                                                                 real_warm(self, paths))[1])
    monkeypatch.setattr(NamesGuard, "check", lambda self, changes: (order.append("check"), real_check(self, changes))[1])
    outcome = EditLoop(find_repo(repo), load_config(repo)).run(
        EditRequest("make total sort its keys", model=f"script:{script}", dry_run=True))
    assert outcome.status == "proposed"
    assert order == ["warm ['app.py']", "check"]


def test_a_turn_that_ends_before_judging_does_not_leave_its_asking_ahead_beside_the_next(tmp_path, monkeypatch):
    import threading
    import time

    from surgeon.config import load_config
    from surgeon.edit import EditLoop, EditRequest
    from surgeon.git import find_repo
    from surgeon.validate.names import NamesGuard

    repo = make_repo(tmp_path / "repo", {"app.py": "import json\n\n\ndef total(x):\n    return json.dumps(x)\n"})
    script = tmp_path / "replies.json"
    script.write_text(json.dumps(["No diff here."] * 2))  # each turn is refused before any diff is judged
    running: list[int] = []
    overlapped: list[bool] = []
    guard = threading.Lock()

    def slow_warm(self, paths):
        with guard:
            overlapped.append(bool(running))
            running.append(1)
        time.sleep(0.3)
        with guard:
            running.pop()

    monkeypatch.setattr(NamesGuard, "warm", slow_warm)
    loop = EditLoop(find_repo(repo), load_config(repo))  # one loop for both turns, as a pair session keeps it
    for _ in range(2):
        outcome = loop.run(EditRequest("make total sort its keys", model=f"script:{script}", max_attempts=1,
                                       dry_run=True))
        assert outcome.status == "refused"
    loop._warming.join()
    assert overlapped == [False, False]
