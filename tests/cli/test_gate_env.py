"""What a check (`--check`) sees and touches, through `surgeon edit` and `surgeon config`: no
credentials from the user's environment, only what check_env lets through, a sandbox without
network that writes only its worktree, and output masked before it goes back to the model."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from surgeon.gate import available_sandbox
from tests.cli.test_edit import PRICING, TAX_DIFF
from tests.helpers import git, make_repo, run_surgeon

CREDENTIALS = {
    "OPENAI_API_KEY": "sk-test-openai", "AWS_SECRET_ACCESS_KEY": "aws-secret", "AWS_PROFILE": "prod",
    "MY_SERVICE_TOKEN": "tok", "DEPLOY_SECRET": "s3cr3t", "STRIPE_KEY": "sk_live_x",
    "DATABASE_URL": "postgres://app:pw@db/app", "GITHUB_TOKEN": "ghp_x",
}
# Exits 0 only when no credential is visible and the basics a check needs are there.
SEES_NO_CREDENTIALS = (
    f"{sys.executable} -c \"import os, sys; leaked = sorted(k for k in os.environ if k in {sorted(CREDENTIALS)!r} "
    "or k == 'ANTHROPIC_API_KEY'); print('leaked', leaked); "
    "sys.exit(1 if leaked or not os.environ.get('PATH') or not os.environ.get('HOME') else 0)\""
)


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop", {"pricing.py": PRICING})


def edit(repo: Path, fake_model, *args: str, env: dict[str, str] | None = None):
    return run_surgeon("edit", "set TAX_RATE to 0.25", *args, "--json", cwd=repo, env={**fake_model.env(), **(env or {})})


def test_a_check_sees_no_credentials_by_default(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "--check", SEES_NO_CREDENTIALS, "--max-attempts", "1", env=CREDENTIALS)
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["check"]["passed"] is True and "leaked []" in out["check"]["output_tail"]


def test_check_env_lets_named_variables_through(shop, fake_model):
    check = (f"{sys.executable} -c \"import os, sys; sys.exit(0 if os.environ.get('KEEP_ME') == 'yes' and "
             "os.environ.get('DJANGO_SETTINGS_MODULE') == 'site.settings' and 'DEPLOY_SECRET' not in os.environ "
             "else 1)\"")
    env = {**CREDENTIALS, "KEEP_ME": "yes", "DJANGO_SETTINGS_MODULE": "site.settings"}
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    refused = edit(shop, fake_model, "--check", check, "--max-attempts", "1", env=env)
    assert refused.code == 1 and json.loads(refused.stdout)["attempts"][0]["status"] == "gate_failed"
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    allowed = edit(shop, fake_model, "--check", check, "--max-attempts", "1",
                   env={**env, "SURGEON_CHECK_ENV": "KEEP_ME, DJANGO_*"})
    assert allowed.code == 0, allowed.stdout + allowed.stderr


# Exits 0 only when it can write its worktree and TMPDIR, but not OUTSIDE, and cannot reach PORT.
CONFINED = '''
import os, socket, sys, tempfile
open("written-in-the-worktree", "w").write("ok")
tempfile.NamedTemporaryFile().close()
try:
    open(sys.argv[1], "w").write("escaped")
    sys.exit("wrote outside the worktree")
except OSError:
    pass
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    sys.exit("reached the network")
except OSError:
    pass
print("confined")
'''


@pytest.mark.parametrize("tool", ["bwrap", "unshare"])
def test_check_sandbox_has_no_network_and_writes_only_its_worktree(shop, fake_model, tmp_path, tool):
    if available_sandbox(tool) is None:
        pytest.skip(f"{tool} cannot make a sandbox on this machine")
    script = tmp_path / "confined.py"
    script.write_text(CONFINED)
    outside = tmp_path / "outside.txt"
    port = fake_model.url.rsplit(":", 1)[1]
    check = f"{sys.executable} {script} {outside} {port}"
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "--check", check, "--check-sandbox", "--max-attempts", "1",
                  env={"SURGEON_CHECK_SANDBOX": tool})
    assert result.code == 0, result.stdout + result.stderr
    assert "confined" in json.loads(result.stdout)["check"]["output_tail"]
    assert not outside.exists()
    # the same check outside the sandbox escapes: the test can tell the difference
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    loose = edit(shop, fake_model, "--check", check, "--max-attempts", "1")
    assert loose.code == 1 and outside.exists()


def test_check_sandbox_where_no_tool_exists_is_a_clear_error_before_any_model_call(shop, fake_model, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("git", "sh"):
        found = shutil.which(tool)
        assert found
        (bare / tool).symlink_to(found)
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "--check", "true", "--check-sandbox", env={"PATH": str(bare)})
    assert result.code == 3, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith("surgeon: --check-sandbox: neither bwrap nor unshare") and "bubblewrap" in message
    assert json.loads(result.stdout)["status"] == "error"
    assert fake_model.requests == []


ENV_FILE = "DB_HOST=internal-db-7781.corp\nDB_PASSWORD='hunter2-but-longer'\n"
GITHUB_TOKEN = "ghp_" + "R2d2C3poX9w8v7u6t5s4r3q2p1o0n9m8l7k6"


def test_check_output_is_masked_before_it_goes_back_to_the_model(tmp_path, fake_model):
    repo = make_repo(tmp_path / "shop", {"pricing.py": PRICING, ".gitignore": ".env\n"})
    (repo / ".env").write_text(ENV_FILE)  # never sent: ignored by git, a secret file by name
    leak = tmp_path / "leak.sh"
    leak.write_text(f"cat {repo / '.env'}\necho token {GITHUB_TOKEN}\nexit 1\n")
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25"), "no diff"])
    result = edit(repo, fake_model, "--check", f"sh {leak}", "--max-attempts", "2")
    assert result.code == 1, result.stdout + result.stderr
    assert len(fake_model.requests) == 2
    sent = fake_model.all_text()
    assert "exit code 1" in fake_model.requests[1].text()  # the failure itself was fed back
    for value in ("internal-db-7781.corp", "hunter2-but-longer", GITHUB_TOKEN):
        assert value not in sent
        assert value not in result.stdout  # nor in the JSON (the gate's output tail)
        assert value not in git(repo, "log", "--all", "-p", "--notes=surgeon")


def test_config_says_what_a_check_sees_and_which_sandbox_is_in_force(shop):
    env = {**CREDENTIALS, "SURGEON_CHECK_ENV": "DATABASE_URL"}
    shown = run_surgeon("config", cwd=shop, env=env)
    assert shown.code == 0, shown.stderr
    assert "check environment" in shown.stdout and "check_env" in shown.stdout
    assert "OPENAI_API_KEY" in shown.stdout  # named as withheld (its value never printed)
    assert "sk-test-openai" not in shown.stdout
    assert "check sandbox: off" in shown.stdout
    data = json.loads(run_surgeon("config", "--json", cwd=shop, env=env).stdout)
    check = data["check"]
    assert "OPENAI_API_KEY" in check["withheld"] and "DATABASE_URL" not in check["withheld"]
    assert "DATABASE_URL" in check["passed"] and "PATH" in check["passed"]
    assert check["sandbox"] == {"setting": "off", "source": "default", "tool": None}
    sandbox = available_sandbox("auto")
    auto = json.loads(run_surgeon("config", "--json", cwd=shop, env={"SURGEON_CHECK_SANDBOX": "auto"}).stdout)
    assert auto["check"]["sandbox"]["tool"] == (sandbox.tool if sandbox else None)
    assert auto["check"]["sandbox"]["source"] == "env SURGEON_CHECK_SANDBOX"
    assert os.environ.get("SURGEON_CHECK_SANDBOX") is None
