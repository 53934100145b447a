"""`surgeon edit --events`: JSON lines on stdout as the edit runs, the last one the --json object,
through the installed console script and the fake model server."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.cli.support import assert_no_traceback
from tests.fakes.server import Reply
from tests.helpers import GIT_ENV, SURGEON, make_repo, run_surgeon

PRICING = '"""Prices for the shop."""\n\nTAX_RATE = 0.2\n\n\ndef total_price(net):\n    return round(net * (1 + TAX_RATE), 2)\n'
TAX_DIFF = ('```diff\n--- a/pricing.py\n+++ b/pricing.py\n@@ -1,3 +1,3 @@\n """Prices for the shop."""\n \n'
            '-TAX_RATE = 0.2\n+TAX_RATE = {rate}\n```\n')
SECRET = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcQ9aK3mZx"
SETTINGS = f'"""Payment settings."""\n\nSTRIPE_KEY = "{SECRET}"\nPAYMENT_TIMEOUT = 30\n'
TIMEOUT_DIFF = ('```diff\n--- a/settings.py\n+++ b/settings.py\n@@ -1,4 +1,4 @@\n """Payment settings."""\n \n'
                ' STRIPE_KEY = "<<SECRET_1>>"\n-PAYMENT_TIMEOUT = 30\n+PAYMENT_TIMEOUT = 10\n```\n')
# what differs between two runs of the same edit
RUN_SPECIFIC = {"timings", "seconds", "branch", "id", "commit"}


def stable(value):
    """`value` without what differs between two runs of the same edit."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in RUN_SPECIFIC}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop", {"pricing.py": PRICING})


def lines_of(stdout: str) -> list[dict]:
    lines = stdout.splitlines()
    assert lines and all(line.strip() for line in lines), stdout
    return [json.loads(line) for line in lines]  # every line is one JSON object, nothing else


def names(objects: list[dict]) -> list[str]:
    return [o["event"] for o in objects[:-1]]


def test_each_step_is_a_line_and_the_last_is_the_json_object(shop, tmp_path, fake_model):
    fake_model.script(["Let me think about it.", TAX_DIFF.replace("{rate}", "0.25")])
    run = run_surgeon("edit", "set TAX_RATE to 0.25", "--events", "--check", "true", cwd=shop, env=fake_model.env())
    assert run.code == 0, run.stdout + run.stderr
    assert_no_traceback(run)
    objects = lines_of(run.stdout)
    assert all(isinstance(o.get("event"), str) for o in objects[:-1]) and "event" not in objects[-1]
    seen = names(objects)
    order = ["located", "model_request", "tokens", "refused", "model_request", "tokens", "validated", "staged",
             "gate_started", "gate_finished"]
    assert _dedupe(seen) == order
    by_name = {o["event"]: o for o in objects[:-1]}
    assert by_name["located"]["regions"][0]["path"] == "pricing.py"
    [refused] = [o for o in objects[:-1] if o["event"] == "refused"]
    assert refused["attempt"] == 1 and "no unified diff" in refused["errors"][0]["reason"]
    assert [o["attempt"] for o in objects if o.get("event") == "model_request"] == [1, 2]
    assert by_name["validated"]["files"] == ["pricing.py"] and "+TAX_RATE = 0.25" in by_name["validated"]["diff"]
    assert {o["phase"] for o in objects if o.get("event") == "tokens"} >= {"waiting", "done"}
    assert by_name["gate_finished"]["check"]["passed"] is True
    final = objects[-1]
    assert final["status"] == "staged" and by_name["staged"]["branch"] == final["branch"]

    # the same edit with --json prints the same object (what differs between two runs aside)
    again = make_repo(tmp_path / "again", {"pricing.py": PRICING})
    fake_model.script(["Let me think about it.", TAX_DIFF.replace("{rate}", "0.25")])
    plain = run_surgeon("edit", "set TAX_RATE to 0.25", "--json", "--check", "true", cwd=again, env=fake_model.env())
    expected = json.loads(plain.stdout)
    assert set(final) == set(expected)
    assert stable(final) == stable(expected)


def _dedupe(seen: list[str]) -> list[str]:
    """`seen` with runs of the same name (tokens, tokens, ...) kept once."""
    return [name for index, name in enumerate(seen) if index == 0 or seen[index - 1] != name]


def test_with_json_too_the_stream_is_the_same(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    run = run_surgeon("edit", "set TAX_RATE to 0.25", "--events", "--json", "--dry-run", cwd=shop,
                      env=fake_model.env())
    assert run.code == 0, run.stderr
    objects = lines_of(run.stdout)
    assert names(objects)[0] == "located" and "validated" in names(objects) and "staged" not in names(objects)
    assert objects[-1]["status"] == "proposed" and "+TAX_RATE = 0.25" in objects[-1]["diff"]
    assert "dry run" not in run.stdout  # the human log is off


def test_lines_arrive_while_the_model_is_still_answering(shop, fake_model):
    # The reply waits far longer than the test: the lines must be read while the edit still runs.
    fake_model.script([Reply(TAX_DIFF.replace("{rate}", "0.25"), delay=60.0)])
    env = {**os.environ, **GIT_ENV, **fake_model.env(), "NO_COLOR": "1"}
    process = subprocess.Popen([str(SURGEON), "edit", "set TAX_RATE to 0.25", "--events", "--dry-run"], cwd=shop,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert process.stdout is not None
        early = [json.loads(process.stdout.readline()) for _ in range(3)]
        assert [o["event"] for o in early] == ["located", "model_request", "tokens"]
        assert early[2]["phase"] == "waiting"
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()


def test_a_secret_never_appears_in_any_line(tmp_path, fake_model):
    repo = make_repo(tmp_path / "pay", {"settings.py": SETTINGS})
    fake_model.script([TIMEOUT_DIFF])
    run = run_surgeon("edit", "lower PAYMENT_TIMEOUT to 10 in settings.py", "--events", cwd=repo, env=fake_model.env())
    assert run.code == 0, run.stdout + run.stderr
    objects = lines_of(run.stdout)
    assert SECRET not in run.stdout + run.stderr
    validated = next(o for o in objects if o.get("event") == "validated")
    assert 'STRIPE_KEY = "<<SECRET_1>>"' in validated["diff"]  # the diff is shown, the value is not
    assert "<<SECRET_1>>" in objects[-1]["diff"]
    plain = run_surgeon("edit", "lower PAYMENT_TIMEOUT to 10 in settings.py", "--json", "--dry-run", cwd=repo,
                        env=fake_model.script([TIMEOUT_DIFF]).env())
    assert plain.code == 0 and SECRET not in plain.stdout and "<<SECRET_1>>" in json.loads(plain.stdout)["diff"]


def test_an_error_is_the_one_line(shop, fake_model):
    run = run_surgeon("edit", "set TAX_RATE to 0.25", "--events", "--model", "nosuch:model", cwd=shop,
                      env=fake_model.env())
    assert run.code == 2, run.stdout + run.stderr
    assert_no_traceback(run)
    [error] = lines_of(run.stdout)
    assert error["status"] == "error" and error["errors"][0]["reason"] in run.stderr


def test_refused_in_the_end_ends_with_the_refused_object(shop, fake_model):
    fake_model.script(["no diff", "still no diff"])
    run = run_surgeon("edit", "set TAX_RATE to 0.25", "--events", "--max-attempts", "2", cwd=shop,
                      env=fake_model.env())
    assert run.code == 1
    objects = lines_of(run.stdout)
    assert names(objects).count("refused") == 2
    assert objects[-1]["status"] == "refused" and objects[-1]["errors"]
