"""The model asks for more context before it answers (read_lines, search, find_definition), through
each provider's native tool use and the plain-text format of the scripted provider; and a refused
hunk brings the file's real lines. The real CLI, real git repositories, the fake model server."""

from __future__ import annotations

import json

import pytest

from tests.fakes.server import Error, Reply, tool_use
from tests.helpers import git, make_repo, repo_state, run_surgeon

PRICING = '''"""Prices for the shop."""

from consts import STANDARD

TAX_RATE = STANDARD


def total_price(net: float) -> float:
    """Net price plus tax, rounded to cents."""
    return round(net * (1 + TAX_RATE), 2)
'''
CONSTS = '''"""Numbers the shop uses."""

STANDARD = 0.2
REDUCED = 0.05
'''
SECRET = "sk_live_51HqLyjWDarjtT1zdp7dcXaHBqNkTz9k2yYp"
CONSTS_WITH_KEY = CONSTS + f'PAYMENT_KEY = "{SECRET}"\n'
CONSTS_DIFF = '''```diff
--- a/consts.py
+++ b/consts.py
@@ -1,4 +1,4 @@
 """Numbers the shop uses."""
 
-STANDARD = 0.2
+STANDARD = 0.25
 REDUCED = 0.05
```
'''
READ = {"path": "consts.py", "start_line": 1, "end_line": 4}
INSTRUCTION = "set TAX_RATE to 0.25"
MODELS = {"anthropic": "anthropic:fake-model", "openai": "openai:fake-model"}


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop", {"pricing.py": PRICING, "consts.py": CONSTS, "logo.png": b"\x89PNG\0\0\x01",
                                         ".env": "DB_PASSWORD=hunter2-very-secret\n"})


def edit(repo, fake_model, provider, *args, env=None):
    return run_surgeon("edit", INSTRUCTION, "--model", MODELS[provider], "--json", *args, cwd=repo,
                       env={**fake_model.env(), **(env or {})})


def sent_text(request) -> str:
    """The messages of a request as text: content strings, text blocks, tool results."""
    parts = []
    for message in request.body["messages"]:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        for block in content if isinstance(content, list) else ():
            parts.append(block.get("text") or (block.get("content") if isinstance(block.get("content"), str) else ""))
    return "\n".join(parts)


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_perfect_model_reads_the_lines_it_needs_and_its_diff_lands(shop, fake_model, provider):
    before = repo_state(shop)
    fake_model.script([tool_use("read_lines", READ), CONSTS_DIFF])
    result = edit(shop, fake_model, provider)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged" and out["files"] == ["consts.py"]
    assert "STANDARD = 0.2\n" not in sent_text(fake_model.requests[0])  # not in the located context
    [request] = out["attempts"][0]["context_requests"]
    assert request["tool"] == "read_lines" and request["arguments"] == READ and request["tokens"] > 0
    assert "consts.py" in out["shown_files"]  # the file read is in the diff's scope
    [sent] = fake_model.requests[1].tool_results()
    assert "   3|STANDARD = 0.2" in sent["content"] and "=== consts.py (4 lines) ===" in sent["content"]
    assert sent["is_error"] in (False, None)
    assert git(shop, "show", f"{out['branch']}:consts.py") == CONSTS.replace("0.2\n", "0.25\n")
    assert repo_state(shop) == before


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_without_the_read_the_same_diff_is_out_of_scope(shop, fake_model, provider):
    fake_model.script([CONSTS_DIFF])
    result = edit(shop, fake_model, provider, "--max-attempts", "1")
    assert result.code == 1
    out = json.loads(result.stdout)
    assert "consts.py, which you were not shown" in out["errors"][0]["reason"]
    assert out["attempts"][0]["context_requests"] == []


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_forbidden_reads_are_tool_errors_and_the_edit_goes_on(shop, fake_model, provider, tmp_path):
    (tmp_path / "outside.py").write_text("OUTSIDE = 1\n")
    asks = [("read_lines", {"path": p, "start_line": 1, "end_line": 5})
            for p in (".env", "../outside.py", ".git/config", "logo.png")]
    fake_model.script([tool_use(*asks, ("find_definition", {"name": "STANDARD"})), CONSTS_DIFF])
    result = edit(shop, fake_model, provider)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged"
    results = fake_model.requests[1].tool_results()
    assert len(results) == 5
    env, outside, gitdir, binary, found = (r["content"] for r in results)
    assert "never sent to a model" in env and "outside the repository" in outside
    assert "inside .git" in gitdir and "binary" in binary
    assert "   3|STANDARD = 0.2" in found  # find_definition reads consts.py: in scope, the diff lands
    if provider == "anthropic":
        assert [r["is_error"] for r in results] == [True, True, True, True, False]
    assert "hunter2" not in fake_model.all_text() and "OUTSIDE = 1" not in fake_model.all_text()
    assert "[core]" not in fake_model.all_text()
    assert [r["tool"] for r in out["attempts"][0]["context_requests"]] == ["read_lines"] * 4 + ["find_definition"]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_rounds_are_limited_and_the_last_request_says_answer_now(shop, fake_model, provider):
    search = ("search", {"pattern": "STANDARD"})
    fake_model.script([tool_use(search), tool_use("read_lines", READ), CONSTS_DIFF])
    result = edit(shop, fake_model, provider, env={"SURGEON_CONTEXT_REQUESTS": "2"})
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [r["tool"] for r in out["attempts"][0]["context_requests"]] == ["search", "read_lines"]
    first, second, last = fake_model.requests
    offered = {"anthropic": ({"type": "auto"}, {"type": "none"}), "openai": ("auto", "none")}[provider]
    assert first.tool_choice == second.tool_choice == offered[0]
    assert last.tool_choice == offered[1] and "answer now with the unified diff" in sent_text(last)
    assert "consts.py:3: STANDARD = 0.2" in second.tool_results()[0]["content"]
    # search lists definitions first: the assignment before the import that uses it
    lines = second.tool_results()[0]["content"].splitlines()
    assert "answer now" not in sent_text(second)
    assert lines[0].startswith("consts.py:3:") and lines[1].startswith("pricing.py")


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_the_context_budget_cuts_results_then_no_more_requests(tmp_path, fake_model, provider):
    big = "".join(f"VALUE_{n} = {n}\n" for n in range(300))
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING, "consts.py": CONSTS, "big.py": big})
    fake_model.script([tool_use("read_lines", {"path": "big.py", "start_line": 1, "end_line": 300}), "no diff"])
    result = edit(repo, fake_model, provider, "--max-attempts", "1", env={"SURGEON_CONTEXT_BUDGET": "60"})
    out = json.loads(result.stdout)
    [request] = out["attempts"][0]["context_requests"]
    assert request["tokens"] <= 60
    content = fake_model.requests[1].tool_results()[0]["content"]
    assert "VALUE_0 = 0" in content and "VALUE_299" not in content and "context_budget" in content
    assert fake_model.requests[1].tool_choice in ({"type": "none"}, "none")


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_a_secret_in_lines_read_never_reaches_the_model(tmp_path, fake_model, provider):
    repo = make_repo(tmp_path / "r", {"pricing.py": PRICING, "consts.py": CONSTS_WITH_KEY})
    fake_model.script([tool_use("read_lines", {"path": "consts.py", "start_line": 1, "end_line": 9}), CONSTS_DIFF])
    result = edit(repo, fake_model, provider)
    assert result.code == 0, result.stderr
    assert SECRET not in fake_model.all_text()
    assert '<<SECRET_1>>' in fake_model.requests[1].tool_results()[0]["content"]


def test_the_scripted_provider_asks_in_plain_text(shop, fake_model, tmp_path):
    ask = '```tool\n' + json.dumps({"tool": "read_lines", "arguments": READ}) + '\n```\n'
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([ask, CONSTS_DIFF]))
    result = run_surgeon("edit", INSTRUCTION, "--model", f"script:{script}", "--json", cwd=shop)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged"
    assert out["attempts"][0]["context_requests"][0]["arguments"] == READ


def test_openai_compatible_text_requests(shop, fake_model):
    ask = '```tool\n' + json.dumps({"tool": "read_lines", "arguments": READ}) + '\n```\n'
    fake_model.script([ask, CONSTS_DIFF])
    result = run_surgeon("edit", INSTRUCTION, "--model", "openai-compatible:local", "--json", cwd=shop,
                         env={**fake_model.env(), "SURGEON_CONTEXT_TOOLS": "text"})
    assert result.code == 0, result.stderr
    first, second = fake_model.requests
    assert "tools" not in first.body and '{"tool": "NAME"' in first.body["messages"][0]["content"]
    assert "   3|STANDARD = 0.2" in second.body["messages"][-1]["content"]


def test_an_openai_compatible_server_that_rejects_tools_is_asked_in_plain_text(shop, fake_model):
    # Ollama's answer for a model without tool support; surgeon asks again with the text format,
    # and keeps to it for the rest of the edit.
    rejected = Error(400, message="registry.ollama.ai/library/gemma:2b does not support tools")
    ask = '```tool\n' + json.dumps({"tool": "read_lines", "arguments": READ}) + '\n```\n'
    fake_model.script([rejected, ask, CONSTS_DIFF])
    result = run_surgeon("edit", INSTRUCTION, "--model", "openai-compatible:gemma", "--json", cwd=shop,
                         env=fake_model.env())
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "staged"
    assert out["attempts"][0]["context_requests"][0]["arguments"] == READ
    native, first_text, second_text = fake_model.requests
    assert "tools" in native.body
    assert "tools" not in first_text.body and '{"tool": "NAME"' in first_text.body["messages"][0]["content"]
    assert "tools" not in second_text.body and "   3|STANDARD = 0.2" in second_text.body["messages"][-1]["content"]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_the_hosted_apis_rejecting_a_request_is_an_error_not_a_fallback(shop, fake_model, provider):
    fake_model.script([Error(400, message="tools.0: unexpected field")])
    result = edit(shop, fake_model, provider)
    assert result.code == 3, result.stderr
    assert "HTTP 400" in result.stderr and len(fake_model.requests) == 1


WRONG = '''```diff
--- a/pricing.py
+++ b/pricing.py
@@ -5,3 +5,3 @@
 from consts import STANDARD
 
-TAX_RATE = STANDARDS
+TAX_RATE = 0.25
```
'''


def test_a_refused_hunk_brings_the_files_real_lines(shop, fake_model):
    fake_model.script([WRONG, "still no diff"])
    result = edit(shop, fake_model, "anthropic", "--max-attempts", "2")
    retry = sent_text(fake_model.requests[1])
    assert "The file's actual lines where your hunk aimed" in retry
    assert "   5|TAX_RATE = STANDARD" in retry and "   3|from consts import STANDARD" in retry
    assert result.code == 1


def test_two_replies_without_a_diff_stop_the_edit(shop, fake_model):
    fake_model.script(["I would change the rate.", "Really, change the rate.", CONSTS_DIFF])
    result = edit(shop, fake_model, "anthropic", "--max-attempts", "3")
    assert result.code == 1
    out = json.loads(result.stdout)
    assert len(out["attempts"]) == 2 and len(fake_model.requests) == 2
    assert "stopped after attempt 2 of 3" in out["errors"][-1]["reason"]


def test_context_requests_zero_offers_no_tools(shop, fake_model):
    fake_model.script([Reply(CONSTS_DIFF)])
    edit(shop, fake_model, "anthropic", "--max-attempts", "1", env={"SURGEON_CONTEXT_REQUESTS": "0"})
    assert "tools" not in fake_model.requests[0].body


def test_the_human_log_names_the_requests(shop, fake_model):
    fake_model.script([tool_use("read_lines", READ), CONSTS_DIFF])
    result = run_surgeon("edit", INSTRUCTION, "--model", MODELS["anthropic"], "--dry-run", cwd=shop, env=fake_model.env())
    assert result.code == 0, result.stderr
    assert "context requests 1" in result.stderr and "read_lines consts.py 1 4" in result.stderr
