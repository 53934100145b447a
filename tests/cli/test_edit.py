"""surgeon edit end to end: the real CLI, real git repositories, the fake model server."""

import json
import subprocess
import sys

import pytest

from tests.helpers import git, make_repo, repo_state, run_surgeon

PRICING = '''"""Prices for the shop."""

TAX_RATE = 0.2


def total_price(net: float) -> float:
    """Net price plus tax, rounded to cents."""
    return round(net * (1 + TAX_RATE), 2)


def discount(net: float, percent: float) -> float:
    return net * (1 - percent / 100)
'''

COLORS = '''PALETTE = ["#112233", "#445566", "#778899"]


def darken(color: str) -> str:
    return color
'''

SITE = '''server {
    listen 443 ssl;
    server_name shop.example.org;

    location /api/ {
        proxy_pass http://127.0.0.1:8000;
        proxy_read_timeout 60s;
    }

    location = /healthz {
        return 200 "ok";
    }
}
'''

TAX_DIFF = '''```diff
--- a/pricing.py
+++ b/pricing.py
@@ -1,5 +1,5 @@
 """Prices for the shop."""
 
-TAX_RATE = 0.2
+TAX_RATE = {rate}
 
 
```
'''


def fenced(diff: str, prose: str = "Here is the change.") -> str:
    return f"{prose}\n\n```diff\n{diff}```\n"


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop", {"pricing.py": PRICING, "colors.py": COLORS, "deploy/site.conf": SITE})


def edit(repo, fake_model, *args):
    return run_surgeon("edit", *args, "--json", cwd=repo, env=fake_model.env())


def surgeon_branches(repo):
    return [b.strip() for b in git(repo, "branch", "--list", "surgeon/*", "--format=%(refname:short)").splitlines()]


def test_happy_path_python(shop, fake_model):
    before = repo_state(shop)
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "set TAX_RATE to 0.25")
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged"
    assert out["files"] == ["pricing.py"]
    assert out["lines_added"] == 1 and out["lines_removed"] == 1
    assert repo_state(shop) == before
    assert git(shop, "show", f"{out['branch']}:pricing.py") == PRICING.replace("0.2\n", "0.25\n", 1)
    assert git(shop, "diff", f"HEAD..{out['branch']}", "--name-only").split() == ["pricing.py"]
    # the model saw the located lines with real line numbers, and only one request was made
    [request] = fake_model.requests
    assert "   3|TAX_RATE = 0.2" in request.text()
    assert out["usage"]["input_tokens"] > 0 and out["attempts"][0]["status"] == "staged"


def test_json_timings_count_every_phase_of_the_command(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "set TAX_RATE to 0.25")
    assert result.code == 0, result.stderr
    timings = json.loads(result.stdout)["timings"]
    phases = ("startup", "setup", "locate", "context", "model", "validate", "stage", "gate")
    assert set(timings) == {*phases, "total", "other"}
    assert all(timings[k] >= 0 for k in timings)
    # the process's own start (imports) is counted, and the phases with "other" make up the total
    assert timings["startup"] > 0 and timings["locate"] > 0 and timings["model"] > 0 and timings["stage"] > 0
    assert abs(sum(timings[k] for k in (*phases, "other")) - timings["total"]) < 0.01


def test_happy_path_nginx_with_wrong_line_numbers(shop, fake_model):
    before = repo_state(shop)
    diff = '''--- a/deploy/site.conf
+++ b/deploy/site.conf
@@ -40,3 +40,3 @@
         proxy_pass http://127.0.0.1:8000;
-        proxy_read_timeout 60s;
+        proxy_read_timeout 15s;
     }
'''
    fake_model.script([fenced(diff)])
    result = edit(shop, fake_model, "lower proxy_read_timeout for /api/ to 15s in deploy/site.conf")
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged"
    assert any("line numbers" in r for r in out["repairs"])
    assert "@@ -4,7 +4,7 @@" in out["diff"]
    assert git(shop, "show", f"{out['branch']}:deploy/site.conf") == SITE.replace("60s", "15s")
    assert repo_state(shop) == before


def test_line_that_does_not_exist_is_corrected_on_the_second_attempt(shop, fake_model):
    bad = '''--- a/pricing.py
+++ b/pricing.py
@@ -1,3 +1,3 @@
 """Prices for the shop."""
-TAX_RATE = 0.20  # VAT
+TAX_RATE = 0.25  # VAT
'''
    fake_model.script([fenced(bad), TAX_DIFF.replace("{rate}", "0.25")])
    before = repo_state(shop)
    result = edit(shop, fake_model, "set TAX_RATE to 0.25")
    assert result.code == 0, result.stdout
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["attempts"]] == ["refused", "staged"]
    error = out["attempts"][0]["errors"][0]
    assert error["path"] == "pricing.py" and error["hunk"] == 1
    # the refusal text went back to the model as the retry prompt
    second = fake_model.requests[1].text()
    assert "was not applied" in second and "pricing.py" in second
    assert repo_state(shop) == before


def test_file_not_shown_is_refused_then_corrected(shop, fake_model):
    sneaky = '''--- a/colors.py
+++ b/colors.py
@@ -1,4 +1,4 @@
-PALETTE = ["#112233", "#445566", "#778899"]
+PALETTE = ["#000000", "#445566", "#778899"]
 
 
 def darken(color: str) -> str:
'''
    fake_model.script([fenced(sneaky), TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "set TAX_RATE to 0.25", "--files", "pricing.py")
    assert result.code == 0, result.stdout
    out = json.loads(result.stdout)
    assert "colors.py" not in out["shown_files"]
    [error] = out["attempts"][0]["errors"]
    assert error["path"] == "colors.py" and "not shown" in error["reason"]
    assert out["files"] == ["pricing.py"]


def test_gate_failure_is_fed_back_and_fixed(shop, fake_model):
    check = f'{sys.executable} -c "import pricing; assert pricing.TAX_RATE == 0.25, pricing.TAX_RATE"'
    fake_model.script([TAX_DIFF.replace("{rate}", "0.3"), TAX_DIFF.replace("{rate}", "0.25")])
    before = repo_state(shop)
    result = edit(shop, fake_model, "set TAX_RATE to 0.25", "--check", check)
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert [a["status"] for a in out["attempts"]] == ["gate_failed", "staged"]
    assert out["check"]["passed"] is True
    assert "AssertionError" in out["attempts"][0]["check"]["output_tail"]
    assert "AssertionError" in fake_model.requests[1].text()
    assert surgeon_branches(shop) == [out["branch"]]  # the failed attempt's branch is gone
    assert repo_state(shop) == before


def test_attempts_exhausted_stages_nothing(shop, fake_model):
    fake_model.script(["I think you should change the tax rate.", fenced("--- a/nowhere.py\n+++ b/nowhere.py\n@@ -1 +1 @@\n-a\n+b\n")])
    before = repo_state(shop)
    result = edit(shop, fake_model, "set TAX_RATE to 0.25", "--max-attempts", "2")
    assert result.code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "refused" and out["branch"] is None
    assert "no unified diff" in out["attempts"][0]["errors"][0]["reason"]
    assert out["errors"] and out["errors"][0]["path"] == "nowhere.py"
    assert surgeon_branches(shop) == []
    assert repo_state(shop) == before


def test_dry_run_writes_nothing(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    before = repo_state(shop)
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--dry-run", cwd=shop, env=fake_model.env())
    assert result.code == 0, result.stderr
    assert "+TAX_RATE = 0.25" in result.stdout
    assert "dry run" in result.stderr and "$" in result.stderr  # the log on stderr
    assert result.stdout.startswith("diff --git") and "dry run" not in result.stdout  # stdout: the diff alone
    applied = subprocess.run(["git", "apply", "--check", "-"], cwd=shop, input=result.stdout, text=True)
    assert applied.returncode == 0
    assert surgeon_branches(shop) == []
    assert repo_state(shop) == before


def test_human_output_shows_regions_verdicts_branch_and_cost(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = run_surgeon("edit", "set TAX_RATE to 0.25", cwd=shop, env=fake_model.env())
    assert result.code == 0, result.stderr
    assert "pricing.py:" in result.stderr
    assert "validators" in result.stderr and "usage" in result.stderr
    # stdout holds the result only: the staged diff and where it is, so `> fix.patch` keeps a diff
    assert result.stdout.startswith("diff --git a/pricing.py b/pricing.py\n")
    assert "+TAX_RATE = 0.25" in result.stdout and "staged surgeon/set-tax-rate" in result.stdout
    assert "validators" not in result.stdout and "located" not in result.stdout and "usage" not in result.stdout


def test_quiet_keeps_the_result_and_verbose_adds_each_attempt(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    quiet = run_surgeon("edit", "set TAX_RATE to 0.25", "--quiet", "--dry-run", cwd=shop, env=fake_model.env())
    assert quiet.code == 0, quiet.stderr
    assert quiet.stderr == "" and quiet.stdout.startswith("diff --git") and "+TAX_RATE = 0.25" in quiet.stdout
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    loud = run_surgeon("edit", "set TAX_RATE to 0.25", "-v", "--dry-run", cwd=shop, env=fake_model.env())
    assert loud.code == 0, loud.stderr
    assert "+TAX_RATE = 0.25" in loud.stderr and "timings" in loud.stderr  # the attempt's diff in the log


def test_no_model_configured(shop):
    result = run_surgeon("edit", "set TAX_RATE to 0.25", cwd=shop)
    assert result.code == 2
    assert "ANTHROPIC_API_KEY" in result.stderr and "OPENAI_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_instruction_is_a_usage_error(shop, fake_model):
    result = run_surgeon("edit", "  ", cwd=shop, env=fake_model.env())
    assert result.code == 2


def test_dirty_touched_file_refuses_and_keeps_the_work(shop, fake_model):
    (shop / "pricing.py").write_text(PRICING + "\n# my local note\n")
    before = repo_state(shop)
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")] * 2)
    result = edit(shop, fake_model, "set TAX_RATE to 0.25")
    assert result.code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "refused" and out["branch"] is None
    assert [a["status"] for a in out["attempts"]] == ["blocked"]  # the user's work is no reason to retry
    [error] = out["errors"]
    assert "pricing.py" in error["reason"] and "--base worktree" in error["reason"]
    assert error["path"] == "pricing.py"  # the refusal names its file
    assert "+TAX_RATE = 0.25" in out["diff"]  # the validated diff is not lost
    assert repo_state(shop) == before
    assert (shop / "pricing.py").read_text().endswith("# my local note\n")

    human = run_surgeon("edit", "set TAX_RATE to 0.25", cwd=shop, env=fake_model.env())
    assert human.code == 1 and "--base worktree" in human.stderr and human.stdout == ""


def test_base_worktree_stages_on_a_snapshot_of_uncommitted_work(shop, fake_model):
    (shop / "pricing.py").write_text(PRICING + "\n# my local note\n")
    before = repo_state(shop)
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "set TAX_RATE to 0.25", "--base", "worktree")
    assert result.code == 0, result.stdout
    branch = json.loads(result.stdout)["branch"]
    assert git(shop, "show", f"{branch}:pricing.py") == PRICING.replace("0.2\n", "0.25\n", 1) + "\n# my local note\n"
    assert git(shop, "diff", f"{branch}~1..{branch}").count("\n+") == 2  # +++ header and the one added line
    assert repo_state(shop) == before


def test_secrets_never_reach_the_model_and_placeholders_are_restored(tmp_path, fake_model):
    secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ9aK3mZx"
    settings = f'''"""Payment settings."""

STRIPE_KEY = "{secret}"
PAYMENT_TIMEOUT = 30
'''
    repo = make_repo(tmp_path / "pay", {"settings.py": settings})
    before = repo_state(repo)
    fake_model.script([fenced('''--- a/settings.py
+++ b/settings.py
@@ -1,4 +1,4 @@
 """Payment settings."""
 
 STRIPE_KEY = "<<SECRET_1>>"
-PAYMENT_TIMEOUT = 30
+PAYMENT_TIMEOUT = 10
''')])
    result = edit(repo, fake_model, "lower PAYMENT_TIMEOUT to 10 in settings.py")
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert secret not in fake_model.all_text()
    assert "<<SECRET_1>>" in fake_model.all_text()
    assert git(repo, "show", f"{out['branch']}:settings.py") == settings.replace("= 30", "= 10")
    assert repo_state(repo) == before


def test_a_placeholder_written_into_a_file_is_refused(tmp_path, fake_model):
    secret = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ9aK3mZx"
    repo = make_repo(tmp_path / "pay", {"settings.py": f'STRIPE_KEY = "{secret}"\nRETRIES = 3\n'})
    leak = fenced('''--- a/settings.py
+++ b/settings.py
@@ -1,2 +1,3 @@
 STRIPE_KEY = "<<SECRET_1>>"
 RETRIES = 3
+BACKUP_KEY = "<<SECRET_7>>"
''')
    fake_model.script([leak])
    result = edit(repo, fake_model, "add BACKUP_KEY to settings.py", "--max-attempts", "1")
    assert result.code == 1
    out = json.loads(result.stdout)
    assert "SECRET_7" in out["errors"][0]["reason"] or "placeholder" in out["errors"][0]["reason"]


def test_files_takes_several_paths_after_one_flag(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "set TAX_RATE to 0.25", "--files", "pricing.py", "deploy/site.conf")
    assert result.code == 0, result.stdout + result.stderr
    assert {"pricing.py", "deploy/site.conf"} <= set(json.loads(result.stdout)["shown_files"])


@pytest.mark.parametrize("bad", ["../outside.py", ".git/config", "link.py", "nope.py", ".env"])
def test_files_refuses_what_must_not_be_shown(shop, fake_model, bad):
    (shop.parent / "outside.py").write_text("SECRET_PLAN = 1\n")
    (shop / "link.py").symlink_to(shop.parent / "outside.py")
    (shop / ".env").write_text("DB_PASSWORD=hunter2hunter2\n")
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = run_surgeon("edit", "set TAX_RATE", "--files", bad, cwd=shop, env=fake_model.env())
    assert result.code == 2, result.stdout
    assert bad.split("/")[-1] in result.stderr and "Traceback" not in result.stderr
    assert fake_model.requests == []


def test_settings_are_checked_before_any_model_call(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    for env in ({"SURGEON_MAX_ATTEMPTS": "0"}, {"SURGEON_CHECK_TIMEOUT": "-1", "SURGEON_CHECK": "true"}):
        result = run_surgeon("edit", "set TAX_RATE to 0.25", cwd=shop, env={**fake_model.env(), **env})
        assert result.code == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    assert fake_model.requests == []
    assert surgeon_branches(shop) == []


def test_gate_timeout_is_reported_as_a_timeout(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--check", "sleep 30", "--max-attempts", "1", "--json",
                         cwd=shop, env={**fake_model.env(), "SURGEON_CHECK_TIMEOUT": "1"})
    assert result.code == 1
    out = json.loads(result.stdout)
    assert out["attempts"][0]["check"]["timed_out"] is True
    assert "timed out after 1 s" in out["errors"][0]["reason"]
    assert surgeon_branches(shop) == []


def test_files_that_are_not_utf8_are_withheld(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING, "menu.txt": "caf\xe9 au lait: TAX_RATE\n".encode("latin-1")})
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = run_surgeon("edit", "set TAX_RATE to 0.25 (menu.txt too)", cwd=repo, env=fake_model.env())
    assert result.code == 0, result.stdout + result.stderr
    assert "withheld menu.txt: not UTF-8" in result.stderr
    assert "caf" not in fake_model.all_text()


def test_labels_are_printed_as_text_not_markup(shop, tmp_path):
    script = tmp_path / "[bold]replies.json"
    script.write_text(json.dumps([TAX_DIFF.replace("{rate}", "0.25")]))
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--model", f"script:{script}", cwd=shop)
    assert result.code == 0, result.stdout + result.stderr
    assert "[bold]replies.json" in result.stderr


@pytest.mark.parametrize("model", ["anthropic:claude-sonnet-5-5", "openai:gpt-6-sol"])
@pytest.mark.parametrize("kind", ["empty_delta", "comment"])
def test_a_stream_that_never_ends_is_cut_off_at_the_deadline(shop, fake_model, model, kind):
    from tests.fakes.server import Endless

    fake_model.script([Endless(kind)])
    env = {**fake_model.env(), "SURGEON_MODEL_DEADLINE": "2", "SURGEON_MODEL_TIMEOUT": "1"}
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--model", model, "--json", cwd=shop, env=env, timeout=60)
    assert result.code == 3, result.stdout + result.stderr
    message = json.loads(result.stdout)["errors"][0]["reason"]
    assert "no complete reply within 2s (model_deadline)" in message
    assert len(fake_model.requests) == 1  # cut off, not retried
    [line] = (shop / ".git" / "surgeon" / "usage.jsonl").read_text().splitlines()  # billed, so recorded
    assert json.loads(line)["failed"] is True


def test_a_later_model_failure_keeps_the_earlier_attempts(shop, fake_model):
    from tests.fakes.server import Error

    fake_model.script([
        fenced("--- a/pricing.py\n+++ b/pricing.py\n@@ -3 +3 @@\n-TAX_RATE = 0.5\n+TAX_RATE = 0.25\n"),
        Error(400, "prompt is too long"),
    ])
    result = edit(shop, fake_model, "set TAX_RATE to 0.25")
    assert result.code == 3, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "error"
    first, second = out["attempts"]
    assert first["status"] == "refused" and first["errors"][0]["path"] == "pricing.py"
    assert first["input_tokens"] > 0 and first["cost"] > 0
    assert second["status"] == "failed" and "prompt is too long" in second["errors"][0]["reason"]
    assert out["errors"] == second["errors"]
    assert out["usage"]["input_tokens"] == first["input_tokens"]
    assert result.stderr.splitlines()[-1].startswith("surgeon: anthropic:claude-sonnet-5-5: request rejected (HTTP 400)")
    assert surgeon_branches(shop) == []


@pytest.mark.parametrize("model", ["anthropic:claude-sonnet-5-5", "openai:gpt-6-sol"])
def test_a_reply_cut_off_at_max_tokens_is_refused_as_truncated(shop, fake_model, model):
    from tests.fakes.server import Reply

    valid = TAX_DIFF.replace("{rate}", "0.25")
    fake_model.script([Reply(valid, stop_reason="max_tokens"), valid])  # "length" on the OpenAI wire
    result = edit(shop, fake_model, "set TAX_RATE to 0.25", "--model", model)
    assert result.code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    first, second = out["attempts"]
    assert first["status"] == "refused" and "truncated" in first["errors"][0]["reason"]
    assert second["status"] == "staged"
    assert "answer again with a shorter diff" in fake_model.requests[1].text()


def test_a_diff_over_max_changed_lines_names_its_file(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = run_surgeon("edit", "set TAX_RATE to 0.25", "--max-attempts", "1", "--json", cwd=shop,
                         env={**fake_model.env(), "SURGEON_MAX_CHANGED_LINES": "1"})
    assert result.code == 1
    [error] = json.loads(result.stdout)["errors"]
    assert "max_changed_lines" in error["reason"] and error["path"] == "pricing.py"
